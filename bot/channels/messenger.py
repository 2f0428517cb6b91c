"""Facebook Messenger channel for Rasa, at ``/webhooks/messenger/webhook``.

- GET: the verification handshake (``hub.mode=subscribe``, ``hub.verify_token``; echoes
  ``hub.challenge``, 403 otherwise).
- POST: refused with 403 unless ``X-Hub-Signature-256`` is the HMAC-SHA256 of the raw body with the
  app secret. Every messaging event of every entry is handled: text, quick-reply payloads and
  postbacks go to the bot; attachments and stickers get the "text only" reply; echoes, deliveries
  and reads are ignored. A message id already handled (the platform retries) is skipped, also
  after a restart. The webhook answers 200 at once and the events are handled in the background,
  in order, well inside Messenger's 20 seconds.
- Replies go through the Send API (``requests`` in a worker thread, with timeouts and retries on
  5xx/429): texts split under 2000 characters, buttons as a button template (up to 3) or quick
  replies (up to 13, titles up to 20 characters), after a typing indicator.

Logs carry message ids and keyed hashes of sender ids, never user text.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import requests
from rasa.core.channels.channel import OutputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import (
    RETRY_DELAYS_S,
    SEND_BUDGET_S,
    Retry,
    clip_input,
    pseudonym,
    with_retries,
)
from bot.channels.messenger_format import render
from bot.channels.settings import MessengerSettings
from bot.channels.store import ChannelStore
from bot.channels.webhook import MAX_BODY_BYTES, OnNewMessage, WebhookInput
from bot.conversations import MESSENGER, conversation_id, platform_id

logger = logging.getLogger(__name__)

# connect, read: one attempt takes at most their sum, so that retries fit in a reply's
# SEND_BUDGET_S (the Send API normally answers well under a second)
TIMEOUT_S = (3.0, 5.0)
CHANNEL = "messenger"


# --- incoming ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Incoming:
    """One messaging event to handle: ``text`` goes to the bot; ``None`` means not text."""

    sender: str
    key: str | None  # de-duplication key (the message id), None if the event has none
    text: str | None
    visible_text: str | None = None  # what the user sees they sent (for the reply language)


def signature_is_valid(app_secret: str, body: bytes, header: str | None) -> bool:
    """``X-Hub-Signature-256: sha256=<hex>`` matches the body's HMAC-SHA256 (constant time)."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), header[len("sha256=") :].encode())


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def parse_event(event: dict[str, Any]) -> Incoming | None:
    """The ``Incoming`` for one messaging event, or ``None`` for events the bot ignores
    (echoes of the page's own messages, deliveries, reads, reactions, unknown kinds)."""
    sender = _as_dict(event.get("sender")).get("id")
    if sender is None or isinstance(sender, (dict, list)):
        return None
    sender = conversation_id(MESSENGER, sender)  # bound to the channel (bot.conversations)
    if "message" in event:
        message = _as_dict(event["message"])
        if message.get("is_echo"):
            return None
        mid = _str(message.get("mid"))
        text = _str(message.get("text"))
        payload = _str(_as_dict(message.get("quick_reply")).get("payload"))
        if payload:
            return Incoming(sender, mid, payload, visible_text=text)
        if text:
            return Incoming(sender, mid, clip_input(text), visible_text=text)
        return Incoming(sender, mid, None)  # attachments, stickers, anything without text
    if "postback" in event:
        postback = _as_dict(event["postback"])
        payload = _str(postback.get("payload"))
        if not payload:
            return None
        mid = _str(postback.get("mid")) or f"{sender}:{event.get('timestamp')}:{payload}"
        return Incoming(sender, mid, payload)
    return None


def parse_events(body: dict[str, Any]) -> list[Incoming]:
    """Every event to handle in a webhook batch, in order, across all entries."""
    events = []
    for entry in _as_list(body.get("entry")):
        for event in _as_list(_as_dict(entry).get("messaging")):
            incoming = parse_event(_as_dict(event))
            if incoming is not None:
                events.append(incoming)
    return events


