"""The actions never answer confidently what they did not understand: exact replies and gap
records for the honest partial answer, "I can't answer that yet", the answer first with an offer,
a number asked back, and romanized Khmer answered in Khmer with an English button."""

from __future__ import annotations

import pytest

from actions.answers import ActionAnswer, ActionSmalltalk
from actions.unresolved import ActionUnresolved
from bot.answerability.lexicon import configured_lexicon
from bot.gaps.capture import GapRecorder
from bot.knowledge import configured_knowledge
from tests.factories import run_action, tracker

KB = configured_knowledge()
ENGLISH = {"title": "English", "payload": '/language{"language":"en"}'}


def label(aspect: str, lang: str = "en") -> str:
    return configured_lexicon().aspects[aspect].label[lang]  # type: ignore[index]


def recorded(recorder: GapRecorder) -> list[tuple[str, str, str]]:
    recorder.flush()
    return [(r.text, r.reason, r.aspect) for r in recorder.store.list()]


async def test_a_province_question_gets_what_the_bot_knows_said_to_be_partial(
    recorder: GapRecorder,
) -> None:
    text = "Which hospitals in Kampot accept the NSSF card?"
    messages, _ = await run_action(ActionAnswer(), tracker(text, "health_care"))
    partial = KB.text(
        "partial", "en", aspect=label("local_facility"), topic=KB.title("health_care", "en")
    )
    assert [m[0] for m in messages[:2]] == [partial, KB.answer("health_care", "en")]
    assert "1286" in partial
    assert recorded(recorder) == [(text, "not_covered", "local_facility")]


async def test_an_nssf_question_no_answer_covers_is_said_so_in_khmer(
    recorder: GapRecorder,
) -> None:
    text = "តើខ្ញុំអាចខ្ចីលុយពី ប.ស.ស. បានទេ"
    t = tracker(text, "out_of_scope", ranking=[("out_of_scope", 0.8), ("pension", 0.1)])
    messages, _ = await run_action(ActionUnresolved(), t)
    assert messages == [
        (
            KB.text("not_covered", "km", aspect=label("loan", "km")),
            [{"title": KB.text("menu_button", "km"), "payload": "/help"}],
        )
    ]
    assert recorded(recorder) == [(text, "not_covered", "loan")]


async def test_small_talk_that_asks_an_uncovered_question_is_not_small_talk(
    recorder: GapRecorder,
) -> None:
    text = "thanks! and is the nssf office open on sunday?"
    messages, _ = await run_action(ActionSmalltalk(), tracker(text, "thanks"))
    assert messages[0][0] == KB.text("not_covered", "en", aspect=label("opening_hours"))
    assert recorded(recorder) == [(text, "not_covered", "opening_hours")]


async def test_am_i_eligible_without_numbers_gets_the_answer_first_with_the_offer(
    recorder: GapRecorder,
) -> None:
    messages, _ = await run_action(
        ActionAnswer(), tracker("am I eligible for maternity pay?", "check_eligibility")
    )
    assert messages[0] == (KB.text("check_offer_prompt", "en"), [])
    text, buttons = messages[1]
    assert text == KB.answer("maternity", "en")
    assert buttons[0] == {
        "title": KB.text("check_offer", "en"),
        "payload": '/check_eligibility{"scheme":"maternity"}',
    }
    assert recorded(recorder) == []


@pytest.mark.parametrize(
    ("text", "lang"),
    [("35 years, how much pension will I get?", "en"), ("៣៥ឆ្នាំ បានសោធនប៉ុន្មាន", "km")],
)
async def test_a_number_without_its_role_is_asked_back_after_the_answer(
    text: str, lang: str
) -> None:
    messages, _ = await run_action(ActionAnswer(), tracker(text, "pension"))
    assert messages[0][0] == KB.answer("pension", lang)  # type: ignore[arg-type]
    question, buttons = messages[1]
    assert question == KB.text("role_age_or_years", lang, number="35")  # type: ignore[arg-type]
    assert [b["payload"] for b in buttons] == [
        '/check_eligibility{"scheme":"pension","pension_age":"35"}',
        '/check_eligibility{"scheme":"pension","pension_months":"420"}',
    ]


async def test_romanized_khmer_is_answered_in_khmer_with_a_button_for_english() -> None:
    t = tracker("knhom chong deng pi prak samrak chhoeu", "sickness")
    messages, _ = await run_action(ActionAnswer(), t)
    text, buttons = messages[0]
    assert text == KB.answer("sickness", "km")
    assert ENGLISH in buttons


async def test_two_questions_in_one_message_get_both_answers() -> None:
    text = "When must I register a new worker? And how much contribution do I pay for him?"
    messages, _ = await run_action(ActionAnswer(), tracker(text, "register_enterprise"))
    texts = [m[0] for m in messages]
    assert texts[:3] == [
        KB.answer("register_enterprise", "en"),
        KB.text("also_asked", "en", topic=KB.title("contribution_rates", "en")),
        KB.answer("contribution_rates", "en"),
    ]


async def test_the_not_covered_intent_says_so_and_offers_what_it_knows_nearby(
    recorder: GapRecorder,
) -> None:
    text = "does nssf help pay my children's school fees?"
    t = tracker(text, "not_covered", ranking=[("not_covered", 0.8), ("health_care", 0.15)])
    messages, _ = await run_action(ActionUnresolved(), t)
    assert messages == [
        (
            KB.text("not_covered_general", "en"),
            [
                {"title": KB.title("health_care", "en"), "payload": "/health_care"},
                {"title": KB.text("menu_button", "en"), "payload": "/help"},
            ],
        )
    ]
    assert recorded(recorder) == [(text, "not_covered", "")]
