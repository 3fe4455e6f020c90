"""Per-simulator preparation for ``bench/flags/study.py``: generate, load (cached), read truth."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

from bench.flags.study import Truth


def _load_once(d: Path, seed: int, staff: int, generate: Any, load: Any) -> None:
    """Generate and load one seed into ``d`` unless a previous run already did (cache)."""
    from analytics.warehouse import Warehouse
    from lrs.credentials import authority_for
    from statements.store.sqlite import SQLiteStore

    if (d / "loaded").exists():
        return
    shutil.rmtree(d, ignore_errors=True)
    generate(d / "data", seed=seed, staff=staff)
    store = SQLiteStore(str(d / "lrs.db"), synchronous="NORMAL")
    store.init()
    load(store, Warehouse(d / "wh.duckdb"), d / "data", b"k" * 32, authority_for("study", "study"))
    store.close()
    (d / "lrs.db").unlink()
    (d / "loaded").write_text(str(staff))


def _demo(seed: int, staff: int, d: Path) -> tuple[Any, date, Truth]:
    from analytics.demo.generate import generate
    from analytics.demo.load import load_demo
    from analytics.warehouse import Warehouse

    _load_once(d, seed, staff, generate, load_demo)
    truth = json.loads((d / "data" / "truth.json").read_text())
    sig = {s["id"]: s for s in truth["signals"]}
    dec, falls = sig["readiness_decline"], sig["falls_linkage"]
    y, m = (int(v) for v in truth["window"]["first_month"].split("-"))
    declines = [
        {**dec, "label": "demo decline (month 7)"},
        {**falls, "label": "demo falls decline (month 4, inside the baseline)"},
    ]
    return (
        Warehouse(d / "wh.duckdb"),
        date.fromisoformat(truth["window"]["end"]),
        Truth(
            first_month=date(y, m, 1),
            declines=declines,
            not_in_control={(x["department_id"], x["competency_id"]) for x in declines},
            not_in_control_competencies={sig["protocol_change"]["competency_id"]},
            low_unit=None,
        ),
    )


def _harbor(seed: int, staff: int, d: Path) -> tuple[Any, date, Truth]:
    from analytics.simulate.harbor.generate import generate
    from analytics.simulate.load import load_simulated
    from analytics.warehouse import Warehouse

    _load_once(d, seed, staff, generate, load_simulated)
    m = json.loads((d / "data" / "manifest.json").read_text())
    y, mo = (int(v) for v in m["window"]["first_month"].split("-"))
    declines = [
        {**x, "label": f"harbor {x['id']} (skip {x['skip_probability']})"} for x in m["declines"]
    ]
    cells = {(a, b) for a, b in m["planted_cells"]}
    everything = cells | {(x["department_id"], x["competency_id"]) for x in declines}
    in_control = {(a, b) for a, b in m["in_control_cells"]}
    low = m["low_unit"]
    return (
        Warehouse(d / "wh.duckdb"),
        date.fromisoformat(m["window"]["end"]),
        Truth(
            first_month=date(y, mo, 1),
            declines=declines,
            not_in_control=everything,
            not_in_control_competencies=set(),
            low_unit=(low["department_id"], low["competency_id"]),
            in_control=in_control,
        ),
    )


def prepare(simulator: str, seed: int, staff: int, d: Path) -> tuple[Any, date, Truth]:
    """(warehouse, as_of, truth) of one seed of ``simulator``, loading it once into ``d``."""
    if simulator == "demo":
        return _demo(seed, staff, d)
    if simulator == "harbor":
        return _harbor(seed, staff, d)
    raise ValueError(f"unknown simulator {simulator!r}")
