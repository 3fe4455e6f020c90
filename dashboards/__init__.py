"""Plotly dashboards for quality leaders."""
