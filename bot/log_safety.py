"""No secret in any log line, whatever logger writes it.

python-telegram-bot puts the bot token in every request URL and httpx logs each URL at INFO;
urllib3 logs the Messenger ``access_token`` with ``--debug``; a database error quotes its URL.
:func:`install` (called by the channels, the action server and the web app when they start)
quiets those chatty HTTP loggers and wraps the log-record factory, so that every record, from
any logger and with any handler, has each configured secret replaced by ``***`` in its message,
its arguments and its traceback before anything formats it.

The secrets are the values of the variables named in :data:`SECRET_VARIABLES`, of any variable
whose name ends in ``_TOKEN``, ``_SECRET``, ``_KEY``, ``_PASSWORD`` or ``_HASH``, and the
passwords in database and Redis URLs; values shorter than :data:`MIN_SECRET_CHARS` are ignored
(they would mask ordinary words).
"""

from __future__ import annotations

import logging
import os
import re
import traceback
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

SECRET_VARIABLES = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "MESSENGER_PAGE_ACCESS_TOKEN",
    "MESSENGER_APP_SECRET",
    "MESSENGER_VERIFY_TOKEN",
    "GAPS_HMAC_KEY",
    "GAPS_API_TOKEN",
    "DASHBOARD_PASSWORD_HASH",
    "WEB_SESSION_SECRET",
)
_SECRET_SUFFIXES = ("_TOKEN", "_SECRET", "_KEY", "_PASSWORD", "_HASH")
_URL_VARIABLES = (
    "DATABASE_URL",
    "TRACKER_DB_URL",
    "CHANNELS_DB_URL",
    "REDIS_URL",
    "LOCK_STORE_URL",
)
CHATTY_LOGGERS = ("httpx", "httpcore", "urllib3", "hpack")
MIN_SECRET_CHARS = 8
MASK = "***"

_secrets: tuple[str, ...] = ()
_pattern: re.Pattern[str] | None = None
_installed = False


def secrets_of(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The secret values the environment configures, longest first."""
    found: set[str] = set()
    for name, value in environ.items():
        if name in SECRET_VARIABLES or name.endswith(_SECRET_SUFFIXES):
            found.add(value.strip())
    for name in _URL_VARIABLES:
        try:
            password = urlsplit(environ.get(name) or "").password
        except ValueError:
            password = None
        if password:
            found.add(password)
    return tuple(sorted((s for s in found if len(s) >= MIN_SECRET_CHARS), key=len, reverse=True))


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    """``text`` with every secret replaced by ``***``."""
    pattern = _pattern if secrets is None else _compile(tuple(secrets))
    return pattern.sub(MASK, text) if pattern is not None else text


def _compile(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    return re.compile("|".join(re.escape(s) for s in secrets)) if secrets else None


def _scrub(record: logging.LogRecord) -> None:
    if _pattern is None:
        return
    try:
        message = record.getMessage()
    except Exception:  # a record whose arguments do not fit its message: keep what is there
        message = str(record.msg)
    if _pattern.search(message):
        record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[0] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_text = redact(text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def install(environ: Mapping[str, str] | None = None) -> None:
    """Mask the secrets of ``environ`` (default: the process's) in every log record from now on,
    and quiet the HTTP client loggers. Calling it again takes the secrets in force then."""
    global _secrets, _pattern, _installed
    _secrets = secrets_of(os.environ if environ is None else environ)
    _pattern = _compile(_secrets)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _scrub(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
