"""The web app's side of telling the people who asked: after staff publish an answer, the requests
of its questions become pending and are sent at once (:class:`bot.notifications.deliver.Deliverer`,
in the background); every ``NOTIFY_INTERVAL_SECONDS`` (60) the sending is tried again (Telegram
after a network error, Messenger users back inside their 24-hour window) and requests older than
90 days expire. ``POST /chat/api/notifications`` gives the web chat what is kept for its
conversation (the page asks at each visit).

Telegram needs ``TELEGRAM_BOT_TOKEN`` (and ``TELEGRAM_API_URL``), Messenger
``MESSENGER_PAGE_ACCESS_TOKEN`` (and ``MESSENGER_GRAPH_URL``); without them that channel's
requests stay pending, visible in the dashboard.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Sequence
from typing import Any

from aiohttp import web

from bot.channels.settings import DEFAULT_GRAPH_URL, DEFAULT_TELEGRAM_API_URL
from bot.gaps.store import GapStore
from bot.knowledge import configured_knowledge
from bot.notifications.address import AddressBox
from bot.notifications.deliver import Deliverer, MessengerSender, TelegramSender
from bot.notifications.on_return import deliver_on_return
from bot.notifications.store import NotifyStore
from bot.staff_answers.store import AnswerStore

log = logging.getLogger("bot.web.notify")

DELIVERER_KEY = web.AppKey("deliverer", Deliverer)
TASKS_KEY: web.AppKey[set[asyncio.Task[None]]] = web.AppKey("notify_tasks")
DEFAULT_INTERVAL_S = 60.0


def deliverer_from_env(store: GapStore, environ: dict[str, str] | None = None) -> Deliverer:
    env = dict(os.environ) if environ is None else environ
    telegram = messenger = None
    if env.get("TELEGRAM_BOT_TOKEN", "").strip():
        api = env.get("TELEGRAM_API_URL", "").strip() or DEFAULT_TELEGRAM_API_URL
        telegram = TelegramSender(api, env["TELEGRAM_BOT_TOKEN"].strip())
    if env.get("MESSENGER_PAGE_ACCESS_TOKEN", "").strip():
        graph = env.get("MESSENGER_GRAPH_URL", "").strip() or DEFAULT_GRAPH_URL
        messenger = MessengerSender(graph, env["MESSENGER_PAGE_ACCESS_TOKEN"].strip())
    notify = NotifyStore(store, AddressBox.from_env())
    return Deliverer(notify, AnswerStore(store), configured_knowledge(), telegram, messenger)


def interval_s(environ: dict[str, str] | None = None) -> float:
    env = os.environ if environ is None else environ
    try:
        return max(1.0, float(env.get("NOTIFY_INTERVAL_SECONDS", "") or DEFAULT_INTERVAL_S))
    except ValueError:
        return DEFAULT_INTERVAL_S


async def _run(deliverer: Deliverer) -> None:
    try:
        await deliverer.run_once()
    except Exception as exc:  # the next run tries again
        log.error("notifications not sent (%s)", type(exc).__name__)


def kick(app: web.Application) -> None:
    """Send what is due now, in the background."""
    task = asyncio.get_running_loop().create_task(_run(app[DELIVERER_KEY]))
    app[TASKS_KEY].add(task)
    task.add_done_callback(app[TASKS_KEY].discard)


async def answered(request: web.Request, answer_id: int, gap_ids: Sequence[int]) -> int:
    """An answer was published for these gaps: tell the people who asked them."""
    deliverer = request.app[DELIVERER_KEY]
    loop = asyncio.get_running_loop()
    count = await loop.run_in_executor(None, deliverer.notify.answered, answer_id, list(gap_ids))
    if count:
        log.info("answer %d: %d notification(s) to send", answer_id, count)
        kick(request.app)
    return count


async def _periodic(app: web.Application) -> AsyncIterator[None]:
    async def loop() -> None:
        while True:
            await asyncio.sleep(interval_s())
            await _run(app[DELIVERER_KEY])

    task = asyncio.get_running_loop().create_task(loop())
    yield
    task.cancel()
    running: set[asyncio.Task[None]] = app[TASKS_KEY]
    for pending in tuple(running):
        pending.cancel()


class _Collector:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        self.messages.append({"recipient_id": recipient_id, "text": text, "buttons": buttons})


async def kept_for(app: web.Application, conversation: str) -> list[dict[str, Any]]:
    """The web chat's kept notifications for ``conversation``, as Rasa REST messages."""
    deliverer = app[DELIVERER_KEY]
    collector = _Collector()
    await deliver_on_return(conversation, collector, (deliverer.notify, deliverer.answers))
    return collector.messages


def mount(app: web.Application, store: GapStore) -> None:
    app[DELIVERER_KEY] = deliverer_from_env(store)
    app[TASKS_KEY] = set()
    app.cleanup_ctx.append(_periodic)
