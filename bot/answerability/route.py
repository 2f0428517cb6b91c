"""Where a message outside a form ends up, as the dialogue rules and the actions send it: a
one-shot check or the calculator (:mod:`bot.eligibility.opening`), or what :func:`decide` says.

The eval script scores these outcomes against the blind eval set; the actions make the same
calls (``action_read_message`` for the check, ``action_answer``/``action_unresolved`` for the
rest), and an integration test checks that a real Rasa server agrees with :func:`route`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.answerability.decide import DEFAULT_THRESHOLDS, Thresholds, Verdict, decide
from bot.answerability.lexicon import Lexicon, configured_lexicon
from bot.answerability.reading import read_question
from bot.eligibility.opening import SCHEME_TOPICS, answer_topic, check_to_start, requested_scheme

Kind = Literal[
    "answer", "partial", "not_covered", "ask_back", "out_of_scope", "check", "calculator", "other"
]
# intents whose rule goes to action_unresolved, which weighs the message again (decide); the
# other actions (small talk, menu, stop ...) only step aside for a question no answer covers
UNRESOLVED_INTENTS = frozenset({"nlu_fallback", "out_of_scope", "not_covered"})
# intents whose rule outside a form is action_unresolved without an answer to give: "none of
# these", and a bare yes, no, number or "why?" ("Sorry, I can't answer that yet", and a gap)
NOTHING_TO_ANSWER = frozenset({"none_of_these", "affirm", "deny", "inform", "ask_why"})


@dataclass(frozen=True)
class Outcome:
    kind: Kind
    topic: str | None = None  # answered or checked topic
    aspect: str | None = None
    also: str | None = None

    @property
    def records_gap(self) -> bool:
        return self.kind in ("partial", "not_covered", "ask_back", "out_of_scope")


def _from_verdict(verdict: Verdict) -> Outcome:
    return Outcome(verdict.kind, verdict.topic, verdict.aspect, verdict.also)


def route(
    text: str,
    ranking: Sequence[tuple[str, float]],
    answers: Mapping[str, Collection[str]],
    today: dt.date,
    entities: Mapping[str, str] | None = None,
    lex: Lexicon | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Outcome:
    """The outcome of a first message (no form active). ``ranking`` as Rasa gives it, after the
    FallbackClassifier (``nlu_fallback`` first when the model was unsure)."""
    lex = lex or configured_lexicon()
    entities = entities or {}
    intent = ranking[0][0] if ranking else None
    reading = read_question(text, lex)
    start = check_to_start(intent, text, today, entities, reading.aspects, reading.topics)
    if start == "contributions":
        return Outcome("calculator", "calculate_contributions")
    if start == "eligibility":
        if intent in answers:
            return Outcome("check", intent)
        scheme = requested_scheme(intent, text, entities)
        return Outcome("check", SCHEME_TOPICS.get(scheme or "", intent))
    topic = answer_topic(intent, text, entities)
    if topic is not None:  # "am I eligible for X?" is answered as a question about X
        return _from_verdict(decide(text, [(topic, 1.0)], answers, lex, thresholds))
    verdict = decide(text, ranking, answers, lex, thresholds)
    if intent == "calculate_contributions" and verdict.kind != "not_covered":
        return Outcome("ask_back")  # no payroll in it: action_answer asks back
    if intent in answers or intent in UNRESOLVED_INTENTS or verdict.kind == "not_covered":
        return _from_verdict(verdict)
    if intent in NOTHING_TO_ANSWER:
        return Outcome("ask_back")
    return Outcome("other", intent)
