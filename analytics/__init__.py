"""Readiness analytics: ETL into a DuckDB warehouse and the readiness models."""
