"""A rule-based reader for the numbers in a chat message, built on spaCy (``spacy.blank("xx")``
tokenizer + ``Matcher``; no downloaded model).

Text is normalised first (Khmer digits → ASCII, zero-width characters dropped, digit groups
"1 000 000" joined, number words "nine"/"ប្រាំបួន" → digits, Khmer keywords spaced out because Khmer
has no spaces), then token patterns find money, durations, counts and ages; dates are read by
:mod:`bot.numbers.dates`, the words come from :mod:`bot.numbers.lexicon`. ``read_as`` answers one
question ("how many months?") with a value, ``Ambiguous`` (ask back) or ``None`` (unreadable).
Nothing is guessed: "250" alone is not money (dollars or riel?), "8 or 9 months" is not a duration.
Every value read is also kept with its place among the message's tokens (``Reading.found``), so
that :mod:`bot.numbers.roles` can tell what it is the number of.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import pairwise
from typing import Any, Literal

from bot.language import normalise
from bot.numbers.dates import months_since, read_dates
from bot.numbers.lexicon import (
    DONT_KNOW,
    EN_NUMBERS,
    KM_KEYWORDS,
    KM_NUMBERS,
    MONTH_NAMES,
    NO,
    OR_WORDS,
    SCALES,
    SINCE,
    YES,
    words,
)

Kind = Literal["months", "days", "money", "count", "age", "date", "yes_no"]

_DIGIT_GROUPS = re.compile(r"(?<![\d.,])(\d{1,3})((?:[ \u00a0\u202f\u2009]\d{3})+)(?![\d.,])")
_KM_KEYWORDS = re.compile(
    "("
    + "|".join(map(re.escape, sorted({*KM_KEYWORDS, *MONTH_NAMES}, key=len, reverse=True)))
    + ")"
)
# A Khmer number word is a number only where a number can be: alone, or before a unit, a scale,
# a currency or "people" ("ប្រាំបួនខែ", "បីរយដុល្លារ", "ដប់នាក់"); inside a word it is not
# ("ដើម្បី", in order to, holds "បី", three).
_KM_NUMBER_WORDS = "|".join(sorted(map(re.escape, KM_NUMBERS), key=len, reverse=True))
_KM_AFTER_NUMBER = "ខែ|ឆ្នាំ|ថ្ងៃ|សប្តាហ៍|សប្ដាហ៍|អាទិត្យ|នាក់|ដុល្លារ|ដុល្លា|រៀល|៛|រយ|ពាន់|ម៉ឺន|សែន|លាន|កន្លះ"
_KM_NUMBER = re.compile(
    rf"(?<![\u1780-\u17ff])({_KM_NUMBER_WORDS})(?![\u1780-\u17ff])"
    rf"|({_KM_NUMBER_WORDS})(?=\s*(?:{_KM_AFTER_NUMBER}))"
)


@dataclass(frozen=True)
class Ambiguous:
    """The message could mean several things: ask back (``reason`` is a text key)."""

    reason: str
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Found:
    """A value read at tokens ``start``..``end`` (``kind``: money, duration, count, age or
    number; a duration's value is ``(months, days)``)."""

    kind: str
    value: Any
    start: int
    end: int


@dataclass
class Reading:
    """Everything readable in one message."""

    months: list[int] = field(default_factory=list)
    days: list[int] = field(default_factory=list)
    money: list[tuple[Decimal, str | None]] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    ages: list[int] = field(default_factory=list)
    dates: list[dt.date] = field(default_factory=list)
    month_only: list[int] = field(default_factory=list)  # "in March": no day or year
    numbers: list[Decimal] = field(default_factory=list)
    yes_no: list[bool] = field(default_factory=list)
    dont_know: bool = False
    ambiguous: list[Ambiguous] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)  # the prepared message's tokens
    found: list[Found] = field(default_factory=list)  # every value with its place in ``tokens``

    @property
    def empty(self) -> bool:
        return not (
            self.months
            or self.days
            or self.money
            or self.counts
            or self.ages
            or self.dates
            or self.numbers
            or self.yes_no
            or self.dont_know
        )


