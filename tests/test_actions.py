"""Actions: exact messages and events for a tracker, on a small knowledge base built in the test."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa_sdk.events import SlotSet

from actions.answers import (
    ActionAnswer,
    ActionGreet,
    ActionSetLanguage,
    ActionShowMenu,
    ActionShowSources,
    ActionSmalltalk,
)
from actions.unresolved import ActionUnresolved
from tests.factories import (
    UI_TEXTS,
    bot_event,
    conversation,
    run_action,
    topic_doc,
    tracker,
    user_event,
    write_knowledge,
)

MENU = {"title": "Main menu", "payload": "/help"}
# every answer's button to all its sources with their dates
SOURCES_EN = {"title": "sources_button", "payload": '/show_sources{"source_topic":"maternity"}'}
# the offer to work out one's own case, after a topic the eligibility check covers
CHECK_OFFER_EN = {"title": "check_offer", "payload": '/check_eligibility{"scheme":"maternity"}'}
FEEDBACK = [
    {"title": "👍", "payload": '/feedback{"helpful":"yes"}'},
    {"title": "👎", "payload": '/feedback{"helpful":"no"}'},
]


@pytest.fixture(autouse=True)
def small_knowledge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    ui = {
        "texts": {
            **UI_TEXTS,
            "menu_button": {"en": "Main menu", "km": "ម៉ឺនុយ"},
            "something_else": {"en": "Something else", "km": "ផ្សេងទៀត"},
            "source_label": {"en": "Source", "km": "ប្រភព"},
        }
    }
    directory = write_knowledge(
        tmp_path / "kb",
        [
            topic_doc(
                "maternity",
                title={"en": "Maternity", "km": "មាតុភាព"},
                answer={
                    "en": "You get {maternity.allowance_rate} %.",
                    "km": "អ្នកទទួលបាន {maternity.allowance_rate:khmer}%។",
                },
                related=["sickness"],
            ),
            topic_doc("sickness", title={"en": "Sickness", "km": "ជំងឺ"}),
            topic_doc("pension", title={"en": "Pension", "km": "សោធន"}),
        ],
        **ui,
    )
    monkeypatch.setenv("KNOWLEDGE_DIR", str(directory))
    return directory


async def test_answer_in_english_to_an_english_question() -> None:
    messages, events = await run_action(
        ActionAnswer(), tracker("how much maternity pay", "maternity")
    )
    assert messages == [
        (
            "You get 70 %.\n\nSource: Prakas 109 (2016-02-01)",
            [CHECK_OFFER_EN, {"title": "Sickness", "payload": "/sickness"}, SOURCES_EN, MENU],
        ),
        ("feedback_prompt en", FEEDBACK),
    ]
    assert events == [SlotSet("last_language", "en")]


async def test_no_feedback_prompt_when_one_was_shown_a_message_ago() -> None:
    t = tracker("and sick pay?", "maternity")
    prompt = {"event": "bot", "text": "feedback_prompt en", "data": {"buttons": FEEDBACK}}
    t.events.insert(0, prompt)
    t.events.insert(0, {"event": "user", "text": "maternity pay"})
    messages, _ = await run_action(ActionAnswer(), t)
    assert [text for text, _ in messages] == ["You get 70 %.\n\nSource: Prakas 109 (2016-02-01)"]


async def test_answer_in_khmer_to_a_mixed_khmer_english_question() -> None:
    messages, events = await run_action(
        ActionAnswer(), tracker("ខ្ញុំចង់ដឹងពី maternity leave", "maternity")
    )
    assert messages == [
        (
            "អ្នកទទួលបាន ៧០%។\n\nប្រភព: Prakas 109 (2016-02-01)",
            [
                {"title": "ខ្មែរ check_offer", "payload": CHECK_OFFER_EN["payload"]},
                {"title": "ជំងឺ", "payload": "/sickness"},
                {"title": "ខ្មែរ sources_button", "payload": SOURCES_EN["payload"]},
                {"title": "ម៉ឺនុយ", "payload": "/help"},
            ],
        ),
        ("feedback_prompt ខ្មែរ", FEEDBACK),
    ]
    assert events == [SlotSet("last_language", "km")]


async def test_button_payload_keeps_the_conversation_language() -> None:
    t = tracker("/maternity", "maternity", slots={"last_language": "km"})
    messages, events = await run_action(ActionAnswer(), t)
    assert messages[0][0].startswith("អ្នកទទួលបាន")
    assert events == []


async def test_picked_language_wins_over_the_message_script() -> None:
    t = tracker("maternity pay?", "maternity", slots={"language": "km"})
    messages, _ = await run_action(ActionAnswer(), t)
    assert messages[0][0].startswith("អ្នកទទួលបាន")


async def test_greet_shows_greeting_then_menu_buttons() -> None:
    messages, _ = await run_action(ActionGreet(), tracker("hi bong", "greet"))
    assert messages == [
        ("greet en", []),
        (
            "menu_prompt en",
            [
                {"title": "Maternity", "payload": "/maternity"},
                {"title": "Sickness", "payload": "/sickness"},
                {"title": "Pension", "payload": "/pension"},
            ],
        ),
    ]


async def test_menu_in_khmer() -> None:
    messages, _ = await run_action(ActionShowMenu(), tracker("ម៉ឺនុយ", "help"))
    assert messages[0][0] == "menu_prompt ខ្មែរ"
    assert [b["title"] for b in messages[0][1]] == ["មាតុភាព", "ជំងឺ", "សោធន"]


@pytest.mark.parametrize("intent", ["thanks", "goodbye", "bot_challenge"])
async def test_smalltalk_replies_with_its_text(intent: str) -> None:
    messages, _ = await run_action(ActionSmalltalk(), tracker("ok", intent))
    assert messages == [(f"{intent} en", [])]


async def test_typed_language_request_sets_the_language() -> None:
    messages, events = await run_action(ActionSetLanguage(), tracker("ភាសាអង់គ្លេស", "language"))
    assert messages[0] == ("language_set en", [])
    assert messages[1][0] == "menu_prompt en"
    assert events == [SlotSet("language", "en"), SlotSet("last_language", "en")]


async def test_language_button_entity_sets_the_language() -> None:
    t = tracker(
        '/language{"language":"km"}',
        "language",
        entities=[{"entity": "language", "value": "km"}],
    )
    messages, events = await run_action(ActionSetLanguage(), t)
    assert messages[0] == ("language_set ខ្មែរ", [])
    assert events == [SlotSet("language", "km"), SlotSet("last_language", "km")]


async def test_unclear_language_request_asks_with_buttons() -> None:
    messages, events = await run_action(ActionSetLanguage(), tracker("change language", "language"))
    assert messages == [
        (
            "language_prompt en",
            [
                {"title": "ខ្មែរ", "payload": '/language{"language":"km"}'},
                {"title": "English", "payload": '/language{"language":"en"}'},
            ],
        )
    ]
    assert events == [SlotSet("last_language", "en")]


async def test_low_confidence_asks_back_with_two_likeliest_topics() -> None:
    t = tracker(
        "pay when baby",
        "nlu_fallback",
        ranking=[
            ("nlu_fallback", 0.45),
            ("greet", 0.3),
            ("pension", 0.2),
            ("maternity", 0.1),
            ("sickness", 0.05),
        ],
    )
    messages, _ = await run_action(ActionUnresolved(), t)
    assert messages == [
        (
            "ask_back en",
            [
                {"title": "Pension", "payload": "/pension"},
                {"title": "Maternity", "payload": "/maternity"},
                {"title": "Something else", "payload": "/none_of_these"},
            ],
        )
    ]


async def test_out_of_scope_is_answered_honestly_with_the_hotline() -> None:
    messages, _ = await run_action(
        ActionUnresolved(), tracker("will it rain tomorrow", "out_of_scope")
    )
    assert messages == [("Call 1286.", [MENU])]


async def test_out_of_scope_in_khmer() -> None:
    messages, _ = await run_action(ActionUnresolved(), tracker("ថ្ងៃស្អែកភ្លៀងទេ", "out_of_scope"))
    assert messages == [("ទូរស័ព្ទ 1286។", [{"title": "ម៉ឺនុយ", "payload": "/help"}])]


async def test_rejected_suggestions_get_the_not_answered_text() -> None:
    messages, _ = await run_action(ActionUnresolved(), tracker("/none_of_these", "none_of_these"))
    assert messages == [("not_answered ខ្មែរ", [{"title": "ម៉ឺនុយ", "payload": "/help"}])]


async def test_low_confidence_without_any_topic_in_the_ranking_says_not_answered() -> None:
    t = tracker("hmm", "nlu_fallback", ranking=[("nlu_fallback", 0.4), ("greet", 0.3)])
    messages, _ = await run_action(ActionUnresolved(), t)
    assert messages == [("not_answered en", [MENU])]


async def test_answer_for_an_intent_without_knowledge_falls_back_to_unresolved() -> None:
    messages, _ = await run_action(ActionAnswer(), tracker("what is this", "greet"))
    assert messages == [("not_answered en", [MENU])]


# --- the sources of an answer ------------------------------------------------------------------
SOURCE_LINE = "• Prakas 109 (2016-02-01)"


async def test_the_sources_button_lists_the_sources_of_its_answer() -> None:
    entity = [{"entity": "source_topic", "value": "maternity"}]
    t = conversation(
        user_event('/show_sources{"source_topic":"maternity"}', "show_sources", entities=entity),
        slots={"last_language": "en"},
    )
    messages, events = await run_action(ActionShowSources(), t)
    assert messages == [("sources_title en\n" + SOURCE_LINE, [MENU])]


async def test_a_typed_question_about_sources_gets_those_of_the_latest_answer() -> None:
    t = conversation(
        user_event("pension?", "pension"),
        bot_event(
            "About pension",
            [
                {
                    "title": "Sources",
                    "payload": SOURCES_EN["payload"].replace("maternity", "pension"),
                }
            ],
        ),
        user_event("ព័ត៌មាននេះមកពីណា", "show_sources"),
    )
    messages, events = await run_action(ActionShowSources(), t)
    assert messages == [
        ("sources_title ខ្មែរ\n" + SOURCE_LINE, [{"title": "ម៉ឺនុយ", "payload": "/help"}])
    ]
    assert events == [SlotSet("last_language", "km")]


async def test_asking_for_sources_before_any_answer_says_how_to_get_them() -> None:
    t = conversation(user_event("what is your source", "show_sources"))
    messages, _ = await run_action(ActionShowSources(), t)
    assert messages == [("sources_none en", [MENU])]
