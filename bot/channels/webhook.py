"""What the Messenger and Telegram webhooks share, as the base class of their input channels.

- The delivery store, opened on first use, and de-duplication keys namespaced by channel.
- Nothing accepted is lost: each message is stored in the store's inbox before the webhook
  answers 200 (``accept``) and leaves it when its handling has ended. A sweep (at start-up, then
  every third of the lease, ``CHANNEL_INBOX_LEASE_S``, default 30 s) renews the lease of the
  messages handled here and hands out again those a process that died left behind
  (``revive``: each channel rebuilds its job from the stored event); the same sweep retries
  the replies waiting in the outbox (``resend``, each channel's ``deliver``).
- The hand-off of one user message to Rasa, or, for a message without text, the "text only"
  reply in the sender's language.
- Handling in the background, one conversation's messages strictly in arrival order
  (``schedule_for``), at most ``CHANNEL_MAX_PENDING`` events waiting (beyond that the webhook
  answers 503 with ``Retry-After`` and the platform retries), so that the webhook answers the
  platform at once; on shutdown the
  server waits (``drain``, at most ``DRAIN_TIMEOUT_S``) for the events already accepted.
- Before a user's message goes to the bot, the answers kept for them (they asked to be told, and
  Messenger's 24-hour window had closed) are sent first (:mod:`bot.notifications.on_return`).
- A message the bot fails on (tracker store down, a bug), answers nothing to (the action server
  down) or has not answered after 6 s (the action server hung) gets an apology asking the user to
  send it again, in their language, instead of silence, and becomes a gap with reason
  ``bot_error`` (:mod:`bot.channels.watchdog`); the failure is logged without user text.
- The blueprint with its health route (``GET /``); each platform adds its webhook routes.

Logs carry keyed hashes of ids (``log_id``), never user text.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Protocol

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import log_safety
from bot.channels.common import LanguageMemory, pseudonym
from bot.channels.store import DEFAULT_LEASE_S, ChannelStore
from bot.channels.watchdog import APOLOGY_AFTER_S, answered_or_apologise, record_failure
from bot.knowledge import configured_knowledge
from bot.notifications.on_return import deliver_on_return

MAX_BODY_BYTES = 1_000_000  # a webhook body larger than this is refused (413)
DRAIN_TIMEOUT_S = 20.0  # on shutdown, how long to wait for events already accepted
ON_RETURN_TIMEOUT_S = 2.0  # longest wait for the answers kept for a returning user
DEFAULT_MAX_PENDING = 500  # events accepted and not yet handled, over all conversations


def max_pending(environ: dict[str, str] | None = None) -> int:
    """``CHANNEL_MAX_PENDING`` (default 500): accepted events waiting to be handled, at most."""
    env = os.environ if environ is None else environ
    try:
        return max(1, int(env.get("CHANNEL_MAX_PENDING", "") or DEFAULT_MAX_PENDING))
    except ValueError:
        return DEFAULT_MAX_PENDING


def inbox_lease_s(environ: dict[str, str] | None = None) -> float:
    """``CHANNEL_INBOX_LEASE_S`` (default 30, at least 1): how long a message whose handler
    stopped renewing it waits before it is handed out again."""
    env = os.environ if environ is None else environ
    try:
        return max(1.0, float(env.get("CHANNEL_INBOX_LEASE_S", "") or DEFAULT_LEASE_S))
    except ValueError:
        return DEFAULT_LEASE_S


logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class UserEvent(Protocol):
    """What a platform's parsed event tells the hand-off (both channels' ``Incoming``)."""

    @property
    def sender(self) -> str: ...  # the conversation id Rasa keeps the tracker under

    @property
    def text(self) -> str | None: ...  # what goes to the bot; ``None``: not a text message

    @property
    def visible_text(self) -> str | None: ...  # what the user sees they sent (or a caption)


async def limit_request_size(app: Any, *_: Any) -> None:
    """Sanic ``before_server_start`` listener: Sanic reads up to 100 MB of a body before any
    handler can check its signature; no platform sends more than :data:`MAX_BODY_BYTES`, so a
    larger body gets a 413 as soon as its length is known (a smaller configured limit stays)."""
    app.config.REQUEST_MAX_SIZE = min(int(app.config.REQUEST_MAX_SIZE), MAX_BODY_BYTES)


class WebhookInput(InputChannel):
    """Base of the platform input channels; a subclass sets ``CHANNEL`` and adds its routes."""

    CHANNEL: ClassVar[str]

    @classmethod
    def name(cls) -> str:
        return cls.CHANNEL

    def __init__(self, db_location: str, log_key: str, store: ChannelStore | None = None) -> None:
        log_safety.install()  # the Rasa server logs no secret from here on
        self._db_location = db_location
        self._log_key = log_key
        self._store = store
        self.languages = LanguageMemory()
        self._tasks: set[asyncio.Task] = set()
        self._queues: dict[str, collections.deque[Callable[[], Awaitable[None]]]] = {}
        self._queued = 0
        self.max_pending = max_pending()
        self.apology_after_s = APOLOGY_AFTER_S
        self.lease_s = inbox_lease_s()
        self._in_hand: set[str] = set()  # inbox keys of the messages handled by this process
        self._on_new_message: OnNewMessage | None = None
        self._sweeper: asyncio.Task | None = None

    @property
    def store(self) -> ChannelStore:
        """The delivery store, opened on first use."""
        if self._store is None:
            self._store = ChannelStore(self._db_location, lease_s=self.lease_s)
        return self._store

    def accept(self, key: object | None, conversation: str, event: dict[str, Any]) -> bool:
        """Store a message in the inbox and schedule it (in order for ``conversation``);
        ``False`` for a delivery already seen. ``event`` is what :meth:`revive` needs; a
        message without a platform id (``key`` ``None``) gets one of its own."""
        inbox_key = f"{self.name()}:{key if key is not None else 'local-' + uuid.uuid4().hex}"
        if not self.store.accept(inbox_key, conversation, event):
            return False
        self._schedule_stored(inbox_key, conversation, event)
        return True

    def _schedule_stored(self, key: str, conversation: str, event: dict[str, Any]) -> None:
        self._in_hand.add(key)

        async def job() -> None:
            try:
                if self._on_new_message is None:
                    raise RuntimeError("the channel's routes are not set up")
                await self.revive(event, self._on_new_message)
            finally:  # handled, failed or apologised for: it is not handed out again
                self._in_hand.discard(key)
                try:
                    self.store.done(key)
                except Exception:
                    logger.exception("%s: inbox entry not cleared", self.name())

        self.schedule_for(conversation, job)

    async def revive(self, event: dict[str, Any], on_new_message: OnNewMessage) -> None:
        """Handle a stored message (what :meth:`accept` was given as ``event``)."""
        raise NotImplementedError

    async def deliver(self, conversation: str, body: dict[str, Any]) -> bool:
        """Send a reply from the outbox; ``True`` when it is done with (sent, or refused for
        good, e.g. the user blocked the bot), ``False`` when it should be tried again later."""
        raise NotImplementedError

    async def resend(self) -> int:
        """Retry the replies waiting in the outbox whose turn has come, each user's in order,
        stopping at a user's first failure. Returns how many went out."""
        sent = 0
        due = await asyncio.to_thread(self.store.due_replies, f"{self.name()}:")
        for conversation, replies in due.items():
            for seq, body in replies:
                if not await self.deliver(conversation, body):
                    self.store.postpone_replies(conversation)
                    break
                self.store.reply_sent(seq)
                sent += 1
        if sent:
            logger.warning("%s: %d kept repl(ies) sent", self.name(), sent)
        return sent

    def sweep(self) -> int:
        """Renew the lease of the messages handled here; schedule those whose lease ran out
        (left by a process that died). Returns how many were scheduled."""
        self.store.renew(set(self._in_hand))
        revived = 0
        for key, conversation, event in self.store.claim(f"{self.name()}:"):
            if key in self._in_hand:
                continue
            logger.warning("%s: a message left unhandled is handled now", self.name())
            self._schedule_stored(key, conversation, event)
            revived += 1
        return revived

    async def _sweep_forever(self) -> None:
        while True:
            try:
                self.sweep()
                await self.resend()
            except Exception:
                logger.exception("%s: inbox sweep failed", self.name())
            await asyncio.sleep(self.lease_s / 3)

    async def start_sweeping(self, *_: Any) -> None:
        """Sanic ``after_server_start`` listener (Rasa's agent is loaded by then)."""
        self._sweeper = asyncio.ensure_future(self._sweep_forever())

    async def stop_sweeping(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None

    def first_delivery(self, key: object) -> bool:
        """``True`` the first time this channel sees delivery ``key``, also after a restart."""
        return self.store.first_delivery(f"{self.name()}:{key}")

    def log_id(self, value: object) -> str:
        """A keyed hash of an id (sender, chat) for logs."""
        return pseudonym(str(value), self._log_key)

    async def hand_off(
        self,
        event: UserEvent,
        output: OutputChannel,
        on_new_message: OnNewMessage,
        message_id: str | None,
        language_hint: str | None = None,
    ) -> None:
        """Pass a user message to Rasa. A message without text (a sticker, photo, file) gets the
        "text only" reply instead, in the language of its caption, else of the sender's last
        message, else of ``language_hint`` (the platform's), else Khmer."""
        sender = event.sender
        if event.text is None:
            lang = self.languages.language(sender, event.visible_text, language_hint)
            await output.send_text_message(sender, configured_knowledge().text("non_text", lang))
            return
        self.languages.note(sender, event.visible_text or event.text)
        # an answer kept for this person (Messenger outside its 24-hour window) comes first; a
        # slow or unreachable database never holds the message up for long
        try:
            await asyncio.wait_for(deliver_on_return(sender, output), ON_RETURN_TIMEOUT_S)
        except asyncio.TimeoutError:
            logger.warning("%s: kept answers not checked in time", self.name())
        text = event.text

        async def handle(watched: OutputChannel) -> None:
            await on_new_message(
                UserMessage(text, watched, sender, input_channel=self.name(), message_id=message_id)
            )

        await answered_or_apologise(
            handle,
            output,
            lambda: self._apologise(sender, output),
            lambda: record_failure(sender, text, self.name()),
            self.apology_after_s,
        )

    async def _apologise(self, sender: str, output: OutputChannel) -> None:
        """Tell the user that their message was not answered and should be sent again."""
        lang = self.languages.language(sender)
        try:
            await output.send_text_message(
                sender, configured_knowledge().text("handling_failed", lang)
            )
        except Exception:
            logger.warning("%s: apology not delivered: sender=%s", self.name(), self.log_id(sender))

    def schedule(self, coro: Awaitable[None]) -> None:
        """Run ``coro`` in the background, so that the webhook can answer the platform at once."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def schedule_for(self, conversation: str, job: Callable[[], Awaitable[None]]) -> None:
        """Run ``job`` in the background after every job already scheduled for ``conversation``:
        one conversation's messages are handled strictly in the order they arrived (the typing
        indicator or a callback's answer, awaited before Rasa's own lock, cannot reorder them);
        other conversations' run meanwhile."""
        self._queued += 1
        queue = self._queues.get(conversation)
        if queue is not None:
            queue.append(job)
            return
        self._queues[conversation] = collections.deque([job])
        self.schedule(self._work(conversation))

    async def _work(self, conversation: str) -> None:
        queue = self._queues[conversation]
        try:
            while queue:
                try:
                    await queue[0]()
                except Exception:
                    logger.exception(
                        "%s: event failed: conversation=%s", self.name(), self.log_id(conversation)
                    )
                queue.popleft()
                self._queued -= 1
        finally:
            self._queued -= len(queue)
            del self._queues[conversation]

    def overloaded(self) -> bool:
        """Whether ``max_pending`` events already wait: the webhook then answers 503 with
        ``Retry-After`` and the platform delivers again later (nothing is accepted that might
        be lost, and memory stays bounded)."""
        return self._queued >= self.max_pending

    @staticmethod
    def busy() -> HTTPResponse:
        return response.text("busy, retry later", status=503, headers={"Retry-After": "5"})

    async def drain(self, timeout_s: float | None = None) -> bool:
        """Wait until every event received so far (and any scheduled meanwhile) has been handled;
        ``False`` when ``timeout_s`` passed first (the unfinished ones keep running)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout_s is None else loop.time() + timeout_s
        while self._tasks:
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return False
            await asyncio.wait(list(self._tasks), timeout=remaining)
        return True

    async def drain_before_stop(self, *_: Any) -> None:
        """Sanic ``before_server_stop`` listener: let accepted events finish (bounded wait);
        what is unfinished stays in the inbox for the next start."""
        await self.stop_sweeping()
        if not await self.drain(DRAIN_TIMEOUT_S):
            logger.warning("%s: %d event(s) unfinished at shutdown", self.name(), len(self._tasks))

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        hook = Blueprint(f"nssf_{self.name()}_webhook", type(self).__module__)

        @hook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        self._on_new_message = on_new_message
        hook.listener("after_server_start")(self.start_sweeping)
        hook.listener("before_server_stop")(self.drain_before_stop)
        hook.listener("before_server_start")(limit_request_size)
        self.add_routes(hook, on_new_message)
        return hook

    def add_routes(self, hook: Blueprint, on_new_message: OnNewMessage) -> None:
        """Add the platform's webhook routes to ``hook``."""
        raise NotImplementedError
