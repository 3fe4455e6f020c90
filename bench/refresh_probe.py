"""Run one analytics refresh in this process and print its time and peak RSS as JSON.

Invoked by ``bench/run.py`` as a subprocess so that its peak RSS (VmHWM) is the refresh's own.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from analytics.etl import refresh
from analytics.resources import secret_for, warehouse_for
from config.settings import Settings
from statements.store.sqlite import SQLiteStore


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    """``python -m bench.refresh_probe DATA_DIR full|incremental``."""
    data_dir, mode = Path(sys.argv[1]), sys.argv[2]
    settings = Settings.from_env({"LRS_DATA_DIR": str(data_dir)})
    store = SQLiteStore(data_dir / "lrs.db")
    started = time.perf_counter()
    result = refresh(
        store,
        warehouse_for(settings),
        secret_for(settings),
        full=mode == "full",
        as_of=None,
        batch_size=settings.etl_batch_size,
        wait=True,
    )
    seconds = time.perf_counter() - started
    print(
        json.dumps({"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "result": result.as_dict()})
    )


if __name__ == "__main__":
    main()
