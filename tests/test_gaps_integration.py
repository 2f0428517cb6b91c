"""End to end with the trained model: web chat → Rasa → action server → gap store → /api/gaps.
A fallback message creates exactly one record; an answered question creates none."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.gaps.store import GapStore
from bot.knowledge import load_knowledge
from bot.web.app import create_app
from bot.web.settings import WebSettings
from bot.web.staff import StaffSettings
from tests.fakes.rasa import RasaStack

TOKEN = "integration-token"
FALLBACK_MESSAGE = "blorp zinglewump quaxx 012 345 678"
# Gibberish that always ends unanswered, so recorded as a gap (stored as SENTINEL_RECORD)
SENTINEL = "blorp zinglewump quaxx sentinel@example.org"
SENTINEL_RECORD = "blorp zinglewump quaxx <EMAIL>"
_sentinel_senders = (f"sentinel-{i}" for i in itertools.count())
RECORD_DEADLINE_S = 60.0  # a deadline for the background writer under CI load, not a wait


def web_app(stack: RasaStack, gap_db: Path) -> web.Application:
    """The web app (chat and gap API) in front of ``stack``, on the gap database in ``gap_db``."""
    store = GapStore(f"sqlite:///{gap_db / 'gaps.db'}", gap_db / "spool.jsonl")
    return create_app(WebSettings(rasa_url=stack.url), store, StaffSettings(api_token=TOKEN))


async def test_a_fallback_message_creates_exactly_one_record_visible_in_the_api(
    stack: RasaStack, gap_db: Path
) -> None:
    app = web_app(stack, gap_db)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        gaps = await _gaps_after(
            client, "integration-1", ["how much maternity allowance do I get?", FALLBACK_MESSAGE]
        )
    assert len(gaps) == 1
    (record,) = gaps
    assert record["text"] == "blorp zinglewump quaxx <PHONE>"
    # Gibberish ends in one of the fallbacks, depending on what the NLU makes of it.
    assert record["reason"] in {"low_confidence", "out_of_scope", "dialogue_fallback"}
    assert (record["channel"], record["language"], record["status"]) == ("web", "en", "new")
    assert record["intents"]
    # The context is the bot's previous message: the maternity answer.
    assert load_knowledge().answer("maternity", "en")[:60] in record["context"]
    assert "integration-1" not in str(record)


async def _gaps_after(client: TestClient, sender: str, messages: list[str]) -> list[dict]:
    """Send ``messages`` as ``sender``; the records they created. The action server writes records
    in the order it makes them, one at a time, off the reply's path: once the record of a sentinel
    question sent afterwards (by another user) is visible, every earlier one is written too."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = await (await client.get("/api/gaps", headers=auth)).json()
    for message in messages:
        reply = await client.post("/chat/api/message", json={"sender": sender, "message": message})
        assert reply.status == 200 and (await reply.json())[0]["text"]
    sentinels = sum(g["text"] == SENTINEL_RECORD for g in before)
    reply = await client.post(
        "/chat/api/message", json={"sender": next(_sentinel_senders), "message": SENTINEL}
    )
    assert reply.status == 200
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RECORD_DEADLINE_S
    while True:
        gaps = await (await client.get("/api/gaps", headers=auth)).json()
        if sum(g["text"] == SENTINEL_RECORD for g in gaps) > sentinels:
            break
        assert loop.time() < deadline, "the sentinel question was never recorded"
        await asyncio.sleep(0.05)
    seen = {(g["created_at"], g["text"], g["reason"]) for g in before}
    return [
        g
        for g in gaps
        if (g["created_at"], g["text"], g["reason"]) not in seen and g["text"] != SENTINEL_RECORD
    ]


async def test_a_yes_with_nothing_to_answer_is_recorded_as_a_dialogue_fallback(
    stack: RasaStack, gap_db: Path
) -> None:
    app = web_app(stack, gap_db)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        new = await _gaps_after(client, "integration-2", ["yes"])
    assert [(g["text"], g["reason"], g["language"]) for g in new] == [
        ("yes", "dialogue_fallback", "en")
    ]


async def test_an_eligibility_check_that_cannot_tell_is_recorded_once(
    stack: RasaStack, gap_db: Path
) -> None:
    app = web_app(stack, gap_db)
    conversation = ["can you check if i qualify", '/inform{"scheme":"pension"}', "i don't know"]
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        new = await _gaps_after(client, "integration-3", conversation)
    assert [(g["text"], g["reason"]) for g in new] == [
        ("pension check: cannot tell (unknown_input; missing: pension_age)", "eligibility_unknown")
    ]
    # the context is the question the user could not answer
    assert new[0]["context"].startswith("How old are you?")
