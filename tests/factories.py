"""Small builders for test data: knowledge files and Rasa trackers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Tracker

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
        "facts": {"hotline": {"value": "1286", "source": "NSSF", "date": "2024-03-01"}},
        "menu": [t["topic"] for t in topics],
        "texts": UI_TEXTS,
    }
    ui_doc.update(ui)
    (directory / "ui.yml").write_text(yaml.safe_dump(ui_doc, allow_unicode=True), "utf-8")
    for doc in topics:
        path = directory / f"{doc['topic']}.yml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    return directory


def tracker(
    text: str,
    intent: str,
    *,
    ranking: list[tuple[str, float]] | None = None,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    sender: str = "test-user",
) -> Tracker:
    """A tracker whose latest user message is ``text`` classified as ``intent``."""
    ranking = ranking or [(intent, 0.95)]
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": ranking[0][1]},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
        "entities": entities or [],
    }
    return Tracker(
        sender_id=sender,
        slots={"language": None, "last_language": None, **(slots or {})},
        latest_message=latest,
        events=[{"event": "user", "text": text, "parse_data": latest}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )
