"""Small builders for test data: knowledge files, Rasa trackers and events, and the one way the
tests run an action."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.knowledge import BUTTON_TEXTS, REQUIRED_UI_TEXTS

UI_TEXTS = {key: {"en": f"{key} en", "km": f"{key} ខ្មែរ"} for key in REQUIRED_UI_TEXTS}
# button titles: at most 20 characters
UI_TEXTS.update({key: {"en": key[:20], "km": f"ខ្មែរ {key}"[:20]} for key in BUTTON_TEXTS})
UI_TEXTS["out_of_scope"] = {"en": "Call {hotline}.", "km": "ទូរស័ព្ទ {hotline}។"}


def topic_doc(key: str, **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "topic": key,
        "title": {"en": key.title(), "km": f"ប្រធានបទ {key}"},
        "sources": [{"name": "Prakas 109", "date": "2016-02-01"}],
        "answer": {"en": f"All about {key}. Hotline {{hotline}}.", "km": f"អំពី {key} {{hotline}}"},
        "related": [],
        "answers": ["amount"],
    }
    doc.update(overrides)
    return doc


def write_knowledge(directory: Path, topics: list[dict[str, Any]], **ui: Any) -> Path:
    """Write a knowledge directory: ui.yml plus one file per topic document."""
    directory.mkdir(parents=True, exist_ok=True)
    ui_doc: dict[str, Any] = {
        "menu": [t["topic"] for t in topics],
        "texts": UI_TEXTS,
    }
    ui_doc.update(ui)
    (directory / "ui.yml").write_text(yaml.safe_dump(ui_doc, allow_unicode=True), "utf-8")
    for doc in topics:
        path = directory / f"{doc['topic']}.yml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    return directory


def user_event(
    text: str,
    intent: str,
    ranking: list[tuple[str, float]] | None = None,
    entities: list[dict[str, Any]] | None = None,
    channel: str = "rest",
) -> dict[str, Any]:
    """A user event as Rasa sends it to actions: the text with its parse (intent ranking)."""
    ranking = ranking or [(intent, 0.95)]
    message_id = uuid.uuid4().hex
    parse = {
        "message_id": message_id,
        "text": text,
        "intent": {"name": intent, "confidence": ranking[0][1]},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
        "entities": entities or [],
    }
    return {
        "event": "user",
        "text": text,
        "parse_data": parse,
        "input_channel": channel,
        "message_id": message_id,
    }


def bot_event(text: str, buttons: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"event": "bot", "text": text, "data": {"buttons": buttons or []}}


def conversation(
    *events: dict[str, Any],
    sender: str = "test-user",
    slots: dict[str, Any] | None = None,
    form: str | None = None,
) -> Tracker:
    """A tracker with these events; its latest message is the last user event's; ``form``: the
    form that is active."""
    latest = next(e for e in reversed(events) if e["event"] == "user")["parse_data"]
    return Tracker(
        sender_id=sender,
        slots={"language": None, "last_language": None, **(slots or {})},
        latest_message=latest,
        events=list(events),
        paused=False,
        followup_action=None,
        active_loop={"name": form} if form else {},
        latest_action_name="action_listen",
    )


def tracker(
    text: str,
    intent: str,
    *,
    ranking: list[tuple[str, float]] | None = None,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    sender: str = "test-user",
    form: str | None = None,
    requested: str | None = None,
    after: str | None = None,
) -> Tracker:
    """A tracker whose latest user message is ``text`` classified as ``intent``; ``form`` and
    ``requested`` make a form active and waiting on a slot; ``after`` adds an action run after
    the message (the form resuming after "why?")."""
    events = [
        {"event": "action", "name": "action_listen"},
        user_event(text, intent, ranking, entities),
    ]
    if after:
        events.append({"event": "action", "name": after})
    if form or requested:
        slots = {"requested_slot": requested, **(slots or {})}
    return conversation(*events, sender=sender, slots=slots, form=form)


async def run_action(action: Any, t: Tracker) -> tuple[list[tuple[str, list[Any]]], list[Any]]:
    """Run ``action`` on ``t``: the messages it sends (text, buttons) and the events it returns."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, t, {})
    return [(m["text"], m["buttons"]) for m in dispatcher.messages], events
