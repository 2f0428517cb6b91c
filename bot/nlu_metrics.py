"""Scores for the NLU eval set: intent accuracy per language, out-of-scope recall and the rate of
in-scope messages wrongly sent to fallback. Pure functions over (gold, predicted) pairs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.language import script_of

FALLBACK_INTENT = "nlu_fallback"
OUT_OF_SCOPE_INTENT = "out_of_scope"


@dataclass(frozen=True)
class Example:
    text: str
    intent: str

    @property
    def language(self) -> str:
        return script_of(self.text) or "en"


@dataclass(frozen=True)
class Scores:
    accuracy: dict[str, float]  # per language: predicted intent == gold (fallback counts wrong)
    counts: dict[str, int]  # examples per language
    out_of_scope_recall: float  # off-topic messages not answered as a topic
    in_scope_fallback_rate: float  # in-scope messages sent to fallback or out_of_scope
    errors: tuple[tuple[str, str, str], ...]  # (text, gold, predicted)


def _ratio(hits: int, total: int) -> float:
    return hits / total if total else 0.0


def score(examples: Sequence[Example], predicted: Iterable[str]) -> Scores:
    """Score predictions (intent names after the FallbackClassifier) against the gold intents."""
    predicted = list(predicted)
    if len(predicted) != len(examples):
        raise ValueError(f"{len(examples)} examples but {len(predicted)} predictions")
    hits: dict[str, int] = {}
    counts: dict[str, int] = {}
    oos_total = oos_caught = in_total = in_fallback = 0
    errors = []
    for example, guess in zip(examples, predicted, strict=True):
        lang = example.language
        counts[lang] = counts.get(lang, 0) + 1
        hits[lang] = hits.get(lang, 0) + (guess == example.intent)
        if guess != example.intent:
            errors.append((example.text, example.intent, guess))
        if example.intent == OUT_OF_SCOPE_INTENT:
            oos_total += 1
            oos_caught += guess in (OUT_OF_SCOPE_INTENT, FALLBACK_INTENT)
        else:
            in_total += 1
            in_fallback += guess in (OUT_OF_SCOPE_INTENT, FALLBACK_INTENT)
    return Scores(
        accuracy={lang: _ratio(hits[lang], counts[lang]) for lang in sorted(counts)},
        counts=dict(sorted(counts.items())),
        out_of_scope_recall=_ratio(oos_caught, oos_total),
        in_scope_fallback_rate=_ratio(in_fallback, in_total),
        errors=tuple(errors),
    )
