"""What the bot says, as plain data: texts and buttons in the reply language.

Actions and channels render these; nothing here knows about Rasa. The reasons a question went
unanswered (``REASON_*``) are named here too, with the reply each gets. Button payloads are Rasa
intent shortcuts (``/maternity``), so a tap is understood exactly, in any channel.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.knowledge import Knowledge
from bot.language import LANGUAGE_NAMES, LANGUAGES, Lang

# Intents that the bot answers without a knowledge topic.
SMALLTALK_TEXTS = {"thanks": "thanks", "goodbye": "goodbye", "bot_challenge": "bot_challenge"}
MAX_SUGGESTIONS = 2


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = ()


def intent_payload(intent: str, **entities: str) -> str:
    """A Rasa intent shortcut such as ``/language{"language": "en"}``."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}{json.dumps(entities, ensure_ascii=False, separators=(',', ':'))}"


def payload_entities(payload: str) -> dict[str, str]:
    """The entities of an intent shortcut (``/language{"language": "en"}`` → ``{"language":
    "en"}``); empty when there are none or they are not a JSON object."""
    start = payload.find("{")
    if not payload.startswith("/") or start < 0:
        return {}
    try:
        found = json.loads(payload[start:])
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def topic_buttons(kb: Knowledge, topics: Iterable[str], lang: Lang) -> tuple[Button, ...]:
    return tuple(Button(kb.title(t, lang), intent_payload(t)) for t in topics if t in kb.topics)


def menu_button(kb: Knowledge, lang: Lang) -> Button:
    return Button(kb.text("menu_button", lang), intent_payload("help"))


def menu(kb: Knowledge, lang: Lang, text_key: str = "menu_prompt") -> Reply:
    """The main menu: a prompt and one button per topic."""
    return Reply(kb.text(text_key, lang), topic_buttons(kb, kb.menu, lang))


def greeting(kb: Knowledge, lang: Lang) -> list[Reply]:
    return [Reply(kb.text("greet", lang)), menu(kb, lang)]


def sources_button(kb: Knowledge, topic: str, lang: Lang) -> Button:
    payload = intent_payload("show_sources", source_topic=topic)
    return Button(kb.text("sources_button", lang), payload)


def answer(kb: Knowledge, topic: str, lang: Lang) -> list[Reply]:
    """A topic's answer with its first source, and buttons to related topics, all the sources
    and the menu."""
    related = topic_buttons(kb, kb.topics[topic].related, lang)
    buttons = (*related, sources_button(kb, topic, lang), menu_button(kb, lang))
    return [Reply(kb.answer(topic, lang), buttons)]


def sources(kb: Knowledge, topic: str | None, lang: Lang) -> list[Reply]:
    """Every source of ``topic``'s answer with its date; without a topic, how to get them."""
    if topic not in kb.topics:
        return [Reply(kb.text("sources_none", lang), (menu_button(kb, lang),))]
    return [Reply(kb.sources(topic, lang), (menu_button(kb, lang),))]


def smalltalk(kb: Knowledge, intent: str, lang: Lang) -> list[Reply]:
    return [Reply(kb.text(SMALLTALK_TEXTS[intent], lang))]


def language_choice(kb: Knowledge, lang: Lang) -> list[Reply]:
    """Ask which language to use, with one button per language (named in that language)."""
    buttons = tuple(
        Button(LANGUAGE_NAMES[code], intent_payload("language", language=code))
        for code in LANGUAGES
    )
    return [Reply(kb.text("language_prompt", lang), buttons)]


def language_set(kb: Knowledge, lang: Lang) -> list[Reply]:
    return [Reply(kb.text("language_set", lang)), menu(kb, lang)]


def suggested_topics(kb: Knowledge, ranking: Sequence[str]) -> list[str]:
    """The most likely topics, best first, from an intent ranking (non-topics skipped)."""
    return [name for name in ranking if name in kb.topics][:MAX_SUGGESTIONS]


def ask_back(kb: Knowledge, ranking: Sequence[str], lang: Lang) -> list[Reply]:
    """ "Did you mean ...?" with the two most likely topics and "something else"."""
    buttons = topic_buttons(kb, suggested_topics(kb, ranking), lang)
    other = Button(kb.text("something_else", lang), intent_payload("none_of_these"))
    return [Reply(kb.text("ask_back", lang), buttons + (other,))]


def cannot_answer(kb: Knowledge, text_key: str, lang: Lang) -> list[Reply]:
    """An honest "I can't answer this" with the hotline, and the way back to the menu."""
    return [Reply(kb.text(text_key, lang), (menu_button(kb, lang),))]


# Why a message went unanswered; a later step records these as knowledge gaps.
REASON_LOW_CONFIDENCE = "low_confidence"
REASON_OUT_OF_SCOPE = "out_of_scope"
REASON_REJECTED_SUGGESTIONS = "rejected_suggestions"
REASON_DIALOGUE_FALLBACK = "dialogue_fallback"
_REASON_BY_INTENT = {
    "nlu_fallback": REASON_LOW_CONFIDENCE,
    "out_of_scope": REASON_OUT_OF_SCOPE,
    "none_of_these": REASON_REJECTED_SUGGESTIONS,
}


def unresolved_reason(intent: str | None) -> str:
    """The reason a message reached the unresolved-question action, from its intent."""
    return _REASON_BY_INTENT.get(intent or "", REASON_DIALOGUE_FALLBACK)


def unresolved(kb: Knowledge, reason: str, ranking: Sequence[str], lang: Lang) -> list[Reply]:
    """Ask back with suggestions when unsure; otherwise say honestly that it can't answer."""
    if reason == REASON_LOW_CONFIDENCE and suggested_topics(kb, ranking):
        return ask_back(kb, ranking, lang)
    if reason == REASON_OUT_OF_SCOPE:
        return cannot_answer(kb, "out_of_scope", lang)
    return cannot_answer(kb, "not_answered", lang)
