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
threshold instead of a number of clusters). The input is sorted by id first, so the same data
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

import numpy as np
import yaml
from scipy import sparse
from sklearn.cluster import AgglomerativeClustering
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


@lru_cache(maxsize=8192)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(t.lower() for t, _, _ in segment(_PLACEHOLDER.sub(" ", text)))


def concepts(text: str) -> list[str]:
    """The glossary concepts a question mentions, by word and, for Khmer, by substring."""
    return list(_concepts(text))


@lru_cache(maxsize=8192)
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


def _block(docs: list[str], weight: float, **options: object) -> sparse.csr_matrix:
    if not any(d.strip() for d in docs):
        return sparse.csr_matrix((len(docs), 0))
    vectorizer = TfidfVectorizer(sublinear_tf=True, **options)
    try:
        matrix = vectorizer.fit_transform(docs)
    except ValueError:  # empty vocabulary
        return sparse.csr_matrix((len(docs), 0))
    return normalize(matrix) * weight


def features(records: Sequence[GapRecord]) -> sparse.csr_matrix:
    """One row per record: weighted words, character n-grams, concepts and suggested intent."""
    return text_features([r.text for r in records], [topic_intent(r) or "" for r in records])


def text_features(
    raw: Sequence[str], intents: Sequence[str] | None = None, weights: dict[str, float] = WEIGHTS
) -> sparse.csr_matrix:
    """One row per masked text: the blocks of :func:`features` (``intents``: each text's topic
    intent, or none at all)."""
    texts = [normalise(_PLACEHOLDER.sub(" ", t)) for t in raw]
    blocks = [
        _block(texts, weights["words"], analyzer=tokens),
        _block(texts, weights["chars"], analyzer="char_wb", ngram_range=(2, 4), lowercase=True),
        _block(list(raw), weights["concepts"], analyzer=concepts),
    ]
    if intents is not None and weights.get("intent"):
        blocks.append(_block(list(intents), weights["intent"], analyzer=lambda s: [s] if s else []))
    return sparse.hstack(blocks).tocsr()


def _without_zero_rows(matrix: np.ndarray) -> np.ndarray:
    """Give each featureless row (emoji only, placeholders only) a column of its own, so that it
    stays alone instead of breaking the cosine distance."""
    empty = np.flatnonzero(~matrix.any(axis=1))
    if empty.size == 0:
        return matrix
    extra = np.zeros((matrix.shape[0], empty.size))
    extra[empty, np.arange(empty.size)] = 1.0
    return np.hstack([matrix, extra])


def cluster(records: Sequence[GapRecord], threshold: float = DISTANCE_THRESHOLD) -> list[Cluster]:
    """Group similar records; biggest cluster first, ties by most recent activity, then key."""
    ordered = sorted(records, key=lambda r: (r.id or 0, r.uid))
    if not ordered:
        return []
    if len(ordered) == 1:
        labels = np.zeros(1, dtype=int)
    else:
        dense = _without_zero_rows(features(ordered).toarray())
        model = AgglomerativeClustering(
            n_clusters=None,
            affinity="cosine",
            linkage="average",
            distance_threshold=threshold,
        )
        labels = model.fit_predict(dense)
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
