"""Incidents and training: a pooled negative-binomial model of counts with a lagged gap.

``log E[y_dm] = log(patient_days_dm) + a_d + b_m + beta * gap_{d, m - lag}`` with NB2
over-dispersion (variance mu + alpha mu^2), fitted with statsmodels' GLM at a moment
estimate of alpha. Standard errors are cluster-robust by department (sandwich with the
small-sample factor G/(G-1) (N-1)/(N-K); Wooldridge 1999 for count panels), never smaller
than the model-based ones (few clusters), and the CI and p-value use a t distribution with
G - 1 degrees of freedom. The result is the
incidence-rate ratio per 10 percentage points of gap, ``exp(0.1 beta)``: an association, not a
causal effect. Degenerate inputs (too few events or departments, a gap that does not vary
within departments, events only at one extreme of the gap (separation), an unbounded or
failed fit) give ``estimable=False`` and the reason, never an IRR of 1e31 or an infinite CI.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import statsmodels.api as sm
from numpy.typing import ArrayLike, NDArray
from scipy.stats import t as student_t

LABEL = "association, not causation"


@dataclass(frozen=True)
class LinkageResult:
    """IRR per ``per`` (default 10 pp) of lagged gap, or the reason it is not estimable."""

    estimable: bool
    reason: str
    irr: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    dispersion: float | None
    n_obs: int
    n_events: int
    lag: int
    per: float
    label: str = LABEL


@dataclass(frozen=True)
class Guards:
    """When the model is not estimable: too few events or departments, too little variation,
    or an estimate whose 95 % CI spans more than ``max_ci_ratio`` (near-separation)."""

    min_events: int = 10
    min_departments: int = 4
    min_within_sd: float = 0.002
    max_ci_ratio: float = 100.0


def month_index(months: Sequence[str | int] | ArrayLike) -> NDArray[np.int64]:
    """Months as consecutive integers: ``YYYY-MM`` strings become year*12 + month - 1."""
    out = []
    for m in np.asarray(months).ravel().tolist():
        if isinstance(m, str):
            year, month = m[:7].split("-")
            out.append(int(year) * 12 + int(month) - 1)
        else:
            out.append(int(m))
    return np.asarray(out, dtype=np.int64)


def lag_gap(
    departments: ArrayLike, months: ArrayLike, gap: ArrayLike, lag: int
) -> NDArray[np.float64]:
    """For each row (d, m), the gap of the same department at month m - lag (NaN if absent)."""
    depts = np.asarray(departments).ravel().tolist()
    idx = month_index(months).tolist()
    values = np.asarray(gap, dtype=float).ravel().tolist()
    lookup = dict(zip(zip(depts, idx, strict=True), values, strict=True))
    return np.array([lookup.get((d, m - lag), np.nan) for d, m in zip(depts, idx, strict=True)])


def _not_estimable(reason: str, n_obs: int, n_events: int, lag: int, per: float) -> LinkageResult:
    return LinkageResult(False, reason, None, None, None, None, None, n_obs, n_events, lag, per)


def _drop_empty_groups(
    y: NDArray[np.float64], depts: NDArray[np.str_], months: NDArray[np.int64]
) -> NDArray[np.bool_]:
    """Keep rows whose department and month both have events (else their effect is -inf)."""
    keep = np.ones(len(y), dtype=bool)
    while True:
        before = keep.sum()
        for groups in (depts, months):
            for g in np.unique(groups[keep]):
                rows = keep & (groups == g)
                if y[rows].sum() == 0:
                    keep &= ~rows
        if keep.sum() == before:
            return keep


def _design(
    depts: NDArray[np.str_], months: NDArray[np.int64], x: NDArray[np.float64]
) -> NDArray[np.float64]:
    columns = [x, np.ones(len(x))]
    for groups in (depts, months):
        for g in np.unique(groups)[1:]:
            columns.append((groups == g).astype(float))
    return np.column_stack(columns)


def _nb_glm(
    y: NDArray[np.float64],
    design: NDArray[np.float64],
    offset: NDArray[np.float64],
    alpha: float,
    clusters: NDArray[np.int64] | None = None,
) -> Any:
    family = sm.families.NegativeBinomial(alpha=alpha)
    model = sm.GLM(y, design, family=family, offset=offset)
    if clusters is None:
        return model.fit()
    return model.fit(cov_type="cluster", cov_kwds={"groups": clusters, "use_correction": True})


def _moment_alpha(y: NDArray[np.float64], mu: NDArray[np.float64]) -> float:
    """Cameron-Trivedi moment estimate of the NB2 alpha, kept in [1e-6, 100]."""
    return float(np.clip(np.sum((y - mu) ** 2 - y) / np.sum(mu**2), 1e-6, 100.0))


def _fit_nb(
    y: NDArray[np.float64],
    design: NDArray[np.float64],
    offset: NDArray[np.float64],
    clusters: NDArray[np.int64],
) -> tuple[float, float, float] | str:
    """(beta, se, alpha) of the first column, or a reason when the fit fails.

    NB2 with alpha from the Cameron-Trivedi moment condition, iterated with the fitted means
    (start: Poisson GLM) until it settles; the coefficients are those of the NB GLM at that
    alpha (as R's glm.nb reports them, conditional on alpha). ``se`` is the larger of the
    department-clustered sandwich SE and the model-based SE: with few departments, and the
    gap moving in only some of them, the sandwich alone is too small (Angrist & Pischke
    2009, ch. 8: use the larger). alpha is kept in [1e-6, 100], so equi-dispersed data reduce
    safely to the Poisson model.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = sm.GLM(y, design, family=sm.families.Poisson(), offset=offset).fit()
            alpha = _moment_alpha(y, fit.mu)
            for _ in range(10):
                fit = _nb_glm(y, design, offset, alpha)
                updated = _moment_alpha(y, fit.mu)
                if abs(updated - alpha) < 1e-4 * max(alpha, 1e-3):
                    break
                alpha = updated
            robust = _nb_glm(y, design, offset, alpha, clusters)
        except (np.linalg.LinAlgError, ValueError, OverflowError) as exc:
            return f"the fit failed: {exc}"
    if not fit.converged:
        return "the negative-binomial fit did not converge"
    beta, se = fit.params[0], max(fit.bse[0], robust.bse[0])
    if not all(np.isfinite(v) for v in (beta, se)) or se <= 0:
        return "the fit gave non-finite estimates"
    return float(beta), float(se), alpha


def separated(y: NDArray[np.float64], x: NDArray[np.float64]) -> bool:
    """True when every event sits at the lowest (or highest) gap: the MLE of beta is infinite."""
    events = x[y > 0]
    return bool(events.size and (events.max() <= x.min() or events.min() >= x.max()))


def _within_sd(x: NDArray[np.float64], depts: NDArray[np.str_]) -> float:
    """SD of the gap around its department means (what the slope is identified from)."""
    centred = x.copy()
    for d in np.unique(depts):
        rows = depts == d
        centred[rows] -= x[rows].mean()
    return float(centred.std())


def _precheck(
    y: NDArray[np.float64], x: NDArray[np.float64], depts: NDArray[np.str_], guards: Guards
) -> str:
    """The reason the model cannot be estimated on these rows, or '' when it can be tried."""
    if y.sum() == 0:
        return "no events"
    if y.sum() < guards.min_events:
        return f"too few events ({int(y.sum())} < {guards.min_events})"
    if np.unique(depts).size < guards.min_departments:
        return (
            f"too few departments with events ({np.unique(depts).size} < "
            f"{guards.min_departments}) for department-clustered errors"
        )
    if _within_sd(x, depts) < guards.min_within_sd:
        return "singular design: the gap does not vary within departments and months"
    if separated(y, x):
        return "separation: every event is at one extreme of the gap, so the IRR is unbounded"
    return ""


def fit_linkage(
    counts: ArrayLike,
    patient_days: ArrayLike,
    departments: ArrayLike,
    months: ArrayLike,
    gap: ArrayLike,
    *,
    lag: int = 2,
    per: float = 0.10,
    guards: Guards | None = None,
) -> LinkageResult:
    """Fit the pooled NB model; ``gap`` (0-1, same-month) is lagged here by ``lag`` months.

    Rows without patient-days or without a lagged gap are dropped, as are departments and
    months with no events (their fixed effects are not estimable and they carry no
    information on the gap).
    """
    guards = guards or Guards()
    y = np.asarray(counts, dtype=float).ravel()
    exposure = np.asarray(patient_days, dtype=float).ravel()
    depts = np.asarray(departments).astype(str).ravel()
    idx = month_index(months)
    lagged = lag_gap(depts, idx, gap, lag)
    keep = (exposure > 0) & np.isfinite(lagged) & np.isfinite(y) & (y >= 0)
    keep &= _drop_empty_groups(np.where(keep, y, 0.0), depts, idx)
    n_obs, n_events = int(keep.sum()), int(y[keep].sum())
    reason = _precheck(y[keep], lagged[keep], depts[keep], guards)
    if reason:
        return _not_estimable(reason, n_obs, n_events, lag, per)
    design = _design(depts[keep], idx[keep], lagged[keep])
    if n_obs <= design.shape[1] + 1:
        return _not_estimable("too few department-months", n_obs, n_events, lag, per)
    rank = np.linalg.matrix_rank(design)
    if rank < design.shape[1] or np.linalg.matrix_rank(design[:, 1:]) == rank:
        return _not_estimable(
            "singular design: the gap does not vary within departments and months",
            n_obs,
            n_events,
            lag,
            per,
        )
    _, clusters = np.unique(depts[keep], return_inverse=True)
    fitted = _fit_nb(y[keep], design, np.log(exposure[keep]), clusters)
    if isinstance(fitted, str):
        return _not_estimable(fitted, n_obs, n_events, lag, per)
    beta, se, alpha = fitted
    df = int(clusters.max())  # G - 1
    crit = float(student_t.ppf(0.975, df))
    if 2 * crit * per * se > np.log(guards.max_ci_ratio):
        return _not_estimable(
            f"too imprecise: the 95 % CI would span more than {guards.max_ci_ratio:g}-fold "
            "(too few events where the gap varies, or near-separation)",
            n_obs,
            n_events,
            lag,
            per,
        )
    return LinkageResult(
        estimable=True,
        reason="",
        irr=float(np.exp(per * beta)),
        ci_low=float(np.exp(per * (beta - crit * se))),
        ci_high=float(np.exp(per * (beta + crit * se))),
        p_value=float(2 * student_t.sf(abs(beta / se), df)),
        dispersion=alpha,
        n_obs=n_obs,
        n_events=n_events,
        lag=lag,
        per=per,
    )
