"""Who a web chat message comes from: a conversation id the server issues, not one the page picks.

The first message of a browser gets a random token in an HttpOnly cookie (``nssf_chat``,
SameSite=Strict, path /chat); the conversation is ``web:<HMAC(token, tab id)>``. The page's own
``sender`` (a random id per browser tab, kept in localStorage) only tells apart the tabs of that
one browser: knowing, or guessing, someone else's ``sender`` reaches nothing without their
cookie, and the tracker store never holds the token itself. The secret is derived from
``GAPS_HMAC_KEY`` (never used for both).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from bot.conversations import WEB, conversation_id

CHAT_COOKIE = "nssf_chat"
COOKIE_DAYS = 90
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


def chat_secret(gaps_key: bytes) -> bytes:
    """The web chat's own secret, derived from the gap store's key."""
    return hmac.new(gaps_key, b"nssf web chat conversations", hashlib.sha256).digest()


def issue() -> str:
    return secrets.token_urlsafe(32)


def valid(token: str) -> bool:
    """Whether ``token`` looks like one :func:`issue` gave (anything else gets a new one)."""
    return _TOKEN.fullmatch(token) is not None


def conversation(secret: bytes, token: str, sender: str) -> str:
    """The Rasa conversation id of the tab ``sender`` of the browser holding ``token``."""
    digest = hmac.new(secret, f"{token}\0{sender}".encode(), hashlib.sha256).hexdigest()
    return conversation_id(WEB, digest[:32])
