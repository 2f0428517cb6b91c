"""How much the question log costs: one write, and the Topics page's and the report's queries.

- write: the time of one :meth:`bot.questions.store.QuestionLog.add` (insert, then the same
  message again with a stronger outcome: the upsert), on SQLite and, when ``TEST_POSTGRES_URL``
  is set, PostgreSQL; done by the gap writer thread, never on the reply's path;
- read: :meth:`~bot.questions.store.QuestionLog.counts` for 8 weeks and 30 days, plus the figures
  (:mod:`bot.questions.figures`), with ``--entries`` messages logged over 26 weeks.

    python -m scripts.bench_question_log [--entries 100000] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.gaps.model import utcnow
from bot.gaps.store import GapStore
from bot.questions import figures
from bot.questions.model import OUTCOMES, QuestionEntry, question_log
from bot.questions.store import QuestionLog
from scripts.doc_sections import write_section

TOPICS = ("maternity", "health_care", "pension", "sickness", "work_injury", "contact", "")


def _timed(func: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        out.append((time.perf_counter() - start) * 1000)
    return sorted(out)


def _fill(store: GapStore, entries: int) -> None:
    rng, now = random.Random(3), utcnow()
    rows = []
    for n in range(entries):
        at = now - dt.timedelta(minutes=rng.randrange(26 * 7 * 24 * 60))
        entry = QuestionEntry(
            uuid.uuid4().hex,
            f"c{n % 5000}",
            rng.choice(("messenger", "telegram", "web")),
            rng.choice(("km", "en")),
            "masked text",
            rng.choice(OUTCOMES),
            rng.choice(TOPICS),
            created_at=at,
        )
        rows.append(entry.row())
    with store.engine.begin() as conn:
        conn.execute(sa.insert(question_log), rows)


def writes(store: GapStore, repeat: int = 300) -> list[float]:
    log = QuestionLog(store)
    out = []
    for n in range(repeat):
        uid = f"bench-{n}-{uuid.uuid4().hex[:8]}"
        first = QuestionEntry(uid, "c", "web", "en", "hello", "chat", "greet")
        stronger = QuestionEntry(uid, "c", "web", "en", "hello", "gap", reason="not_covered")
        for entry in (first, stronger):
            start = time.perf_counter()
            log.add(entry)
            out.append((time.perf_counter() - start) * 1000)
    return sorted(out)


def reads(store: GapStore) -> dict[str, list[float]]:
    log, now = QuestionLog(store), utcnow()
    weeks = figures.weeks_back(now.date(), 8)
    since = dt.datetime.combine(weeks[0], dt.time())
    month = now - dt.timedelta(days=30)  # a whole month, whatever the day today

    def topics_page() -> None:
        counts = log.counts(since)
        figures.topic_rows(counts, weeks)
        figures.weekly_shares(counts, weeks)
        figures.shares(counts, "language")

    def report() -> None:
        counts = log.counts(month, now)
        figures.shares(counts, "topic")
        figures.gap_reasons(counts)

    return {
        "Topics page figures (8 weeks)": _timed(topics_page, 20),
        "report figures (30 days)": _timed(report, 20),
    }


def _row(name: str, ms: list[float]) -> str:
    return f"| {name} | {statistics.median(ms):.2f} ms | {ms[int(len(ms) * 0.95) - 1]:.2f} ms |"


def _measure(label: str, store: GapStore, entries: int) -> list[str]:
    """The table's rows for one migrated, empty store, filled with ``entries`` messages."""
    _fill(store, entries)
    rows = [_row(f"{label}: one write (insert or upsert)", writes(store))]
    rows += [_row(f"{label}: {name}", ms) for name, ms in reads(store).items()]
    store.dispose()
    return rows


def report_text(entries: int) -> str:
    lines = [
        "## Question log: writing an entry, and the figures of the Topics page and the report",
        "",
        f"`python -m scripts.bench_question_log --write docs/benchmarks.md`: {entries:,} logged "
        "messages over 26 weeks; writes are done by the gap writer thread, off the reply's path.",
        "",
        "| measure | median | 95th percentile |",
        "|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        store = GapStore(f"sqlite:///{tmp}/gaps.db", Path(tmp) / "spool.jsonl")
        store.migrate()
        lines += _measure("SQLite", store, entries)
    url = os.environ.get("TEST_POSTGRES_URL", "").strip()
    if url:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(url, future=True)
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        try:
            pg = GapStore(url, Path(tempfile.gettempdir()) / f"{schema}.jsonl",
                          connect_args={"options": f"-csearch_path={schema}"})  # fmt: skip
            pg.migrate()
            lines += _measure("PostgreSQL", pg, entries)
        finally:
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    text = report_text(args.entries)
    print(text)
    if args.write:
        write_section(args.write, "question-log-bench", text)


if __name__ == "__main__":
    main()
