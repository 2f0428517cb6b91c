"""A reply that cannot be sent is never half-delivered (hardening issue, item 12): the part that
failed after its retries and every later part to the same user wait in the outbox, a later
turn's reply goes behind them, and the sweep sends them in order once the platform is back
(Messenger and Telegram, on their fake APIs); a reply refused for good is not kept; one reply's
sends end within ``SEND_BUDGET_S``, inside the drain at shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from telegram import Bot

from bot.channels import messenger, telegram
from bot.channels.common import SEND_BUDGET_S, Retry, with_retries
from bot.channels.messenger import GraphClient, MessengerInput
from bot.channels.settings import MessengerSettings, TelegramSettings
from bot.channels.store import RESEND_BACKOFF_S, ChannelStore
from bot.channels.telegram import TelegramInput, TelegramOutput
from bot.channels.webhook import DRAIN_TIMEOUT_S
from tests.fakes.servers import FakeBotAPI, FakeGraph, message_to
from tests.test_channel_inbox import Clock, location  # noqa: F401  (the fixture)

TOKEN = "page-token-outbox"
BOT_TOKEN = "43:outbox-test-token"
DOWN = {"error": {"code": 2, "message": "Service temporarily unavailable"}}
BAD_GATEWAY = {"ok": False, "error_code": 502, "description": "Bad Gateway"}


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    fake = FakeGraph(TOKEN)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def botapi() -> Iterator[FakeBotAPI]:
    fake = FakeBotAPI(BOT_TOKEN)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
async def bot(botapi: FakeBotAPI) -> AsyncIterator[Bot]:
    client = Bot(BOT_TOKEN, base_url=f"{botapi.base}/bot")
    async with client:
        yield client


def messenger_hook(graph: FakeGraph, store: ChannelStore) -> MessengerInput:
    settings = MessengerSettings(TOKEN, "app-secret-outbox", "verify-outbox", graph_url=graph.url)
    return MessengerInput(settings, GraphClient(graph.url, TOKEN, delays=(0.01,)), store)


def texts_to(graph: FakeGraph, psid: str) -> list[str]:
    return [str(m.get("text")) for m in graph.messages_to(psid)]


async def test_messenger_a_failed_part_and_the_rest_wait_and_go_out_in_order(
    tmp_path: Path, graph: FakeGraph
) -> None:
    clock = Clock()
    store = ChannelStore(tmp_path / "c.db", clock=clock)
    hook = messenger_hook(graph, store)
    answer = "\n\n".join(f"Part {n}: " + "x" * 1500 for n in (1, 2, 3))  # three messages
    graph.fail(message_to("p1"), 503, DOWN, times=2)  # the first part and its one retry

    await hook.get_output_channel().send_text_message("messenger:p1", answer)
    assert texts_to(graph, "p1") == [texts_to(graph, "p1")[0]] * 2  # parts 2-3 never tried
    assert store.queued_replies() == 3
    await hook.get_output_channel().send_text_message("messenger:p1", "a later answer")
    assert len(graph.messages_to("p1")) == 2 and store.queued_replies() == 4  # behind them

    assert await hook.resend() == 0  # its time has not come
    clock.now += RESEND_BACKOFF_S[0]
    assert await hook.resend() == 4

    delivered = texts_to(graph, "p1")[2:]
    assert [t.split(":")[0] for t in delivered] == ["Part 1", "Part 2", "Part 3", "a later answer"]
    assert store.queued_replies() == 0
    await hook.get_output_channel().send_text_message("messenger:p1", "back to normal")
    assert texts_to(graph, "p1")[-1] == "back to normal"  # sent at once again


async def test_messenger_a_reply_failing_again_waits_longer_and_other_users_go_on(
    tmp_path: Path, graph: FakeGraph
) -> None:
    clock = Clock()
    store = ChannelStore(tmp_path / "c.db", clock=clock)
    hook = messenger_hook(graph, store)
    graph.fail(message_to("p2"), 503, DOWN, times=4)  # two tries now, two from the outbox
    await hook.get_output_channel().send_text_message("messenger:p2", "first")
    graph.fail(message_to("p3"), 503, DOWN, times=2)
    await hook.get_output_channel().send_text_message("messenger:p3", "other user")

    clock.now += RESEND_BACKOFF_S[0]
    assert await hook.resend() == 1  # p3's went out; p2's failed again
    assert texts_to(graph, "p3")[-1] == "other user"
    clock.now += RESEND_BACKOFF_S[0]
    assert await hook.resend() == 0  # p2 waits longer now
    clock.now += RESEND_BACKOFF_S[1]
    assert await hook.resend() == 1
    assert texts_to(graph, "p2")[-1] == "first" and store.queued_replies() == 0


async def test_messenger_a_reply_refused_for_good_is_not_kept(
    tmp_path: Path, graph: FakeGraph
) -> None:
    store = ChannelStore(tmp_path / "c.db")
    hook = messenger_hook(graph, store)
    graph.fail(message_to("p4"), 400, {"error": {"code": 100}})

    await hook.get_output_channel().send_text_message("messenger:p4", "one")
    await hook.get_output_channel().send_text_message("messenger:p4", "two")

    assert store.queued_replies() == 0  # the same request would fail again
    assert texts_to(graph, "p4") == ["one", "two"]


async def test_telegram_a_failed_reply_waits_and_goes_out_with_its_buttons(
    tmp_path: Path, botapi: FakeBotAPI, bot: Bot
) -> None:
    clock = Clock()
    store = ChannelStore(tmp_path / "c.db", clock=clock)
    settings = TelegramSettings(BOT_TOKEN, "outbox_secret", api_url=botapi.base)
    hook = TelegramInput(settings, store=store, bot=bot, delays=(0.01,))
    output = TelegramOutput(bot, 91, store, "k", delays=(0.01,))
    is_send = lambda c: botapi.method(c) == "sendMessage"  # noqa: E731
    botapi.fail(is_send, 502, BAD_GATEWAY, times=2)
    buttons = [{"title": "Pension", "payload": "/pension"}]

    await output.send_text_with_buttons("telegram:91", "Which one?", buttons)
    await output.send_text_message("telegram:91", "and this")
    assert len(botapi.calls_of("sendMessage", 91)) == 2 and store.queued_replies() == 2

    clock.now += RESEND_BACKOFF_S[0]
    assert await hook.resend() == 2

    first, second = [c.body for c in botapi.calls_of("sendMessage", 91)][2:]
    assert first["text"] == "Which one?" and second["text"] == "and this"
    assert "/pension" in str(first["reply_markup"])


async def test_two_replicas_never_send_the_same_kept_reply(location: str) -> None:  # noqa: F811
    clock = Clock()
    one = ChannelStore(location, clock=clock)
    two = ChannelStore(location, clock=clock)
    one.queue_reply("messenger:a", {"message": {"text": "1"}})
    one.queue_reply("messenger:a", {"message": {"text": "2"}})
    one.queue_reply("telegram:b", {"text": "3"})
    clock.now += RESEND_BACKOFF_S[0]

    taken = one.due_replies("messenger:")
    assert [body["message"]["text"] for _, body in taken["messenger:a"]] == ["1", "2"]
    assert two.due_replies("messenger:") == {}  # leased to the first
    assert list(two.due_replies("telegram:")) == ["telegram:b"]
    clock.now += one.lease_s + 1  # the first died before sending
    assert list(two.due_replies("messenger:")) == ["messenger:a"]
    one.close()
    two.close()


async def test_a_kept_reply_is_dropped_after_a_day(tmp_path: Path) -> None:
    clock = Clock()
    store = ChannelStore(tmp_path / "c.db", clock=clock)
    store.queue_reply("messenger:a", {"message": {"text": "too late"}})
    clock.now += 24 * 3600 + 1
    assert store.due_replies("messenger:") == {} and store.queued_replies() == 0


# --- sends and the drain -------------------------------------------------------------------------


async def test_retries_stop_when_the_next_one_could_end_after_the_budget() -> None:
    clock = Clock()
    start = clock.now

    async def slow_failure() -> str:
        clock.now += 0.2  # each attempt takes 0.2 s of the budget
        return "503"

    outcome, attempts = await with_retries(
        slow_failure, lambda _: Retry(), (0.01,) * 10, budget_s=0.7, attempt_s=0.2, clock=clock
    )
    assert outcome == "503" and attempts == 3  # a fourth could have ended after 0.7 s
    assert clock.now - start < 0.7


def test_one_replys_sends_end_within_the_budget_and_the_budget_within_the_drain() -> None:
    assert sum(messenger.TIMEOUT_S) * 2 <= SEND_BUDGET_S  # a slow attempt and one retry fit
    assert telegram.ATTEMPT_S * 2 <= SEND_BUDGET_S
    assert SEND_BUDGET_S < DRAIN_TIMEOUT_S
