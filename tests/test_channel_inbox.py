"""Nothing accepted is lost (hardening issue, item 10): the channels' inbox on SQLite and
PostgreSQL, the webhook's sweep that renews what it handles and revives what a dead process
left, and a real Rasa server killed with SIGKILL while messages wait on the action server: after
the restart each of them is answered, once."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from urllib.parse import quote

import pytest
from rasa.core.channels.channel import UserMessage

from bot.channels.messenger import GraphClient, Incoming, MessengerInput
from bot.channels.settings import MessengerSettings
from bot.channels.store import MAX_ATTEMPTS, ChannelStore
from bot.knowledge import get_knowledge
from tests.fakes import payloads as p
from tests.fakes.rasa import RasaStack, rasa_stack
from tests.fakes.servers import Call, FakeBotAPI, FakeGraph, HungServer, message_to
from tests.fakes.waiting import until
from tests.gaps_support import PostgresSchema, postgres_url
from tests.test_channel_integration import BOT_TOKEN, PAGE_TOKEN, fb_post, platform_env, tg_post

KB = get_knowledge()
EVENT = {"sender": "messenger:a", "key": "m1", "text": "hello", "visible_text": "hello"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where two stores (two processes) meet: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield str(tmp_path / "channels.db")
        return
    with PostgresSchema(postgres_url()) as schema:
        yield f"{schema.url}?options={quote('-csearch_path=' + schema.name)}"


# --- the store -----------------------------------------------------------------------------------


def test_an_accepted_message_is_stored_once_and_leaves_when_done(location: str) -> None:
    store = ChannelStore(location)
    assert store.accept("messenger:m1", "messenger:a", EVENT) is True
    assert store.accept("messenger:m1", "messenger:a", EVENT) is False  # the platform's retry
    assert store.pending() == 1
    store.done("messenger:m1")
    assert store.pending() == 0
    assert store.first_delivery("messenger:m1") is False  # still seen: a late retry is dropped
    store.close()


def test_what_a_dead_process_left_is_handed_out_once_its_lease_ran_out(location: str) -> None:
    clock = Clock()
    dead = ChannelStore(location, clock=clock, lease_s=30)
    for n in (1, 2):
        dead.accept(f"messenger:m{n}", "messenger:a", {**EVENT, "key": f"m{n}"})
    dead.accept("telegram:7", "telegram:9", {"update_id": 7})
    restarted = ChannelStore(location, clock=clock, lease_s=30)

    assert restarted.claim("messenger:") == []  # the lease still runs: maybe it is alive
    clock.now += 31
    claimed = restarted.claim("messenger:")

    assert [(key, event["key"]) for key, _, event in claimed] == [
        ("messenger:m1", "m1"),
        ("messenger:m2", "m2"),
    ]  # in arrival order, Telegram's left to Telegram
    other_replica = ChannelStore(location, clock=clock, lease_s=30)
    assert other_replica.claim("messenger:") == []  # leased again: nobody else takes them
    assert [key for key, _, _ in other_replica.claim("telegram:")] == ["telegram:7"]
    for store in (dead, restarted, other_replica):
        store.close()


def test_a_renewed_lease_keeps_a_message_with_its_process(location: str) -> None:
    clock = Clock()
    store = ChannelStore(location, clock=clock, lease_s=30)
    store.accept("messenger:m1", "messenger:a", EVENT)
    clock.now += 20
    store.renew({"messenger:m1"})
    clock.now += 20
    assert store.claim("messenger:") == []
    clock.now += 11
    assert len(store.claim("messenger:")) == 1
    store.close()


def test_a_message_that_never_ends_is_dropped_after_its_attempts(location: str) -> None:
    clock = Clock()
    store = ChannelStore(location, clock=clock, lease_s=30)
    store.accept("messenger:m1", "messenger:a", EVENT)
    handed_out = 1
    for _ in range(MAX_ATTEMPTS + 2):
        clock.now += 31
        handed_out += len(store.claim("messenger:"))
    assert handed_out == MAX_ATTEMPTS
    assert store.pending() == 0
    store.close()


def test_long_keys_and_khmer_text_are_stored(location: str) -> None:
    store = ChannelStore(location)
    key = "messenger:" + "p" * 1500  # a postback's key holds its payload
    event = {**EVENT, "text": "ខ្ញុំចង់ដឹងពី maternity leave 👶", "key": key}
    assert store.accept(key, "messenger:a", event)
    store.close()
    clock = Clock()
    clock.now = 10**12
    (claimed,) = ChannelStore(location, clock=clock).claim("messenger:")
    assert claimed[2] == event


# --- the webhook's sweep -------------------------------------------------------------------------


def channel(tmp_path: Path, store: ChannelStore) -> MessengerInput:
    settings = MessengerSettings("page-token", "app-secret-0123", "verify-token")
    client = GraphClient("http://127.0.0.1:9", "page-token", delays=())
    return MessengerInput(settings, client=client, store=store)


class Bot:
    """The ``on_new_message`` Rasa gives the channel: records texts, can be held."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self, message: UserMessage) -> None:
        await self.release.wait()
        self.texts.append(str(message.text))
        await message.output_channel.send_text_message(message.sender_id, "ok")


