"""Telling the people who asked: the offer (once per conversation, only where the person can be
reached), yes / no, the encrypted address deleted once delivered or after 90 days, Telegram at
once within its rate limit and honouring 429 ``retry_after``, Messenger only inside the 24-hour
window or first at the user's next message, the web chat at the next visit; nobody who said no
is ever messaged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

import bot.notifications.on_return as on_return
from actions.notify import ActionNotifyMe
from actions.unresolved import ActionUnresolved
from bot.channels import messenger
from bot.channels.messenger import MessengerInput
from bot.channels.settings import MessengerSettings
from bot.gaps.capture import hmac_key
from bot.gaps.redaction import conversation_key
from bot.gaps.store import GapStore
from bot.knowledge import configured_knowledge
from bot.notifications.address import AddressBox, AddressError, address_key
from bot.notifications.deliver import (
    Deliverer,
    MessengerSender,
    RateLimit,
    TelegramSender,
)
from bot.notifications.model import notify_requests
from bot.notifications.store import NotifyStore
from bot.staff_answers.model import Draft, Question
from bot.staff_answers.store import AnswerStore
from tests.factories import bot_event, conversation, run_action, user_event
from tests.fakes.servers import FakeBotAPI, FakeGraph, too_many_requests
from tests.gaps_support import gap

KB = configured_knowledge()
DRAFT = Draft(
    "NSSF health care does not pay for glasses.",
    "ការថែទាំសុខភាពរបស់ ប.ស.ស. មិនចេញថ្លៃវ៉ែនតាទេ។",
    "NSSF communication team",
    dt.date(2026, 11, 30),
)
BOX = AddressBox(address_key({"NOTIFY_ADDRESS_KEY": "test-notify-key"}))
TOKEN = "12345:telegram-test"


@pytest.fixture
def stores(
    sqlite_store: GapStore, monkeypatch: pytest.MonkeyPatch
) -> tuple[NotifyStore, AnswerStore]:
    pair = (NotifyStore(sqlite_store, BOX), AnswerStore(sqlite_store))
    monkeypatch.setattr(on_return, "configured_stores", lambda: pair)
    import actions.notify

    monkeypatch.setattr(actions.notify, "configured_stores", lambda: pair)
    return pair


def key(conversation_id: str) -> str:
    return conversation_key(conversation_id, hmac_key())


def published_for(stores: tuple[NotifyStore, AnswerStore], store: GapStore, uid: str) -> int:
    """Publish an answer for the gap ``uid`` and mark its requests pending; the answer's id."""
    notify, answers = stores
    record = next(r for r in store.list() if r.uid == uid)
    answer_id = answers.publish(DRAFT, [Question(record.text, "en", record.id)], "dara")
    notify.answered(answer_id, [record.id])
    return answer_id


def asked(store: GapStore, text: str = "does nssf pay for my glasses") -> str:
    record = gap(text)
    store.add(record)
    return record.uid


def test_addresses_are_encrypted_and_only_this_key_opens_them() -> None:
    sealed = BOX.seal("messenger:psid-42")
    assert "psid-42" not in sealed and BOX.open(sealed) == "messenger:psid-42"
    assert BOX.seal("messenger:psid-42") != sealed  # a fresh nonce each time
    other = AddressBox(address_key({"NOTIFY_ADDRESS_KEY": "another key"}))
    with pytest.raises(AddressError):
        other.open(sealed)
    with pytest.raises(AddressError):
        BOX.open(sealed[:-4] + "AAAA")


def test_the_address_is_stored_encrypted_and_deleted_once_sent(
    stores: tuple[NotifyStore, AnswerStore], sqlite_store: GapStore
) -> None:
    notify, _ = stores
    uid = asked(sqlite_store)
    request_id = notify.subscribe(uid, key("telegram:555"), "telegram", "telegram:555", "en")
    with sqlite_store.engine.connect() as conn:
        raw = conn.execute(sa.select(notify_requests.c.address)).scalar_one()
    assert "555" not in raw and BOX.open(raw) == "telegram:555"
    assert notify.due() == []  # no answer yet
    published_for(stores, sqlite_store, uid)
    (due,) = notify.due("telegram")
    assert due.address == "telegram:555" and due.request.state == "pending"
    notify.sent(request_id)
    assert notify.addresses_kept() == 0 and notify.list()[0].state == "sent"


