"""Whether a message outside a form starts the eligibility check or the calculator at once, or is
answered from the knowledge first.

- A topic question that already holds the user's own numbers, each with a clear role ("I worked
  8 months", "my wage is $250"), gets a one-shot check.
- "Am I eligible for maternity pay?" / "do I get anything when I give birth?" without numbers gets
  the answer first (figures, conditions, next step) with an offer to work out the user's own
  amount; only a request that names no benefit ("can you check if I qualify?") or the offer's
  button starts the check, which then asks what it needs.
- Questions about documents or how to claim are answered from the knowledge, never by a check.
- An employer's question with a head count and a wage ("7 staff at $230"), a contribution
  question with either, or a "calculate what I owe" in an employer's words opens the calculator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Literal

from bot.eligibility.dialogue import SCHEMES, TOPIC_CHECKS, scheme_in_text
from bot.eligibility.prefill import prefill

Start = Literal["eligibility", "contributions"]
CHECK_INTENT = "check_eligibility"
CALCULATOR_INTENT = "calculate_contributions"
# the one aspect a check answers ("how much will I get?"); a question asking any other (documents,
# how to claim, a refund, whether foreigners are covered ...) gets the knowledge answer
_CHECK_ASPECTS = frozenset({"amount"})
# topics whose words show a payroll question ("my staff", "what do I owe", "contribution")
_PAYROLL_TOPICS = frozenset(
    {"calculate_contributions", "contribution_rates", "register_enterprise"}
)
# an employer's questions: with a head count and a wage they are payroll questions
_EMPLOYER_INTENTS = frozenset({"contribution_deadline", "register_enterprise"})
# the knowledge topic that answers a check's scheme
SCHEME_TOPICS = {
    "health_care": "health_care",
    "maternity": "maternity",
    "sickness": "sickness",
    "injury": "work_injury",
    "pension": "pension",
    "registration": "register_worker",
}


def _numbers(scheme: str, text: str, today: dt.date) -> bool:
    found = prefill(scheme, text, today)
    found.pop("event_date", None)
    return bool(found)


def requested_scheme(intent: str | None, text: str, entities: Mapping[str, str]) -> str | None:
    """The check a message asks for: from a button's entity, the topic, or its words."""
    if entities.get("scheme") in SCHEMES:
        return entities["scheme"]
    if intent in TOPIC_CHECKS:
        return TOPIC_CHECKS[intent][0]
    return scheme_in_text(text)


def check_to_start(
    intent: str | None,
    text: str,
    today: dt.date,
    entities: Mapping[str, str] | None = None,
    aspects: Collection[str] = (),
    topics: Collection[str] = (),
) -> Start | None:
    """What the message starts at once (``None``: it is answered like any other message).
    ``aspects``: what the question asks (:mod:`bot.answerability.reading`); ``topics``: the
    topics its words show."""
    entities = entities or {}
    if intent == CALCULATOR_INTENT:
        # the calculator needs a payroll question: numbers, or an employer's words for one
        payroll = _PAYROLL_TOPICS.intersection(topics) or text.startswith("/")
        return "contributions" if payroll or _numbers("contributions", text, today) else None
    if intent == "contribution_rates":
        return "contributions" if _numbers("contributions", text, today) else None
    if (
        intent in _EMPLOYER_INTENTS
        and {"workers", "wage"} <= prefill("contributions", text, today).keys()
    ):
        return "contributions"  # "I have 7 staff at $230, when and how much do I pay?"
    if set(aspects) - _CHECK_ASPECTS:
        return None
    if intent == CHECK_INTENT:
        scheme = requested_scheme(intent, text, entities)
        if scheme is None or text.startswith("/") or _numbers(scheme, text, today):
            return "eligibility"
        return None  # answer first, with the offer to check
    if intent in TOPIC_CHECKS and _numbers(TOPIC_CHECKS[intent][0], text, today):
        return "eligibility"
    return None


def answer_topic(intent: str | None, text: str, entities: Mapping[str, str]) -> str | None:
    """The knowledge topic that answers an "am I eligible for X?" asked without numbers."""
    if intent != CHECK_INTENT:
        return None
    scheme = requested_scheme(intent, text, entities)
    return SCHEME_TOPICS.get(scheme or "")
