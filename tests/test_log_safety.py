"""No configured secret reaches a log line, whichever logger writes it and however (issue 10, 2)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot import log_safety

TOKEN = "123456:TEST-bot-token-for-logs"
ENV = {
    "TELEGRAM_BOT_TOKEN": TOKEN,
    "MESSENGER_APP_SECRET": "app-secret-value-1",
    "SOME_OTHER_API_KEY": "key-value-abcdef",
    "DATABASE_URL": "postgresql://nssf:db-password-42@db:5432/nssf",
    "SHORT_TOKEN": "abc",  # too short to mask
    "LANG": "C.UTF-8",
}


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    log_safety.install(ENV)
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    yield out
    root.removeHandler(handler)
    root.setLevel(old_level)
    log_safety.install({})


def test_the_secrets_are_the_configured_values_and_database_passwords() -> None:
    secrets = set(log_safety.secrets_of(ENV))
    assert secrets == {TOKEN, "app-secret-value-1", "key-value-abcdef", "db-password-42"}


def test_a_token_in_a_message_its_arguments_or_a_traceback_is_masked_in_any_logger(
    captured: io.StringIO,
) -> None:
    log = logging.getLogger("some.library")
    log.warning(f"POST https://api.telegram.org/bot{TOKEN}/sendMessage failed")
    log.error("connect to %s refused", ENV["DATABASE_URL"])
    try:
        raise RuntimeError(f"request to /bot{TOKEN}/getMe: timed out")
    except RuntimeError:
        log.exception("sending failed for key %s", "key-value-abcdef")
    text = captured.getvalue()
    for secret in log_safety.secrets_of(ENV):
        assert secret not in text
    assert text.count("***") >= 4
    assert "postgresql://nssf:***@db:5432/nssf" in text
    assert "RuntimeError: request to /bot***/getMe: timed out" in text


def test_the_http_client_loggers_no_longer_log_each_request(captured: io.StringIO) -> None:
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot.../getMe")
    logging.getLogger("urllib3.connectionpool").debug("GET /me?access_token=abc")
    assert captured.getvalue() == ""


def test_a_message_without_secrets_is_left_as_it_was(captured: io.StringIO) -> None:
    logging.getLogger("bot.channels").info("telegram: %d update(s) for %s", 2, "sender-1")
    assert captured.getvalue() == "bot.channels INFO telegram: 2 update(s) for sender-1\n"
