"""The dashboard pages' view builders, one module per page family: readiness (overview, heatmap,
department), expiry (clearance, protocol changes) and safety (content quality, safety linkage).

Imported by the routes on first use (they pull in Polars and Plotly), so nothing is imported here.
"""
