"""How much a renewal-timing detector *can* see on Harbor's plants: an oracle information bound.

    .venv/bin/python -m bench.flags.bound --reps 20000

Harbor's own generative law (``analytics/simulate/harbor/training.py``): an in-control renewal
is made 0-45 days before its due date with probability 0.78, else 1-150 days after it (uniform
days); from the plant's start month each due is skipped with probability ``skip`` and renewed
150-300 days late. Each of ``n`` established staff has one annual due at a uniform phase.

For the plant's month end ``start + k`` (k = 4 and 6: "within 4 / 6 months") this draws the
dues since the start month and reports, against the alarm level ``log c``:

* ``oracle``: the log likelihood ratio with the *true* S0, the *true* missed fraction and the
  *true* start month: the most powerful statistic for this one alternative (Neyman-Pearson),
  so P(oracle >= log c) bounds what a detector alarming at the same e-value level can reach;
  and its median (the mean is dominated by rare dues open past 150 days, where the true S0
  is 0 and the ratio unbounded);
* ``e-detector``: the shipped statistic (the pi mixture, max over 12 start months, S0 floored
  at 0.01) run with the true S0 and 12 months of in-control dues before the plant: its power
  when S0 is known exactly (estimation error and failed attempts excluded).
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from analytics.stats.edetector import PI_GRID, Survival, detect, due_log_lr

MONTH = 30.44
PLANTS = {"steep (BAY-ORTH x HH-C101)": (21, 0.8), "subtle (NG-GER x HH-C102)": (57, 0.3)}


def true_s0() -> Survival:
    """S0(t) = P(T > t) of Harbor's in-control renewal day T (days after due) on -90..730."""
    t = np.arange(-90, 731)
    early = 0.78 * np.clip((0 - t) / 46.0, 0, 1)  # T uniform on -45..0: P(T > t) for t < 0
    early = np.where(t < -45, 0.78, early)
    late = 0.22 * np.clip((150 - t) / 150.0, 0, 1)
    late = np.where(t < 1, 0.22, late)
    return Survival(-90, np.asarray(early + late, dtype=float))


def _renewal(rng: np.random.Generator, n: int, skip: np.ndarray) -> np.ndarray:
    """Renewal day relative to due for ``n`` dues (skipped ones 150-300 days late)."""
    on = rng.random(n) < 0.78
    t = np.where(on, -rng.integers(0, 46, n), rng.integers(1, 151, n))
    return np.where(rng.random(n) < skip, rng.integers(150, 301, n), t)


def one(rng: np.random.Generator, n: int, skip: float, k: int, log_c: float) -> tuple[float, bool]:
    """(oracle log LR, e-detector alarm) at month end ``start + k`` for one draw."""
    s0 = true_s0()
    pre = 12  # in-control months before the plant, inside the detector's window
    phase = rng.uniform(0, 365, n)
    due = np.concatenate([phase, phase + 365])  # annual dues over the 12 + k + 1 months
    end = (pre + k + 1) * MONTH
    due = due[due <= end]
    planted = due >= pre * MONTH
    tau = _renewal(rng, len(due), np.where(planted, skip, 0.0))
    renewed = due + tau <= end
    age = np.floor(end - due).astype(np.int64)
    s0_age = s0(age)
    oracle = due_log_lr(renewed[planted], s0_age[planted], (skip,), 1e-12)[:, 0].sum()
    month = np.minimum((due // MONTH).astype(np.int64), pre + k)
    shift = pre + k + 1 - 12  # the detector's 12 start months end at month pre + k
    w = month >= shift
    r = detect(month[w] - shift, renewed[w], s0_age[w], 12, PI_GRID, 0.01)
    return float(oracle), r.log_m >= log_c


def main() -> None:
    """Print the bound per plant and horizon as JSON lines."""
    p = argparse.ArgumentParser()
    p.add_argument("--reps", type=int, default=20000)
    p.add_argument("--alarm-e", type=float, default=1200.0)
    a = p.parse_args()
    log_c = float(np.log(a.alarm_e))
    rng = np.random.default_rng(14)
    for label, (n, skip) in PLANTS.items():
        for k in (4, 6):
            draws = [one(rng, n, skip, k, log_c) for _ in range(a.reps)]
            o = np.asarray([d[0] for d in draws])
            e = np.asarray([d[1] for d in draws])
            print(
                json.dumps(
                    {
                        "plant": label,
                        "n_established": n,
                        "skip": skip,
                        "months_after_start": k,
                        "log_c": round(log_c, 2),
                        "oracle_median_log_lr": round(float(np.median(o)), 2),
                        "oracle_power": round(float((o >= log_c).mean()), 3),
                        "edetector_true_s0_power": round(float(e.mean()), 3),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