# --- outgoing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendResult:
    ok: bool
    status: int | None = None  # HTTP status of the last attempt; None after a network error
    attempts: int = 1
    error: str | None = None  # error kind/code only, never the message sent

    @property
    def transient(self) -> bool:
        """A failure that may pass (network error, 429, 5xx): worth a later try."""
        return not self.ok and (self.status is None or self.status == 429 or self.status >= 500)


def _retry_after(resp: requests.Response) -> float | None:
    try:
        return float(resp.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def _transient(outcome: requests.Response | requests.RequestException) -> Retry | None:
    """Network errors, 5xx and 429 (honouring ``Retry-After``) are worth another try."""
    if isinstance(outcome, requests.RequestException):
        return Retry()
    if outcome.status_code == 429 or outcome.status_code >= 500:
        return Retry(_retry_after(outcome))
    return None


class GraphClient:
    """Posts to the Graph API with a ``requests`` session in a worker thread, so the event loop
    never waits; retries 5xx, 429 and network errors with backoff. Returns a ``SendResult``
    instead of raising."""

    def __init__(
        self,
        graph_url: str,
        access_token: str,
        delays: Sequence[float] = RETRY_DELAYS_S,
        timeout: tuple[float, float] = TIMEOUT_S,
    ) -> None:
        self.graph_url = graph_url.rstrip("/")
        self._token = access_token
        self._delays = tuple(delays)
        self._timeout = timeout
        self._session = requests.Session()

    def _post_once(self, path: str, body: dict[str, Any]) -> requests.Response:
        return self._session.post(
            f"{self.graph_url}/{path.lstrip('/')}",
            params={"access_token": self._token},
            json=body,
            timeout=self._timeout,
        )

    async def post(self, path: str, body: dict[str, Any]) -> SendResult:
        async def attempt() -> requests.Response | requests.RequestException:
            try:
                return await asyncio.to_thread(self._post_once, path, body)
            except requests.RequestException as exc:
                return exc

        outcome, attempts = await with_retries(
            attempt, _transient, self._delays, SEND_BUDGET_S, sum(self._timeout)
        )
        if isinstance(outcome, requests.RequestException):
            return SendResult(False, None, attempts, type(outcome).__name__)
        if outcome.status_code < 400:
            return SendResult(True, outcome.status_code, attempts)
        return SendResult(False, outcome.status_code, attempts, _graph_error(outcome))

    def post_sync(self, path: str, body: dict[str, Any]) -> SendResult:
        """``post`` for scripts outside an event loop."""
        return asyncio.run(self.post(path, body))


def _graph_error(resp: requests.Response) -> str:
    try:
        err = resp.json().get("error") or {}
        return f"code={err.get('code')} subcode={err.get('error_subcode')} type={err.get('type')}"
    except (ValueError, AttributeError):
        return f"http {resp.status_code}"


class MessengerOutput(OutputChannel):
    """Sends the bot's messages to one Messenger user through the Send API."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def __init__(
        self, client: GraphClient, log_key: str, store: ChannelStore | None = None
    ) -> None:
        self.client = client
        self._log_key = log_key
        self.store = store  # the outbox; without one a failed reply is only logged
        self._held: set[str] = set()  # users whose replies go to the outbox (one failed)

    async def _send(self, recipient_id: str, body: dict[str, Any]) -> SendResult:
        psid = platform_id(recipient_id, MESSENGER)
        result = await self.client.post("me/messages", {"recipient": {"id": psid}, **body})
        if not result.ok:
            logger.error(
                "messenger send failed: sender=%s status=%s attempts=%s %s",
                pseudonym(recipient_id, self._log_key),
                result.status,
                result.attempts,
                result.error,
            )
        return result

    async def typing(self, recipient_id: str) -> None:
        await self._send(recipient_id, {"sender_action": "typing_on"})

    async def _reply(self, recipient_id: str, body: dict[str, Any]) -> None:
        """Send a part of a reply, or keep it in the outbox, behind the user's earlier parts
        that could not be sent: the user never gets a later part before an earlier one."""
        store = self.store
        if store is not None and (recipient_id in self._held or store.has_queued(recipient_id)):
            self._held.add(recipient_id)
            store.queue_reply(recipient_id, body)
            return
        result = await self._send(recipient_id, body)
        if store is not None and result.transient:
            self._held.add(recipient_id)
            store.queue_reply(recipient_id, body)
            logger.warning(
                "messenger reply kept for a later try: sender=%s",
                pseudonym(recipient_id, self._log_key),
            )

    async def send_message_objects(self, recipient_id: str, messages: list[dict]) -> None:
        for message in messages:
            await self._reply(recipient_id, {"messaging_type": "RESPONSE", "message": message})

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        buttons = message.get("buttons") or message.get("quick_replies") or []
        messages = render(message.get("text") or "", buttons)
        image = message.get("image")
        if isinstance(image, str) and image.startswith("https://"):
            messages.append({"attachment": {"type": "image", "payload": {"url": image}}})
        await self.send_message_objects(recipient_id, messages)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_message_objects(recipient_id, render(text))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_message_objects(recipient_id, render(text, buttons))


# --- the channel -------------------------------------------------------------------------------


class MessengerInput(WebhookInput):
    """The Messenger webhook: verification, signature check, de-duplication, hand-off to Rasa."""

    CHANNEL = CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> MessengerInput:
        """Refuses to start (``ChannelConfigError``) when a secret is missing."""
        return cls(MessengerSettings.from_credentials(credentials))

    def __init__(
        self,
        settings: MessengerSettings,
        client: GraphClient | None = None,
        store: ChannelStore | None = None,
    ) -> None:
        super().__init__(settings.db_location, settings.app_secret, store)
        self.settings = settings
        self.client = client or GraphClient(settings.graph_url, settings.page_access_token)

    def get_output_channel(self) -> OutputChannel:
        return MessengerOutput(self.client, self.settings.app_secret, self.store)

    async def handle(self, events: list[Incoming], on_new_message: OnNewMessage) -> None:
        """Handle a batch's new events in order; a failure is logged and never stops the rest."""
        output = MessengerOutput(self.client, self.settings.app_secret, self.store)
        for event in events:
            try:
                await output.typing(event.sender)
                await self.hand_off(event, output, on_new_message, message_id=event.key)
            except Exception:
                logger.exception(
                    "messenger event failed: sender=%s mid=%s", self.log_id(event.sender), event.key
                )

    async def revive(self, event: dict[str, Any], on_new_message: OnNewMessage) -> None:
        await self.handle([Incoming(**event)], on_new_message)

    async def deliver(self, conversation: str, body: dict[str, Any]) -> bool:
        psid = platform_id(conversation, MESSENGER)
        result = await self.client.post("me/messages", {"recipient": {"id": psid}, **body})
        if not result.ok and not result.transient:
            logger.error(
                "messenger reply refused for good, dropped: sender=%s status=%s %s",
                self.log_id(conversation),
                result.status,
                result.error,
            )
        return not result.transient

    def add_routes(self, hook: Blueprint, on_new_message: OnNewMessage) -> None:
        @hook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            mode = request.args.get("hub.mode")
            token = request.args.get("hub.verify_token") or ""
            challenge = request.args.get("hub.challenge") or ""
            expected = self.settings.verify_token.encode("utf-8")
            if mode == "subscribe" and hmac.compare_digest(token.encode("utf-8"), expected):
                return response.text(challenge)
            logger.warning("messenger verification refused (wrong mode or verify token)")
            return response.text("verification failed", status=403)

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.body or b""
            if len(body) > MAX_BODY_BYTES:
                return response.text("payload too large", status=413)
            header = request.headers.get("X-Hub-Signature-256")
            if not signature_is_valid(self.settings.app_secret, body, header):
                logger.warning(
                    "messenger webhook refused: %s signature", "wrong" if header else "missing"
                )
                return response.text("invalid signature", status=403)
            try:
                data = json.loads(body)
            except (ValueError, RecursionError):  # not JSON, or nested too deep to read
                return response.text("body is not JSON", status=400)
            if not isinstance(data, dict) or data.get("object") != "page":
                return response.text("not a page event", status=404)
            if self.overloaded():
                return self.busy()
            for event in parse_events(data):  # each sender's in order, the senders side by side
                self.accept(event.key, event.sender, asdict(event))  # stored, then 200
            return response.text("EVENT_RECEIVED")
