"""Sending staff answers to the people who asked to be told (the web app runs it when an answer is
published, and every minute for retries and expiry).

- Telegram: sent at once with the Bot API's ``sendMessage``, at most :data:`TELEGRAM_PER_SECOND`
  messages a second, honouring a 429's ``retry_after``; a 403/400 (bot blocked, chat gone) ends
  the request as failed, a 5xx or network error leaves it pending for the next run.
- Messenger: sent at once through the Send API when the user's last message is under 24 hours
  old; otherwise kept, because Meta forbids free-form messages outside that window, and delivered
  by the channel when the user next writes (:func:`bot.notifications.on_return`).
- Web chat: kept; the chat page fetches it at the next visit.

Every message starts with "Good news: the question you asked on <date> now has an answer", then
the staff answer with its source and date. An answer unpublished before delivery is not sent.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.channels.common import split_text
from bot.channels.messenger_format import render as messenger_render
from bot.conversations import MESSENGER, TELEGRAM, platform_id
from bot.gaps.model import utcnow
from bot.knowledge import Knowledge
from bot.language import Lang
from bot.notifications.model import Delivery
from bot.notifications.store import NotifyStore
from bot.replies import Reply
from bot.staff_answers.model import StaffAnswer
from bot.staff_answers.replies import staff_reply
from bot.staff_answers.store import AnswerStore

log = logging.getLogger(__name__)

TELEGRAM_PER_SECOND = 25
TELEGRAM_MAX_TEXT = 4096
MESSENGER_WINDOW = dt.timedelta(hours=24)
MAX_RETRY_AFTER_S = 30.0
TRIES = 3
TIMEOUT = aiohttp.ClientTimeout(total=15)


def notification(delivery: Delivery, answer: StaffAnswer, kb: Knowledge) -> Reply:
    """The message: the good news with the day of the question, then the staff answer."""
    lang: Lang = "km" if delivery.request.language == "km" else "en"
    day = delivery.request.asked_at.date().isoformat()
    head = kb.text("notify_good_news", lang, date=day)
    body = staff_reply(answer.draft, lang, kb)
    return Reply(f"{head}\n\n{body.text}", body.buttons)


def within_window(delivery: Delivery, now: dt.datetime | None = None) -> bool:
    """Whether Messenger still allows a free-form message to this user."""
    return (now or utcnow()) - delivery.request.last_seen_at < MESSENGER_WINDOW


class Outcome:
    SENT, RETRY, FAILED = "sent", "retry", "failed"


@dataclass
class RateLimit:
    """At most ``per_second`` calls a second, spaced evenly."""

    per_second: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
    _next: float = field(default=0.0, init=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    async def wait(self) -> None:
        async with self._lock:
            now = self.clock()
            if now < self._next:
                await self.sleep(self._next - now)
                now = self._next
            self._next = now + 1.0 / self.per_second


async def _post(session: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with session.post(url, json=body, timeout=TIMEOUT) as resp:
        try:
            data = await resp.json(content_type=None)
        except ValueError:
            data = None
        return resp.status, data


class TelegramSender:
    def __init__(self, api_url: str, token: str, limit: RateLimit | None = None) -> None:
        self.url = f"{api_url.rstrip('/')}/bot{token}/sendMessage"
        self.limit = limit or RateLimit(TELEGRAM_PER_SECOND)

    async def send(self, session: aiohttp.ClientSession, address: str, reply: Reply) -> str:
        chat = platform_id(address, TELEGRAM).split(":", 1)[0]
        rows = [
            [{"text": b.title, "callback_data": b.payload}]
            for b in reply.buttons
            if len(b.payload.encode("utf-8")) <= 64
        ]
        parts = split_text(reply.text, TELEGRAM_MAX_TEXT)
        for number, part in enumerate(parts):
            body: dict[str, Any] = {"chat_id": chat, "text": part}
            if rows and number == len(parts) - 1:
                body["reply_markup"] = {"inline_keyboard": rows}
            outcome = await self._send_one(session, body)
            if outcome != Outcome.SENT:
                return outcome
        return Outcome.SENT

    async def _send_one(self, session: aiohttp.ClientSession, body: dict[str, Any]) -> str:
        for _ in range(TRIES):
            await self.limit.wait()
            try:
                status, data = await _post(session, self.url, body)
            except (aiohttp.ClientError, asyncio.TimeoutError):
                return Outcome.RETRY
            if status == 200:
                return Outcome.SENT
            if status == 429:
                asked = ((data or {}).get("parameters") or {}).get("retry_after", 1)
                await self.limit.sleep(min(float(asked), MAX_RETRY_AFTER_S))
                continue
            return Outcome.RETRY if status >= 500 else f"{Outcome.FAILED}:{status}"
        return Outcome.RETRY


class MessengerSender:
    def __init__(self, graph_url: str, token: str) -> None:
        self.url = f"{graph_url.rstrip('/')}/me/messages?access_token={token}"

    async def send(self, session: aiohttp.ClientSession, address: str, reply: Reply) -> str:
        psid = platform_id(address, MESSENGER)
        buttons = [{"title": b.title, "payload": b.payload} for b in reply.buttons]
        for message in messenger_render(reply.text, buttons):
            body = {"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": message}
            try:
                status, _ = await _post(session, self.url, body)
            except (aiohttp.ClientError, asyncio.TimeoutError):
                return Outcome.RETRY
            if status != 200:
                return Outcome.RETRY if status >= 500 or status == 429 else f"failed:{status}"
        return Outcome.SENT


@dataclass
class Deliverer:
    """Sends what is due on the channels it has credentials for."""

    notify: NotifyStore
    answers: AnswerStore
    kb: Knowledge
    telegram: TelegramSender | None = None
    messenger: MessengerSender | None = None

    def _record(self, delivery: Delivery, outcome: str) -> None:
        if outcome == Outcome.SENT:
            self.notify.sent(delivery.request.id)
        elif outcome == Outcome.RETRY:
            self.notify.retry_later(delivery.request.id, "transient")
        else:
            self.notify.failed(delivery.request.id, outcome)

    async def run_once(self) -> dict[str, int]:
        """Send every due notification that may be sent now; counts by outcome."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.notify.expire)
        counts: dict[str, int] = {}
        senders: dict[str, Any] = {TELEGRAM: self.telegram, MESSENGER: self.messenger}
        async with aiohttp.ClientSession() as session:
            for channel, sender in senders.items():
                if sender is None:
                    continue
                due = await loop.run_in_executor(None, self.notify.due, channel)
                for delivery in due:
                    outcome = await self._deliver(session, sender, delivery)
                    counts[outcome] = counts.get(outcome, 0) + 1
        if counts:
            log.info("notifications: %s", ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
        return counts

    async def _deliver(self, session: aiohttp.ClientSession, sender: Any, d: Delivery) -> str:
        loop = asyncio.get_running_loop()
        if d.request.channel == MESSENGER and not within_window(d):
            return "kept"  # delivered when the user next writes
        if not await loop.run_in_executor(None, self.notify.claim, d):
            return "taken"  # another replica is sending it
        answer = await loop.run_in_executor(None, self.answers.get, d.request.answer_id or 0)
        if answer is None or not answer.published:
            await loop.run_in_executor(None, self.notify.reopen, d.request.id)
            return "withdrawn"
        outcome = await sender.send(session, d.address, notification(d, answer, self.kb))
        await loop.run_in_executor(None, self._record, d, outcome)
        return outcome.split(":")[0]
