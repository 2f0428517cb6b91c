"""Helpers shared by the actions: the reply language, the knowledge base, rendering replies."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.knowledge import Knowledge, configured_knowledge
from bot.language import Lang, detect_language, reply_language
from bot.replies import Reply


def knowledge() -> Knowledge:
    """The knowledge base from ``KNOWLEDGE_DIR`` (default ``data/knowledge``), loaded once."""
    return configured_knowledge()


def user_text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def latest_entities(tracker: Tracker) -> dict[str, Any]:
    """The latest message's entities by name (from the NLU or a button's payload)."""
    return {e.get("entity"): e.get("value") for e in tracker.latest_message.get("entities") or []}


def last_bot_payload(tracker: Tracker, prefix: str) -> str | None:
    """The payload starting with ``prefix`` of a button in the bot's last message, if any."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            for button in (event.get("data") or {}).get("buttons") or []:
                payload = str(button.get("payload") or "")
                if payload.startswith(prefix):
                    return payload
            return None
    return None


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def intent_ranking(tracker: Tracker) -> list[str]:
    return [i["name"] for i in tracker.latest_message.get("intent_ranking") or [] if "name" in i]


def language_of(tracker: Tracker) -> Lang:
    """The language to reply in for the latest message (see ``bot.language.reply_language``)."""
    return reply_language(
        user_text(tracker),
        preferred=tracker.get_slot("language"),
        previous=tracker.get_slot("last_language"),
    )


def remember_language(tracker: Tracker) -> list[dict[str, Any]]:
    """Record the latest message's script so that a later emoji-only message keeps it."""
    detected = detect_language(user_text(tracker))
    if detected and detected != tracker.get_slot("last_language"):
        return [SlotSet("last_language", detected)]
    return []


def send(dispatcher: CollectingDispatcher, replies: Iterable[Reply]) -> None:
    for reply in replies:
        buttons = [{"title": b.title, "payload": b.payload} for b in reply.buttons]
        dispatcher.utter_message(text=reply.text, buttons=buttons)