@lru_cache(maxsize=1)
def _nlp() -> Any:
    """The spaCy pipeline and matcher, built on first use (no I/O at import time)."""
    import spacy
    from spacy.matcher import Matcher

    w = words()
    nlp = spacy.blank("xx")
    m = Matcher(nlp.vocab)
    num = {"TEXT": {"REGEX": r"^\d+(\.\d+)?$|^\d{1,3}(,\d{3})+(\.\d+)?$"}}
    scale = {"LOWER": {"IN": list(SCALES)}}
    cur = {"LOWER": {"IN": list(w.usd | w.khr)}}
    m.add(
        "MONEY",
        [
            [{"LOWER": {"IN": list(w.usd)}}, num, {**scale, "OP": "?"}],
            [num, {**scale, "OP": "?"}, cur],
            [num, scale, num, {**scale, "OP": "?"}, {**cur, "OP": "?"}],
            [num, scale],
        ],
    )
    unit = list(w.units)
    m.add(
        "DURATION",
        [
            [
                num,
                {"LOWER": {"IN": unit}},
                {"LOWER": {"IN": ["and", "&", ",", "នឹង", "និង"]}, "OP": "?"},
                num,
                {"LOWER": {"IN": unit}},
            ],
            [num, {"LOWER": {"IN": unit}}, {"LOWER": "កន្លះ"}],
            [num, {"LOWER": {"IN": unit}}],
            [
                {"LOWER": {"IN": list(SINCE)}},
                {"LOWER": {"IN": ["ខែ"]}, "OP": "?"},
                {"LOWER": {"IN": [k for k, v in MONTH_NAMES.items() if v]}},
            ],
        ],
    )
    m.add("COUNT", [[num, {"LOWER": {"IN": list(w.people)}}]])
    m.add(
        "AGE",
        [
            [num, {"LOWER": {"IN": list(w.years)}}, {"LOWER": "old"}],
            [
                {"LOWER": {"IN": list(w.age)}},
                {"LOWER": {"IN": ["is", "of", ":"]}, "OP": "?"},
                num,
                {"LOWER": {"IN": list(w.years)}, "OP": "?"},
            ],
            [{"LOWER": {"IN": ["i'm", "im"]}}, num],
            [{"LOWER": "i"}, {"LOWER": "am"}, num],
        ],
    )
    return nlp, m


@lru_cache(maxsize=256)
def _prepare(text: str) -> str:
    text = normalise(text).casefold()
    text = _DIGIT_GROUPS.sub(lambda mt: mt.group(1) + re.sub(r"\D", "", mt.group(2)), text)
    text = _KM_KEYWORDS.sub(r" \1 ", text)
    text = _KM_NUMBER.sub(lambda mt: f" {mt.group(1) or mt.group(2)} ", text)
    text = re.sub(r"(?<=\d)(?=[^\d\s.,/\-])|(?<=[^\d\s.,/\-$])(?=\d)", " ", text)
    text = re.sub(r"\bhalf\s+(a\s+)?year\b", "6 months", text)
    text = re.sub(r"\b(a|an|one)\s+(?=(year|month|week|day)s?\b)", "1 ", text)
    text = re.sub(r"\b(a|an|one|per|each)\s+(?=(worker|employee|staff|person)\b)", "1 ", text)
    numbers = {**EN_NUMBERS, **KM_NUMBERS}
    return " ".join(str(numbers[w]) if w in numbers else w for w in text.split())


def _decimal(token: str) -> Decimal | None:
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", token):
        token = token.replace(",", "")
    try:
        return Decimal(token) if re.fullmatch(r"\d+(\.\d+)?", token) else None
    except InvalidOperation:
        return None


def _scaled(tokens: list[str]) -> Decimal | None:
    """ "1 លាន 5 សែន" → 1,500,000; "1.2 m" → 1,200,000; "250" → 250."""
    total, value = Decimal(0), None
    for tok in tokens:
        number = _decimal(tok)
        if number is not None:
            if value is not None:
                return None
            value = number
        elif tok in SCALES and value is not None:
            total += value * SCALES[tok]
            value = None
    if value is not None:
        total += value
    return total


