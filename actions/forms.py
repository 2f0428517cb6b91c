"""Form validators of the eligibility check and the contribution calculator.

Each user turn in a form is read by ``bot.eligibility.dialogue``: a readable answer fills the
requested slot; an ambiguous one is asked back; after two answers it cannot read, the validator
explains what it needs and offers to stop. "Stop", "why?" and topic questions fill nothing, so the
form rejects the turn and the rules in ``data/rules/forms.yml`` answer them (then the form resumes).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.common import language_of, latest_intent, remember_language, send, user_text
from actions.eligibility import params, rules, texts, today, usd_rate
from bot.eligibility import dialogue
from bot.eligibility.dialogue import Invalid
from bot.language import Lang
from bot.numbers import Ambiguous
from bot.replies import Button, Reply, intent_payload

MAX_FAILURES = 2
# Intents that leave the question unanswered on purpose: handled by rules, not by the form.
INTERRUPTIONS = frozenset(
    {
        "stop",
        "ask_why",
        *dialogue.TOPIC_CHECKS,
        "contribution_rates",
        "contribution_deadline",
        "voluntary_scheme",
        "contact",
        "health_dependants",
        "lost_card",
        "employer_not_registered",
    }
)


def user_turn(tracker: Tracker, form: str) -> bool:
    """Whether the form runs right after a user message (not on its way back from an
    interruption such as "why?")."""
    events = list(tracker.events)
    if events and events[-1].get("event") == "action" and events[-1].get("name") == form:
        events.pop()
    for event in reversed(events):
        if event.get("event") == "user":
            return True
        if event.get("event") == "action" and event.get("name") != "action_listen":
            return False
    return False


class SlotFillingForm(FormValidationAction):
    """Base of the validators. Needs in the domain: the form with its slots (type ``any``, custom
    mapping), the ``form_failures`` slot, ``action_ask_<slot>`` for each slot, and the intents
    ``stop`` and ``ask_why`` with their rules."""

    @abstractmethod
    def prefill(self, tracker: Tracker) -> dict[str, Any]:
        """Slot values the message that opened the form already holds."""

    @abstractmethod
    def next_slot(self, slots: dict[str, Any]) -> str | None:
        """The slot to ask next, or ``None`` when the form is complete."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        slots = dict(tracker.slots)
        updates: dict[str, Any] = {}
        turn = user_turn(tracker, self.form_name())
        if turn:
            requested = tracker.get_slot("requested_slot")
            if tracker.active_loop_name != self.form_name() or requested is None:
                updates = self.prefill(tracker)
            else:
                answer = self.validate_answer(requested, dispatcher, tracker)
                if answer is None:
                    return []  # rejected: a rule answers "stop", "why?" or the other question
                updates = answer
        slots.update(updates)
        events = [SlotSet(k, v) for k, v in updates.items()]
        events.append(SlotSet("requested_slot", self.next_slot(slots)))
        if turn:
            events.extend(remember_language(tracker))  # a later button keeps this language
        return events

    def validate_answer(
        self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any] | None:
        """The slot updates for the user's answer to ``slot``; ``None`` when the message is not
        an answer but an interruption."""
        lang = language_of(tracker)
        intent, text = latest_intent(tracker), user_text(tracker)
        entities = {
            e.get("entity"): e.get("value") for e in tracker.latest_message.get("entities") or []
        }
        if (
            dialogue.SLOT_KINDS[slot] == "yes_no"
            and intent in ("affirm", "deny")
            and text.startswith("/")
        ):
            value: Any = intent == "affirm"
        else:
            value = dialogue.answer(slot, text, today(), entities)
        if value is None and intent in INTERRUPTIONS:
            return None
        if isinstance(value, Ambiguous):
            send(dispatcher, [self._ask_back(value, lang)])
            return {slot: None}
        if value is None or isinstance(value, Invalid):
            failures = int(tracker.get_slot("form_failures") or 0) + 1
            key = value.reason if isinstance(value, Invalid) else "not_understood"
            if failures >= MAX_FAILURES:
                stop = Button(texts()("stop_button", lang), intent_payload("stop"))
                send(
                    dispatcher,
                    [
                        Reply(texts()(f"why_{slot}", lang, **params())),
                        Reply(texts()("two_failures", lang, **params()), (stop,)),
                    ],
                )
            else:
                send(dispatcher, [Reply(texts()(key, lang))])
            return {slot: None, "form_failures": failures}
        return {slot: value, "form_failures": 0}

    @staticmethod
    def _ask_back(value: Ambiguous, lang: Lang) -> Reply:
        t = texts()
        option = value.options[0] if value.options else ""
        text = t(f"ambiguous_{value.reason}", lang, option=option, options=", ".join(value.options))
        if value.reason == "currency":
            return Reply(
                text,
                (
                    Button(t("usd_button", lang, option=option), f"${option}"),
                    Button(t("riel_button", lang, option=option), f"{option} riel"),
                ),
            )
        return Reply(text)


class ValidateEligibilityForm(SlotFillingForm):
    """Fills the eligibility check's slots: the scheme, then only what its rules still need."""

    def name(self) -> str:
        return "validate_eligibility_form"

    def prefill(self, tracker: Tracker) -> dict[str, Any]:
        intent, text = latest_intent(tracker), user_text(tracker)
        entities = {
            e.get("entity"): e.get("value") for e in tracker.latest_message.get("entities") or []
        }
        out: dict[str, Any] = {}
        scheme = entities.get("scheme")
        if intent in dialogue.TOPIC_CHECKS:
            scheme, known = dialogue.TOPIC_CHECKS[intent]
            out.update(known)
        scheme = scheme or dialogue.scheme_in_text(text)
        if scheme in dialogue.SCHEMES:
            out["scheme"] = scheme
            out.update(dialogue.prefill(scheme, text, today()))
        return out

    def next_slot(self, slots: dict[str, Any]) -> str | None:
        day = dialogue.event_day(slots, today())
        return dialogue.next_slot(slots, rules(), usd_rate(day), today())


class ValidateContributionForm(SlotFillingForm):
    """Fills the contribution calculator's slots: number of workers and wage(s)."""

    def name(self) -> str:
        return "validate_contribution_form"

    def prefill(self, tracker: Tracker) -> dict[str, Any]:
        return dialogue.prefill("contributions", user_text(tracker), today())

    def next_slot(self, slots: dict[str, Any]) -> str | None:
        return dialogue.next_contribution_slot(slots)
