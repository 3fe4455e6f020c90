"""Shipped SQL: the warehouse schema (package data)."""
