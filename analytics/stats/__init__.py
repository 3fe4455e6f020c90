"""Statistical methods behind the readiness flags: pure functions on numpy arrays.

* :mod:`analytics.stats.trend` — Mann-Kendall (Hamed-Rao correction), Sen's slope, BH q-values.
* :mod:`analytics.stats.ewma` — one-sided lower EWMA chart on proportions, simulated limits.
* :mod:`analytics.stats.shrinkage` — empirical-Bayes beta-binomial and gamma-Poisson.
* :mod:`analytics.stats.funnel` — Spiegelhalter funnel limits with over-dispersion.
* :mod:`analytics.stats.linkage` — negative-binomial incident model with a lagged readiness gap.

No DuckDB, no Flask: callers pass arrays and get frozen dataclasses back. ``docs/methods.md``
describes each method and its sources.
"""
