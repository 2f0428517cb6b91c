"""Personal data is not kept forever (issue 10, item 8): tracker events and gap records older than
their retention are purged, and logs are rotated."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from bot.channels.tracker_store import MaskedSQLTrackerStore
from bot.gaps.retention import Retention, purge_gaps, purge_tracker
from bot.gaps.store import GapStore
from bot.questions.model import QuestionEntry
from bot.questions.store import QuestionLog
from bot.web.purge import interval_s, purge_once
from tests.conftest import ROOT
from tests.gaps_support import gap

NOW = dt.datetime(2025, 3, 10, 9, 0)


def _tracker_db(path: Path, ages_days: list[float], at: dt.datetime = NOW) -> str:
    """A tracker database made by the tracker store itself, with one event per age."""
    url = f"sqlite:///{path}"
    MaskedSQLTrackerStore(host=url).engine.dispose()  # creates Rasa's tables
    engine = sa.create_engine(url)
    events = sa.Table("events", sa.MetaData(), autoload_with=engine)
    now = at.replace(tzinfo=dt.timezone.utc).timestamp()
    with engine.begin() as conn:
        conn.execute(
            sa.insert(events),
            [
                {
                    "sender_id": f"s{i}",
                    "type_name": "user",
                    "timestamp": now - age * 86400,
                    "data": "{}",
                }
                for i, age in enumerate(ages_days)
            ],
        )
    engine.dispose()
    return url


def _count(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n = conn.scalar(sa.text("SELECT count(*) FROM events"))
    engine.dispose()
    return int(n or 0)


def test_tracker_events_older_than_the_retention_are_purged(tmp_path: Path) -> None:
    url = _tracker_db(tmp_path / "tracker.db", [1, 179, 181, 400])
    assert purge_tracker(url, 180, NOW) == 2
    assert _count(url) == 2
    assert purge_tracker(url, 180, NOW) == 0  # nothing more to do


def test_a_tracker_database_without_events_is_left_alone(tmp_path: Path) -> None:
    assert purge_tracker(f"sqlite:///{tmp_path / 'empty.db'}", 180, NOW) == 0


def test_gap_records_older_than_the_retention_are_purged(store: GapStore) -> None:
    store.add(gap("recent", days_ago=10))
    store.add(gap("old", days_ago=400))
    assert purge_gaps(store, 365, NOW) == 1
    assert [r.text for r in store.list()] == ["recent"]


def test_retention_comes_from_the_environment_and_refuses_nonsense() -> None:
    assert Retention.from_env({}) == Retention(180, 365, 180)
    assert Retention.from_env({"TRACKER_RETENTION_DAYS": "30"}).tracker_days == 30
    assert Retention.from_env({"QUESTION_LOG_DAYS": "90"}).question_log_days == 90
    with pytest.raises(ValueError, match="QUESTION_LOG_DAYS"):
        Retention.from_env({"QUESTION_LOG_DAYS": "half a year"})
    for bad in ("0", "-5", "a week"):
        with pytest.raises(ValueError, match="TRACKER_RETENTION_DAYS"):
            Retention.from_env({"TRACKER_RETENTION_DAYS": bad})


def test_the_purge_command_purges_all_three_and_says_how_many(tmp_path: Path) -> None:
    today = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    tracker = _tracker_db(tmp_path / "tracker.db", [1, 5000], at=today)
    gaps_db = GapStore(f"sqlite:///{tmp_path / 'gaps.db'}", tmp_path / "spool.jsonl")
    gaps_db.migrate()
    log = QuestionLog(gaps_db)
    for uid, days in (("old", 40), ("new", 10)):
        log.add(logged_message(uid, today - dt.timedelta(days=days)))
    gaps_db.dispose()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'gaps.db'}",
        "GAPS_SPOOL_FILE": str(tmp_path / "spool.jsonl"),
        "TRACKER_DB_URL": tracker,
        "QUESTION_LOG_DAYS": "30",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot.gaps", "purge"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "purged 1 tracker event(s) older than 180 days" in done.stdout
    assert "1 question log entries older than 30 days" in done.stdout
    assert _count(tracker) == 1
    assert [e.uid for e in QuestionLog(gaps_db).entries(["old", "new"])] == ["new"]


def logged_message(uid: str, at: dt.datetime) -> QuestionEntry:
    return QuestionEntry(uid, "c0ffee", "web", "en", "hello", "chat", created_at=at)


def test_the_web_app_purge_applies_the_question_log_retention_and_survives_bad_settings(
    store: GapStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    log = QuestionLog(store)
    log.add(logged_message("old", today - dt.timedelta(days=181)))
    log.add(logged_message("new", today - dt.timedelta(days=179)))
    monkeypatch.delenv("TRACKER_DB_URL", raising=False)
    monkeypatch.delenv("QUESTION_LOG_DAYS", raising=False)
    done = purge_once(store)
    assert done is not None and done.questions == 1
    assert [e.uid for e in log.entries(["old", "new"])] == ["new"]
    monkeypatch.setenv("QUESTION_LOG_DAYS", "forever")
    assert purge_once(store) is None  # said in the log; the app keeps running
    monkeypatch.setenv("PURGE_INTERVAL_HOURS", "24")
    assert interval_s() == 24 * 3600


def test_make_run_keeps_the_logs_of_the_last_five_starts(tmp_path: Path) -> None:
    for start in range(1, 8):
        (tmp_path / "rasa.log").write_text(f"start {start}\n")
        subprocess.run([str(ROOT / "scripts/rotate_logs.sh"), str(tmp_path), "5"], check=True)
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == [f"rasa.log.{i}" for i in range(1, 6)]
    assert (tmp_path / "rasa.log.1").read_text() == "start 7\n"
    assert (tmp_path / "rasa.log.5").read_text() == "start 3\n"


def test_docker_rotates_the_log_of_every_service() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    for name, service in compose["services"].items():
        options = service["logging"]["options"]
        assert options["max-size"] and int(options["max-file"]) >= 2, name
