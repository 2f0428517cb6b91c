"""Benchmark of the Clusters page with many open gaps: ``python -m scripts.bench_clusters``.

The gaps are varied questions: the NLU training examples (about 6,500, Khmer, English, mixed and
romanised), drawn at random with a word sometimes left out, each with its intent as the
suggested topic. Measured:

- agreement (adjusted Rand index) of the grouping with scikit-learn's ``AgglomerativeClustering``
  (the method before, at 1,500 gaps; it needs minutes beyond) and of the many-gaps method with
  the exact one (at 3,000), and the time of each;
- the dashboard's Clusters page (``GET /staff/clusters``, logged in, a real aiohttp server on
  127.0.0.1 and a SQLite store) with 10,000 open gaps: first load, the same again, after 25 new
  gaps (the kept grouping updated), and how far that update is from grouping everything again;
  and the peak memory of grouping 10,000 gaps.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import re
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from aiohttp.test_utils import TestClient, TestServer
from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import normalize

from bot.gaps import grouping
from bot.gaps.clustering import DISTANCE_THRESHOLD, FeatureModel, record_inputs
from bot.gaps.model import GapRecord
from bot.gaps.store import GapStore
from bot.web.app import create_app
from bot.web.auth import hash_password
from bot.web.settings import WebSettings
from bot.web.staff import StaffSettings

ROOT = Path(__file__).resolve().parent.parent
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")
PASSWORD = "bench password 1234"


def examples() -> list[tuple[str, str]]:
    """(text, intent) of every NLU training example, annotations removed."""
    found = []
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for item in (yaml.safe_load(path.read_text("utf-8")) or {}).get("nlu", []):
            for line in str(item.get("examples", "")).splitlines():
                if line.strip().startswith("- ") and item.get("intent"):
                    found.append((_ANNOTATION.sub(r"\1", line.strip()[2:]), item["intent"]))
    return found


def gaps(n: int, seed: int = 1, first_id: int = 1) -> list[GapRecord]:
    rng, pool = random.Random(seed), examples()
    out = []
    for i in range(n):
        text, intent = pool[rng.randrange(len(pool))]
        words = text.split()
        if len(words) > 3 and rng.random() < 0.5:
            words.pop(rng.randrange(len(words)))
        out.append(
            GapRecord(
                id=first_id + i,
                text=" ".join(words),
                reason="low_confidence",
                language="km" if any("\u1780" <= c <= "\u17ff" for c in text) else "en",
                channel="web",
                conversation=f"c{i % 997}",
                intents=({"name": intent, "confidence": 0.5},),
                created_at=dt.datetime(2026, 1, 1) + dt.timedelta(minutes=first_id + i),
            )
        )
    return out


def sklearn_labels(records: list[GapRecord]) -> np.ndarray:
    """The grouping as it was computed before (scikit-learn, dense)."""
    dense = FeatureModel().fit_transform(*record_inputs(records)).toarray()
    empty = np.flatnonzero(~dense.any(axis=1))
    if empty.size:
        extra = np.zeros((dense.shape[0], empty.size))
        extra[empty, np.arange(empty.size)] = 1.0
        dense = np.hstack([dense, extra])
    model = AgglomerativeClustering(
        n_clusters=None, affinity="cosine", linkage="average", distance_threshold=0.8
    )
    return np.asarray(model.fit_predict(dense))


def timed(call: Any, *args: Any) -> Any:
    start = time.perf_counter()
    value = call(*args)
    return value, time.perf_counter() - start


def bench_agreement() -> None:
    records = gaps(1500)
    before, t_before = timed(sklearn_labels, records)
    grouping.forget()
    now, t_now = timed(grouping.labels, records, DISTANCE_THRESHOLD)
    print(
        f"1,500 gaps: scikit-learn {t_before:.1f} s, now {t_now:.2f} s, "
        f"agreement (ARI) {adjusted_rand_score(before, now):.3f}"
    )
    records = gaps(3000)
    rows = normalize(FeatureModel().fit_transform(*record_inputs(records)))
    exact, t_exact = timed(grouping.average_linkage, rows, DISTANCE_THRESHOLD)
    large, t_large = timed(grouping.large_labels, rows, DISTANCE_THRESHOLD)
    print(
        f"3,000 gaps: all pairs {t_exact:.2f} s, near-duplicates first {t_large:.2f} s, "
        f"agreement (ARI) {adjusted_rand_score(exact, large):.3f}"
    )


async def _page_seconds(client: TestClient) -> float:
    start = time.perf_counter()
    response = await client.get("/staff/clusters")
    assert response.status == 200, response.status
    await response.read()
    return time.perf_counter() - start


async def bench_page(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = GapStore(f"sqlite:///{tmp}/gaps.db", Path(tmp) / "spool.jsonl")
        store.migrate()
        for record in gaps(n):
            store.add(record)
        staff = StaffSettings(user="staff", password_hash=hash_password(PASSWORD), api_token="b")
        app = create_app(WebSettings(), store, staff)
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            page = await (await client.get("/staff/login")).text()
            csrf = re.search(r'name="csrf" value="([^"]+)"', page)
            assert csrf is not None
            await client.post(
                "/staff/login", data={"csrf": csrf.group(1), "user": "staff", "password": PASSWORD}
            )
            grouping.forget()
            first = await _page_seconds(client)
            again = await _page_seconds(client)
            for record in gaps(25, seed=2, first_id=n + 1):
                store.add(record)
            updated = await _page_seconds(client)
        records = sorted(store.list(), key=lambda r: (r.id or 0, r.uid))
        store.dispose()
    kept = grouping.labels(records, DISTANCE_THRESHOLD)
    grouping.forget()
    tracemalloc.start()
    fresh = grouping.labels(records, DISTANCE_THRESHOLD)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(
        f"Clusters page, {n:,} open gaps: first load {first:.2f} s, again {again:.2f} s, "
        f"after 25 new gaps {updated:.2f} s (agreement of that update with grouping all again: "
        f"ARI {adjusted_rand_score(kept, fresh):.3f}); {len(set(fresh))} clusters; "
        f"peak memory of grouping {peak / 2**20:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gaps", type=int, default=10_000)
    args = parser.parse_args()
    bench_agreement()
    asyncio.run(bench_page(args.gaps))


if __name__ == "__main__":
    main()
