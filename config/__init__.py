"""Typed settings and server configuration."""
