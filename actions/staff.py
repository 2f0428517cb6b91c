"""Answers staff published in the dashboard, for the questions the knowledge does not cover.

:func:`answer_from_staff` is asked only where the bot would otherwise record a knowledge gap (no
answer covers the question, the model was unsure or called it off-topic, or a topic's answer
covers only part of it), never instead of a topic's answer: a staff answer never overrides a
figure that comes from the rules data. The published answers are re-read every few seconds
(:mod:`bot.staff_answers.live`), off the event loop.

A match that is close but not sure is offered first ("NSSF staff have answered a question like
yours: … Is this what you want to know?"); its Yes (``/affirm{"staff_answer":"7"}``, or a
typed "yes" right after the offer) gets :func:`confirmed_staff_answer`, its "Something else"
(or a typed "no") the honest "I can't answer that yet" and a gap for the question
(:mod:`actions.unresolved`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    knowledge,
    language_of,
    last_bot_payload,
    latest_entities,
    latest_intent,
    remember_language,
    send,
    user_text,
)
from actions.feedback import offer_feedback
from actions.recording import log_question, previous_question
from bot import replies
from bot.language import reply_language
from bot.questions.model import AFTER_YES, ASKED_BACK, CHAT, STAFF_ANSWER
from bot.replies import Reply
from bot.staff_answers.live import configured_live_answers
from bot.staff_answers.model import StaffAnswer
from bot.staff_answers.replies import CONFIRM_ENTITY, CONFIRM_INTENT, offer_reply, staff_reply

_OFFER_PAYLOAD = f'/{CONFIRM_INTENT}{{"{CONFIRM_ENTITY}"'


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
    if not found.sure:
        send(dispatcher, [offer_reply(found.answer, language_of(tracker), knowledge())])
        log_question(tracker, ASKED_BACK, topic=found.answer.draft.topic, answer_id=found.answer.id)
        return remember_language(tracker)
    return _answer(dispatcher, tracker, found.answer, topic)


def _answer(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    answer: StaffAnswer,
    topic: str | None = None,
    event: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Send ``answer`` for the latest message (or ``event``, the question an offer was about:
    logged as answered after a yes)."""
    kb = knowledge()
    lang = language_of(tracker)
    if event is not None:  # in the language of that question, not of the tap
        preferred, previous = tracker.get_slot("language"), tracker.get_slot("last_language")
        lang = reply_language(str(event.get("text") or ""), preferred, previous)
    reply = staff_reply(answer.draft, lang, kb)
    if topic and topic in kb.topics and topic != answer.draft.topic:
        reply = Reply(reply.text, (*replies.topic_buttons(kb, [topic], lang), *reply.buttons))
    send(dispatcher, [reply])
    configured_live_answers().used(answer.id)
    how = AFTER_YES if event is not None else ""
    log_question(
        tracker,
        STAFF_ANSWER,
        topic=answer.draft.topic,
        reason=how,
        answer_id=answer.id,
        event=event,
    )
    offer_feedback(dispatcher, tracker, lang)
    return remember_language(tracker)


def _offered_answer(tracker: Tracker) -> str | None:
    """The answer id in the bot's last message, if that message was the offer."""
    payload = last_bot_payload(tracker, _OFFER_PAYLOAD)
    return None if payload is None else replies.payload_entities(payload).get(CONFIRM_ENTITY)


def staff_choice(tracker: Tracker) -> tuple[bool, str] | None:
    """The user's answer to the offer: the Yes button, or a typed yes / no right after it
    (``(said_yes, answer_id)``); ``None`` when the message is not about an offer. The button's
    ``staff_answer`` is not a domain entity (the model is not retrained for it): Rasa passes it
    on, and without it the offer in the bot's last message names the answer."""
    intent = latest_intent(tracker)
    tapped = latest_entities(tracker).get(CONFIRM_ENTITY)
    if intent == CONFIRM_INTENT and tapped is not None:
        return True, str(tapped)
    if intent in ("affirm", "deny"):
        offered = _offered_answer(tracker)
        if offered is not None:
            return intent == "affirm", offered
    return None


async def confirmed_staff_answer(
    dispatcher: CollectingDispatcher, tracker: Tracker, answer_id: str
) -> list[dict[str, Any]] | None:
    """Send the offered answer for the question it was offered for, if it is still published;
    ``None`` when it is not (unpublished since, or an id that is not one)."""
    live = configured_live_answers()
    matcher = await asyncio.get_running_loop().run_in_executor(None, live.matcher)
    answer = next((a for a in matcher.answers if str(a.id) == answer_id.strip()), None)
    if answer is None:
        return None
    events = _answer(dispatcher, tracker, answer, event=previous_question(tracker))
    log_question(tracker, CHAT, topic=CONFIRM_ENTITY)  # the tap itself
    return events
