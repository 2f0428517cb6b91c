"""Builders of platform payloads, following the documented formats.

Messenger: a webhook POST body is ``{"object": "page", "entry": [{"id", "time", "messaging":
[event, ...]}]}``; an event has ``sender``, ``recipient``, ``timestamp`` and one of ``message``
(``mid``, ``text``, ``quick_reply``, ``attachments``, ``is_echo``), ``postback``, ``delivery``,
``read``. The body is signed in ``X-Hub-Signature-256: sha256=<HMAC-SHA256 hex>``.

Telegram: an ``Update`` has ``update_id`` and one of ``message`` or ``callback_query``; a message
has ``message_id``, ``date``, ``chat``, ``from``, and ``text`` with ``entities`` or a media field.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any

PAGE_ID = "104000000000001"
_counter = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}{int(time.time() * 1000) % 100000}"


def unique_id(base: int) -> int:
    """A user or chat id no other test of this run uses (ids of one test start at ``base``)."""
    return base + next(_counter)


# --- Messenger ---------------------------------------------------------------------------------


def _event(psid: str, **kind: Any) -> dict[str, Any]:
    return {
        "sender": {"id": psid},
        "recipient": {"id": PAGE_ID},
        "timestamp": int(time.time() * 1000),
        **kind,
    }


def text_event(psid: str, text: str, mid: str | None = None) -> dict[str, Any]:
    return _event(psid, message={"mid": mid or unique("m_"), "text": text})


def quick_reply_event(psid: str, title: str, payload: str) -> dict[str, Any]:
    return _event(
        psid, message={"mid": unique("m_"), "text": title, "quick_reply": {"payload": payload}}
    )


def postback_event(psid: str, title: str, payload: str) -> dict[str, Any]:
    return _event(psid, postback={"mid": unique("m_"), "title": title, "payload": payload})


def attachment_event(psid: str, kind: str = "image") -> dict[str, Any]:
    attachment = {"type": kind, "payload": {"url": "https://scontent.example/x"}}
    return _event(psid, message={"mid": unique("m_"), "attachments": [attachment]})


def sticker_event(psid: str) -> dict[str, Any]:
    attachment = {
        "type": "image",
        "payload": {"url": "https://scontent.example/s", "sticker_id": 369239263222822},
    }
    return _event(
        psid,
        message={"mid": unique("m_"), "sticker_id": 369239263222822, "attachments": [attachment]},
    )


def echo_event(psid: str) -> dict[str, Any]:
    event = _event(
        PAGE_ID, message={"mid": unique("m_"), "is_echo": True, "app_id": 1, "text": "hi"}
    )
    event["recipient"] = {"id": psid}
    return event


def delivery_event(psid: str) -> dict[str, Any]:
    return _event(psid, delivery={"mids": [unique("m_")], "watermark": int(time.time() * 1000)})


def read_event(psid: str) -> dict[str, Any]:
    return _event(psid, read={"watermark": int(time.time() * 1000)})


def messenger_body(*entries: list[dict[str, Any]]) -> bytes:
    """A webhook body with one entry per list of events."""
    body = {
        "object": "page",
        "entry": [
            {"id": PAGE_ID, "time": int(time.time() * 1000), "messaging": events}
            for events in entries
        ],
    }
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def sign(app_secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


# --- Telegram ----------------------------------------------------------------------------------

_update_ids = itertools.count(int(time.time()) % 1_000_000 * 100)


def user(user_id: int, language_code: str | None = "en", **extra: Any) -> dict[str, Any]:
    out = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}", **extra}
    if language_code:
        out["language_code"] = language_code
    return out


def private_chat(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": f"User{user_id}"}


def group_chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "type": "supergroup", "title": "Employer HR"}


def tg_message(
    chat: dict[str, Any],
    sender: dict[str, Any],
    text: str | None = None,
    *,
    reply_to: dict[str, Any] | None = None,
    **media: Any,
) -> dict[str, Any]:
    """A message; ``/commands`` and ``@mentions`` in ``text`` get their entities."""
    message: dict[str, Any] = {
        "message_id": next(_update_ids) % 100000,
        "date": int(time.time()),
        "chat": chat,
        "from": sender,
        **media,
    }
    if text is not None:
        message["text"] = text
        entities = []
        if text.startswith("/"):
            entities.append({"type": "bot_command", "offset": 0, "length": len(text.split()[0])})
        for word in text.split():
            if word.startswith("@") and len(word) > 1:
                entities.append(
                    {"type": "mention", "offset": _utf16_offset(text, word), "length": len(word)}
                )
        if entities:
            message["entities"] = entities
    if reply_to is not None:
        message["reply_to_message"] = reply_to
    return message


def _utf16_offset(text: str, word: str) -> int:
    return len(text[: text.index(word)].encode("utf-16-le")) // 2


def update(
    message: dict[str, Any] | None = None, *, update_id: int | None = None, **kind: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {"update_id": update_id if update_id is not None else next(_update_ids)}
    if message is not None:
        out["message"] = message
    out.update(kind)
    return out


def callback_update(chat: dict[str, Any], sender: dict[str, Any], data: str) -> dict[str, Any]:
    bot_message = {
        "message_id": 42,
        "date": int(time.time()),
        "chat": chat,
        "from": {
            "id": 7000001,
            "is_bot": True,
            "first_name": "NSSF assistant",
            "username": "nssf_test_bot",
        },
        "text": "What would you like to know?",
    }
    query = {
        "id": unique("cb"),
        "from": sender,
        "chat_instance": "1",
        "message": bot_message,
        "data": data,
    }
    return update(callback_query=query)


STICKER = {
    "file_id": "CAACAgIAAxkBAAEB",
    "file_unique_id": "AgADsticker",
    "type": "regular",
    "width": 512,
    "height": 512,
    "is_animated": False,
    "is_video": False,
}