def test_requests_expire_after_90_days_and_lose_their_address(
    stores: tuple[NotifyStore, AnswerStore], sqlite_store: GapStore
) -> None:
    notify, _ = stores
    notify.subscribe(asked(sqlite_store), key("web:abc"), "web", "web:abc", "km")
    assert notify.expire(dt.datetime.utcnow() + dt.timedelta(days=89)) == 0
    assert notify.expire(dt.datetime.utcnow() + dt.timedelta(days=91)) == 1
    assert notify.addresses_kept() == 0 and notify.list()[0].state == "expired"


# --- the offer and the yes / no ----------------------------------------------------------------


def uncovered(sender: str, channel: str, slots: dict[str, Any] | None = None):
    text = "does nssf pay for my glasses"
    event = user_event(text, "not_covered", [("not_covered", 0.9)], channel=channel)
    return conversation(event, sender=sender, slots=slots)


async def test_an_unanswered_question_offers_to_tell_once_per_conversation(
    stores: tuple[NotifyStore, AnswerStore], recorder: Any
) -> None:
    messages, events = await run_action(ActionUnresolved(), uncovered("telegram:555", "telegram"))
    assert messages[-1][0] == KB.text("notify_offer", "en")
    assert [b["payload"] for b in messages[-1][1]] == [
        '/notify_me{"notify":"yes"}',
        '/notify_me{"notify":"no"}',
    ]
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert slots["notify_offered"] is True and len(slots["notify_gap"]) == 32
    again, _ = await run_action(
        ActionUnresolved(), uncovered("telegram:555", "telegram", {"notify_offered": True})
    )
    assert all(m[0] != KB.text("notify_offer", "en") for m in again)


@pytest.mark.parametrize(("sender", "channel"), [("test-user", "rest"), ("shell-1", "cmdline")])
async def test_no_offer_where_the_person_cannot_be_reached_again(
    stores: tuple[NotifyStore, AnswerStore], recorder: Any, sender: str, channel: str
) -> None:
    messages, _ = await run_action(ActionUnresolved(), uncovered(sender, channel))
    assert all(m[0] != KB.text("notify_offer", "en") for m in messages)


def after_offer(text: str, intent: str, entities: list[dict[str, Any]] | None = None):
    offer = bot_event(KB.text("notify_offer", "en"), [{"title": "Yes", "payload": "/notify_me"}])
    event = user_event(text, intent, entities=entities, channel="facebook")
    return conversation(
        offer,
        event,
        sender="messenger:psid-7",
        slots={"notify_gap": "u" * 32, "last_language": "en"},
    )


async def test_yes_keeps_the_request_and_no_keeps_nothing(
    stores: tuple[NotifyStore, AnswerStore],
) -> None:
    notify, _ = stores
    no = [{"entity": "notify", "value": "no"}]
    messages, events = await run_action(
        ActionNotifyMe(), after_offer("/notify_me", "notify_me", no)
    )
    assert messages[0][0] == KB.text("notify_declined", "en") and notify.list() == []
    yes = [{"entity": "notify", "value": "yes"}]
    messages, events = await run_action(
        ActionNotifyMe(), after_offer("/notify_me", "notify_me", yes)
    )
    assert messages[0][0] == KB.text("notify_confirmed", "en")
    (request,) = notify.list()
    assert (request.channel, request.gap_uid, request.state) == ("messenger", "u" * 32, "waiting")
    assert request.conversation == key("messenger:psid-7")
    assert {"event": "slot", "name": "notify_gap", "value": None} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events
    ]


async def test_a_typed_yes_right_after_the_offer_is_taken_as_yes(
    stores: tuple[NotifyStore, AnswerStore],
) -> None:
    messages, _ = await run_action(ActionUnresolved(), after_offer("yes please", "affirm"))
    assert messages[0][0] == KB.text("notify_confirmed", "en")
    assert [r.state for r in stores[0].list()] == ["waiting"]


# --- delivery ----------------------------------------------------------------------------------


