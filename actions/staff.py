"""Answers staff published in the dashboard, for the questions the knowledge does not cover.

:func:`answer_from_staff` is asked only where the bot would otherwise record a knowledge gap (no
answer covers the question, the model was unsure or called it off-topic, or a topic's answer
covers only part of it), never instead of a topic's answer: a staff answer never overrides a
figure that comes from the rules data. The published answers are re-read every few seconds
(:mod:`bot.staff_answers.live`), off the event loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import knowledge, language_of, remember_language, send, user_text
from actions.feedback import offer_feedback
from actions.recording import log_question
from bot import replies
from bot.questions.model import STAFF_ANSWER
from bot.replies import Reply
from bot.staff_answers.live import configured_live_answers
from bot.staff_answers.replies import staff_reply


async def answer_from_staff(
    dispatcher: CollectingDispatcher, tracker: Tracker, topic: str | None = None
) -> list[dict[str, Any]] | None:
    """Send the staff answer that matches the latest message, if one does (``topic``: a topic
    the message is about, offered as a button); ``None`` when none matches."""
    text = user_text(tracker)
    if not text.strip() or text.startswith("/"):  # a button's payload is not a question
        return None
    live = configured_live_answers()
    found = await asyncio.get_running_loop().run_in_executor(None, live.match, text)
    if found is None:
        return None
    kb = knowledge()
    lang = language_of(tracker)
    reply = staff_reply(found.answer.draft, lang, kb)
    if topic and topic in kb.topics and topic != found.answer.draft.topic:
        reply = Reply(reply.text, (*replies.topic_buttons(kb, [topic], lang), *reply.buttons))
    send(dispatcher, [reply])
    live.used(found.answer.id)
    log_question(tracker, STAFF_ANSWER, topic=found.answer.draft.topic, answer_id=found.answer.id)
    offer_feedback(dispatcher, tracker, lang)
    return remember_language(tracker)
