"""The one action for every message the model could not route to an answer (low confidence, out
of scope, rejected suggestions, dialogue fallback, a request for a human, an eligibility "cannot
tell").

An unsure or off-topic message is weighed again with its words first
(:func:`bot.answerability.decide.decide`, through :mod:`actions.respond`): its words may show a
topic after all (the answer, or an honest partial answer), or an NSSF question no answer covers
("I can't answer that yet", reason ``not_covered``), rather than "I only answer NSSF questions".
Otherwise it asks back with the two likeliest topics or says honestly that it cannot answer, with
the hotline, and records the question as a knowledge gap (masked, off the reply's path;
:mod:`actions.recording`) — unless staff have published an answer for it (:mod:`actions.staff`).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    intent_ranking,
    knowledge,
    language_of,
    latest_intent,
    remember_language,
    send,
)
from actions.notify import take_choice, typed_choice
from actions.recording import record_gap
from actions.respond import respond, verdict_of
from actions.staff import answer_from_staff, confirmed_staff_answer, staff_choice
from bot import replies
from bot.gaps.model import REASON_HUMAN_REQUESTED
from bot.questions.model import ASKED_BACK, GAP

# Reasons whose question is the user's *previous* message, not the latest one (a button tap).
_ABOUT_PREVIOUS_QUESTION = {replies.REASON_REJECTED_SUGGESTIONS}
# Reasons whose message is weighed again with its words (decide): the model was unsure, called
# it off-topic, or read a question as a bare "yes"/"no"/number outside a check
_WEIGHED_AGAIN = {
    replies.REASON_LOW_CONFIDENCE,
    replies.REASON_OUT_OF_SCOPE,
    replies.REASON_DIALOGUE_FALLBACK,
}


def unresolved_reason(intent: str | None) -> str:
    """Why the latest message reached ``action_unresolved``."""
    if intent == "request_human":
        return REASON_HUMAN_REQUESTED
    return replies.unresolved_reason(intent)


class ActionUnresolved(Action):
    """Asks back with the two likeliest topics, or admits it cannot answer and gives the hotline;
    records the question as a knowledge gap."""

    def __init__(
        self,
        reason: str | None = None,
        question: str | None = None,
        suggestions: tuple[str, ...] | None = None,
    ) -> None:
        """Other actions may say why they hand over: ``ActionUnresolved(REASON_ELIGIBILITY_UNKNOWN,
        question="maternity: 7 of 12 months")`` records an eligibility "cannot tell";
        ``suggestions``: the topics to offer when asking back (else the NLU's likeliest)."""
        self.reason = reason
        self.question = question
        self.suggestions = suggestions

    def name(self) -> str:
        return "action_unresolved"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        choice = typed_choice(tracker) if self.reason is None else None
        if choice is not None:  # a typed "yes" / "no" right after the offer to be told
            return await take_choice(dispatcher, tracker, choice)
        reason = self.reason or unresolved_reason(latest_intent(tracker))
        offer_choice = staff_choice(tracker) if self.reason is None else None
        if offer_choice is not None:  # the offer of a close staff answer: yes, or no / unpublished
            said_yes, answer_id = offer_choice
            if said_yes:
                sent = await confirmed_staff_answer(dispatcher, tracker, answer_id)
                if sent is not None:
                    return sent
            reason = replies.REASON_REJECTED_SUGGESTIONS
        lang = language_of(tracker)
        kb = knowledge()
        suggestions = self.suggestions
        if self.reason is None and reason in (*_WEIGHED_AGAIN, REASON_HUMAN_REQUESTED):
            verdict = verdict_of(tracker, kb)
            if verdict.kind in ("answer", "partial", "not_covered"):
                return await respond(verdict, dispatcher, tracker)
            if verdict.kind == "out_of_scope":
                reason = replies.REASON_OUT_OF_SCOPE
            elif verdict.kind == "ask_back":
                reason, suggestions = replies.REASON_LOW_CONFIDENCE, verdict.suggestions
        if reason in _WEIGHED_AGAIN and self.question is None:
            staff = await answer_from_staff(dispatcher, tracker)
            if staff is not None:
                return staff
        offered: list[str] = []
        if reason == REASON_HUMAN_REQUESTED:
            send(dispatcher, replies.cannot_answer(kb, "human_handoff", lang))
        else:
            offered = list(suggestions) if suggestions is not None else intent_ranking(tracker)
            send(dispatcher, replies.unresolved(kb, reason, offered, lang))
        record_gap(
            tracker,
            reason,
            about_previous=reason in _ABOUT_PREVIOUS_QUESTION,
            text=self.question,
            outcome=ASKED_BACK if reason == replies.REASON_LOW_CONFIDENCE and offered else GAP,
        )
        return remember_language(tracker)
