"""Recording a knowledge gap from a conversation: which question, its context, its intents.

:func:`record_gap` is the hook every signal goes through: ``action_unresolved`` (low confidence,
out of scope, not covered, a request for a person), a 👎 after an answer (``actions/feedback.py``)
and an eligibility check that cannot tell (:func:`record_cannot_tell`). The record is masked and
written off the reply's path (:mod:`bot.gaps.capture`).

:func:`log_question` puts every user message in the question log with its outcome (answered with a
topic, a form step, asked back, a staff answer, small talk); a recorded gap logs its question as
a gap (or, after a rejected "did you mean" or a 👎, turns the earlier question's entry into one).
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker

from actions.common import language_of, user_text
from bot.gaps.capture import get_recorder
from bot.gaps.model import REASON_ELIGIBILITY_UNKNOWN, GapRecord
from bot.language import detect_language
from bot.questions.model import CHAT, GAP

log = logging.getLogger(__name__)


def _user_events(tracker: Tracker) -> list[dict[str, Any]]:
    return [e for e in tracker.events if e.get("event") == "user"]


def _bot_text_before(tracker: Tracker, user_event: dict[str, Any] | None) -> str:
    """The bot's last message before ``user_event`` (or before now): the question's context."""
    events = tracker.events
    end = len(events)
    if user_event is not None:
        end = next((i for i, e in enumerate(events) if e is user_event), end)
    for event in reversed(events[:end]):
        if event.get("event") == "bot" and event.get("text") and not is_feedback_prompt(event):
            return str(event["text"])
    return ""


def is_feedback_prompt(event: dict[str, Any]) -> bool:
    """The "Did this answer your question? 👍 / 👎" message (its context is the answer before)."""
    buttons = (event.get("data") or {}).get("buttons") or []
    return any(str(b.get("payload", "")).startswith("/feedback") for b in buttons)


def previous_question(tracker: Tracker) -> dict[str, Any] | None:
    """The user event before the latest one (the question a button tap or a 👎 is about)."""
    users = _user_events(tracker)
    return users[-2] if len(users) >= 2 else None


def log_question(
    tracker: Tracker,
    outcome: str,
    *,
    topic: str = "",
    reason: str = "",
    answer_id: int | None = None,
    event: dict[str, Any] | None = None,
) -> None:
    """Log the latest user message (or ``event``, an earlier one) with ``outcome``; never raises,
    never delays the reply."""
    try:
        message = event if event is not None else tracker.latest_message
        text = str(message.get("text") or "")
        get_recorder().log(
            sender_id=tracker.sender_id,
            message_id=message.get("message_id"),
            text=text,
            language=detect_language(text) or language_of(tracker),
            channel=tracker.get_latest_input_channel(),
            outcome=outcome,
            topic=topic,
            reason=reason,
            answer_id=answer_id,
        )
    except Exception as exc:  # logging must never break the conversation
        log.error("could not log a question (%s)", type(exc).__name__)


def record_gap(
    tracker: Tracker,
    reason: str,
    *,
    about_previous: bool = False,
    text: str | None = None,
    aspect: str = "",
    topic: str = "",
    outcome: str = GAP,
) -> GapRecord | None:
    """Record a knowledge gap for this conversation; never raises, never delays the reply;
    returns the record (masked), or ``None`` when it could not be built.

    The question is the latest user message, or with ``about_previous`` the one before it (for a
    rejected "did you mean" or a 👎), or ``text`` when the caller knows better. Its context is the
    bot's message just before the signal; intents are the NLU's top three for the question.
    The question's entry in the question log gets ``outcome`` (a gap; ``asked_back`` when the
    bot offered topics to choose from).
    """
    log_question(
        tracker,
        outcome,
        topic=topic,
        reason=reason,
        event=previous_question(tracker) if about_previous else None,
    )
    if about_previous:  # the tap itself ("none of these", 👎)
        log_question(tracker, CHAT, topic=reason)
    try:
        event = previous_question(tracker) if about_previous else None
        if event is not None:
            question = str(event.get("text") or "")
            ranking = (event.get("parse_data") or {}).get("intent_ranking") or []
        else:
            question = user_text(tracker)
            ranking = tracker.latest_message.get("intent_ranking") or []
        latest = _user_events(tracker)
        # The bot's last message before the signal: the answer a 👎 is about, the suggestions a
        # "none of these" rejects, or what the bot said before an unclear question.
        context = _bot_text_before(tracker, latest[-1] if latest else None)
        if text is not None:
            question = text
        return get_recorder().record(
            sender_id=tracker.sender_id,
            text=question,
            reason=reason,
            language=detect_language(question) or language_of(tracker),
            channel=tracker.get_latest_input_channel(),
            intents=ranking,
            context=context,
            aspect=aspect,
        )
    except Exception as exc:  # recording must never break the conversation
        log.error("could not record a gap (%s)", type(exc).__name__)
        return None


def record_cannot_tell(tracker: Tracker, question: str | None = None) -> None:
    """Hook for the eligibility checks: record that the bot could not tell the user's rights.

    ``question`` describes what was asked (e.g. "maternity: 7 of 12 months, voluntary scheme");
    by default the latest user message. It is masked like every other gap.
    """
    record_gap(tracker, REASON_ELIGIBILITY_UNKNOWN, text=question)
