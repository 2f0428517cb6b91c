"""Answer, answer in part, ask back, or say honestly that the bot cannot answer yet.

The NLU model's ranking is one opinion; the words of the question are the other
(:mod:`bot.answerability.reading`). :func:`decide` weighs them:

- a topic the model is sure of, or fairly sure of with the question's words behind it, is
  answered; when the question also asks something that answer does not give (a province's
  hospitals, opening hours, a refund, whether foreigners are covered ...), the bot gives what it
  knows, says what it cannot answer yet and records a gap (``partial``);
- a question about NSSF that no answer covers (the model's ``not_covered`` intent, or an
  uncovered aspect with no topic the model is sure of) is a gap (``not_covered``), never a nearby
  answer;
- a topic the model is unsure of, or two topics it cannot tell apart, is asked back;
- a message with no sign of NSSF that the model calls off-topic, or that names another service
  (an IDPoor card, a number plate, a passport) and not NSSF, is ``out_of_scope``.

Thresholds were tuned on the blind eval set (``tests/eval/``), never on training data; see
``docs/benchmarks.md``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.answerability.lexicon import Lexicon, configured_lexicon
from bot.answerability.reading import QuestionReading, read_question, topic_words

Kind = Literal["answer", "partial", "not_covered", "ask_back", "out_of_scope", "other"]
FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
NOT_COVERED = "not_covered"  # the intent of NSSF questions no answer covers


@dataclass(frozen=True)
class Thresholds:
    answer: float = 0.5  # answer a topic at this confidence, whatever the words say
    supported: float = 0.35  # ... or at this one when the question holds the topic's words
    margin: float = 0.1  # closer than this to a second topic with more words: ask back


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Verdict:
    kind: Kind
    topic: str | None = None  # the topic answered (answer, partial)
    aspect: str | None = None  # what cannot be answered (partial, not_covered)
    also: str | None = None  # a second question's topic, answered too
    suggestions: tuple[str, ...] = ()  # topics to offer when asking back

    @property
    def records_gap(self) -> bool:
        return self.kind in ("partial", "not_covered", "ask_back", "out_of_scope")


def _ranked(ranking: Sequence[tuple[str, float]]) -> list[tuple[str, float]]:
    return [(name, conf) for name, conf in ranking if name != FALLBACK]


def _uncovered(reading: QuestionReading, answers: Collection[str]) -> str | None:
    return next((a for a in reading.aspects if a not in answers), None)


def _specific(reading: QuestionReading, lex: Lexicon) -> str | None:
    """An asked aspect that is not a facet: the question is about something specific."""
    return next((a for a in reading.aspects if not lex.aspects[a].facet), None)


def _second_question(
    reading: QuestionReading, topic: str, topics: Collection[str], lex: Lexicon
) -> str | None:
    """The topic of another question in the same message, when its words clearly show one. The
    answered topic's own question is the one with most of its words (else the last question)."""
    if len(reading.questions) < 2:
        return None
    scores = [topic_words(sentence, lex) for sentence in reading.questions]
    own = [s.get(topic, 0) for s in scores]
    primary = own.index(max(own)) if max(own) else len(scores) - 1
    for index, found in enumerate(scores):
        if index == primary or not found or found.get(topic):
            continue
        best = max(found.values())
        leaders = [t for t, n in found.items() if n == best and t in topics]
        if len(leaders) == 1:
            return leaders[0]
    return None


def decide(
    text: str,
    ranking: Sequence[tuple[str, float]],
    answers: Mapping[str, Collection[str]],
    lex: Lexicon | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Verdict:
    """What to do with a message. ``ranking``: the NLU's intents with confidences, best first
    (``nlu_fallback`` entries are skipped: the ranking under them is used); ``answers``: each
    topic's answered aspects (``Topic.answers``)."""
    lex = lex or configured_lexicon()
    reading = read_question(text, lex)
    ranked = _ranked(ranking)
    top, conf = ranked[0] if ranked else (None, 0.0)
    second, conf2 = ranked[1] if len(ranked) > 1 else (None, 0.0)
    suggestions = tuple(name for name, _ in ranked if name in answers)[:2]
    if reading.elsewhere and not reading.nssf:
        return Verdict("out_of_scope")  # "how do I register my motorbike plate?"
    if top is not None and top in answers:
        supported = reading.evidence(top) > 0
        sure = conf >= thresholds.answer or (conf >= thresholds.supported and supported)
        if not sure:
            specific = _specific(reading, lex)
            if specific and reading.about_nssf:
                return Verdict("not_covered", aspect=specific)
            return Verdict("ask_back", suggestions=suggestions)
        if (
            second in answers
            and conf - conf2 < thresholds.margin
            and reading.evidence(second) > reading.evidence(top)  # type: ignore[arg-type]
        ):
            return Verdict("ask_back", suggestions=suggestions)
        missing = _uncovered(reading, answers[top])
        if missing:
            return Verdict("partial", topic=top, aspect=missing)
        return Verdict("answer", topic=top, also=_second_question(reading, top, answers, lex))
    fallback = bool(ranking) and ranking[0][0] == FALLBACK
    specific = _specific(reading, lex)
    if top == NOT_COVERED:  # the model knows it as an NSSF question no answer covers
        return Verdict("not_covered", aspect=specific, suggestions=suggestions)
    if top in (None, OUT_OF_SCOPE) or fallback:
        if specific and reading.about_nssf:
            return Verdict("not_covered", aspect=specific)
        worded = tuple(name for name, _ in ranked if name in answers and reading.evidence(name))
        if worded:  # the model calls it off-topic, its words say a topic: ask
            return Verdict("ask_back", suggestions=worded[:2])
        if reading.nssf:
            return Verdict("not_covered")
        if fallback:  # unsure: ask back (with no topic to offer, "please try other words")
            return Verdict("ask_back", suggestions=suggestions)
        return Verdict("out_of_scope")
    if specific:
        # a question read as small talk, "stop" or "yes": it asks what no answer covers
        return Verdict("not_covered", aspect=specific)
    return Verdict("other")
