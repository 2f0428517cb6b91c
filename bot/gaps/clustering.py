"""Grouping similar unanswered questions, across Khmer and English (scikit-learn).

Each question becomes one vector, the weighted concatenation of four L2-normalised TF-IDF blocks:

- words: the Khmer-aware tokens of :func:`bot.nlu.segmentation.segment` (khmer-nltk words for
  Khmer, words for Latin script), lower-cased;
- character n-grams (2–4, within words): spelling variants, typos, romanised Khmer;
- concepts: a small bilingual glossary (``glossary.yml`` next to this module) maps Khmer and
  English words for the same idea ("រៀបការ", "wedding", "married") to one concept, which is what
  lets a Khmer question and its English paraphrase meet;
- the suggested intent: the NLU's likeliest NSSF topic for the question, if any.

Questions are grouped by agglomerative clustering (average linkage, cosine distance, a distance
threshold instead of a number of clusters; :mod:`bot.gaps.grouping`, which also keeps the result
for the next page and adds new gaps to it). The input is sorted by id first, so the same data
always gives the same clusters, in the same order (biggest first).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from bot.gaps.model import GapRecord
from bot.language import normalise
from bot.nlu.segmentation import segment

GLOSSARY_FILE = Path(__file__).resolve().parent / "glossary.yml"
DISTANCE_THRESHOLD = 0.8
WEIGHTS = {"words": 1.0, "chars": 1.0, "concepts": 1.4, "intent": 0.6}
# Intents that say nothing about the topic of a question.
NON_TOPIC_INTENTS = frozenset(
    {
        "nlu_fallback",
        "out_of_scope",
        "none_of_these",
        "greet",
        "thanks",
        "goodbye",
        "help",
        "language",
        "bot_challenge",
        "feedback",
        "request_human",
    }
)
_PLACEHOLDER = re.compile(r"<[A-Z_]+>")
MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Cluster:
    """Similar questions: the records (newest first), the topic they suggest, when they came."""

    records: tuple[GapRecord, ...]
    suggested_intent: str | None

    @property
    def size(self) -> int:
        return len(self.records)

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(r.id for r in self.records if r.id is not None)

    @property
    def key(self) -> str:
        """A stable name for the cluster: its oldest record's id."""
        return f"c{min(self.ids)}" if self.ids else "c0"

    @property
    def examples(self) -> tuple[str, ...]:
        seen: list[str] = []
        for record in self.records:
            if record.text not in seen:
                seen.append(record.text)
            if len(seen) == MAX_EXAMPLES:
                break
        return tuple(seen)

    @property
    def first_seen(self) -> dt.datetime:
        return min(r.created_at for r in self.records)

    @property
    def last_seen(self) -> dt.datetime:
        return max(r.created_at for r in self.records)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted({r.language for r in self.records}))


@lru_cache(maxsize=1)
def glossary() -> dict[str, str]:
    """Word → concept, from ``glossary.yml`` (``concept: [words in English and Khmer]``)."""
    data = yaml.safe_load(GLOSSARY_FILE.read_text("utf-8")) or {}
    table: dict[str, str] = {}
    for concept, words in data.items():
        for word in words:
            table[normalise(str(word)).lower()] = str(concept)
    return table


def tokens(text: str) -> list[str]:
    """The Khmer-aware word tokens of a masked question (placeholders dropped), lower-cased."""
    return list(_tokens(text))


@lru_cache(maxsize=65536)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(t.lower() for t, _, _ in segment(_PLACEHOLDER.sub(" ", text)))


def concepts(text: str) -> list[str]:
    """The glossary concepts a question mentions, by word and, for Khmer, by substring."""
    return list(_concepts(text))


@lru_cache(maxsize=65536)
def _concepts(text: str) -> tuple[str, ...]:
    table = glossary()
    found = [table[t] for t in tokens(text) if t in table]
    clean = normalise(text).lower()
    found += [c for w, c in table.items() if len(w) > 2 and not w.isascii() and w in clean]
    return tuple(sorted(set(found)))


def topic_intent(record: GapRecord) -> str | None:
    """The likeliest intent of the question that is an actual topic."""
    for item in record.intents:
        name = item.get("name")
        if name and name not in NON_TOPIC_INTENTS:
            return str(name)
    return None


def _intent_analyzer(value: str) -> list[str]:
    return [value] if value else []


