"""A tracker write that fails leaves neither the user's message nor the sender in any log
(issue 10, item 3): a live Rasa server whose tracker table is dropped under it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.fakes.rasa import RasaStack, rasa_stack

SENDER = "sender-secret-7788"
MESSAGE = "my very private question about wedding money number zebra"
FAILED_SAVE = "Error happened when trying to save conversation tracker"


@pytest.fixture(scope="module")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RasaStack]:
    with rasa_stack(trained_model, tmp_path_factory.mktemp("privacy"), {}) as running:
        yield running


def _say(stack: RasaStack, sender: str, text: str) -> requests.Response:
    url = f"{stack.url}/webhooks/rest/webhook"
    return requests.post(url, json={"sender": sender, "message": text}, timeout=60)


def test_a_failed_tracker_write_logs_neither_the_message_nor_the_sender(stack: RasaStack) -> None:
    assert _say(stack, "warm-up", "hello").ok  # the tracker table exists and works
    tracker_db = Path(stack.env["TRACKER_DB_URL"].removeprefix("sqlite:///"))
    with sqlite3.connect(tracker_db) as db:
        db.execute("DROP TABLE events")  # every later write fails
    # the REST channel answers once Rasa has saved (or failed to save) the tracker and logged it
    assert _say(stack, SENDER, MESSAGE).status_code == 200
    logs = "".join(p.read_text("utf-8", "replace") for p in stack.rasa_log.parent.glob("*.log"))
    assert FAILED_SAVE in logs  # the write did fail, and was logged
    assert MESSAGE not in logs and "zebra" not in logs
    assert SENDER not in logs
