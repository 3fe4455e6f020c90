"""Run one analytics refresh in this process and print its time and peak RSS as JSON.

Invoked by ``bench/run.py`` as a subprocess so that its peak RSS (VmHWM) is the refresh's own.
``cpu_s`` is the process's CPU time over the refresh, all threads: unlike ``seconds`` it does not
grow when other work on the machine takes the cores.
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


def cpu_seconds() -> float:
    """CPU time (user + system) of this process so far, every thread included."""
    return time.process_time()


def main() -> None:
    """``python -m bench.refresh_probe DATA_DIR full|incremental``."""
    data_dir, mode = Path(sys.argv[1]), sys.argv[2]
    settings = Settings.from_env({"LRS_DATA_DIR": str(data_dir)})
    store = SQLiteStore(data_dir / "lrs.db")
    started, cpu = time.perf_counter(), cpu_seconds()
    result = refresh(
        store,
        warehouse_for(settings),
        secret_for(settings),
        full=mode == "full",
        as_of=None,
        batch_size=settings.etl_batch_size,
        wait=True,
    )
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_s": cpu,
                "peak_rss_mb": peak_rss_mb(),
                "result": result.as_dict(),
            }
        )
    )


if __name__ == "__main__":
    main()
