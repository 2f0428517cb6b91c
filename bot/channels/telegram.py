"""Telegram channel for Rasa, at ``/webhooks/telegram/webhook``, built on python-telegram-bot.

- Refused with 403 unless ``X-Telegram-Bot-Api-Secret-Token`` equals the webhook secret
  (constant-time compare). Updates are parsed with ``telegram.Update.de_json`` and handled once
  per ``update_id``, also after a restart.
- Which updates go to the bot, as what text: :mod:`bot.channels.telegram_updates` (text, button
  taps, commands; the "text only" reply to stickers and photos; in groups only what is addressed
  to the bot, one conversation per (chat, user)).
- Replies: plain text (no parse mode, so nothing a user or an answer contains is read as markup)
  split under 4096 characters; buttons as an inline keyboard whose ``callback_data`` is at most
  64 bytes (longer payloads are stored and replaced by a short key); 429 ``retry_after`` honoured,
  network errors and 5xx retried with backoff.

Logs carry update ids and keyed hashes of chat/user ids, never user text.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict
from typing import Any

from rasa.core.channels.channel import OutputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatAction
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot.channels.common import (
    RETRY_DELAYS_S,
    SEND_BUDGET_S,
    Retry,
    parts_with_buttons,
    pseudonym,
    with_retries,
)
from bot.channels.settings import TelegramSettings
from bot.channels.store import ChannelStore
from bot.channels.telegram_updates import Incoming, classify, secret_is_valid
from bot.channels.webhook import MAX_BODY_BYTES, OnNewMessage, WebhookInput

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_TEXT = 4096
MAX_CALLBACK_BYTES = 64
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# one Bot API call's timeouts: together at most ATTEMPT_S, so that retries fit in a reply's
# SEND_BUDGET_S (a Bot API call normally takes well under a second)
CONNECT_S, READ_S, WRITE_S, POOL_S = 2.0, 4.0, 1.0, 1.0
ATTEMPT_S = CONNECT_S + READ_S + WRITE_S + POOL_S


def _transient(outcome: object) -> Retry | None:
    """429 is worth another try after ``retry_after``; a ``NetworkError`` (timeouts, 5xx) after
    the backoff delay. A 400 (``BadRequest``, a ``NetworkError`` in python-telegram-bot) would
    fail again: it is not retried."""
    if isinstance(outcome, RetryAfter):
        wait = outcome.retry_after
        return Retry(wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait))
    if isinstance(outcome, NetworkError) and not isinstance(outcome, BadRequest):
        return Retry()
    return None


async def call_with_retry(
    call: Callable[[], Awaitable[Any]],
    delays: Sequence[float] = RETRY_DELAYS_S,
    budget_s: float | None = None,
) -> Any:
    """Run a Bot API call; on 429 wait ``retry_after`` (capped), on network errors and 5xx wait
    the next backoff delay, then try again. Other errors (blocked, ...) are raised at once, and
    the last error when the retries are used up."""

    async def attempt() -> Any:
        try:
            return await call()
        except (RetryAfter, NetworkError) as exc:
            return exc

    outcome, _ = await with_retries(attempt, _transient, delays, budget_s, ATTEMPT_S)
    if isinstance(outcome, (RetryAfter, NetworkError)):
        raise outcome
    return outcome


async def send(bot: Bot, body: dict[str, Any], delays: Sequence[float] = RETRY_DELAYS_S) -> None:
    """Send one message as the outbox keeps it (``chat_id``, ``text``, ``markup`` as a dict,
    ``reply_to``), with the retries; raises the ``TelegramError`` of the last attempt."""
    reply_to = body.get("reply_to")
    reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
    markup = InlineKeyboardMarkup.de_json(body["markup"], bot) if body.get("markup") else None
    await call_with_retry(
        lambda: bot.send_message(
            body["chat_id"], body["text"], reply_markup=markup, reply_parameters=reply
        ),
        delays,
        SEND_BUDGET_S,
    )


class TelegramOutput(OutputChannel):
    """Sends the bot's messages to one Telegram chat (replying to the user's message in groups)."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        store: ChannelStore,
        log_key: str,
        reply_to: int | None = None,
        delays: Sequence[float] = RETRY_DELAYS_S,
    ) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.store = store
        self.reply_to = reply_to
        self._log_key = log_key
        self._delays = delays
        self.held = False  # a reply failed: the rest go to the outbox behind it

    def callback_data(self, payload: str) -> str:
        """``payload`` itself when it fits in 64 bytes, else a stored short key."""
        if len(payload.encode("utf-8")) <= MAX_CALLBACK_BYTES:
            return payload
        return self.store.payload_key(payload)

    def keyboard(self, buttons: Sequence[dict[str, Any]]) -> InlineKeyboardMarkup | None:
        rows = [
            [InlineKeyboardButton(str(b["title"]), callback_data=self.callback_data(b["payload"]))]
            for b in buttons
            if b.get("title") and isinstance(b.get("payload"), str) and b["payload"]
        ]
        return InlineKeyboardMarkup(rows) if rows else None

    async def _send(
        self, recipient_id: str, text: str, markup: InlineKeyboardMarkup | None
    ) -> None:
        """Send a part of a reply, or keep it in the outbox behind the user's earlier parts
        that could not be sent: the user never gets a later part before an earlier one."""
        body = {
            "chat_id": self.chat_id,
            "text": text,
            "markup": markup.to_dict() if markup is not None else None,
            "reply_to": self.reply_to,
        }
        if self.held or self.store.has_queued(recipient_id):
            self.held = True
            self.store.queue_reply(recipient_id, body)
            return
        try:
            await send(self.bot, body, self._delays)
        except TelegramError as exc:
            logger.error(
                "telegram send failed: chat=%s error=%s",
                pseudonym(str(self.chat_id), self._log_key),
                type(exc).__name__,
            )
            if _transient(exc) is not None:
                self.held = True
                self.store.queue_reply(recipient_id, body)

    async def typing(self) -> None:
        try:
            await call_with_retry(
                lambda: self.bot.send_chat_action(self.chat_id, ChatAction.TYPING), ()
            )
        except TelegramError:
            pass  # only a courtesy

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        for part, markup in parts_with_buttons(text, MAX_TEXT, self.keyboard(buttons)):
            await self._send(recipient_id, part, markup)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_text_with_buttons(recipient_id, text, [])

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        buttons = message.get("buttons") or message.get("quick_replies") or []
        await self.send_text_with_buttons(recipient_id, message.get("text") or "", buttons)


