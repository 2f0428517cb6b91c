"""No silence when the bot fails to answer: a user message whose handling has sent nothing after
(:data:`APOLOGY_AFTER_S`) seconds (a hung action server: Rasa waits for it for 5 minutes), or that
ends without any reply (an action server that is down: Rasa logs the error and says nothing),
gets the "please send it again" apology in the user's language, and the message is recorded as a
knowledge gap with reason ``bot_error`` (masked, off the reply's path). A reply that comes after
the apology is still delivered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import OutputChannel

from bot.gaps import capture

logger = logging.getLogger(__name__)

APOLOGY_AFTER_S = 6.0  # plus at most 2 s for kept answers (webhook.py): within 10 s


class WatchedOutput(OutputChannel):
    """An output channel that counts what the bot sends through it (Rasa sends every bot message
    with ``send_response``); everything else goes to the real channel."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0

    def name(self) -> str:  # Rasa asks the instance
        return self.inner.name()

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.sent += 1
        await self.inner.send_response(recipient_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_text_message(recipient_id, text, **kwargs)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        self.sent += 1
        await self.inner.send_text_with_buttons(recipient_id, text, buttons, **kwargs)

    def __getattr__(self, item: str) -> Any:
        return getattr(self.inner, item)


def record_failure(sender: str, text: str, channel: str) -> None:
    """The message the bot could not answer, as a gap (never raises)."""
    try:
        recorder = capture.get_recorder()
    except Exception as exc:
        logger.error("could not record a bot error (%s)", type(exc).__name__)
        return
    recorder.record_bot_error(sender, text, capture.CHANNEL_NAMES.get(channel, channel))


async def answered_or_apologise(
    handle: Callable[[WatchedOutput], Awaitable[Any]],
    output: OutputChannel,
    apologise: Callable[[], Awaitable[None]],
    on_failure: Callable[[], None],
    after_s: float = APOLOGY_AFTER_S,
) -> None:
    """Run ``handle`` with a watched ``output``; apologise (once) and call ``on_failure`` when it
    has sent nothing after ``after_s`` seconds, ends without a reply, or fails (then re-raise)."""
    watched = WatchedOutput(output)
    task = asyncio.ensure_future(handle(watched))
    apologised = False

    async def give_up() -> None:
        nonlocal apologised
        if not apologised:
            apologised = True
            on_failure()
            await apologise()

    try:
        done, _ = await asyncio.wait({task}, timeout=after_s)
        if not done and not watched.sent:
            logger.warning("no reply after %.0f s: apologised", after_s)
            await give_up()
        await task
    except Exception:
        await give_up()
        raise
    if not watched.sent:
        logger.warning("the bot sent no reply: apologised")
        await give_up()
