"""Many concurrent clients on gunicorn (several workers): overlapping batches, duplicate ids with
equal and with conflicting content, `more` paging during the writes, and document ETag races.

Afterwards: every acknowledged statement is stored exactly once with the acknowledged content,
nothing else is stored (a 409 batch leaves nothing behind), every batch holding a content that
lost its id's race was answered 409, no page traversal skipped or repeated a statement, and each
ETag race had exactly one winner. ``LRS_SOAK_SCALE`` multiplies the rounds (``make soak``).
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from tests.reliability import server
from tests.reliability.server import HEADERS

SCALE = int(os.environ.get("LRS_SOAK_SCALE", "1"))
WRITERS, READERS, ROUNDS, BATCH, POOL = 12, 3, 12 * SCALE, 20, 1000
FIGURES: dict[str, int] = {}


def _statement(n: int, variant: str) -> dict[str, Any]:
    return {
        "id": str(uuid.UUID(int=n + 1)),
        "actor": {"mbox": f"mailto:learner{n % 17}@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": f"http://example.org/course/{n % 23}"},
        "result": {"completion": variant == "A"},
    }


def _writer(base: str, seed: int) -> list[tuple[int, dict[str, str]]]:
    """Post ROUNDS batches; 1 in 100 statements is the conflicting variant B."""
    rng = random.Random(seed)
    out = []
    with requests.Session() as http:
        for _ in range(ROUNDS):
            picks = rng.sample(range(POOL), BATCH)
            variants = {
                str(uuid.UUID(int=n + 1)): "B" if rng.random() < 0.01 else "A" for n in picks
            }
            body = [_statement(n, variants[str(uuid.UUID(int=n + 1))]) for n in picks]
            resp = http.post(f"{base}/xapi/statements", json=body, headers=HEADERS, timeout=120)
            if resp.status_code == 200:
                assert resp.json() == [s["id"] for s in body]
            out.append((resp.status_code, variants))
    return out


def _reader(base: str, stop: threading.Event) -> list[list[str]]:
    """Page through all statements (newest first) again and again until the writers finish."""
    traversals = []
    with requests.Session() as http:
        while not stop.is_set() or not traversals:
            ids: list[str] = []
            url = f"{base}/xapi/statements?limit=25&format=ids"
            while url:
                resp = http.get(url, headers=HEADERS, timeout=120)
                assert resp.status_code == 200, resp.text
                page = resp.json()
                ids += [s["id"] for s in page["statements"]]
                url = base + page["more"] if page["more"] else ""
            traversals.append(ids)
    return traversals


def _stored(db: Path) -> list[tuple[int, str, bool]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT seq, id, body FROM statements ORDER BY seq").fetchall()
    return [(seq, sid, json.loads(body)["result"]["completion"]) for seq, sid, body in rows]


def _etag_race(base: str, rounds: int = 6, clients: int = 12) -> None:
    url = f"{base}/xapi/activities/state?activityId=http://e.org/a&stateId=s&agent="
    url += json.dumps({"mbox": "mailto:race@example.org"})
    barrier = threading.Barrier(clients)

    def put(headers: dict[str, str], value: int) -> int:
        barrier.wait()
        resp = requests.put(url, json={"v": value}, headers={**HEADERS, **headers}, timeout=60)
        return resp.status_code

    for r in range(rounds):
        current = requests.get(url, headers=HEADERS, timeout=60)
        cond = (
            {"If-Match": current.headers["ETag"]}
            if current.status_code == 200
            else {"If-None-Match": "*"}
        )
        with ThreadPoolExecutor(clients) as pool:
            codes = list(pool.map(put, [cond] * clients, [r * 100 + i for i in range(clients)]))
        assert sorted(codes) == [204] + [412] * (clients - 1), codes
        FIGURES["etag_races"] = FIGURES.get("etag_races", 0) + 1


def test_concurrent_clients_lose_nothing_and_duplicate_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with server.live(data, workers=3, threads=4) as live:
        stop = threading.Event()
        with ThreadPoolExecutor(WRITERS + READERS) as pool:
            readers = [pool.submit(_reader, live.base, stop) for _ in range(READERS)]
            writers = [pool.submit(_writer, live.base, seed) for seed in range(WRITERS)]
            results = [r for w in writers for r in w.result()]
            stop.set()
            traversals = [t for r in readers for t in r.result()]
        _etag_race(live.base)
    stored = _stored(data / "lrs.db")
    codes = Counter(code for code, _ in results)
    assert set(codes) <= {200, 409}, codes
    assert codes[200] and codes[409]
    ids = [sid for _, sid, _ in stored]
    assert len(ids) == len(set(ids)), "a statement is stored twice"
    winner = {sid: "A" if completion else "B" for _, sid, completion in stored}
    acked = {sid for code, variants in results if code == 200 for sid in variants}
    assert acked == set(winner), "stored ids differ from the acknowledged ones"
    for code, variants in results:
        lost = any(winner.get(sid) != v for sid, v in variants.items())
        assert code == (409 if lost else 200), (code, variants)
    newest_first = [sid for _, sid, _ in reversed(stored)]
    for traversal in traversals:
        assert len(traversal) == len(set(traversal)), "a page repeated a statement"
        if traversal:
            start = newest_first.index(traversal[0])
            assert traversal == newest_first[start:], "a traversal skipped a statement"
    FIGURES.update(
        clients=WRITERS + READERS,
        posted=sum(len(v) for _, v in results),
        stored=len(stored),
        conflicts_409=codes[409],
        traversals=len(traversals),
    )
    print("concurrency figures:", FIGURES)
