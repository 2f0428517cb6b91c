"""How one bot message looks on Messenger: the Send API ``message`` objects for its text and
buttons (pure, no Rasa: the channel sends them, the dashboard's preview shows them)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bot.channels.common import parts_with_buttons, shorten

MAX_TEXT = 2000  # Send API: characters per text message
MAX_QUICK_REPLIES = 13
MAX_TITLE = 20  # quick-reply and postback button titles
MAX_PAYLOAD = 1000  # quick-reply and postback payloads
MAX_TEMPLATE_BUTTONS = 3
MAX_TEMPLATE_TEXT = 640


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _buttons(buttons: Iterable[dict[str, Any]]) -> list[tuple[str, str]]:
    out = []
    for button in buttons:
        title = _str(button.get("title"))
        payload = _str(button.get("payload"))
        if title and payload and len(payload) <= MAX_PAYLOAD:
            out.append((shorten(title, MAX_TITLE), payload))
    return out


def render(text: str, buttons: Sequence[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """Send API ``message`` objects for one bot message: the text in parts under 2000
    characters; buttons on the last part, as a button template (at most 3 buttons, text up to
    640 characters) or as quick replies (at most 13)."""
    parts = parts_with_buttons(text, MAX_TEXT, _buttons(buttons) or None)
    return [_message(part, choices) for part, choices in parts]


def _message(text: str, choices: list[tuple[str, str]] | None) -> dict[str, Any]:
    if not choices:
        return {"text": text}
    if len(choices) <= MAX_TEMPLATE_BUTTONS and len(text) <= MAX_TEMPLATE_TEXT:
        template = {
            "template_type": "button",
            "text": text,
            "buttons": [{"type": "postback", "title": t, "payload": p} for t, p in choices],
        }
        return {"attachment": {"type": "template", "payload": template}}
    quick = [
        {"content_type": "text", "title": t, "payload": p} for t, p in choices[:MAX_QUICK_REPLIES]
    ]
    return {"text": text, "quick_replies": quick}