def read(text: str | None, today: dt.date | None = None) -> Reading:
    """Read every number, amount, duration, count, age, date and yes/no in ``text``.

    A message is parsed once: the action that decides whether it opens a check and the form that
    then fills the check's answers read the same message, so the last readings are kept (in this
    process's memory only, :data:`READINGS_KEPT` of them) and each caller gets its own copy.
    """
    if not text or not text.strip() or len(text) > 2000:
        return Reading()
    return copy.deepcopy(_read(text, today or dt.date.today()))


READINGS_KEPT = 32


@lru_cache(maxsize=READINGS_KEPT)
def _read(text: str, today: dt.date) -> Reading:
    reading = Reading()
    prepared = read_dates(_prepare(text), reading, today, Ambiguous)
    reading.dont_know = bool(DONT_KNOW.search(prepared))
    w = words()
    currencies = w.usd | w.khr
    nlp, matcher = _nlp()
    doc = nlp(prepared)
    reading.tokens = [t.lower_ for t in doc]
    import spacy.util

    spans = spacy.util.filter_spans([doc[s:e] for _, s, e in matcher(doc)])
    labels = {(s, e): nlp.vocab.strings[k] for k, s, e in matcher(doc)}
    used: set[int] = set()
    for before, after in pairwise(spans):
        between = [t.lower_ for t in doc[before.end : after.start]]
        same = labels.get((before.start, before.end)) == labels.get((after.start, after.end))
        if same and len(between) == 1 and between[0] in OR_WORDS:
            reading.ambiguous.append(Ambiguous("range", (before.text, after.text)))
    for span in spans:
        label = labels.get((span.start, span.end), "")
        used.update(range(span.start, span.end))
        toks = [t.lower_ for t in span]
        at = (span.start, span.end)
        if label == "MONEY":
            amount = _scaled([t for t in toks if t not in currencies])
            currency = "USD" if set(toks) & w.usd else "KHR" if set(toks) & w.khr else None
            if amount is None:
                reading.ambiguous.append(Ambiguous("unreadable_number"))
            else:
                reading.money.append((amount, currency))
                reading.found.append(Found("money", (amount, currency), *at))
        elif label == "DURATION":
            value = _duration(toks, reading, today)
            if value is not None:
                reading.found.append(Found("duration", value, *at))
        elif label == "COUNT":
            reading.counts.append(int(_decimal(toks[0]) or 0))
            reading.found.append(Found("count", reading.counts[-1], *at))
        elif label == "AGE":
            age = next(d for d in map(_decimal, toks) if d is not None)
            reading.ages.append(int(age))
            reading.found.append(Found("age", int(age), *at))
    for tok in doc:
        if tok.i in used:
            continue
        number = _decimal(tok.text)
        if number is not None:
            nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
            if nxt is not None and nxt.lower_ in OR_WORDS and tok.i + 2 in used:
                reading.ambiguous.append(Ambiguous("range", (tok.text, doc[tok.i + 2].text)))
            else:
                reading.numbers.append(number)
                reading.found.append(Found("number", number, tok.i, tok.i + 1))
        elif re.fullmatch(r"\d[\d.,]*", tok.text):
            reading.ambiguous.append(Ambiguous("unreadable_number", (tok.text,)))
        elif tok.lower_ in MONTH_NAMES and tok.lower_ != "may":
            reading.month_only.append(MONTH_NAMES[tok.lower_])
    _yes_no(doc, reading)
    return reading