class FeatureModel:
    """The four TF-IDF blocks of :func:`features`, fitted on one set of questions, so that
    later questions can be placed in the same space (:mod:`bot.gaps.grouping` adds new gaps
    to known clusters that way)."""

    def __init__(self, weights: dict[str, float] = WEIGHTS, with_intents: bool = True) -> None:
        self.weights = weights
        self.with_intents = with_intents and bool(weights.get("intent"))
        self._fitted: list[TfidfVectorizer | None] = []

    def _vectorizers(self) -> list[tuple[float, dict[str, object]]]:
        w = self.weights
        blocks: list[tuple[float, dict[str, object]]] = [
            (w["words"], {"analyzer": tokens}),
            (w["chars"], {"analyzer": "char_wb", "ngram_range": (2, 4), "lowercase": True}),
            (w["concepts"], {"analyzer": concepts}),
        ]
        if self.with_intents:
            blocks.append((w["intent"], {"analyzer": _intent_analyzer}))
        return blocks

    @staticmethod
    def _docs(raw: Sequence[str], intents: Sequence[str]) -> list[list[str]]:
        texts = [normalise(_PLACEHOLDER.sub(" ", t)) for t in raw]
        return [texts, texts, list(raw), list(intents)]

    def fit_transform(self, raw: Sequence[str], intents: Sequence[str] = ()) -> sparse.csr_matrix:
        docs = self._docs(raw, intents or [""] * len(raw))
        self._fitted, blocks = [], []
        for (weight, options), block_docs in zip(self._vectorizers(), docs, strict=False):
            vectorizer: TfidfVectorizer | None = TfidfVectorizer(sublinear_tf=True, **options)
            try:
                if not any(d.strip() for d in block_docs):
                    raise ValueError("no text")
                matrix = vectorizer.fit_transform(block_docs)  # type: ignore[union-attr]
            except ValueError:  # empty vocabulary
                vectorizer, matrix = None, sparse.csr_matrix((len(raw), 0))
            self._fitted.append(vectorizer)
            blocks.append(normalize(matrix) * weight if vectorizer is not None else matrix)
        return sparse.hstack(blocks).tocsr()

    def transform(self, raw: Sequence[str], intents: Sequence[str] = ()) -> sparse.csr_matrix:
        docs = self._docs(raw, intents or [""] * len(raw))
        blocks = []
        for (weight, _), vectorizer, block_docs in zip(
            self._vectorizers(), self._fitted, docs, strict=False
        ):
            if vectorizer is None:
                blocks.append(sparse.csr_matrix((len(raw), 0)))
            else:
                blocks.append(normalize(vectorizer.transform(block_docs)) * weight)
        return sparse.hstack(blocks).tocsr()


def record_inputs(records: Sequence[GapRecord]) -> tuple[list[str], list[str]]:
    """The texts and topic intents :class:`FeatureModel` reads of records."""
    return [r.text for r in records], [topic_intent(r) or "" for r in records]


def features(records: Sequence[GapRecord]) -> sparse.csr_matrix:
    """One row per record: weighted words, character n-grams, concepts and suggested intent."""
    return FeatureModel().fit_transform(*record_inputs(records))


def text_features(
    raw: Sequence[str], intents: Sequence[str] | None = None, weights: dict[str, float] = WEIGHTS
) -> sparse.csr_matrix:
    """One row per masked text: the blocks of :func:`features` (``intents``: each text's topic
    intent, or none at all)."""
    model = FeatureModel(weights, with_intents=intents is not None)
    return model.fit_transform(raw, intents or ())


def cluster(records: Sequence[GapRecord], threshold: float = DISTANCE_THRESHOLD) -> list[Cluster]:
    """Group similar records; biggest cluster first, ties by most recent activity, then key."""
    ordered = sorted(records, key=lambda r: (r.id or 0, r.uid))
    if not ordered:
        return []
    from bot.gaps import grouping  # it groups with this module's features

    labels = grouping.labels(ordered, threshold)
    groups: dict[int, list[GapRecord]] = {}
    for label, record in zip(labels, ordered, strict=True):
        groups.setdefault(int(label), []).append(record)
    clusters = []
    for members in groups.values():
        members.sort(key=lambda r: (r.created_at, r.id or 0), reverse=True)
        votes = Counter(i for i in (topic_intent(r) for r in members) if i)
        best = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))
        clusters.append(Cluster(tuple(members), best[0][0] if best else None))
    clusters.sort(key=lambda c: (-c.size, -c.last_seen.timestamp(), c.key))
    return clusters
