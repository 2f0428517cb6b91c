"""Does a new message ask what a staff answer was written for?

Every text (the answers' questions, the message) is read into a set of features:

- concepts of the bilingual glossary (``bot/gaps/glossary.yml``): English, Khmer and romanized
  Khmer words and phrases for one idea ("wedding", "រៀបការ", "riep ka"), the longest first; Khmer
  is matched inside unsegmented text (never inside a letter cluster), Latin words also in their
  plural, -ing and -ed forms, with one letter missing, one too many or one other vowel in a word
  of six letters or more, and through the romanized spellings of ``data/lexicon/romanized.yml``
  (:func:`bot.language.romanized_spelling`: "chnam" → year); a denial right before "accept",
  "receive" or "use" ("won't accept", មិន accept, "min totuol") reads as a refusal;
- the other words (khmer-nltk segments for Khmer), less the function words of ``stopwords.yml``
  ("the", ខ្ញុំ, knhom, tae, ot, and NSSF itself, which nearly every question names).

Features are weighted by inverse answer frequency (a concept that many answers' questions hold,
like "card", counts less; one that no answer holds counts against a match, with weight
:data:`MATCH_WEIGHTS` ``"unseen"`` / ``"unseen_words"`` times the rarest weight), words by
``"words"``. An answer's similarity is the cosine similarity of the message with its closest
question and with the centroid of all its questions, mixed (``"question"``); its score is the
weighted geometric mean of that similarity and the share of the centroid the message covers
(``"recall"``: a message without the concepts that all the answer's questions hold does not get
it), times the share of the message the centroid holds to the power ``"precision"`` (a message
that shares the answer's rare word but asks about much else, "I want to open a traditional
medicine shop: must I register my workers?", does not get the answer about traditional healers).
The best answer is used when its score reaches :data:`THRESHOLD`; between
:data:`ASK_THRESHOLD` and it, the match is not ``sure`` and the bot asks the user first whether
that answer is what they want (:mod:`actions.staff`). Both were tuned on the tune and dev files of
``tests/staff_answers_eval/`` with ``python -m scripts.staff_answer_eval --sweep`` and are
measured on the test and holdout files, never looked at while tuning. The files are read on
first use; each question is read once, when the :class:`Matcher` is built.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.gaps.clustering import GLOSSARY_FILE
from bot.gaps.redaction import mask
from bot.language import normalise, romanized_spelling
from bot.nlu.segmentation import segment
from bot.staff_answers.model import StaffAnswer

STOPWORDS_FILE = Path(__file__).resolve().parent / "stopwords.yml"
THRESHOLD = 0.5
ASK_THRESHOLD = 0.25
MATCH_WEIGHTS = {
    "words": 1.0,  # a word, compared with a concept
    "unseen": 2.0,  # a concept no answer holds, times the weight of the rarest one
    "unseen_words": 0.5,  # the same for a word
    "base": 0.5,  # added to every log inverse answer frequency
    "question": 0.6,  # the share of the closest question in the similarity (the rest: centroid)
    "recall": 0.6,  # the share of the covered centroid in the score
    "precision": 0.15,  # the power of the share of the message the centroid holds
}
_SMOOTH = 0.5  # added to answer frequencies
_STOP, _NEG = "", "!"  # lexicon values of function words and of denials
_DENIED = {"c:accept": "c:refuse", "c:receive": "c:refuse", "c:use": "c:refuse"}
_FUZZY_MIN = 6  # words this long may have one typo
_PLACEHOLDER = re.compile(r"<[A-Z_]+>")
_KHMER = "\u1780-\u17dd\u19e0-\u19ff"
_PIECE = re.compile(rf"[{_KHMER}]+(?:[\s.]+[{_KHMER}]+)*|[a-z0-9]+(?:['\-][a-z0-9]+)*")
_NOT_KHMER = re.compile(rf"[^{_KHMER}]+")
_LATIN = re.compile(r"[a-z0-9]+(?:['\-][a-z0-9]+)*")
# Khmer signs that belong to the letter before them: a match may not start or end inside one.
_DEPENDENT = frozenset(chr(c) for c in [*range(0x17B4, 0x17D4), 0x17DD])
_COENG = "\u17d2"
_KHMER_VARIANTS = (("\u17d2\u178a", "\u17d2\u178f"), ("ឲ្យ", "ឱ្យ"), ("អោយ", "ឱ្យ"), ("ៗ", ""))


def _khmer(text: str) -> str:
    """One spelling for Khmer: no spaces or dots, subscript ដ as ត, one spelling of ឱ្យ."""
    text = _NOT_KHMER.sub("", text)
    for old, new in _KHMER_VARIANTS:
        text = text.replace(old, new)
    return text


def stem(word: str) -> str:
    """A light English stemmer: plurals, then -ing or -ed, then a final -e go ("crashing" →
    "crash"), leaving at least four letters."""
    word = word.replace("’", "'").removesuffix("'s")
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            if word[-1] == word[-2] and word[-1] not in "aeiouls":
                word = word[:-1]
            break
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


def _latin_words(text: str) -> tuple[str, ...]:
    return tuple(_LATIN.findall(normalise(text).lower().replace("’", "'")))


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _vowel_slots(word: str) -> set[str]:
    """The word with one vowel left open: romanized spellings differ in vowels (bokkolik,
    bokkelik)."""
    return {f"~{word[:i]}*{word[i + 1 :]}" for i, c in enumerate(word) if c in "aeiouy"}


@dataclass(frozen=True)
class _Lexicon:
    exact: dict[tuple[str, ...], str]  # words → "c:concept", _STOP or _NEG
    latin: dict[tuple[str, ...], str]  # the same, by stemmed words
    khmer: dict[str, str]
    latin_longest: int
    khmer_lengths: tuple[int, ...]  # longest first
    fuzzy: dict[str, frozenset[str]]  # long words, less a letter or with a vowel open → concepts

    def fuzzy_concept(self, word: str) -> str | None:
        """The concept of a long word with one letter left out, one too many or one other vowel."""
        found: set[str] = set(self.fuzzy.get(word, ()))
        for variant in _vowel_slots(word):
            found |= self.fuzzy.get(variant, frozenset())
        for variant in _deletions(word):
            found |= self.fuzzy.get(f"={variant}", frozenset())
        return found.pop() if len(found) == 1 else None


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    exact: dict[tuple[str, ...], str] = {}
    latin: dict[tuple[str, ...], str] = {}
    khmer: dict[str, str] = {}
    stops = yaml.safe_load(STOPWORDS_FILE.read_text("utf-8")) or {}
    glossary = yaml.safe_load(GLOSSARY_FILE.read_text("utf-8")) or {}
    entries = [(str(w), _STOP) for k in ("nssf", "en", "km", "romanized") for w in stops.get(k, [])]
    entries += [(str(w), _NEG) for w in stops.get("negation", [])]
    entries += [(str(w), f"c:{c}") for c, words in glossary.items() for w in words]
    fuzzy: dict[str, set[str]] = defaultdict(set)
    for word, value in entries:  # glossary last: its words win
        if _khmer(word):
            khmer[_khmer(word)] = value
        elif words := _latin_words(word):
            exact[words] = value
            key = tuple(map(stem, words))
            latin[key] = value
            if value.startswith("c:") and len(key) == 1 and len(key[0]) >= _FUZZY_MIN:
                for variant in {f"={key[0]}", *_deletions(key[0]), *_vowel_slots(key[0])}:
                    fuzzy[variant].add(value)
    return _Lexicon(
        exact,
        latin,
        khmer,
        max(map(len, latin), default=1),
        tuple(sorted({len(w) for w in khmer}, reverse=True)),
        {k: frozenset(v) for k, v in fuzzy.items()},
    )


def _aligned(text: str, i: int) -> bool:
    """Whether a Khmer word may start (or the one before end) at ``text[i]``."""
    return i >= len(text) or (text[i] not in _DEPENDENT and text[i - 1 : i] != _COENG)


def _khmer_items(run: str, lex: _Lexicon) -> list[str]:
    items: list[str] = []
    rest, i = "", 0
    while i < len(run):
        if _aligned(run, i):
            for size in lex.khmer_lengths:
                value = lex.khmer.get(run[i : i + size])
                if value is not None and i + size <= len(run) and _aligned(run, i + size):
                    items += _khmer_words(rest, lex)
                    items.append(value)
                    rest, i = "", i + size
                    break
            else:
                rest, i = rest + run[i], i + 1
        else:
            rest, i = rest + run[i], i + 1
    return items + _khmer_words(rest, lex)


def _khmer_words(text: str, lex: _Lexicon) -> list[str]:
    words = (t for t, _, _ in segment(text)) if text else ()
    return [f"w:{w}" for w in words if lex.khmer.get(w) is None and len(w) > 1]


def _romanized(word: str, lex: _Lexicon) -> str | None:
    """The concept of a romanized spelling ("chnam" → year), _STOP for a function word, or None."""
    name = romanized_spelling(word)
    if name == word:
        return None
    values = [lex.latin.get(tuple(map(stem, _latin_words(name.replace("_", " ")))))]
    values += [lex.latin.get((stem(part),)) for part in name.split("_")]
    concepts = [v for v in values if v and v.startswith("c:")]
    if concepts:
        return concepts[0]
    return _STOP if _STOP in values or _NEG in values else f"w:{name}"


def _latin_items(words: list[str], lex: _Lexicon) -> list[str]:
    items: list[str] = []
    keys = [stem(w) for w in words]
    i = 0
    while i < len(words):
        for size in range(min(lex.latin_longest, len(words) - i), 0, -1):
            value = lex.exact.get(tuple(words[i : i + size]))
            if value is None:
                value = lex.latin.get(tuple(keys[i : i + size]))
            if value is not None:
                items.append(value)
                i += size
                break
        else:
            word = words[i]
            if not word.isdigit():
                rom = _romanized(word, lex)
                fuzzy = lex.fuzzy_concept(keys[i]) if len(keys[i]) >= _FUZZY_MIN else None
                items.append(rom if rom is not None else fuzzy or f"w:{keys[i]}")
            i += 1
    return items


@lru_cache(maxsize=8192)
def features(text: str) -> frozenset[str]:
    """The features of a masked text: ``c:`` glossary concepts and ``w:`` other words."""
    lex = _lexicon()
    clean = normalise(_PLACEHOLDER.sub(" ", text)).lower().replace("’", "'")
    items: list[str] = []
    latin: list[str] = []
    for piece in _PIECE.findall(clean):
        if piece[0].isascii():
            latin.append(piece)
            continue
        items += _latin_items(latin, lex)
        latin = []
        items += _khmer_items(_khmer(piece), lex)
    items += _latin_items(latin, lex)
    found: set[str] = set()
    for before, item in zip([_STOP, *items], items, strict=False):
        found.add(_DENIED.get(item, item) if before == _NEG else item)
    return frozenset(f for f in found if f not in (_STOP, _NEG))


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {f: v / norm for f, v in vector.items()} if norm else {}


@dataclass(frozen=True)
class Match:
    answer: StaffAnswer
    score: float
    question: str  # the (masked) question it was closest to
    sure: bool = True  # False: close, but not enough to answer without asking the user first


class Matcher:
    """The published answers, ready to be compared with messages."""

    def __init__(
        self,
        answers: Sequence[StaffAnswer],
        threshold: float = THRESHOLD,
        ask_threshold: float = ASK_THRESHOLD,
    ) -> None:
        self.threshold = threshold
        self.ask_threshold = min(ask_threshold, threshold)
        self.answers = tuple(a for a in answers if a.published and a.questions)
        self._texts = [q.text for a in self.answers for q in a.questions]
        self._owner = [i for i, a in enumerate(self.answers) for _ in a.questions]
        read = [features(t) for t in self._texts]
        by_answer: list[set[str]] = [set() for _ in self.answers]
        for owner, feats in zip(self._owner, read, strict=True):
            by_answer[owner] |= feats
        df = Counter(f for feats in by_answer for f in feats)
        n = len(self.answers)
        base = MATCH_WEIGHTS["base"]
        self._idf = {f: base + math.log((n + 1) / (k + _SMOOTH)) for f, k in df.items()}
        top = base + math.log((n + 1) / (1 + _SMOOTH))
        self._unseen = MATCH_WEIGHTS["unseen"] * top
        self._unseen_words = MATCH_WEIGHTS["unseen_words"] * top
        self._questions = [_unit({f: self._weight(f) for f in feats}) for feats in read]
        sums: list[Counter[str]] = [Counter() for _ in self.answers]
        for owner, vector in zip(self._owner, self._questions, strict=True):
            sums[owner].update(vector)
        self._centroids = [_unit(dict(s)) for s in sums]
        self._index: dict[str, list[int]] = defaultdict(list)
        for number, vector in enumerate(self._questions):
            for f in vector:
                self._index[f].append(number)

    def _weight(self, feature: str) -> float:
        if feature.startswith("w:"):
            return MATCH_WEIGHTS["words"] * self._idf.get(feature, self._unseen_words)
        return self._idf.get(feature, self._unseen)

    def __bool__(self) -> bool:
        return bool(self.answers)

    def scores(self, message: str) -> list[tuple[StaffAnswer, float, str]]:
        """Every answer that shares a feature with ``message``, with its score and closest
        question, best first."""
        text = mask(message).strip()
        if not self.answers or not text:
            return []
        vector = _unit({f: self._weight(f) for f in features(text)})
        near = sorted({number for f in vector for number in self._index.get(f, ())})
        best: dict[int, tuple[float, int]] = {}
        for number in near:
            question = self._questions[number]
            sim = sum(w * question.get(f, 0.0) for f, w in vector.items())
            owner = self._owner[number]
            if owner not in best or sim > best[owner][0]:
                best[owner] = (sim, number)
        mix = MATCH_WEIGHTS["question"]
        ranked = []
        for owner, (sim, number) in best.items():
            centroid = self._centroids[owner]
            around = sum(w * centroid.get(f, 0.0) for f, w in vector.items())
            recall = sum(centroid.get(f, 0.0) ** 2 for f in vector)
            held = sum(w * w for f, w in vector.items() if f in centroid)
            share = MATCH_WEIGHTS["recall"]
            score = (mix * sim + (1 - mix) * around) ** (1 - share) * recall**share
            score *= held ** MATCH_WEIGHTS["precision"]
            ranked.append((score, owner, number))
        ranked.sort(key=lambda r: (-r[0], self.answers[r[1]].id))
        return [(self.answers[o], s, self._texts[q]) for s, o, q in ranked]

    def match(self, message: str) -> Match | None:
        """The best answer for ``message`` if it is close enough to be used (``sure``) or to be
        offered with a question first (not ``sure``)."""
        ranked = self.scores(message)
        if not ranked or ranked[0][1] < self.ask_threshold:
            return None
        answer, score, question = ranked[0]
        return Match(answer, score, question, sure=score >= self.threshold)
