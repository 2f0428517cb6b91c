"""Every knowledge-gap signal goes through action_unresolved (or its hook) and becomes exactly
one masked record with the right reason, question, context and intents; the 👍/👎 prompt does
not nag."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.feedback import ActionFeedback, offer_feedback, should_offer_feedback
from actions.recording import record_cannot_tell
from actions.unresolved import ActionUnresolved
from bot.gaps.capture import GapRecorder, hmac_key
from bot.gaps.model import GapRecord
from bot.gaps.store import GapStore
from tests.factories import bot_event, conversation, run_action, user_event
from tests.gaps_support import TEST_KEY

MENU = {"title": "Main menu", "payload": "/help"}
ANSWER = "All about maternity. Hotline 1286."
PROMPT_BUTTONS = [
    {"title": "👍", "payload": '/feedback{"helpful":"yes"}'},
    {"title": "👎", "payload": '/feedback{"helpful":"no"}'},
]


def after_the_answer(*events: dict, **options: Any) -> Tracker:
    """A conversation that starts with a pension question and its answer (``ANSWER``)."""
    return conversation(user_event("pension age", "pension"), bot_event(ANSWER), *events, **options)


def stored(store: GapStore, rec: GapRecorder) -> list[GapRecord]:
    rec.flush()
    return store.list()


@pytest.fixture(autouse=True)
def _kb(small_kb: Path) -> None:
    """Every test here uses the small knowledge base."""


async def test_low_confidence_is_recorded_with_masked_text_top_intents_and_context(
    recorder: GapRecorder,
    sqlite_store: GapStore,
) -> None:
    t = conversation(
        bot_event("Hello!"),
        user_event(
            "pay when baby? call 012 345 678",
            "nlu_fallback",
            [("nlu_fallback", 0.4), ("maternity", 0.3), ("sickness", 0.2), ("pension", 0.1)],
        ),
        sender="user-42",
    )
    messages, _ = await run_action(ActionUnresolved(), t)
    assert messages[0][0] == "ask_back en"
    (record,) = stored(sqlite_store, recorder)
    assert record.reason == "low_confidence"
    assert record.text == "pay when baby? call <PHONE>"
    assert record.context == "Hello!"
    assert [i["name"] for i in record.intents] == ["nlu_fallback", "maternity", "sickness"]
    assert (record.channel, record.language, record.status) == ("web", "en", "new")
    assert record.conversation != "user-42" and len(record.conversation) == 32


@pytest.mark.parametrize(
    ("intent", "reason"),
    [("out_of_scope", "out_of_scope"), ("greet", "dialogue_fallback")],
)
async def test_out_of_scope_and_dialogue_fallback_are_recorded_once(
    recorder: GapRecorder,
    sqlite_store: GapStore,
    intent: str,
    reason: str,
) -> None:
    await run_action(ActionUnresolved(), conversation(user_event("ថ្ងៃស្អែកភ្លៀងទេ", intent)))
    (record,) = stored(sqlite_store, recorder)
    assert (record.reason, record.text, record.language) == (reason, "ថ្ងៃស្អែកភ្លៀងទេ", "km")


async def test_rejected_suggestions_record_the_original_question_with_the_ask_back_as_context(
    recorder: GapRecorder,
    sqlite_store: GapStore,
) -> None:
    t = conversation(
        user_event(
            "money for my wedding", "nlu_fallback", [("nlu_fallback", 0.4), ("maternity", 0.3)]
        ),
        bot_event("ask_back en", [{"title": "Maternity", "payload": "/maternity"}]),
        user_event("/none_of_these", "none_of_these"),
        slots={"last_language": "en"},
    )
    messages, _ = await run_action(ActionUnresolved(), t)
    assert messages == [("not_answered en", [MENU])]
    (record,) = stored(sqlite_store, recorder)
    assert record.reason == "rejected_suggestions"
    assert record.text == "money for my wedding"
    assert record.context == "ask_back en"
    assert [i["name"] for i in record.intents] == ["nlu_fallback", "maternity"]


async def test_a_request_for_a_human_gets_the_hotline_and_is_recorded(
    recorder: GapRecorder,
    sqlite_store: GapStore,
) -> None:
    t = conversation(user_event("ខ្ញុំចង់និយាយជាមួយមន្ត្រីផ្ទាល់", "request_human"))
    assert (await run_action(ActionUnresolved(), t))[0] == [
        ("human_handoff ខ្មែរ", [{"title": "ម៉ឺនុយ", "payload": "/help"}])
    ]
    (record,) = stored(sqlite_store, recorder)
    assert (record.reason, record.language) == ("human_requested", "km")


async def test_thumbs_down_records_the_answered_question_with_the_answer_as_context(
    recorder: GapRecorder,
    sqlite_store: GapStore,
) -> None:
    t = conversation(
        user_event("maternity pay for my wife, my name is Sok Dara", "maternity"),
        bot_event(ANSWER),
        bot_event("feedback_prompt en", PROMPT_BUTTONS),
        user_event(
            '/feedback{"helpful":"no"}', "feedback", entities=[{"entity": "helpful", "value": "no"}]
        ),
        slots={"last_language": "en"},
    )
    assert (await run_action(ActionFeedback(), t))[0] == [("feedback_sorry en", [MENU])]
    (record,) = stored(sqlite_store, recorder)
    assert record.reason == "negative_feedback"
    assert record.text == "maternity pay for my wife, my name is <NAME>"
    assert record.context == ANSWER
    assert record.intents[0]["name"] == "maternity"


async def test_a_typed_complaint_counts_as_thumbs_down(
    recorder: GapRecorder,
    sqlite_store: GapStore,
) -> None:
    t = after_the_answer(
        user_event("that answer didn't help me", "feedback"),
    )
    assert (await run_action(ActionFeedback(), t))[0] == [("feedback_sorry en", [MENU])]
    assert [r.reason for r in stored(sqlite_store, recorder)] == ["negative_feedback"]


async def test_thumbs_up_is_thanked_and_not_recorded(
    recorder: GapRecorder,
    sqlite_store: GapStore,
) -> None:
    t = after_the_answer(
        user_event(
            '/feedback{"helpful":"yes"}',
            "feedback",
            entities=[{"entity": "helpful", "value": "yes"}],
        ),
        slots={"last_language": "en"},
    )
    assert (await run_action(ActionFeedback(), t))[0] == [("feedback_thanks en", [])]
    assert stored(sqlite_store, recorder) == []


@pytest.mark.parametrize(
    ("typed", "reply", "reasons"),
    [
        ("👍", "feedback_thanks en", []),  # a typed thumbs up is a thumbs up, not a complaint
        ("👍 thanks", "feedback_thanks en", []),
        ("👎", "feedback_sorry en", ["negative_feedback"]),
    ],
)
async def test_a_typed_thumb_counts_as_the_vote_it_shows(
    typed: str,
    reply: str,
    reasons: list[str],
    recorder: GapRecorder,
    sqlite_store: GapStore,
) -> None:
    t = after_the_answer(
        user_event(typed, "feedback"),
        slots={"last_language": "en"},
    )
    messages, _ = await run_action(ActionFeedback(), t)
    assert messages[0][0] == reply
    assert [r.reason for r in stored(sqlite_store, recorder)] == reasons


async def test_eligibility_cannot_tell_is_recorded_through_the_hook_and_the_action(
    recorder: GapRecorder,
    sqlite_store: GapStore,
) -> None:
    t = conversation(user_event("7 months, my phone 012 999 888", "inform"))
    record_cannot_tell(t, "maternity: 7 of 12 months, call 012 999 888")
    (
        await run_action(
            ActionUnresolved("eligibility_unknown", question="sickness: voluntary member"), t
        )
    )[0]
    records = stored(sqlite_store, recorder)
    assert sorted(r.text for r in records) == [
        "maternity: 7 of 12 months, call <PHONE>",
        "sickness: voluntary member",
    ]
    assert {r.reason for r in records} == {"eligibility_unknown"}


async def test_the_reply_does_not_wait_for_the_database(small_kb: Path) -> None:
    release = threading.Event()

    class SlowStore:
        added: list[GapRecord] = []

        def add(self, record: GapRecord) -> bool:
            release.wait(10)
            self.added.append(record)
            return True

    slow = SlowStore()
    rec = GapRecorder(slow, TEST_KEY)  # type: ignore[arg-type]
    import actions.recording

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(actions.recording, "get_recorder", lambda: rec)
        messages, _ = await run_action(
            ActionUnresolved(), conversation(user_event("lottery", "out_of_scope"))
        )
        assert messages and slow.added == []  # replied while the write is still blocked
        release.set()
        rec.flush()
    assert [r.text for r in slow.added] == ["lottery"]


async def test_a_broken_recorder_never_breaks_the_reply(small_kb: Path) -> None:
    import actions.recording

    def broken() -> GapRecorder:
        raise RuntimeError("no store")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(actions.recording, "get_recorder", broken)
        messages, _ = await run_action(
            ActionUnresolved(), conversation(user_event("lottery", "out_of_scope"))
        )
    assert messages == [("Call 1286.", [MENU])]


# --- the 👍/👎 prompt ----------------------------------------------------------------------------


def test_feedback_is_offered_after_an_answer_with_thumbs_buttons() -> None:
    t = conversation(user_event("pension age", "pension"))
    dispatcher = CollectingDispatcher()
    offer_feedback(dispatcher, t, "en")
    assert [(m["text"], m["buttons"]) for m in dispatcher.messages] == [
        ("feedback_prompt en", PROMPT_BUTTONS)
    ]


def test_feedback_is_not_offered_again_within_three_messages() -> None:
    asked = [
        user_event("pension age", "pension"),
        bot_event(ANSWER),
        bot_event("feedback_prompt en", PROMPT_BUTTONS),
    ]
    one = asked + [user_event("maternity", "maternity")]
    two = one + [bot_event(ANSWER), user_event("sickness", "sickness")]
    three = two + [bot_event(ANSWER), user_event("health care", "pension")]
    assert not should_offer_feedback(conversation(*one))
    assert not should_offer_feedback(conversation(*two))
    assert should_offer_feedback(conversation(*three))


def test_feedback_is_not_offered_in_reply_to_a_vote() -> None:
    t = conversation(user_event('/feedback{"helpful":"yes"}', "feedback"))
    assert not should_offer_feedback(t)


# --- the conversation-key secret ---------------------------------------------------------------


def test_the_key_comes_from_the_environment_and_no_file_is_written(tmp_path: Path) -> None:
    dev = tmp_path / "var" / "gaps-hmac.key"
    assert hmac_key({"GAPS_HMAC_KEY": " from-env \n"}, dev) == b"from-env"
    assert not dev.exists()


def test_without_one_a_private_local_key_is_created_once_and_reused(tmp_path: Path) -> None:
    dev = tmp_path / "var" / "gaps-hmac.key"
    first = hmac_key({}, dev)
    assert len(first) == 64 and stat.S_IMODE(os.stat(dev).st_mode) == 0o600
    assert hmac_key({"GAPS_HMAC_KEY": "  "}, dev) == first  # blank counts as unset


def test_processes_starting_together_all_get_the_same_local_key(tmp_path: Path) -> None:
    dev = tmp_path / "gaps-hmac.key"
    keys: list[bytes] = []
    start = threading.Barrier(8)

    def read() -> None:
        start.wait()
        keys.append(hmac_key({}, dev))

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1 and keys[0] == dev.read_bytes().strip()


def test_a_key_file_another_process_is_still_writing_is_waited_for(tmp_path: Path) -> None:
    dev = tmp_path / "gaps-hmac.key"
    dev.write_bytes(b"")  # created, not written yet
    timer = threading.Timer(0.05, lambda: dev.write_bytes(b"written-by-the-other-process"))
    timer.start()
    assert hmac_key({}, dev) == b"written-by-the-other-process"
    timer.join()


def test_a_busy_writer_spools_new_records_at_once_and_none_is_lost(tmp_path: Path) -> None:
    """The writer's queue is bounded: with the database stuck, records beyond the bound go to the
    spool file at once (no memory grows without end) and reach the database with the next
    write."""
    store = GapStore(f"sqlite:///{tmp_path / 'gaps.db'}", tmp_path / "spool.jsonl")
    store.migrate()
    stuck = threading.Event()
    real_add = store.add

    def slow_add(record: GapRecord) -> bool:
        stuck.wait(30)
        return real_add(record)

    store.add = slow_add  # type: ignore[method-assign]
    rec = GapRecorder(store, TEST_KEY)
    rec.max_queued = 3
    for n in range(8):
        rec.record(
            sender_id=f"u{n}",
            text=f"question {n}",
            reason="out_of_scope",
            language="en",
            channel="rest",
        )
    assert len(store.spool.read()) >= 5  # spooled at once, while the database is stuck
    stuck.set()
    rec.flush()
    store.replay()
    assert sorted(r.text for r in store.list()) == sorted(f"question {n}" for n in range(8))
