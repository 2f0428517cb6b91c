"""No silence when the action server hangs or is down, with the trained model in a real Rasa
server and the Telegram channel on a fake Bot API: the user gets the apology in their language
within 10 s, and the message becomes a gap with reason ``bot_error``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.gaps.store import GapStore
from bot.knowledge import get_knowledge
from tests.fakes import payloads as p
from tests.fakes.rasa import RasaStack, rasa_stack
from tests.fakes.servers import FakeBotAPI, HungServer
from tests.fakes.waiting import until

BOT_TOKEN = "777:failure-test-token"
TG_SECRET = "failure-webhook-secret"
APOLOGY_WITHIN_S = 10.0
MAX_PENDING = 2  # events waiting to be handled, at most (the hung ones never finish here)
KB = get_knowledge()


@pytest.fixture(scope="module")
def botapi() -> Iterator[FakeBotAPI]:
    fake = FakeBotAPI(BOT_TOKEN).start()
    yield fake
    fake.stop()


def _stack(
    trained_model: Path, tmp: Path, gap_db: Path, botapi: FakeBotAPI, action_url: str
) -> Iterator[RasaStack]:
    env = {
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
        "TELEGRAM_API_URL": botapi.base,
        "DATABASE_URL": f"sqlite:///{gap_db / 'gaps.db'}",
        "GAPS_SPOOL_FILE": str(gap_db / "spool.jsonl"),
        "CHANNEL_MAX_PENDING": str(MAX_PENDING),
    }
    with rasa_stack(trained_model, tmp, env, action_url=action_url) as running:
        yield running


@pytest.fixture(scope="module")
def hung_stack(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory, gap_db: Path, botapi: FakeBotAPI
) -> Iterator[RasaStack]:
    hung = HungServer()
    try:
        yield from _stack(trained_model, tmp_path_factory.mktemp("hung"), gap_db, botapi, hung.url)
    finally:
        hung.close()


def tg_post(stack: RasaStack, text: str, user_id: int) -> requests.Response:
    update = p.update(p.tg_message(p.private_chat(user_id), p.user(user_id, "km"), text))
    headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    return requests.post(f"{stack.url}/webhooks/telegram/webhook", json=update, headers=headers)


def sent_to(botapi: FakeBotAPI, chat: int) -> list[str]:
    return [
        str(c.body.get("text"))
        for c in botapi.calls_of("sendMessage")
        if str(c.body.get("chat_id")) == str(chat)
    ]


def test_a_hung_action_server_gets_the_user_an_apology_within_10_s_and_a_gap(
    hung_stack: RasaStack, botapi: FakeBotAPI, gap_db: Path
) -> None:
    user = p.unique_id(950_000)
    start = time.monotonic()
    resp = tg_post(hung_stack, "តើប្រាក់មាតុភាពប៉ុន្មាន", user)  # a topic question: an action
    assert resp.status_code == 200
    apology = KB.text("handling_failed", "km")
    until(
        lambda: apology in sent_to(botapi, user),
        "no apology within 10 s",
        timeout=APOLOGY_WITHIN_S - (time.monotonic() - start),
    )
    store = GapStore(f"sqlite:///{gap_db / 'gaps.db'}", gap_db / "spool.jsonl")
    # the background writer, under CI load: a deadline, not a wait
    (record,) = until(
        lambda: [r for r in store.list() if r.reason == "bot_error"], "the failure was not recorded"
    )
    assert (record.text, record.channel, record.language) == (
        "តើប្រាក់មាតុភាពប៉ុន្មាន",
        "telegram",
        "km",
    )


def test_when_too_many_events_wait_the_webhook_says_retry_later_instead_of_accepting(
    hung_stack: RasaStack, botapi: FakeBotAPI
) -> None:
    """Every accepted message here hangs on the action server: once MAX_PENDING wait, the next
    delivery gets 503 with Retry-After (Telegram delivers it again later) and is not handled."""
    statuses = []
    for _ in range(MAX_PENDING + 1):
        resp = tg_post(hung_stack, "ប្រាក់ឈឺ", p.unique_id(960_000))
        statuses.append(resp.status_code)
        if resp.status_code == 503:
            assert resp.headers.get("Retry-After") == "5"
            break
    assert statuses[-1] == 503 and set(statuses[:-1]) <= {200}
