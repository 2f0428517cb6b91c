"""The question log: every user message becomes one masked, pseudonymised entry with the
strongest outcome of its turn; nothing is lost when the database is away; entries older than
QUESTION_LOG_DAYS are purged; the figures of the Topics page and the report add up."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from actions.answers import ActionAnswer, ActionGreet
from actions.feedback import ActionFeedback
from actions.unresolved import ActionUnresolved
from bot.gaps.capture import GapRecorder
from bot.gaps.clustering import Cluster
from bot.gaps.store import GapStore
from bot.questions import figures
from bot.questions.model import QuestionEntry, entry_uid
from bot.questions.store import QuestionLog
from tests.factories import bot_event, conversation, run_action, user_event
from tests.gaps_support import gap, logged, question_rows

NOW = dt.datetime(2026, 11, 18, 10, 0)


def entry(outcome: str, uid: str = "m1", **fields: object) -> QuestionEntry:
    values: dict[str, object] = {
        "uid": uid,
        "conversation": "c0ffee",
        "channel": "web",
        "language": "en",
        "text": "how much maternity pay",
        "outcome": outcome,
        "created_at": NOW,
        **fields,
    }
    return QuestionEntry(**values)  # type: ignore[arg-type]


# --- the store ---------------------------------------------------------------------------------


def test_one_entry_per_message_keeps_the_strongest_outcome(store: GapStore) -> None:
    log = QuestionLog(store)
    assert log.add(entry("chat", topic="greet"))
    assert log.add(entry("gap", reason="not_covered"))  # a greeting that hid a question
    assert log.add(entry("answered", topic="maternity"))  # weaker: the gap stays
    assert log.add(entry("chat", uid="m2", text="thanks"))
    assert log.add(entry("chat", uid="m2", text="thanks"))  # written twice, counted once
    found = {r["uid"]: (r["outcome"], r["reason"], r["week"]) for r in question_rows(store)}
    assert found == {
        "m1": ("gap", "not_covered", dt.date(2026, 11, 16)),
        "m2": ("chat", "", dt.date(2026, 11, 16)),
    }


def test_counts_group_by_week_topic_outcome_language_and_channel(store: GapStore) -> None:
    log = QuestionLog(store)
    log.add(entry("answered", "a", topic="maternity"))
    log.add(entry("answered", "b", topic="maternity", language="km", channel="telegram"))
    log.add(entry("answered", "c", topic="maternity", created_at=NOW - dt.timedelta(days=7)))
    log.add(entry("gap", "d", reason="not_covered", created_at=NOW - dt.timedelta(days=40)))
    counts = log.counts(NOW - dt.timedelta(days=14))
    assert sorted((c.week.isoformat(), c.language, c.channel, c.n) for c in counts) == [
        ("2026-11-09", "en", "web", 1),
        ("2026-11-16", "en", "web", 1),
        ("2026-11-16", "km", "telegram", 1),
    ]
    assert [c.n for c in log.counts(NOW - dt.timedelta(days=14), language="km")] == [1]
    assert [c.n for c in log.counts(NOW - dt.timedelta(days=14), channel="web")] == [1, 1]
    assert log.counts(NOW - dt.timedelta(days=60), NOW - dt.timedelta(days=30))[0].outcome == "gap"


def test_an_entry_waits_in_its_spool_while_the_database_is_away(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "a-file"
    not_a_dir.write_text("")
    down = GapStore(f"sqlite:///{not_a_dir / 'x.db'}", tmp_path / "gaps.jsonl")
    log = QuestionLog(down)
    assert log.add(entry("answered", topic="maternity")) is False
    assert log.spool.pending() and log.spool.path.name == "questions-spool.jsonl"
    assert not down.spool.pending()  # not mixed with the gap records

    up = GapStore(f"sqlite:///{tmp_path / 'up.db'}", tmp_path / "gaps.jsonl")
    up.migrate()
    assert QuestionLog(up).add(entry("chat", uid="m2", text="hi"))  # replays what waited
    assert {r["uid"]: r["outcome"] for r in question_rows(up)} == {"m1": "answered", "m2": "chat"}
    assert not log.spool.pending()


def test_purge_deletes_only_entries_older_than_the_retention(store: GapStore) -> None:
    log = QuestionLog(store)
    log.add(entry("chat", "old", created_at=NOW - dt.timedelta(days=181)))
    log.add(entry("chat", "kept", created_at=NOW - dt.timedelta(days=179)))
    assert log.purge(180, now=NOW) == 1
    assert [r["uid"] for r in question_rows(store)] == ["kept"]


# --- the recorder: masked, pseudonymised, off the reply's path ---------------------------------


def test_the_recorder_masks_the_text_and_replaces_the_sender(
    recorder: GapRecorder, sqlite_store: GapStore
) -> None:
    logged_entry = recorder.log(
        sender_id="psid-123456",
        message_id="mid.1",
        text="my phone is 012 345 678, how much maternity pay",
        language="en",
        channel="facebook",
        outcome="answered",
        topic="maternity",
    )
    recorder.flush()
    (row,) = question_rows(sqlite_store)
    assert row["text"] == "my phone is <PHONE>, how much maternity pay"
    assert row["conversation"] != "psid-123456" and "psid" not in str(row)
    assert row["channel"] == "messenger"
    assert row["uid"] == entry_uid(logged_entry.conversation, "mid.1")


# --- the actions: every message, with its outcome ----------------------------------------------


@pytest.fixture
def _kb(small_kb: Path) -> None:
    """The small knowledge base (maternity, sickness, pension)."""


@pytest.mark.usefixtures("_kb")
async def test_an_answer_a_gap_an_ask_back_and_a_greeting_are_each_logged(
    recorder: GapRecorder, sqlite_store: GapStore
) -> None:
    await run_action(
        ActionAnswer(), conversation(user_event("how much maternity pay", "maternity"))
    )
    await run_action(
        ActionUnresolved(),
        conversation(user_event("can a monk join nssf", "out_of_scope", [("out_of_scope", 0.9)])),
    )
    await run_action(
        ActionUnresolved(),
        conversation(
            user_event("baby money?", "nlu_fallback", [("nlu_fallback", 0.4), ("maternity", 0.3)])
        ),
    )
    await run_action(ActionGreet(), conversation(user_event("hello", "greet")))
    found = logged(sqlite_store, recorder)
    assert found["how much maternity pay"] == ("answered", "maternity", "")
    assert found["can a monk join nssf"][0] == "gap"
    assert found["baby money?"] == ("asked_back", "", "low_confidence")
    assert found["hello"] == ("chat", "greet", "")


@pytest.mark.usefixtures("_kb")
async def test_a_thumbs_down_turns_the_answered_question_into_a_gap(
    recorder: GapRecorder, sqlite_store: GapStore
) -> None:
    question = user_event("pension age", "pension")
    await run_action(ActionAnswer(), conversation(question))
    thumbs_down = user_event(
        '/feedback{"helpful":"no"}', "feedback", entities=[{"entity": "helpful", "value": "no"}]
    )
    await run_action(ActionFeedback(), conversation(question, bot_event("Pension."), thumbs_down))
    found = logged(sqlite_store, recorder)
    assert found["pension age"] == ("gap", "", "negative_feedback")
    assert found['/feedback{"helpful":"no"}'][0] == "chat"
    assert len(found) == 2


# --- the figures -------------------------------------------------------------------------------


def test_the_figures_split_answered_from_unanswered_and_leave_small_talk_out(
    store: GapStore,
) -> None:
    log = QuestionLog(store)
    for i, (outcome, topic) in enumerate(
        [
            ("answered", "maternity"),
            ("answered", "maternity"),
            ("form", "maternity"),
            ("gap", "maternity"),
            ("gap", ""),
            ("asked_back", ""),
            ("chat", "greet"),
        ]
    ):
        log.add(
            entry(outcome, f"m{i}", topic=topic, reason="not_covered" if outcome == "gap" else "")
        )
    counts = log.counts(NOW - dt.timedelta(days=7))
    weeks = figures.weeks_back(NOW.date(), 2)
    (maternity, none) = figures.topic_rows(counts, weeks)
    assert (maternity.topic, maternity.per_week, maternity.answered, maternity.unanswered) == (
        "maternity",
        (0, 4),
        3,
        1,
    )
    assert (none.topic, none.total) == ("", 2)
    (week_before, this_week) = figures.weekly_shares(counts, weeks)
    assert (week_before.questions, this_week.answered, this_week.unanswered, this_week.chat) == (
        0,
        3,
        3,
        1,
    )
    assert this_week.answered_pct == 50
    assert figures.gap_reasons(counts) == [("not_covered", 2), ("asked_back", 1)]


def test_growing_clusters_are_those_with_more_questions_lately() -> None:
    def group(*days_ago: float) -> Cluster:
        records = tuple(replace(gap(f"q{d}", days_ago=d), id=int(d)) for d in days_ago)
        return Cluster(records, None)

    now = dt.datetime(2025, 3, 10, 9, 0)
    steady = group(1, 20)  # one recent, one before: not growing
    rising = group(1, 2, 3, 20)
    fading = group(16, 17, 18)
    found = figures.growing([steady, rising, fading], now, days=14)
    assert [(g.recent, g.before, g.growth) for g in found] == [(3, 1, 2)]
