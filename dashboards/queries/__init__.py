"""SQL against the warehouse contract (ANALYTICS.md §9), one module per page family.

Every function takes a :class:`dashboards.data.Reader` and the page :class:`Filters`, binds
its parameters, and returns Polars frames (or small dicts) ready for the pure figure functions.
"""
