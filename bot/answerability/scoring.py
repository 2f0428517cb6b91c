"""Scores of the bot's outcomes on the blind eval set (``tests/eval/``), per language.

Each eval message says what a good reply does (``expect``): answer a topic, compute contributions,
admit a knowledge gap (``gap``: an NSSF question the answers do not cover) or decline an
off-topic one (``out_of_scope``). Measured per language (English, Khmer, mixed, romanized):

- right answer: an in-scope message answered (or checked) with the expected topic;
- gap recall: uncovered NSSF questions that end in a recorded gap (an honest partial answer, an
  "I can't answer that yet", or a question back);
- false gaps: in-scope messages that end in a gap instead of their answer;
- confidently wrong: any message answered with an answer that does not answer it, and no gap;
- intent accuracy: in-scope messages whose NLU intent alone is the expected topic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.answerability.route import Outcome

LANGS = ("en", "km", "mixed", "romanized")
GAP = "gap"
OUT_OF_SCOPE = "out_of_scope"
CONVERSATION = frozenset({"greet", "thanks", "goodbye", "help"})
# replies that answer an expectation too: the calculator's reply gives the rates; the reply to a
# typed "thank you, that helped" (feedback) thanks back; "are you a bot?" and "I want a person"
# are answered with how to reach a person at NSSF (the hotline), which is what contact gives
_ALSO_RIGHT = {
    "contribution_rates": {"calculate_contributions"},
    "thanks": {"feedback"},
    "contact": {"bot_challenge", "request_human"},
}


@dataclass(frozen=True)
class EvalMessage:
    text: str
    lang: str
    expect: str
    also: str | None = None
    long: bool = False
    aspect: str | None = None
    source: str = ""  # file and position, for error listings


def is_right(message: EvalMessage, outcome: Outcome) -> bool:
    if message.expect in (GAP, OUT_OF_SCOPE):
        return False
    if outcome.kind in ("answer", "check", "calculator"):
        accepted = {message.expect, *_ALSO_RIGHT.get(message.expect, ())}
        # two questions answered both: either may come first
        return outcome.topic in accepted or (
            outcome.also in accepted and outcome.topic == message.also
        )
    accepted = {message.expect, *_ALSO_RIGHT.get(message.expect, ())}
    return outcome.kind == "other" and outcome.topic in accepted


def is_confidently_wrong(message: EvalMessage, outcome: Outcome) -> bool:
    """Answered, with no gap recorded, and not with what the message needs."""
    if outcome.records_gap:
        return False
    return not is_right(message, outcome)


@dataclass
class Tally:
    total: int = 0
    in_scope: int = 0
    right: int = 0
    false_gaps: int = 0
    asked_back: int = 0
    gaps: int = 0
    gaps_recorded: int = 0
    gaps_honest: int = 0  # said plainly that it cannot answer (not only asked back)
    off_topic: int = 0
    off_topic_declined: int = 0
    confidently_wrong: int = 0
    two_questions: int = 0
    both_answered: int = 0
    intent_hits: int = 0  # in-scope messages whose NLU intent is the expected one
    errors: list[tuple[EvalMessage, Outcome]] = field(default_factory=list)

    def add(self, message: EvalMessage, outcome: Outcome, intent: str | None = None) -> None:
        """Count one message: its outcome and (``intent``) the topic the NLU alone gave it."""
        self.total += 1
        wrong = is_confidently_wrong(message, outcome)
        self.confidently_wrong += wrong
        if message.expect == GAP:
            self.gaps += 1
            self.gaps_recorded += outcome.records_gap
            self.gaps_honest += outcome.kind in ("partial", "not_covered", OUT_OF_SCOPE)
        elif message.expect == OUT_OF_SCOPE:
            self.off_topic += 1
            self.off_topic_declined += outcome.records_gap
        else:
            self.in_scope += 1
            self.intent_hits += intent is not None and is_right(message, Outcome("answer", intent))
            right = is_right(message, outcome)
            self.right += right
            self.false_gaps += outcome.kind in ("partial", "not_covered", OUT_OF_SCOPE)
            self.asked_back += outcome.kind == "ask_back"
            if message.also:
                self.two_questions += 1
                self.both_answered += right and message.also in (outcome.topic, outcome.also)
            if not right:
                self.errors.append((message, outcome))
                return
        if wrong or (message.expect == GAP and not outcome.records_gap):
            self.errors.append((message, outcome))

    @staticmethod
    def _rate(hits: int, total: int) -> float | None:
        return hits / total if total else None

    @property
    def right_rate(self) -> float | None:
        return self._rate(self.right, self.in_scope)

    @property
    def intent_accuracy(self) -> float | None:
        return self._rate(self.intent_hits, self.in_scope)

    @property
    def gap_recall(self) -> float | None:
        return self._rate(self.gaps_recorded, self.gaps)

    @property
    def honest_gap_rate(self) -> float | None:
        return self._rate(self.gaps_honest, self.gaps)

    @property
    def false_gap_rate(self) -> float | None:
        return self._rate(self.false_gaps, self.in_scope)

    @property
    def ask_back_rate(self) -> float | None:
        return self._rate(self.asked_back, self.in_scope)

    @property
    def off_topic_rate(self) -> float | None:
        return self._rate(self.off_topic_declined, self.off_topic)

    @property
    def confidently_wrong_rate(self) -> float | None:
        return self._rate(self.confidently_wrong, self.total)


def tally(
    scored: Iterable[tuple[EvalMessage, Outcome, str | None]], langs: Sequence[str] = LANGS
) -> dict[str, Tally]:
    """Tallies per language and for ``all``, of (message, outcome, the NLU's topic)."""
    out = {lang: Tally() for lang in (*langs, "all")}
    for message, outcome, intent in scored:
        out.setdefault(message.lang, Tally()).add(message, outcome, intent)
        out["all"].add(message, outcome, intent)
    return out
