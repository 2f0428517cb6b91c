"""End to end with the trained model: web chat → Rasa → action server → gap store → /api/gaps.
A fallback message creates exactly one record; an answered question creates none."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.gaps.store import GapStore
from bot.knowledge import load_knowledge
from bot.web.app import create_app
from bot.web.dashboard import StaffSettings
from bot.web.settings import WebSettings
from tests.fakes.rasa import RasaStack, rasa_stack

TOKEN = "integration-token"
FALLBACK_MESSAGE = "blorp zinglewump quaxx 012 345 678"


@pytest.fixture(scope="module")
def gap_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gaps")


@pytest.fixture(scope="module")
def stack(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory, gap_db: Path
) -> Iterator[RasaStack]:
    env = {
        "DATABASE_URL": f"sqlite:///{gap_db / 'gaps.db'}",
        "GAPS_SPOOL_FILE": str(gap_db / "spool.jsonl"),
        "GAPS_HMAC_KEY": "integration-key",
    }
    with rasa_stack(trained_model, tmp_path_factory.mktemp("rasa"), env) as running:
        yield running


async def test_a_fallback_message_creates_exactly_one_record_visible_in_the_api(
    stack: RasaStack, gap_db: Path
) -> None:
    store = GapStore(f"sqlite:///{gap_db / 'gaps.db'}", gap_db / "spool.jsonl")
    app = create_app(WebSettings(rasa_url=stack.url), store, StaffSettings(api_token=TOKEN))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        answered = await client.post(
            "/chat/api/message",
            json={"sender": "integration-1", "message": "how much maternity allowance do I get?"},
        )
        assert answered.status == 200
        reply = await client.post(
            "/chat/api/message", json={"sender": "integration-1", "message": FALLBACK_MESSAGE}
        )
        assert reply.status == 200 and (await reply.json())[0]["text"]
        gaps: list[dict] = []
        for _ in range(100):  # the action server writes off the reply's path
            response = await client.get("/api/gaps", headers=auth)
            gaps = await response.json()
            if gaps:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)
        gaps = await (await client.get("/api/gaps", headers=auth)).json()
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
    """Send ``messages`` as ``sender``; the records created meanwhile (the writer is async)."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = await (await client.get("/api/gaps", headers=auth)).json()
    for message in messages:
        reply = await client.post("/chat/api/message", json={"sender": sender, "message": message})
        assert reply.status == 200 and (await reply.json())[0]["text"]
    gaps: list[dict] = []
    for _ in range(100):
        gaps = await (await client.get("/api/gaps", headers=auth)).json()
        if len(gaps) > len(before):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)
    gaps = await (await client.get("/api/gaps", headers=auth)).json()
    seen = {(g["created_at"], g["text"], g["reason"]) for g in before}
    return [g for g in gaps if (g["created_at"], g["text"], g["reason"]) not in seen]


async def test_a_yes_with_nothing_to_answer_is_recorded_as_a_dialogue_fallback(
    stack: RasaStack, gap_db: Path
) -> None:
    store = GapStore(f"sqlite:///{gap_db / 'gaps.db'}", gap_db / "spool.jsonl")
    app = create_app(WebSettings(rasa_url=stack.url), store, StaffSettings(api_token=TOKEN))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        new = await _gaps_after(client, "integration-2", ["yes"])
    assert [(g["text"], g["reason"], g["language"]) for g in new] == [
        ("yes", "dialogue_fallback", "en")
    ]


async def test_an_eligibility_check_that_cannot_tell_is_recorded_once(
    stack: RasaStack, gap_db: Path
) -> None:
    store = GapStore(f"sqlite:///{gap_db / 'gaps.db'}", gap_db / "spool.jsonl")
    app = create_app(WebSettings(rasa_url=stack.url), store, StaffSettings(api_token=TOKEN))
    conversation = ["can you check if i qualify", '/inform{"scheme":"pension"}', "i don't know"]
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        new = await _gaps_after(client, "integration-3", conversation)
    assert [(g["text"], g["reason"]) for g in new] == [
        ("pension check: cannot tell (unknown_input; missing: pension_age)", "eligibility_unknown")
    ]
    # the context is the question the user could not answer
    assert new[0]["context"].startswith("How old are you?")
