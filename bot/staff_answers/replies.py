"""What a user sees of a staff answer: the text in their language with its source and date, the
related topic and the menu as buttons (:func:`staff_reply`), and how that looks on each channel
(:func:`preview`: the Messenger messages and the Telegram messages it becomes, with the limits
they hit), for the dashboard to show before publishing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot import replies
from bot.channels.common import split_text, utf16_len
from bot.channels.messenger_format import MAX_TEMPLATE_TEXT
from bot.channels.messenger_format import MAX_TEXT as MESSENGER_MAX_TEXT
from bot.channels.messenger_format import render as messenger_render
from bot.knowledge import Knowledge
from bot.language import LANGUAGES, Lang
from bot.replies import Reply
from bot.staff_answers.model import Draft

TELEGRAM_MAX_TEXT = 4096


def staff_reply(draft: Draft, lang: Lang, kb: Knowledge) -> Reply:
    """The staff answer as the bot sends it."""
    body = draft.km if lang == "km" else draft.en
    date = draft.source_date.isoformat() if draft.source_date else ""
    text = f"{body.strip()}\n\n{kb.text('source_label', lang)}: {draft.source_name} ({date})"
    buttons = replies.topic_buttons(kb, [draft.topic] if draft.topic else [], lang)
    return Reply(text, (*buttons, replies.menu_button(kb, lang)))


@dataclass(frozen=True)
class ChannelPreview:
    """One channel's rendering: the messages (text, buttons) and what the limits changed."""

    channel: str
    messages: tuple[tuple[str, tuple[str, ...]], ...]
    characters: int
    limit: int
    notes: tuple[str, ...]  # text keys: "split", "quick_replies"


def _messenger(reply: Reply) -> ChannelPreview:
    buttons = [{"title": b.title, "payload": b.payload} for b in reply.buttons]
    objects = messenger_render(reply.text, buttons)
    messages = []
    notes = []
    for obj in objects:
        template: dict[str, Any] = (obj.get("attachment") or {}).get("payload") or {}
        if template:
            titles = tuple(b["title"] for b in template["buttons"])
            messages.append((template["text"], titles))
        else:
            titles = tuple(q["title"] for q in obj.get("quick_replies") or ())
            messages.append((obj["text"], titles))
            if titles:
                notes.append("preview_quick_replies")
    if len(objects) > 1:
        notes.insert(0, "preview_split")
    return ChannelPreview(
        "messenger", tuple(messages), len(reply.text), MESSENGER_MAX_TEXT, tuple(notes)
    )


def _telegram(reply: Reply) -> ChannelPreview:
    parts = split_text(reply.text, TELEGRAM_MAX_TEXT)
    titles = tuple(b.title for b in reply.buttons)
    messages = tuple((p, titles if i == len(parts) - 1 else ()) for i, p in enumerate(parts))
    notes = ("preview_split",) if len(parts) > 1 else ()
    return ChannelPreview("telegram", messages, utf16_len(reply.text), TELEGRAM_MAX_TEXT, notes)


def preview(draft: Draft, kb: Knowledge) -> dict[Lang, tuple[ChannelPreview, ...]]:
    """Per language, the answer as Messenger and Telegram show it."""
    out: dict[Lang, tuple[ChannelPreview, ...]] = {}
    for lang in LANGUAGES:
        reply = staff_reply(draft, lang, kb)
        out[lang] = (_messenger(reply), _telegram(reply))
    return out


__all__ = ["MAX_TEMPLATE_TEXT", "ChannelPreview", "preview", "staff_reply"]