@pytest.fixture
def bot_api() -> Iterator[FakeBotAPI]:
    fake = FakeBotAPI(TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    fake = FakeGraph("page-token").start()
    yield fake
    fake.stop()


def text_of(message: dict[str, Any]) -> str:
    """A Send API message's text (a button template holds it in its payload)."""
    return message.get("text") or message["attachment"]["payload"]["text"]


class Sleeps:
    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


async def test_telegram_gets_it_at_once_honouring_retry_after_and_a_no_gets_nothing(
    stores: tuple[NotifyStore, AnswerStore], sqlite_store: GapStore, bot_api: FakeBotAPI
) -> None:
    notify, answers = stores
    uid = asked(sqlite_store)
    notify.subscribe(uid, key("telegram:555"), "telegram", "telegram:555", "km")
    # chat 556 said no: nothing is kept for it, so nothing can reach it
    published_for(stores, sqlite_store, uid)
    bot_api.fail(lambda c: c.path.endswith("/sendMessage"), 429, too_many_requests(3))
    sleeps = Sleeps()
    sender = TelegramSender(bot_api.base, TOKEN, RateLimit(25, sleep=sleeps))
    counts = await Deliverer(notify, answers, KB, telegram=sender).run_once()
    assert counts == {"sent": 1}
    assert 3.0 in sleeps.asked  # the 429's retry_after
    calls = bot_api.calls_of("sendMessage")
    assert len(calls) == 2 and {c.body["chat_id"] for c in calls} == {"555"}
    text = calls[-1].body["text"]
    today = dt.datetime.utcnow().date().isoformat()
    assert text.startswith(KB.text("notify_good_news", "km", date=today))
    assert DRAFT.km in text and "NSSF communication team (2026-11-30)" in text
    assert notify.list()[0].state == "sent" and notify.addresses_kept() == 0
    assert await Deliverer(notify, answers, KB, telegram=sender).run_once() == {}


class VirtualTime:
    """A clock that only the rate limit's sleeps move, and the times each send was let through."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sends: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


class RecordedLimit(RateLimit):
    async def wait(self) -> None:
        await super().wait()
        self.record(self.clock())

    record: Any = None


async def test_telegram_sends_at_most_25_messages_a_second(
    stores: tuple[NotifyStore, AnswerStore], sqlite_store: GapStore, bot_api: FakeBotAPI
) -> None:
    notify, answers = stores
    uid = asked(sqlite_store)
    for chat in range(60):
        notify.subscribe(uid, key(f"telegram:{chat}"), "telegram", f"telegram:{chat}", "en")
    published_for(stores, sqlite_store, uid)
    time = VirtualTime()
    limit = RecordedLimit(25, clock=time.clock, sleep=time.sleep)
    limit.record = time.sends.append
    sender = TelegramSender(bot_api.base, TOKEN, limit)
    assert await Deliverer(notify, answers, KB, telegram=sender).run_once() == {"sent": 60}
    assert len(bot_api.calls_of("sendMessage")) == len(time.sends) == 60
    # no second holds 26 sends: any 26 consecutive ones span a second or more
    assert min(b - a for a, b in zip(time.sends, time.sends[25:], strict=False)) >= 1.0 - 1e-9


async def test_messenger_outside_24_hours_gets_nothing_until_they_write_then_gets_it_first(
    stores: tuple[NotifyStore, AnswerStore],
    sqlite_store: GapStore,
    graph: FakeGraph,
    tmp_path: Any,
) -> None:
    notify, answers = stores
    uid = asked(sqlite_store)
    notify.subscribe(uid, key("messenger:psid-9"), "messenger", "messenger:psid-9", "en")
    notify.subscribe(uid, key("messenger:psid-8"), "messenger", "messenger:psid-8", "en")
    two_days_ago = dt.datetime.utcnow() - dt.timedelta(days=2)
    with sqlite_store.engine.begin() as conn:
        conn.execute(
            sa.update(notify_requests)
            .where(notify_requests.c.conversation == key("messenger:psid-9"))
            .values(last_seen_at=two_days_ago)
        )
    published_for(stores, sqlite_store, uid)
    sender = MessengerSender(graph.url, "page-token")
    counts = await Deliverer(notify, answers, KB, messenger=sender).run_once()
    assert counts == {"sent": 1, "kept": 1}  # psid-8 wrote recently; psid-9 did not
    assert graph.messages_to("psid-9") == []
    (sent,) = graph.messages_to("psid-8")
    assert text_of(sent).startswith("Good news: the question you asked on")

    answered_by_bot: list[str] = []

    async def rasa(message: Any) -> None:
        answered_by_bot.append(message.text)
        await message.output_channel.send_text_message(message.sender_id, "the bot's reply")

    settings = MessengerSettings(
        "page-token", "secret", "verify", graph.url, str(tmp_path / "c.db")
    )
    channel = MessengerInput(settings)
    await channel.handle([messenger.Incoming("messenger:psid-9", "m_1", "hello")], rasa)
    texts = [
        m.get("text") or m["attachment"]["payload"]["text"] for m in graph.messages_to("psid-9")
    ]
    assert len(texts) == 2 and texts[0].startswith("Good news") and texts[1] == "the bot's reply"
    assert answered_by_bot == ["hello"]
    assert {r.state for r in notify.list()} == {"sent"} and notify.addresses_kept() == 0


async def test_an_answer_unpublished_before_delivery_is_not_sent(
    stores: tuple[NotifyStore, AnswerStore], sqlite_store: GapStore, bot_api: FakeBotAPI
) -> None:
    notify, answers = stores
    uid = asked(sqlite_store)
    notify.subscribe(uid, key("telegram:555"), "telegram", "telegram:555", "en")
    answers.set_published(published_for(stores, sqlite_store, uid), False, "dara")
    sender = TelegramSender(bot_api.base, TOKEN)
    assert await Deliverer(notify, answers, KB, telegram=sender).run_once() == {"withdrawn": 1}
    assert bot_api.calls_of("sendMessage") == []
    assert notify.list()[0].state == "waiting"  # told when an answer is published again


async def test_the_web_chat_shows_a_kept_answer_at_the_next_visit_once(
    sqlite_store: GapStore,
) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from bot.web import chat_identity
    from bot.web.app import create_app
    from bot.web.settings import WebSettings
    from tests.test_dashboard import STAFF, TOKEN

    notify = NotifyStore(sqlite_store, AddressBox.from_env())
    answers = AnswerStore(sqlite_store)
    token, tab = chat_identity.issue(), "tab-1"
    web_id = chat_identity.conversation(chat_identity.chat_secret(hmac_key()), token, tab)
    uid = asked(sqlite_store)
    notify.subscribe(uid, key(web_id), "web", web_id, "en")
    published_for((notify, answers), sqlite_store, uid)
    async with TestClient(TestServer(create_app(WebSettings(), sqlite_store, STAFF))) as client:
        stranger = await client.post("/chat/api/notifications", json={"sender": tab})
        assert await stranger.json() == []  # without the cookie, nothing
        client.session.cookie_jar.update_cookies({chat_identity.CHAT_COOKIE: token})
        other_tab = await client.post("/chat/api/notifications", json={"sender": "tab-2"})
        assert await other_tab.json() == []
        kept = await (await client.post("/chat/api/notifications", json={"sender": tab})).json()
        assert len(kept) == 1 and kept[0]["text"].startswith("Good news")
        assert DRAFT.en in kept[0]["text"]
        again = await client.post("/chat/api/notifications", json={"sender": tab})
        assert await again.json() == []
        broken = await client.post("/chat/api/notifications", data=b"{")
        assert broken.status == 400
        listed = await (
            await client.get("/api/notifications", headers={"Authorization": f"Bearer {TOKEN}"})
        ).json()
    assert [(n["channel"], n["state"]) for n in listed] == [("web", "sent")]
    assert "address" not in listed[0] and notify.addresses_kept() == 0


def test_two_replicas_never_send_the_same_notification(
    stores: tuple[NotifyStore, AnswerStore], sqlite_store: GapStore
) -> None:
    notify, _ = stores
    uid = asked(sqlite_store)
    notify.subscribe(uid, key("telegram:555"), "telegram", "telegram:555", "en")
    published_for(stores, sqlite_store, uid)
    (first,) = notify.due("telegram")
    (second,) = notify.due("telegram")  # another replica read it at the same time
    assert notify.claim(first) is True
    assert notify.claim(second) is False
    assert notify.due("telegram") == []  # claimed: no one else picks it up
    notify.retry_later(first.request.id, "transient")  # a network error: pending again
    assert [d.request.id for d in notify.due("telegram")] == [first.request.id]
