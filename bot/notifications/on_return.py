"""Delivering what is kept for someone when they come back: a Messenger user outside the 24-hour
window (the channel calls :func:`deliver_on_return` before handing their new message to the bot,
so the answer comes first) and the web chat at the next visit (the page asks the web app).

``output`` is anything with ``send_text_with_buttons(recipient, text, buttons)`` (a Rasa output
channel, or a collector). Failures are logged without user text and never stop the message.
"""

from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from typing import Any, Protocol

from bot.gaps.capture import hmac_key
from bot.gaps.redaction import conversation_key
from bot.gaps.store import GapStore
from bot.knowledge import configured_knowledge
from bot.notifications.address import AddressBox
from bot.notifications.deliver import notification
from bot.notifications.store import NotifyStore
from bot.staff_answers.store import AnswerStore

log = logging.getLogger(__name__)


class Output(Protocol):
    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None: ...


@lru_cache(maxsize=1)
def configured_stores() -> tuple[NotifyStore, AnswerStore]:
    """The notification and answer stores of this process, from the environment."""
    gap_store = GapStore.from_env()
    return NotifyStore(gap_store, AddressBox.from_env()), AnswerStore(gap_store)


def _due(notify: NotifyStore, key: str) -> list[Any]:
    notify.seen(key)
    return notify.due(conversation=key)


async def deliver_on_return(
    conversation: str,
    output: Output,
    stores: tuple[NotifyStore, AnswerStore] | None = None,
) -> int:
    """Send ``conversation``'s pending notifications through ``output``; how many were sent."""
    notify, answers = stores or configured_stores()
    loop = asyncio.get_running_loop()
    sent = 0
    try:
        key = conversation_key(conversation, hmac_key())
        due = await loop.run_in_executor(None, _due, notify, key)
        for delivery in due:
            if not await loop.run_in_executor(None, notify.claim, delivery):
                continue  # another replica is delivering it
            answer = await loop.run_in_executor(None, answers.get, delivery.request.answer_id or 0)
            if answer is None or not answer.published:
                await loop.run_in_executor(None, notify.reopen, delivery.request.id)
                continue
            reply = notification(delivery, answer, configured_knowledge())
            buttons = [{"title": b.title, "payload": b.payload} for b in reply.buttons]
            await output.send_text_with_buttons(conversation, reply.text, buttons)
            await loop.run_in_executor(None, notify.sent, delivery.request.id)
            sent += 1
    except Exception as exc:  # telling must never cost the user their message
        log.error("kept notifications not delivered (%s)", type(exc).__name__)
    return sent
