"""Stopping the action server loses nothing it has queued (hardening issue, item 15): a SIGTERM
while the gap and question-log writes are still waiting for a locked database lets them finish
(here: fall back to their spools) before the process exits, as ``docker stop`` does within the
action container's ``stop_grace_period``."""

from __future__ import annotations

import json
import signal
import sqlite3
from pathlib import Path

import requests

from bot.gaps.store import GapStore
from tests.factories import user_event
from tests.fakes.rasa import channel_env, free_port, spawn_rasa, wait_until_healthy

QUESTION = "blorp zinglewump quaxx, call me on 012 345 678"
MASKED = "blorp zinglewump quaxx, call me on <PHONE>"
EXIT_WITHIN_S = 60.0  # a deadline under CI load (two writes wait out a 5 s lock each), not a wait


def action_call(sender: str, text: str) -> dict[str, object]:
    """What Rasa posts to the action server to run ``action_unresolved`` after ``text``."""
    event = user_event(text, "nlu_fallback", [("nlu_fallback", 0.3), ("out_of_scope", 0.2)])
    tracker = {
        "sender_id": sender,
        "slots": {},
        "latest_message": event["parse_data"],
        "events": [event],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
        "latest_input_channel": "rest",
    }
    return {
        "next_action": "action_unresolved",
        "sender_id": sender,
        "tracker": tracker,
        "domain": {},
        "version": "3.6.21",
    }


def spooled(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def test_a_sigterm_lets_the_queued_gap_and_question_log_writes_finish(tmp_path: Path) -> None:
    db = tmp_path / "gaps.db"
    GapStore(f"sqlite:///{db}", tmp_path / "gaps-spool.jsonl").ensure_schema()
    port = free_port()
    env = channel_env(
        tmp_path,
        {"DATABASE_URL": f"sqlite:///{db}", "GAPS_SPOOL_FILE": str(tmp_path / "gaps-spool.jsonl")},
    )
    log = tmp_path / "actions.log"
    server = spawn_rasa(["actions", "--actions", "actions", "--port", str(port)], env, log)
    lock = sqlite3.connect(db, isolation_level=None)
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}/health", server, log, 120)
        # another writer holds the database: every write of the server waits, then spools
        lock.execute("BEGIN IMMEDIATE")
        lock.execute("CREATE TABLE held (x INTEGER)")
        reply = requests.post(
            f"http://127.0.0.1:{port}/webhook",
            json=action_call("web:shutdown", QUESTION),
            timeout=30,
        )
        assert reply.status_code == 200
        assert reply.json()["responses"], "the user got no reply"
        server.send_signal(signal.SIGTERM)  # as `docker stop` does, the writes still queued
        server.wait(timeout=EXIT_WITHIN_S)
    finally:
        lock.rollback()
        lock.close()
        if server.poll() is None:
            server.kill()
            server.wait()
    gaps = spooled(tmp_path / "gaps-spool.jsonl")
    assert [g["text"] for g in gaps] == [MASKED]
    questions = spooled(tmp_path / "questions-spool.jsonl")
    assert [(q["text"], q["outcome"]) for q in questions] == [(MASKED, "gap")]
    assert "012 345 678" not in log.read_text("utf-8")
