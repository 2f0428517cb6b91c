"""Benchmark of knowledge-gap capture and clustering: ``python -m scripts.bench_gaps``.

- capture: the time ``action_unresolved`` spends on a gap (masking + queueing; the write itself
  runs on a background thread) compared with the same action without capture, per message;
- write: the background write of one record to SQLite (the delay the reply does *not* wait for);
- clustering: time and purity on the paraphrase corpus (``tests/data/gap_paraphrases.yml``) and on
  a larger synthetic set built from it.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.unresolved
from actions.unresolved import ActionUnresolved
from bot.gaps.capture import GapRecorder
from bot.gaps.clustering import cluster
from bot.gaps.model import GapRecord
from bot.gaps.store import GapStore

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "pii_corpus.yml"
PARAPHRASES = ROOT / "tests" / "data" / "gap_paraphrases.yml"


def _tracker(text: str) -> Tracker:
    parse = {
        "text": text,
        "intent": {"name": "out_of_scope", "confidence": 0.8},
        "intent_ranking": [{"name": "out_of_scope", "confidence": 0.8}],
        "entities": [],
    }
    return Tracker(
        "bench-user",
        {"language": None, "last_language": None},
        parse,
        [{"event": "user", "text": text, "parse_data": parse}],
        False,
        None,
        {},
        "action_listen",
    )


async def _action_ms(texts: list[str], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        for text in texts:
            t = _tracker(text)
            start = time.perf_counter()
            await ActionUnresolved().run(CollectingDispatcher(), t, {})
            times.append((time.perf_counter() - start) * 1000)
    return times


def bench_capture(rounds: int) -> None:
    texts = [e["text"] for e in yaml.safe_load(CORPUS.read_text("utf-8"))]
    with tempfile.TemporaryDirectory() as tmp:
        store = GapStore(f"sqlite:///{tmp}/gaps.db", Path(tmp) / "spool.jsonl")
        store.migrate()
        recorder = GapRecorder(store, b"bench-key")

        class Off:
            def record(self, **signal: object) -> None:
                return None

        actions.unresolved.get_recorder = lambda: Off()  # type: ignore[assignment,return-value]
        asyncio.run(_action_ms(texts[:5], 1))  # warm up (knowledge base, regexes)
        without = asyncio.run(_action_ms(texts, rounds))
        actions.unresolved.get_recorder = lambda: recorder
        with_capture = asyncio.run(_action_ms(texts, rounds))
        recorder.flush()
        writes = []
        for text in texts:
            record = recorder.build(
                sender_id="x", text=text, reason="out_of_scope", language="en", channel="rest"
            )
            start = time.perf_counter()
            store.add(record)
            writes.append((time.perf_counter() - start) * 1000)
    extra = statistics.median(with_capture) - statistics.median(without)
    print(f"action_unresolved without capture: median {statistics.median(without):.3f} ms")
    print(
        f"action_unresolved with capture:    median {statistics.median(with_capture):.3f} ms, "
        f"p95 {sorted(with_capture)[int(len(with_capture) * 0.95)]:.3f} ms "
        f"(added by capture: {extra:.3f} ms over {len(with_capture)} messages)"
    )
    print(
        f"background SQLite write per record: median {statistics.median(writes):.2f} ms "
        "(off the reply's path)"
    )


def _paraphrase_records(copies: int) -> tuple[list[GapRecord], dict[int, str]]:
    groups = yaml.safe_load(PARAPHRASES.read_text("utf-8"))
    records, truth, n = [], {}, 0
    for copy in range(copies):
        for group, items in groups.items():
            for lang, text, intents in items:
                n += 1
                ranking = tuple({"name": i, "confidence": 0.5} for i in intents)
                suffix = "" if copy == 0 else f" {copy}"
                records.append(
                    GapRecord(
                        id=n,
                        text=text + suffix,
                        reason="low_confidence",
                        language=lang,
                        channel="web",
                        conversation=str(n),
                        intents=ranking,
                        created_at=dt.datetime(2025, 1, 1) + dt.timedelta(minutes=n),
                    )
                )
                truth[n] = group
    return records, truth


def bench_clustering() -> None:
    for copies in (1, 10):
        records, truth = _paraphrase_records(copies)
        start = time.perf_counter()
        clusters = cluster(records)
        elapsed = time.perf_counter() - start
        pure = sum(
            max(list(map(truth.get, c.ids)).count(g) for g in set(truth.values())) for c in clusters
        )
        print(
            f"clustering {len(records)} questions ({len(set(truth.values()))} topics): "
            f"{len(clusters)} clusters, purity {pure / len(records):.0%}, {elapsed:.2f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    bench_capture(args.rounds)
    bench_clustering()


if __name__ == "__main__":
    main()