def _duration(toks: list[str], reading: Reading, today: dt.date) -> tuple[int, int] | None:
    """Read a duration into ``reading``; returns it as ``(months, days)``."""
    w = words()
    if toks[0] in SINCE:
        reading.months.append(months_since(MONTH_NAMES[toks[-1]], today))
        return reading.months[-1], 0
    months = days = 0
    value: Decimal | None = None
    for tok in toks:
        number = _decimal(tok)
        if number is not None:
            value = number
        elif value is not None and tok in w.units:
            if value != int(value):
                reading.ambiguous.append(Ambiguous("fraction", (tok,)))
                return None
            n = int(value)
            months += n * 12 if tok in w.years else n if tok in w.months else 0
            days += n * 7 if tok in w.weeks else n if tok in w.days else 0
            value = None
        elif tok == "កន្លះ":
            months += 6 if toks[1] in w.years else 0
            days += 15 if toks[1] in w.months else 0
    if months:
        reading.months.append(months)
    if days or (not months and any(t in w.days | w.weeks for t in toks)):
        reading.days.append(days)
    elif not months:
        reading.months.append(0)
    return months, days


def _yes_no(doc: Any, reading: Reading) -> None:
    tokens = [t.lower_ for t in doc if not t.is_punct]
    if reading.dont_know:
        return
    if "ទេ" in tokens and len(tokens) > 2 and tokens[0] not in NO:
        tokens = [t for t in tokens if t != "ទេ"]  # the question particle "...បានទេ?"
    if "not" in tokens and len(tokens) > 1 and tokens[0] != "not":
        tokens = [t for t in tokens if t != "not"]
    found = {True for t in tokens if t in YES} | {False for t in tokens if t in NO}
    if len(found) == 2:
        reading.ambiguous.append(Ambiguous("yes_and_no"))
    elif found and len(tokens) <= 6:
        reading.yes_no.append(found.pop())


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}" if value != int(value) else str(int(value))


def _one(values: list[Any], kind: str) -> Any:
    distinct = list(dict.fromkeys(values))
    if len(distinct) > 1:
        return Ambiguous("several", tuple(map(str, distinct)))
    return distinct[0] if distinct else None


def read_as(kind: Kind, text: str | None, today: dt.date | None = None) -> Any:
    """Answer one question from a message: the value, ``Ambiguous`` (ask back), ``"unknown"``
    when the user says they do not know, or ``None`` when nothing fits.

    Values: months/days/count/age → int, money → ``(Decimal, "USD" | "KHR")``, date →
    ``datetime.date``, yes_no → bool.
    """
    r = read(text, today)
    if r.dont_know:
        return "unknown"
    if r.ambiguous:
        return r.ambiguous[0]
    bare = [int(n) for n in r.numbers if n == int(n)]
    if kind == "money":
        if r.money:
            amount = _one(r.money, kind)
            if isinstance(amount, tuple) and amount[1] is None:
                return Ambiguous("currency", (_plain(amount[0]),))
            return amount
        if len(r.numbers) == 1 and not (r.months or r.counts or r.days):
            return Ambiguous("currency", (_plain(r.numbers[0]),))
        bare_amount = _one(r.numbers, kind) if r.numbers else None
        if isinstance(bare_amount, Decimal):  # "250" beside a duration: dollars or riel?
            return Ambiguous("currency", (_plain(bare_amount),))
        return bare_amount
    if kind == "months":
        if r.days and not r.months:
            return Ambiguous("unit_months")
        return _one(r.months or ([] if r.money or r.counts else bare), kind)
    if kind == "days":
        if r.months and not r.days:
            return Ambiguous("unit_days")
        return _one(r.days or ([] if r.money or r.counts else bare), kind)
    if kind == "count":
        return _one(r.counts or ([] if r.money or r.months else bare), kind)
    if kind == "age":
        years = [m // 12 for m in r.months if m % 12 == 0]
        return _one(r.ages or years or ([] if r.money or r.counts else bare), kind)
    if kind == "date":
        if not r.dates and len(set(r.month_only)) == 1:
            month = r.month_only[0]
            return Ambiguous("month_only", (f"{month:02d}/{(today or dt.date.today()).year}",))
        return _one(r.dates, kind)
    if kind == "yes_no":
        return _one(r.yes_no, kind)
    raise ValueError(f"unknown kind {kind!r}")
