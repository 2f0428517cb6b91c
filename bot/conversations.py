"""Conversation ids bound to their channel: ``telegram:<chat>``, ``messenger:<psid>``, ``web:<id>``.

Rasa keeps one tracker per conversation id, whatever channel a message came in on. Each channel
puts its own name in front of the ids it makes, and a web id may not hold ``:`` (the web app's
``SENDER_RE``), so no message from one channel can continue a conversation of another: the web
chat cannot post as a Telegram chat, whose id would have to start with ``telegram:``.
"""

from __future__ import annotations

TELEGRAM, MESSENGER, WEB = "telegram", "messenger", "web"


def conversation_id(channel: str, *parts: object) -> str:
    """The conversation id of ``parts`` (a chat id, a chat and a user ...) on ``channel``."""
    return ":".join([channel, *(str(p) for p in parts)])


def platform_id(conversation: str, channel: str) -> str:
    """The platform's own id back from a conversation id of ``channel`` (a PSID to reply to)."""
    prefix = f"{channel}:"
    return conversation[len(prefix) :] if conversation.startswith(prefix) else conversation
