"""What a user sees of a staff answer: the text in their language with its source and date, the
related topic and the menu as buttons (:func:`staff_reply`); the question asked first when the
answer is close but not sure (:func:`offer_reply`: the answer's first sentence, Yes / Something
else); and how that looks on each channel
(:func:`preview`: the Messenger messages and the Telegram messages it becomes, with the limits
they hit), for the dashboard to show before publishing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot import replies
from bot.channels.common import split_text, utf16_len
from bot.channels.messenger_format import MAX_TEMPLATE_TEXT
from bot.channels.messenger_format import MAX_TEXT as MESSENGER_MAX_TEXT
from bot.channels.messenger_format import render as messenger_render
from bot.knowledge import Knowledge
from bot.language import LANGUAGES, Lang
from bot.replies import Button, Reply
from bot.staff_answers.model import Draft, StaffAnswer

TELEGRAM_MAX_TEXT = 4096
# the offer's Yes: /affirm{"staff_answer":"7"} (a yes outside a check goes to action_unresolved)
CONFIRM_INTENT = "affirm"
CONFIRM_ENTITY = "staff_answer"
PREVIEW_CHARS = 120
# a sentence ends at ។ ៕ ! ? or at a full stop after a small letter or a digit (not the one of an
# abbreviation such as ប.ស.ស. or U.S.)
_SENTENCE_END = re.compile(r"(?:(?<=[!?។៕])|(?<=[a-z0-9)\]”\"]\.))\s")
_KHMER_SIGNS = frozenset(chr(c) for c in [*range(0x17B4, 0x17D4), 0x17DD])


def first_sentence(body: str, limit: int = PREVIEW_CHARS) -> str:
    """The answer's first sentence, cut at a word (or, in Khmer, a letter cluster) to ``limit``
    characters with "…"."""
    text = " ".join(body.split())
    sentence = _SENTENCE_END.split(text, maxsplit=1)[0]
    if len(sentence) <= limit:
        return sentence
    cut = sentence[:limit]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    else:  # unspaced Khmer: never end inside a cluster (a sign, or a letter after a coeng)
        while len(cut) > 1 and (sentence[len(cut)] in _KHMER_SIGNS or cut[-1] == "\u17d2"):
            cut = cut[:-1]
    return cut.rstrip(" ,;:") + "…"


def offer_reply(answer: StaffAnswer, lang: Lang, kb: Knowledge) -> Reply:
    """Ask whether the staff answer is what the user wants: Yes shows it, "Something else" is
    the honest "I can't answer that yet" and a gap."""
    return _offer(answer.draft, lang, kb, str(answer.id))


def _offer(draft: Draft, lang: Lang, kb: Knowledge, answer_id: str) -> Reply:
    body = draft.km if lang == "km" else draft.en
    yes = Button(
        kb.text("staff_offer_yes_button", lang),
        replies.intent_payload(CONFIRM_INTENT, **{CONFIRM_ENTITY: answer_id}),
    )
    other = Button(kb.text("something_else", lang), replies.intent_payload("none_of_these"))
    return Reply(kb.text("staff_offer", lang, preview=first_sentence(body)), (yes, other))


def offer_preview(draft: Draft, kb: Knowledge) -> dict[Lang, tuple[str, tuple[str, ...]]]:
    """Per language, the question a close but not sure message gets first: text and buttons."""
    out: dict[Lang, tuple[str, tuple[str, ...]]] = {}
    for lang in LANGUAGES:
        reply = _offer(draft, lang, kb, "0")
        out[lang] = (reply.text, tuple(b.title for b in reply.buttons))
    return out


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


__all__ = [
    "MAX_TEMPLATE_TEXT",
    "ChannelPreview",
    "offer_preview",
    "offer_reply",
    "preview",
    "staff_reply",
]
