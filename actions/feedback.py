"""Feedback on answers: "Did this answer your question? 👍 / 👎" after substantive answers, and
the action that takes the vote (a 👎 is recorded as a knowledge gap about the question answered).

The prompt is offered after a topic answer only, and at most once every
:data:`FEEDBACK_EVERY_TURNS` user messages, so the bot does not nag. Button payloads are
``/feedback{"helpful":"yes"}`` and ``/feedback{"helpful":"no"}``; a typed complaint ("that didn't
answer my question") is the ``feedback`` intent without the entity and counts as 👎.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import knowledge, language_of, remember_language, send
from actions.recording import is_feedback_prompt, log_question, record_gap
from bot.gaps.model import REASON_NEGATIVE_FEEDBACK
from bot.knowledge import Knowledge
from bot.language import Lang
from bot.questions.model import CHAT
from bot.replies import Button, Reply, intent_payload, menu_button

FEEDBACK_INTENT = "feedback"
FEEDBACK_EVERY_TURNS = 3
THUMBS_UP = "👍"
THUMBS_DOWN = "👎"


def feedback_prompt(kb: Knowledge, lang: Lang) -> Reply:
    """ "Did this answer your question?" with 👍 / 👎 buttons."""
    return Reply(
        kb.text("feedback_prompt", lang),
        (
            Button(THUMBS_UP, intent_payload(FEEDBACK_INTENT, helpful="yes")),
            Button(THUMBS_DOWN, intent_payload(FEEDBACK_INTENT, helpful="no")),
        ),
    )


def should_offer_feedback(tracker: Tracker) -> bool:
    """No prompt if one was shown during the last few user messages, or if the user is voting."""
    if (tracker.latest_message.get("intent") or {}).get("name") == FEEDBACK_INTENT:
        return False
    users = 0
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            users += 1
            if users >= FEEDBACK_EVERY_TURNS:
                return True
        elif kind == "bot" and is_feedback_prompt(event):
            return False
    return True


def offer_feedback(dispatcher: CollectingDispatcher, tracker: Tracker, lang: Lang) -> None:
    """Send the 👍 / 👎 prompt after a substantive answer, unless that would be nagging."""
    if should_offer_feedback(tracker):
        send(dispatcher, [feedback_prompt(knowledge(), lang)])


def typed_vote(text: str | None) -> str | None:
    """A vote typed as an emoji ("👍 thanks") rather than tapped: ``"yes"``, or ``None``."""
    text = text or ""
    return "yes" if THUMBS_UP in text and THUMBS_DOWN not in text else None


class ActionFeedback(Action):
    """Thanks the user for a 👍; for a 👎 apologises, offers the hotline and records a gap."""

    def name(self) -> str:
        return "action_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        kb = knowledge()
        lang = language_of(tracker)
        log_question(tracker, CHAT, topic="feedback")
        helpful = next(tracker.get_latest_entity_values("helpful"), None) or typed_vote(
            tracker.latest_message.get("text")
        )
        if helpful == "yes":
            send(dispatcher, [Reply(kb.text("feedback_thanks", lang))])
        else:
            send(dispatcher, [Reply(kb.text("feedback_sorry", lang), (menu_button(kb, lang),))])
            record_gap(tracker, REASON_NEGATIVE_FEEDBACK, about_previous=True)
        return remember_language(tracker)
