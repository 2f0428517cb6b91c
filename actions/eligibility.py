"""Actions of the eligibility checks and the contribution calculator: read the numbers in each
message, ask for a slot, explain why, stop, and render results. No figures here: they come from
``bot.eligibility`` (rules data) and the texts from ``data/eligibility/texts.yml``, both found
through ``bot.eligibility.config``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    language_of,
    latest_entities,
    latest_intent,
    remember_language,
    send,
    user_text,
)
from actions.recording import log_question
from actions.respond import step_aside
from actions.unresolved import ActionUnresolved
from bot.answerability.reading import read_question
from bot.eligibility import dialogue
from bot.eligibility.config import configured
from bot.eligibility.contributions import payroll
from bot.eligibility.model import Decision, Result
from bot.eligibility.opening import check_to_start
from bot.eligibility.render import ask_buttons, render_contribution, render_result
from bot.eligibility.rules import MissingRule
from bot.gaps.model import REASON_ELIGIBILITY_UNKNOWN
from bot.questions.model import CHAT, FORM
from bot.replies import Reply

FORM_SLOTS = (*dialogue.ELIGIBILITY_SLOTS, *dialogue.CONTRIBUTION_SLOTS, "form_failures")


def reset_slots() -> list[dict[str, Any]]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


def log_form_step(tracker: Tracker, form: str | None = None) -> None:
    """The latest message as a step of a check (its scheme) or of the calculator."""
    if form is None and tracker.active_loop_name == "contribution_form":
        form = "contributions"
    topic = form or tracker.get_slot("scheme") or tracker.active_loop_name or ""
    log_question(tracker, FORM, topic=str(topic))


class ActionReadMessage(Action):
    """Says, for every message, whether it starts the eligibility check or the calculator at once
    (sets ``numbers_for``: ``eligibility``, ``contributions`` or nothing; see
    :func:`bot.eligibility.opening.check_to_start`)."""

    def name(self) -> str:
        return "action_read_message"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        value = None
        if tracker.active_loop_name is None:
            text = user_text(tracker)
            entities = latest_entities(tracker)
            reading = read_question(text)
            value = check_to_start(
                latest_intent(tracker),
                text,
                configured().today(),
                entities,
                reading.aspects,
                reading.topics,
            )
        if value == tracker.get_slot("numbers_for"):
            return []
        return [SlotSet("numbers_for", value)]


class ActionAskSlot(Action, ABC):
    """Asks for one slot of a form in the user's language, with buttons where they help."""

    @property
    @abstractmethod
    def slot(self) -> str:
        """The slot this action asks for."""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        lang = language_of(tracker)
        log_form_step(tracker)
        t = configured().texts()
        # the most specific question: for this check, for this form, or for any form
        keys = (
            f"ask_{self.slot}_{tracker.get_slot('scheme')}",
            f"ask_{self.slot}_{tracker.active_loop_name}",
            f"ask_{self.slot}",
        )
        key = next(k for k in keys if k in t or k == keys[-1])
        text = t(key, lang, **configured().params(tracker.get_slot("scheme")))
        send(dispatcher, [Reply(text, ask_buttons(self.slot, t, lang))])
        return []


# One ``action_ask_<slot>`` per form slot (ActionAskScheme, ActionAskWage, ...).
ASK_ACTIONS = {
    slot: type(
        "ActionAsk" + "".join(part.title() for part in slot.split("_")),
        (ActionAskSlot,),
        {"slot": slot, "__doc__": f"Asks for `{slot}` in the user's language."},
    )
    for slot in dialogue.SLOT_KINDS
}


class ActionExplainWhy(Action):
    """Answers "why do you ask?" for the question the form is waiting on."""

    def name(self) -> str:
        return "action_explain_why"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        lang = language_of(tracker)
        log_form_step(tracker)
        slot = tracker.get_slot("requested_slot")
        cfg = configured()
        key = f"why_{slot}" if slot and f"why_{slot}" in cfg.texts() else "why_none"
        send(dispatcher, [Reply(cfg.texts()(key, lang, **cfg.params(tracker.get_slot("scheme"))))])
        return remember_language(tracker)


class ActionStopForm(Action):
    """Leaves the check or calculator the user is in and forgets its answers."""

    def name(self) -> str:
        return "action_stop_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if tracker.active_loop_name is None:
            stepped = await step_aside(dispatcher, tracker)
            if stepped is not None:
                return stepped
        lang = language_of(tracker)
        log_question(tracker, CHAT, topic="stop")
        send(dispatcher, [Reply(configured().texts()("stopped", lang))])
        return [
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            *reset_slots(),
            *remember_language(tracker),
        ]


async def _unresolved(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: dict[str, Any],
    question: str | None = None,
) -> list[dict[str, Any]]:
    """ "Cannot tell" goes through the same action as every other unanswered question, and is
    recorded as a knowledge gap of its own kind."""
    unresolved = ActionUnresolved(REASON_ELIGIBILITY_UNKNOWN, question=question)
    return await unresolved.run(dispatcher, tracker, domain)


def cannot_tell_question(scheme: str | None, result: Result) -> str:
    """What staff see for a "cannot tell": the check, why, and which answers were missing."""
    missing = f"; missing: {', '.join(result.missing)}" if result.missing else ""
    return f"{scheme or 'eligibility'} check: cannot tell ({result.reason}{missing})"


class ActionCheckEligibility(Action):
    """Runs the eligibility check on the form's answers and renders the decision."""

    def name(self) -> str:
        return "action_check_eligibility"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        lang = language_of(tracker)
        log_form_step(tracker)
        day = configured().today()
        slots = {s: tracker.get_slot(s) for s in dialogue.ELIGIBILITY_SLOTS}
        result = dialogue.evaluate(
            slots, configured().rules(), configured().usd_rate(dialogue.event_day(slots, day)), day
        )
        events: list[dict[str, Any]] = []
        if result is None:
            events = await _unresolved(dispatcher, tracker, domain)
        else:
            assumed = dialogue.date_assumed(slots)
            cfg = configured()
            reply = render_result(
                result,
                cfg.texts(),
                lang,
                cfg.hotline(),
                assumed,
                answers=slots,
                defaults=cfg.params(slots.get("scheme")),
            )
            send(dispatcher, [reply])
            if result.decision == Decision.CANNOT_TELL:
                question = cannot_tell_question(tracker.get_slot("scheme"), result)
                events = await _unresolved(dispatcher, tracker, domain, question)
        return [*reset_slots(), *events, *remember_language(tracker)]


class ActionCalculateContributions(Action):
    """Computes a payroll's monthly contributions from the form's answers and renders them."""

    def name(self) -> str:
        return "action_calculate_contributions"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        lang = language_of(tracker)
        log_form_step(tracker, "contributions")
        slots = {s: tracker.get_slot(s) for s in (*dialogue.CONTRIBUTION_SLOTS, "event_date")}
        month = dialogue.event_day(slots, configured().today())
        wages = dialogue.wages(slots)
        events: list[dict[str, Any]] = []
        try:
            if wages is None:
                raise MissingRule("contributions.wages", month)
            result = payroll(configured().rules(), wages, month, configured().usd_rate(month))
        except MissingRule:
            events = await _unresolved(dispatcher, tracker, domain)
        else:
            send(
                dispatcher,
                [
                    render_contribution(
                        result,
                        configured().rules(),
                        configured().texts(),
                        lang,
                        configured().hotline(),
                    )
                ],
            )
        return [*reset_slots(), *events, *remember_language(tracker)]
