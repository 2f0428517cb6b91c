"""Form validators of the eligibility check and the contribution calculator.

Each user turn in a form is read by ``bot.eligibility.dialogue``: a readable answer fills the
requested slot; an ambiguous one is asked back; after two answers it cannot read, the validator
explains what it needs and offers to stop. "Stop", "why?" and topic questions fill nothing, so the
form rejects the turn and the rules in ``data/rules/forms.yml`` answer them (then the form resumes);
``INTERRUPTIONS`` lists those intents and a test keeps it equal to the rules.

The validators are rasa-sdk ``FormValidationAction`` subclasses and keep its ``extract_<slot>`` /
``validate_<slot>`` methods, but replace its ``run``, for three reasons:

* rasa-sdk's ``run`` extracts and validates *every* slot that has an ``extract_`` method on every
  turn; a wage or a date would then be read from an answer to another question ("8" for the months
  would become a wage). Here only the requested slot is read from an answer;
* the opening message fills several slots at once ("I worked 8 months, $250, baby due in March"):
  that is :func:`bot.eligibility.prefill.prefill`, which has no place in rasa-sdk's loop;
* which slot comes next depends on the answers, not on a fixed list: the rules of the check say
  what is still missing (``dialogue.next_slot`` asks only for the inputs that can change the
  verdict), so ``requested_slot`` is set here instead of by ``required_slots``.

``action_read_message`` (does the message open a check?) and the form (its values) read the same
message in two calls of the action server; it is parsed once (:func:`bot.numbers.read` keeps the
last readings in memory) rather than carried in a slot, which would copy the user's numbers into
the tracker a second time.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.common import (
    language_of,
    latest_entities,
    latest_intent,
    remember_language,
    send,
    user_text,
)
from bot.eligibility import dialogue, prefill
from bot.eligibility.config import configured
from bot.eligibility.dialogue import Invalid
from bot.eligibility.render import understood_line
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
        "invalidity",
        "survivors",
        "check_contributions",
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


DomainDict = dict[str, Any]


class SlotFillingForm(FormValidationAction):
    """Base of the validators. Needs in the domain: the form with its slots (type ``any``, custom
    mapping), the ``form_failures`` slot, ``action_ask_<slot>`` for each slot, and the intents
    ``stop`` and ``ask_why`` with their rules.

    A user turn is read in two steps, as in rasa-sdk: ``extract_<slot>`` (or :meth:`extract`)
    reads the answer from the message; ``validate_<slot>`` (or :meth:`validate_slot`) checks a
    readable answer against what the slot allows, and returns ``{slot: value}`` or, through
    :meth:`refuse`, ``{slot: None}`` with the explanation sent.
    """

    @abstractmethod
    def prefill(self, tracker: Tracker) -> dict[str, Any]:
        """Slot values the message that opened the form already holds."""

    @abstractmethod
    def next_slot(self, slots: dict[str, Any]) -> str | None:
        """The slot to ask next, or ``None`` when the form is complete."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        slots = dict(tracker.slots)
        updates: dict[str, Any] = {}
        turn = user_turn(tracker, self.form_name())
        if turn:
            requested = tracker.get_slot("requested_slot")
            if tracker.active_loop_name != self.form_name() or requested is None:
                updates = self.prefill(tracker)
                self.echo(dispatcher, tracker, {**slots, **updates}, updates)
            else:
                answer = self.read_answer(requested, dispatcher, tracker, domain)
                if answer is None:
                    return []  # rejected: a rule answers "stop", "why?" or the other question
                updates = answer
        slots.update(updates)
        events = [SlotSet(k, v) for k, v in updates.items()]
        events.append(SlotSet("requested_slot", self.next_slot(slots)))
        if turn:
            events.extend(remember_language(tracker))  # a later button keeps this language
        return events

    def echo(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        slots: dict[str, Any],
        prefilled: dict[str, Any],
    ) -> None:
        """Before the first question of a form the opening message already answered in part,
        say what was read from it ("What I understood: 180 month(s) of contributions."), so a
        misread number is seen before the next question, not only in the result."""
        if self.next_slot(slots) is None:
            return  # complete: the result shows what was understood
        scheme = slots.get("scheme")
        read = {k: v for k, v in prefilled.items() if not isinstance(v, bool)}  # numbers, dates
        line = understood_line(
            read, configured().texts(), language_of(tracker), configured().params(scheme)
        )
        if line:
            send(dispatcher, [Reply(line)])

    def read_answer(
        self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any] | None:
        """The slot updates for the user's answer to ``slot``; ``None`` when the message is not
        an answer but an interruption."""
        extract = getattr(self, f"extract_{slot}", None)
        value = extract(tracker) if extract else self.extract(slot, tracker)
        if value is None and latest_intent(tracker) in INTERRUPTIONS:
            return None
        if isinstance(value, Ambiguous):
            send(dispatcher, [self._ask_back(value, language_of(tracker))])
            return {slot: None}
        if value is None or isinstance(value, Invalid):
            return self.refuse(slot, value, dispatcher, tracker)
        validate = getattr(self, f"validate_{slot}", None)
        if validate is None:
            return self.validate_slot(slot, value, dispatcher, tracker)
        updates: dict[str, Any] = validate(value, dispatcher, tracker, domain)
        return updates

    def extract(self, slot: str, tracker: Tracker) -> Any:
        """The answer to ``slot`` in the latest message (see ``dialogue.answer``)."""
        intent, text = latest_intent(tracker), user_text(tracker)
        if (
            dialogue.SLOT_KINDS[slot] == "yes_no"
            and intent in ("affirm", "deny")
            and text.startswith("/")
        ):
            return intent == "affirm"
        return dialogue.answer(slot, text, configured().today(), latest_entities(tracker))

    def validate_slot(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        """Accepts a readable answer, or refuses an ``Invalid`` one."""
        if isinstance(value, Invalid):
            return self.refuse(slot, value, dispatcher, tracker)
        return {slot: value, "form_failures": 0}

    def refuse(
        self,
        slot: str,
        value: Invalid | None,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> dict[str, Any]:
        """Says why the answer cannot be used; the second time in a row, explains what is needed
        and offers to stop."""
        lang = language_of(tracker)
        failures = int(tracker.get_slot("form_failures") or 0) + 1
        key = value.reason if isinstance(value, Invalid) else "not_understood"
        t, params = configured().texts(), configured().params(tracker.get_slot("scheme"))
        if failures >= MAX_FAILURES:
            stop = Button(t("stop_button", lang), intent_payload("stop"))
            send(
                dispatcher,
                [
                    Reply(t(f"why_{slot}", lang, **params)),
                    Reply(t("two_failures", lang, **params), (stop,)),
                ],
            )
        else:
            send(dispatcher, [Reply(t(key, lang, **params))])
        return {slot: None, "form_failures": failures}

    @staticmethod
    def _ask_back(value: Ambiguous, lang: Lang) -> Reply:
        t = configured().texts()
        option = value.options[0] if value.options else ""
        text = t(f"ambiguous_{value.reason}", lang, option=option, options=", ".join(value.options))
        if value.reason == "currency":
            usd_label = t("usd_button", lang, option=option)
            riel_label = t("riel_button", lang, option=option)
            # the label is the payload: the reader reads it, and it keeps the user's language
            return Reply(text, (Button(usd_label, usd_label), Button(riel_label, riel_label)))
        return Reply(text)


class ValidateEligibilityForm(SlotFillingForm):
    """Fills the eligibility check's slots: the scheme, then only what its rules still need."""

    def name(self) -> str:
        return "validate_eligibility_form"

    def prefill(self, tracker: Tracker) -> dict[str, Any]:
        intent, text = latest_intent(tracker), user_text(tracker)
        entities = latest_entities(tracker)
        out: dict[str, Any] = {}
        scheme = entities.get("scheme")
        if intent in dialogue.TOPIC_CHECKS:
            scheme, known = dialogue.TOPIC_CHECKS[intent]
            out.update(known)
        scheme = scheme or dialogue.scheme_in_text(text)
        if scheme in dialogue.SCHEMES:
            out["scheme"] = scheme
            out.update(prefill.prefill(scheme, text, configured().today()))
            out.update(prefill.from_buttons(entities))
        return out

    def next_slot(self, slots: dict[str, Any]) -> str | None:
        day = dialogue.event_day(slots, configured().today())
        return dialogue.next_slot(
            slots, configured().rules(), configured().usd_rate(day), configured().today()
        )

    def extract_wage(self, tracker: Tracker) -> Any:
        """One monthly wage, or each of the last months' wages when it changed."""
        return dialogue.wage_history(user_text(tracker), configured().today())

    def extract_sick_days_used(self, tracker: Tracker) -> Any:
        """A number of days, or none ("no", "not yet", the "None" button)."""
        return dialogue.days_used(user_text(tracker), configured().today())

    def validate_event_date(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Accepts the date of the birth, sickness, accident or care if it can be that date."""
        value = dialogue.check_event_date(
            tracker.get_slot("scheme"), slot_value, configured().today()
        )
        return self.validate_slot("event_date", value, dispatcher, tracker)


class ValidateContributionForm(SlotFillingForm):
    """Fills the contribution calculator's slots: number of workers and wage(s)."""

    def name(self) -> str:
        return "validate_contribution_form"

    def prefill(self, tracker: Tracker) -> dict[str, Any]:
        return prefill.prefill("contributions", user_text(tracker), configured().today())

    def next_slot(self, slots: dict[str, Any]) -> str | None:
        return dialogue.next_contribution_slot(slots)

    def extract_wage(self, tracker: Tracker) -> Any:
        """One wage for every worker, or one wage per worker."""
        return dialogue.payroll_wages(user_text(tracker), configured().today())

    def validate_wage(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Accepts one wage, or a list with as many wages as workers."""
        value = dialogue.check_wage_count(slot_value, tracker.get_slot("workers"))
        return self.validate_slot("wage", value, dispatcher, tracker)