class TelegramInput(WebhookInput):
    """The Telegram webhook: secret check, parsing, de-duplication, group rules, hand-off."""

    CHANNEL = CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TelegramInput:
        """Refuses to start (``ChannelConfigError``) when a secret is missing."""
        return cls(TelegramSettings.from_credentials(credentials))

    def __init__(
        self,
        settings: TelegramSettings,
        store: ChannelStore | None = None,
        bot: Bot | None = None,
        delays: Sequence[float] = RETRY_DELAYS_S,
    ) -> None:
        super().__init__(settings.db_location, settings.webhook_secret, store)
        self.settings = settings
        self._bot = bot
        self._delays = delays
        self._me: User | None = None

    @property
    def bot(self) -> Bot:
        """The python-telegram-bot client, created on first use."""
        if self._bot is None:
            request = HTTPXRequest(
                connect_timeout=CONNECT_S,
                read_timeout=READ_S,
                write_timeout=WRITE_S,
                pool_timeout=POOL_S,
            )
            self._bot = Bot(
                self.settings.bot_token, base_url=self.settings.bot_base_url, request=request
            )
        return self._bot

    async def me(self) -> User:
        """The bot's own user (``getMe``, cached): its id and username decide group rules."""
        if self._me is None:
            self._me = await call_with_retry(self.bot.get_me, self._delays)
        return self._me

    async def handle(self, update_id: int, event: Incoming, on_new_message: OnNewMessage) -> None:
        output = TelegramOutput(
            self.bot,
            event.chat_id,
            self.store,
            self.settings.webhook_secret,
            event.reply_to,
            self._delays,
        )
        try:
            callback_id = event.callback_id
            if callback_id is not None:
                try:
                    await call_with_retry(lambda: self.bot.answer_callback_query(callback_id), ())
                except TelegramError:
                    logger.warning("telegram callback not answered: update=%s", update_id)
            await output.typing()
            await self.hand_off(
                event, output, on_new_message, str(update_id), language_hint=event.language_hint
            )
        except Exception:
            logger.exception(
                "telegram update failed: update=%s chat=%s", update_id, self.log_id(event.chat_id)
            )

    async def revive(self, event: dict[str, Any], on_new_message: OnNewMessage) -> None:
        fields = dict(event)
        update_id = int(fields.pop("update_id"))
        await self.handle(update_id, Incoming(**fields), on_new_message)

    async def deliver(self, conversation: str, body: dict[str, Any]) -> bool:
        try:
            await send(self.bot, body, self._delays)
        except TelegramError as exc:
            if _transient(exc) is not None:
                return False
            logger.error(
                "telegram reply refused for good, dropped: chat=%s error=%s",
                self.log_id(body.get("chat_id")),
                type(exc).__name__,
            )
        return True

    def add_routes(self, hook: Blueprint, on_new_message: OnNewMessage) -> None:
        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not secret_is_valid(
                self.settings.webhook_secret, request.headers.get(SECRET_HEADER)
            ):
                logger.warning("telegram webhook refused: missing or wrong secret token")
                return response.text("forbidden", status=403)
            body = request.body or b""
            if len(body) > MAX_BODY_BYTES:
                return response.text("payload too large", status=413)
            try:
                data = json.loads(body)
                update = Update.de_json(data, self.bot)
            except Exception:  # not JSON, or JSON that is not an Update
                return response.text("not a Telegram update", status=400)
            try:
                me = await self.me()
            except TelegramError:
                logger.error("telegram getMe failed; the update will be redelivered")
                return response.text("bot unavailable", status=503)
            if self.overloaded():
                return self.busy()
            event = classify(update, me, self.store.payload_for)
            if event is None:  # nothing to answer; remembered so that a retry is not read again
                self.first_delivery(update.update_id)
            else:  # stored, then 200
                fields = {"update_id": update.update_id, **asdict(event)}
                self.accept(update.update_id, event.sender, fields)
            return response.text("ok")