async def test_the_sweep_handles_what_a_dead_process_left_once(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "channels.db"
    left = Incoming("messenger:a", "m-left", "what about pension", "what about pension")
    ChannelStore(path, clock=clock, lease_s=30).accept(
        "messenger:m-left", left.sender, asdict(left)
    )
    clock.now += 31
    store = ChannelStore(path, clock=clock, lease_s=30)
    hook, bot = channel(tmp_path, store), Bot()
    hook.blueprint(bot)

    assert hook.sweep() == 1
    assert await hook.drain(30)
    assert hook.sweep() == 0

    assert bot.texts == ["what about pension"]
    assert store.pending() == 0


async def test_the_sweep_never_hands_out_again_what_this_process_is_handling(
    tmp_path: Path,
) -> None:
    clock = Clock()
    store = ChannelStore(tmp_path / "channels.db", clock=clock, lease_s=30)
    hook, bot = channel(tmp_path, store), Bot()
    hook.blueprint(bot)
    bot.release.clear()  # the bot is slow (a hung action server)
    event = Incoming("messenger:a", "m1", "hello", "hello")

    assert hook.accept(event.key, event.sender, asdict(event))
    assert not hook.accept(event.key, event.sender, asdict(event))  # the platform's retry
    clock.now += 31  # far past the lease: another process would take it
    assert hook.sweep() == 0  # ... but it is renewed here
    clock.now += 29
    assert ChannelStore(tmp_path / "channels.db", clock=clock).claim("messenger:") == []
    bot.release.set()
    assert await hook.drain(30)

    assert bot.texts == ["hello"]
    assert store.pending() == 0


# --- a real Rasa server killed mid-message -------------------------------------------------------


def texts_to(graph: FakeGraph, botapi: FakeBotAPI, psids: list[str], chat: int) -> list[list[str]]:
    """What each of the Messenger users and the Telegram chat was sent, in order."""
    sent = [[str(m.get("text")) for m in graph.messages_to(psid)] for psid in psids]
    return [*sent, [str(c.body.get("text")) for c in botapi.calls_of("sendMessage", chat)]]


def wait_for_text(
    graph: FakeGraph, botapi: FakeBotAPI, psids: list[str], chat: int, text: str
) -> None:
    """Until each of the users has been sent ``text``."""
    for psid in psids:
        to_psid = message_to(psid)

        def to_user(c: Call, to: Callable[[Call], bool] = to_psid) -> bool:
            return to(c) and c.body["message"].get("text") == text

        graph.wait_for(to_user)

    def to_chat(c: Call) -> bool:
        return (
            botapi.method(c) == "sendMessage"
            and str(c.body.get("chat_id")) == str(chat)
            and c.body.get("text") == text
        )

    botapi.wait_for(to_chat)


def send_all(stack: RasaStack, psids: list[str], chat: int, text: str, mid: str) -> None:
    for psid in psids:
        body = p.messenger_body([p.text_event(psid, text, mid=f"{mid}-{psid}")])
        assert fb_post(stack, body).status_code == 200
    update = p.update(p.tg_message(p.private_chat(chat), p.user(chat), text))
    assert tg_post(stack, update).status_code == 200


def test_messages_in_flight_when_rasa_is_killed_are_answered_once_after_the_restart(
    trained_model: Path, tmp_path: Path
) -> None:
    graph, botapi = FakeGraph(PAGE_TOKEN), FakeBotAPI(BOT_TOKEN)
    graph.start()
    botapi.start()
    env = {**platform_env(graph, botapi), "CHANNEL_INBOX_LEASE_S": "2"}
    psids, chat = [p.unique("psid-kill-") for _ in range(2)], p.unique_id(990_000)
    greet, greet_km = KB.text("greet", "en"), KB.text("greet", "km")
    hung = HungServer()  # every greeting waits on the action server: the messages stay in flight
    try:
        with rasa_stack(trained_model, tmp_path, env, action_url=hung.url) as first:
            send_all(first, psids, chat, "hello", "m1")
            assert ChannelStore(tmp_path / "channels.db").pending() == 3  # stored before the 200
            first.rasa.send_signal(signal.SIGKILL)
            first.rasa.wait(timeout=60)
        assert not any(greet in texts for texts in texts_to(graph, botapi, psids, chat))

        with rasa_stack(trained_model, tmp_path, env) as second:  # the same channels database
            wait_for_text(graph, botapi, psids, chat, greet)
            # a second message from each: once it is answered, a second copy of the first would
            # have been too (one conversation's messages are handled in order)
            send_all(second, psids, chat, "សួស្តី", "m2")
            wait_for_text(graph, botapi, psids, chat, greet_km)
            inbox = ChannelStore(tmp_path / "channels.db")
            until(lambda: inbox.pending() == 0, "the inbox was not emptied")  # the menus follow
    finally:
        hung.close()
        graph.stop()
        botapi.stop()

    for texts in texts_to(graph, botapi, psids, chat):
        assert texts.count(greet) == 1, texts
