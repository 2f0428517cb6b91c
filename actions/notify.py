"""The offer to be told when NSSF has an answer, and the yes / no that follows.

After the bot records a gap for a question no answer covers, :func:`offer` asks "Shall I message
you here when NSSF has an answer?" with Yes / No buttons (``/notify_me{"notify":"yes"}``), at most
once per conversation (slot ``notify_offered``), only on a channel that can reach the person
again (Telegram, Messenger, the web chat with its server-issued conversation). A yes keeps the
channel address, encrypted, for that one question (:mod:`bot.notifications.store`); a no, or no
answer, keeps nothing and nobody is ever messaged.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    knowledge,
    language_of,
    last_bot_payload,
    latest_entities,
    latest_intent,
    send,
)
from actions.recording import log_question
from bot.conversations import MESSENGER, TELEGRAM, WEB
from bot.gaps.capture import CHANNEL_NAMES, hmac_key
from bot.gaps.model import GapRecord
from bot.gaps.redaction import conversation_key
from bot.notifications.on_return import configured_stores
from bot.questions.model import CHAT
from bot.replies import Button, Reply, intent_payload

log = logging.getLogger(__name__)

NOTIFY_INTENT = "notify_me"
REACHABLE = (TELEGRAM, MESSENGER, WEB)


def reachable_channel(tracker: Tracker) -> str | None:
    """The channel that can reach this person again, if the conversation is bound to it."""
    raw = tracker.get_latest_input_channel() or ""
    channel = CHANNEL_NAMES.get(raw, raw)
    if channel in REACHABLE and tracker.sender_id.startswith(f"{channel}:"):
        return channel
    return None


def offer(
    dispatcher: CollectingDispatcher, tracker: Tracker, record: GapRecord | None
) -> list[dict[str, Any]]:
    """Ask once per conversation whether to tell the user when the answer exists."""
    if record is None or tracker.get_slot("notify_offered") or not reachable_channel(tracker):
        return []
    kb, lang = knowledge(), language_of(tracker)
    buttons = (
        Button(kb.text("notify_yes_button", lang), intent_payload(NOTIFY_INTENT, notify="yes")),
        Button(kb.text("notify_no_button", lang), intent_payload(NOTIFY_INTENT, notify="no")),
    )
    send(dispatcher, [Reply(kb.text("notify_offer", lang), buttons)])
    return [SlotSet("notify_offered", True), SlotSet("notify_gap", record.uid)]


def was_offered_last(tracker: Tracker) -> bool:
    """Whether the bot's last message was the offer (a typed "yes" then answers it)."""
    return last_bot_payload(tracker, f"/{NOTIFY_INTENT}") is not None


def typed_choice(tracker: Tracker) -> str | None:
    """A typed yes / no right after the offer, while a question waits."""
    if not tracker.get_slot("notify_gap") or not was_offered_last(tracker):
        return None
    return {"affirm": "yes", "deny": "no"}.get(latest_intent(tracker) or "")


async def take_choice(
    dispatcher: CollectingDispatcher, tracker: Tracker, choice: str
) -> list[dict[str, Any]]:
    kb, lang = knowledge(), language_of(tracker)
    log_question(tracker, CHAT, topic="notify")
    gap_uid = tracker.get_slot("notify_gap")
    channel = reachable_channel(tracker)
    if not gap_uid or channel is None:
        send(dispatcher, [Reply(kb.text("notify_nothing", lang))])
        return []
    if choice == "no":
        send(dispatcher, [Reply(kb.text("notify_declined", lang))])
        return [SlotSet("notify_gap", None)]
    notify, _ = configured_stores()
    key = conversation_key(tracker.sender_id, hmac_key())
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(
            None, notify.subscribe, str(gap_uid), key, channel, tracker.sender_id, lang
        )
    except Exception as exc:
        log.error("notification request not saved (%s)", type(exc).__name__)
        send(dispatcher, [Reply(kb.text("notify_failed", lang))])
        return []
    send(dispatcher, [Reply(kb.text("notify_confirmed", lang))])
    return [SlotSet("notify_gap", None)]


class ActionNotifyMe(Action):
    """Takes the Yes / No of the offer (a button, or "please message me")."""

    def name(self) -> str:
        return "action_notify_me"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        choice = "no" if latest_entities(tracker).get("notify") == "no" else "yes"
        return await take_choice(dispatcher, tracker, choice)
