"""A renewal-timing e-detector (Shin, Ramdas & Rinaldo 2023; Steiner et al. 2000).

The information is one *renewal due* at a time: a person's evidence expires on its due date
and is either renewed ``tau`` days after it (``tau < 0``: early) or is still open at age ``a``
(days since the due date; a leaver is right-censored at the leaving date). In control, the
time to renewal has survival ``S0(t) = P(not renewed t days after due)``, estimated by
Kaplan-Meier (:func:`kaplan_meier`). The alternative: a fraction ``pi`` of dues is missed
(not renewed for a long time) and the rest renew as before, ``S1 = pi + (1 - pi) S0``. The
likelihood ratio of one due is therefore

* ``(1 - pi)`` if it was renewed (the densities are ``(1 - pi) f0`` and ``f0``), and
* ``S1(a) / S0(a) = (pi + (1 - pi) S0(a)) / S0(a)`` if it is open at age ``a``.

Under the in-control law the product over dues is a non-negative martingale in calendar time
(each due enters at its due date with mean 1 and its LR process is the censored-data
likelihood ratio), and so is its mixture over a fixed grid of ``pi``. For each start month
``j`` the e-process ``Lambda_j`` multiplies the dues with due date on or after the start of
``j``; the detector is ``M = max_j Lambda_j``. Alarming when ``M >= c`` gives an average run
length of at least ``c`` months per cell in control (the CUSUM e-detector is bounded by the
Shiryaev-Roberts e-detector ``sum_j Lambda_j``, whose expectation grows by at most 1 a month;
Shin et al. 2023, Thm 2.4; Ville's inequality for each fixed ``j``).

``S0`` is floored at ``eps`` before dividing: Kaplan-Meier from ``n`` dues cannot estimate a
survival below about ``1 / n``, and an unfloored tail of 0 would let one old open due (a
person on long leave) make the statistic infinite; the floor caps a single due's LR at about
``pi / eps``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

#: the fixed grid of missed fractions the alternative mixes over (equal weights)
PI_GRID = (0.25, 0.5, 0.75)


@dataclass(frozen=True)
class Survival:
    """A step survival function on integer days ``lo .. lo + len(s) - 1`` (1 before ``lo``)."""

    lo: int
    s: FloatArray

    def __call__(self, t: NDArray[np.int64] | NDArray[np.float64]) -> FloatArray:
        """S(t) for integer day offsets ``t`` (held at its last value beyond the grid)."""
        i = np.asarray(t, dtype=np.int64) - self.lo
        out = self.s[np.clip(i, 0, len(self.s) - 1)]
        return np.asarray(np.where(i < 0, 1.0, out), dtype=float)


def kaplan_meier(time: NDArray[np.int64], event: NDArray[np.bool_], lo: int, hi: int) -> Survival:
    """Kaplan-Meier survival of time-to-renewal on days ``lo .. hi``.

    ``time`` is days from due to renewal (``event``) or to censoring (not ``event``); times
    below ``lo`` count at ``lo``, above ``hi`` at ``hi``. A renewal on day t removes the due
    from S(t) (S(t) = P(T > t)); censoring on day t keeps it at risk through t.
    """
    t = np.clip(np.asarray(time, dtype=np.int64), lo, hi) - lo
    width = hi - lo + 1
    events = np.bincount(t[event], minlength=width).astype(float)
    leaving = np.bincount(t, minlength=width).astype(float)
    at_risk = len(t) - np.concatenate(([0.0], np.cumsum(leaving)[:-1]))
    hazard = np.divide(events, at_risk, out=np.zeros(width), where=at_risk > 0)
    return Survival(lo, np.cumprod(1.0 - hazard))


def due_log_lr(
    renewed: NDArray[np.bool_], s0_at_age: FloatArray, pis: tuple[float, ...], eps: float
) -> FloatArray:
    """Log-LR of each due (rows) under each ``pi`` (columns).

    ``s0_at_age`` is S0 at the due's age for open dues (ignored for renewed ones).
    """
    pi = np.asarray(pis, dtype=float)[None, :]
    s0 = np.maximum(np.asarray(s0_at_age, dtype=float), eps)[:, None]
    open_ = np.log(pi + (1 - pi) * s0) - np.log(s0)
    done = np.broadcast_to(np.log1p(-pi), open_.shape)
    return np.asarray(np.where(np.asarray(renewed)[:, None], done, open_), dtype=float)


@dataclass(frozen=True)
class Detection:
    """The e-detector at one month end for one cell."""

    log_m: float  # log max_j Lambda_j (0 when there are no dues)
    start: int  # index of the maximising start month (-1 when there are no dues)
    pi: float  # the pi carrying most weight in the maximising mixture
    n_dues: int  # dues since that start
    n_open: int  # of them still open
    expected_open: float  # sum of S0 at their ages: open dues expected in control


def detect(
    start_of_due: NDArray[np.int64],
    renewed: NDArray[np.bool_],
    s0_at_age: FloatArray,
    n_starts: int,
    pis: tuple[float, ...] = PI_GRID,
    eps: float = 0.01,
) -> Detection:
    """``max_j`` of the ``pi``-mixture e-process over start months ``0 .. n_starts - 1``.

    ``start_of_due`` is the index of each due's month within the window (0 = the oldest start
    month); ``Lambda_j`` multiplies the dues with index >= j. ``s0_at_age`` is S0 at each
    due's age at the month end (the unfloored value is the in-control probability that it is
    still open: ``expected_open`` sums it).
    """
    if len(start_of_due) == 0:
        return Detection(0.0, -1, float(pis[-1]), 0, 0, 0.0)
    llr = due_log_lr(renewed, s0_at_age, pis, eps)
    idx = np.clip(np.asarray(start_of_due, dtype=np.int64), 0, n_starts - 1)
    per_month = np.zeros((n_starts, len(pis)))
    np.add.at(per_month, idx, llr)
    tail = np.cumsum(per_month[::-1], axis=0)[::-1]  # sum over dues with month >= j
    top = tail.max(axis=1, keepdims=True)
    log_mix = (top + np.log(np.exp(tail - top).mean(axis=1, keepdims=True)))[:, 0]
    has = np.cumsum(np.bincount(idx, minlength=n_starts)[::-1])[::-1] > 0
    log_mix = np.where(has, log_mix, 0.0)
    j = int(np.argmax(log_mix))
    mine = idx >= j
    return Detection(
        log_m=max(0.0, float(log_mix[j])),
        start=j,
        pi=float(pis[int(np.argmax(tail[j]))]),
        n_dues=int(mine.sum()),
        n_open=int((~renewed[mine]).sum()),
        expected_open=float(np.asarray(s0_at_age, dtype=float)[mine].sum()),
    )
