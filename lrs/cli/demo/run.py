"""The demo first run, in-process: generate (or reuse), import, store + warehouse, models.

The demo is loaded into the LRS's ordinary store and warehouse (``LRS_DATA_DIR``), so every
``lrs`` command acts on what the server serves; ``lrs demo remove`` deletes it again. The
generated files are kept in ``<data_dir>/demo-source`` and reused while the seed and the
generator version are unchanged. Each step reports through :class:`lrs.cli.progress.Steps`.
"""

from __future__ import annotations

import itertools
import json
import resource
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from analytics.demo.generate import GENERATE_STEPS, GENERATOR_VERSION, STATEMENTS_FILE, generate
from analytics.demo.load import IMPORT_ORDER, load_all_statements, load_imports, truth_of
from analytics.gcpause import gc_paused
from analytics.model_settings import from_settings
from analytics.resources import secret_for, warehouse_for
from analytics.run_models import run_models
from config.settings import Settings
from lrs.cli.progress import Steps
from lrs.credentials import authority_for, hash_secret, new_credential
from lrs.extensions import system_clock_us
from lrs.people.admin import ensure_demo_leader
from statements.store import open_store

DEMO_SEED = 1
DEMO_KEY = "demo-admin"
DEMO_SCOPES = ("all", "admin", "analytics/read", "analytics/staff", "metrics")
SOURCE_DIR = "demo-source"
CREDENTIAL_FILE = "demo-credential.txt"
#: present while a first run is under way; a start that finds it resumes the load.
LOADING_FILE = "demo-loading"


@dataclass(frozen=True)
class DemoSize:
    """The generated hospital's size (the defaults of ``lrs demo generate``; tests shrink it)."""

    staff: int | None = None
    months: int | None = None
    end: date | None = None

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :func:`generate` (only the ones set)."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


def _reusable(source: Path, size: DemoSize) -> bool:
    """True when ``source`` holds a complete hospital of this seed, generator and size."""
    try:
        truth = truth_of(source)
    except (OSError, ValueError):
        return False
    stamp = json.loads((source / "demo-stamp.json").read_text()) if _has_stamp(source) else {}
    return (
        truth.get("seed") == DEMO_SEED
        and truth.get("generator_version") == GENERATOR_VERSION
        and stamp == _stamp(size)
        and (source / STATEMENTS_FILE).exists()
    )


def _has_stamp(source: Path) -> bool:
    return (source / "demo-stamp.json").exists()


def _stamp(size: DemoSize) -> dict[str, Any]:
    return {k: str(v) for k, v in size.kwargs().items()}


def demo_source(data_dir: Path, steps: Steps, size: DemoSize) -> Path:
    """Generate the demo hospital into ``<data_dir>/demo-source`` unless a matching one is there."""
    source = data_dir / SOURCE_DIR
    if _reusable(source, size):
        steps.emit(f"generate: reusing {source} (seed {DEMO_SEED}, generator v{GENERATOR_VERSION})")
        steps.timings["generate"] = 0.0
        return source
    with steps.step("generate", GENERATE_STEPS) as update, gc_paused(collect=True):
        generate(source, seed=DEMO_SEED, progress=update, **size.kwargs())
    (source / "demo-stamp.json").write_text(json.dumps(_stamp(size)))
    return source


def demo_credential(store: Any, data_dir: Path) -> tuple[str, str]:
    """The demo admin key and secret: created once, kept in ``<data_dir>/demo-credential.txt``."""
    saved = data_dir / CREDENTIAL_FILE
    if saved.exists() and store.get_credential(DEMO_KEY) is not None:
        key, secret = saved.read_text().split()
        return key, secret
    secret = secrets.token_urlsafe(18)
    if store.get_credential(DEMO_KEY) is None:
        cred, _ = new_credential("demo admin", DEMO_SCOPES, system_clock_us(), DEMO_KEY, secret)
        store.add_credential(cred)
    else:  # the file was lost: give the existing demo credential a new secret
        store.rotate_credential(DEMO_KEY, hash_secret(secret), None)
    saved.write_text(f"{DEMO_KEY} {secret}\n")
    saved.chmod(0o600)
    return DEMO_KEY, secret


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished children (the workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def first_run(settings: Settings, steps: Steps, size: DemoSize = DemoSize()) -> tuple[str, str]:
    """Load the demo hospital into the ordinary store and warehouse; the demo admin credential."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    loading = settings.data_dir / LOADING_FILE
    loading.touch()
    store = open_store(settings.resolved_store_url)
    store.init()
    warehouse, secret = warehouse_for(settings), secret_for(settings)
    cpu = [cpu_seconds()]
    try:
        with steps.heartbeat():
            source = demo_source(settings.data_dir, steps, size)
            cpu.append(cpu_seconds())
            truth = truth_of(source)
            end = date.fromisoformat(truth["window"]["end"])
            with steps.step("imports", len(IMPORT_ORDER), "files") as update:
                load_imports(warehouse, source, secret, end, update)
            cpu.append(cpu_seconds())
            total = int(truth["counts"]["statements"])
            with steps.step("statements (validate, store, warehouse)", total, "statements") as up:
                authority = authority_for("demo-loader", "lrs demo first run")
                load_all_statements(store, warehouse, source, secret, authority, progress=up)
            cpu.append(cpu_seconds())
            with steps.step("models", 3) as update:
                run_models(warehouse, end, *from_settings(settings), progress=update)
            cpu.append(cpu_seconds())
            spent = [f"{b - a:.1f}" for a, b in itertools.pairwise(cpu)]
            steps.emit(
                "CPU seconds of generate, imports, statements, models, this process and "
                "its workers: " + ", ".join(spent)
            )
        key_secret = demo_credential(store, settings.data_dir)
        ensure_demo_leader(store, system_clock_us())
    finally:
        store.close()
    loading.unlink()
    return key_secret
