"""A rule-based reader for the numbers in a chat message, built on spaCy (``spacy.blank("xx")``
tokenizer + ``Matcher``; no downloaded model).

Text is normalised first (Khmer digits → ASCII, zero-width characters dropped, digit groups
"1 000 000" joined, number words "nine"/"ប្រាំបួន" → digits, Khmer keywords spaced out because Khmer
has no spaces), then token patterns find money, durations, counts and ages. ``read_as`` answers
one question ("how many months?") with a value, ``Ambiguous`` (ask back) or ``None`` (unreadable).
Nothing is guessed: "250" alone is not money (dollars or riel?), "8 or 9 months" is not a duration.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import pairwise
from typing import Any, Literal

from bot.language import normalise

Kind = Literal["months", "days", "money", "count", "age", "date", "yes_no"]

_EN_NUMBERS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
}
_KM_NUMBERS = {
    "សូន្យ": 0,
    "មួយ": 1,
    "ពីរ": 2,
    "បី": 3,
    "បួន": 4,
    "ប្រាំ": 5,
    "ប្រាំមួយ": 6,
    "ប្រាំពីរ": 7,
    "ប្រាំបី": 8,
    "ប្រាំបួន": 9,
    "ដប់": 10,
    "ដប់មួយ": 11,
    "ដប់ពីរ": 12,
}
_SCALES = {
    "k": 1_000,
    "thousand": 1_000,
    "ពាន់": 1_000,
    "ម៉ឺន": 10_000,
    "សែន": 100_000,
    "m": 1_000_000,
    "mn": 1_000_000,
    "mil": 1_000_000,
    "million": 1_000_000,
    "millions": 1_000_000,
    "លាន": 1_000_000,
}
_USD = {"$", "usd", "dollar", "dollars", "ដុល្លារ", "ដុល្លា", "us$"}
_KHR = {"riel", "riels", "khr", "៛", "រៀល"}
_MONTHS = {"month", "months", "mo", "mos", "mth", "mths", "ខែ"}
_YEARS = {"year", "years", "yr", "yrs", "ឆ្នាំ"}
_DAYS = {"day", "days", "ថ្ងៃ"}
_WEEKS = {"week", "weeks", "wk", "wks", "សប្តាហ៍", "សប្ដាហ៍", "អាទិត្យ"}
_PEOPLE = {
    "worker",
    "workers",
    "staff",
    "staffs",
    "employee",
    "employees",
    "people",
    "persons",
    "person",
    "nak",
    "នាក់",
}
_AGE_WORDS = {"age", "aged", "អាយុ"}
_YES = {
    "yes",
    "y",
    "yeah",
    "yep",
    "yup",
    "ok",
    "okay",
    "sure",
    "correct",
    "right",
    "true",
    "បាទ",
    "ចាស",
    "ចា៎ស",
    "ចា",
    "មែន",
    "ត្រូវហើយ",
    "ហ្នឹងហើយ",
    "អូខេ",
    "baat",
    "bat",
    "jas",
    "chas",
}
_NO = {"no", "n", "nope", "nah", "not", "never", "អត់", "ទេ", "មិនមែន", "ot", "te"}
_DONT_KNOW = re.compile(
    r"\b(i\s*)?(don'?t|do not|dont)\s+know\b|\bnot sure\b|\bno idea\b|\bdunno\b|"
    r"មិនដឹង|អត់ដឹង|មិនច្បាស់|\bot deng\b"
)
_OR_WORDS = {"or", "to", "-", "–", "ឬ", "ដល់", "~"}
_MONTH_NAMES = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
    "មករា": 1,
    "កុម្ភៈ": 2,
    "មីនា": 3,
    "មេសា": 4,
    "ឧសភា": 5,
    "មិថុនា": 6,
    "កក្កដា": 7,
    "សីហា": 8,
    "កញ្ញា": 9,
    "តុលា": 10,
    "វិច្ឆិកា": 11,
    "ធ្នូ": 12,
}
_SINCE = {"since", "from", "តាំងពី", "ចាប់ពី", "ពី"}
# Khmer words spaced out before tokenising, longest first so that ប្រាំបួន is not ប្រាំ + បួន.
_KM_WORDS = sorted(
    {
        *_KM_NUMBERS,
        *(w for w in _SCALES if not w.isascii()),
        "ដុល្លារ",
        "ដុល្លា",
        "រៀល",
        "៛",
        "ខែ",
        "ឆ្នាំ",
        "ថ្ងៃ",
        "សប្តាហ៍",
        "សប្ដាហ៍",
        "អាទិត្យ",
        "នាក់",
        "អាយុ",
        "បាទ",
        "ចាស",
        "ចា៎ស",
        "អត់",
        "មិនមែន",
        "មែន",
        "ត្រូវហើយ",
        "ហ្នឹងហើយ",
        "ឬ",
        "ដល់",
        "តាំងពី",
        "ចាប់ពី",
        "កន្លះ",
        *(w for w in _MONTH_NAMES if not w.isascii()),
    },
    key=len,
    reverse=True,
)
_KM_SPLIT = re.compile("(" + "|".join(map(re.escape, _KM_WORDS)) + ")")
_DIGIT_GROUPS = re.compile(r"(?<![\d.,])(\d{1,3})((?:[ \u00a0\u202f]\d{3})+)(?![\d.,])")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_DMY_DATE = re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{2,4})\b")
_NOT_LETTER_BEFORE = r"(?<![a-z\u1780-\u17ff])"
_NOT_LETTER_AFTER = r"(?![a-z\u1780-\u17ff])"


@dataclass(frozen=True)
class Ambiguous:
    """The message could mean several things: ask back (``reason`` is a text key)."""

    reason: str
    options: tuple[str, ...] = ()


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

    nlp = spacy.blank("xx")
    m = Matcher(nlp.vocab)
    num = {"TEXT": {"REGEX": r"^\d+(\.\d+)?$|^\d{1,3}(,\d{3})+(\.\d+)?$"}}
    scale = {"LOWER": {"IN": list(_SCALES)}}
    cur = {"LOWER": {"IN": list(_USD | _KHR)}}
    m.add(
        "MONEY",
        [
            [{"LOWER": {"IN": list(_USD)}}, num, {**scale, "OP": "?"}],
            [num, {**scale, "OP": "?"}, cur],
            [num, scale, num, {**scale, "OP": "?"}, {**cur, "OP": "?"}],
            [num, scale],
        ],
    )
    unit = list(_MONTHS | _YEARS | _DAYS | _WEEKS)
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
                {"LOWER": {"IN": list(_SINCE)}},
                {"LOWER": {"IN": ["ខែ"]}, "OP": "?"},
                {"LOWER": {"IN": [k for k, v in _MONTH_NAMES.items() if v]}},
            ],
        ],
    )
    m.add("COUNT", [[num, {"LOWER": {"IN": list(_PEOPLE)}}]])
    m.add(
        "AGE",
        [
            [num, {"LOWER": {"IN": list(_YEARS)}}, {"LOWER": "old"}],
            [
                {"LOWER": {"IN": list(_AGE_WORDS)}},
                {"LOWER": {"IN": ["is", "of", ":"]}, "OP": "?"},
                num,
                {"LOWER": {"IN": list(_YEARS)}, "OP": "?"},
            ],
            [{"LOWER": {"IN": ["i'm", "im"]}}, num],
            [{"LOWER": "i"}, {"LOWER": "am"}, num],
        ],
    )
    return nlp, m


def _prepare(text: str) -> str:
    text = normalise(text).casefold()
    text = _DIGIT_GROUPS.sub(lambda mt: mt.group(1) + re.sub(r"\D", "", mt.group(2)), text)
    text = _KM_SPLIT.sub(r" \1 ", text)
    text = re.sub(r"(?<=\d)(?=[^\d\s.,/\-])|(?<=[^\d\s.,/\-$])(?=\d)", " ", text)
    text = re.sub(r"\bhalf\s+(a\s+)?year\b", "6 months", text)
    text = re.sub(r"\b(a|an|one)\s+(?=(year|month|week|day)s?\b)", "1 ", text)
    text = re.sub(r"\b(a|an|one|per|each)\s+(?=(worker|employee|staff|person)\b)", "1 ", text)
    words = {**_EN_NUMBERS, **_KM_NUMBERS}
    return " ".join(str(words[w]) if w in words else w for w in text.split())


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
        elif tok in _SCALES and value is not None:
            total += value * _SCALES[tok]
            value = None
    if value is not None:
        total += value
    return total


def _months_since(month: int, today: dt.date) -> int:
    year = today.year if month <= today.month else today.year - 1
    return (today.year - year) * 12 + today.month - month


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def _shift(today: dt.date, n: int, unit: str) -> dt.date:
    if unit in _YEARS or unit == "ឆ្នាំ":
        return _add_months(today, 12 * n)
    if unit in _MONTHS:
        return _add_months(today, n)
    return today + dt.timedelta(days=n * (7 if unit in _WEEKS else 1))


_UNIT = "|".join(sorted(map(re.escape, _YEARS | _MONTHS | _WEEKS | _DAYS), key=len, reverse=True))
# "មុន" is "ago" but also "before" ("៩ខែមុនពេលសម្រាល": 9 months before giving birth)
_KM_AGO = r"(?:មុន(?!\s*(?:ពេល|នឹង|ការ|សម្រាល|កើត))|កន្លងទៅ)"
_KM_LATER = r"(?:ក្រោយ(?!\s*(?:ពេល|ការ|សម្រាល|កើត))|ទៀត|បន្ទាប់)"
_N_UNITS = rf"(?P<n>\d{{1,3}})\s+(?P<unit>{_UNIT}){_NOT_LETTER_AFTER}"
_AGO = re.compile(rf"{_N_UNITS}\s*(?:\bago\b|{_KM_AGO})")
_LATER = re.compile(rf"{_N_UNITS}\s*(?:\bfrom now\b|\blater\b|{_KM_LATER})")
_IN_UNITS = re.compile(rf"\bin\s+{_N_UNITS}")
_AFTER_DURATION = re.compile(rf"\d+\s+(?:{_UNIT})\s*$")
_LAST_UNIT = re.compile(
    rf"\b(?:last|previous)\s+(?P<unit>week|month|year)\b|(?P<km>សប្តាហ៍|សប្ដាហ៍|ខែ|ឆ្នាំ)\s*{_KM_AGO}"
)
_NEXT_UNIT = re.compile(
    rf"\bnext\s+(?P<unit>week|month|year)\b|(?P<km>សប្តាហ៍|សប្ដាហ៍|ខែ|ឆ្នាំ)\s*{_KM_LATER}"
)
_FIXED_DAYS = (
    (re.compile(r"\btoday\b|\bthis\s+month\b|ថ្ងៃ\s*នេះ|ខែ\s*នេះ"), 0),
    (re.compile(r"\byesterday\b|ម្សិលមិញ"), -1),
    (re.compile(r"\btomorrow\b|ថ្ងៃ\s*ស្អែក|ស្អែក"), 1),
)


def _relative_dates(text: str, reading: Reading, today: dt.date) -> str:
    """ "today", "yesterday", "3 days ago", "due in 2 months", "last month", "៣ថ្ងៃមុន" → dates.
    "in 12 months" right after a duration ("6 months in 12 months") is not a date."""

    def counted(sign: int) -> Any:
        def sub(mt: re.Match[str]) -> str:
            if sign > 0 and mt.re is _IN_UNITS and _AFTER_DURATION.search(text[: mt.start()]):
                return mt[0]
            reading.dates.append(_shift(today, sign * int(mt["n"]), mt["unit"]))
            return " "

        return sub

    def one(sign: int) -> Any:
        def sub(mt: re.Match[str]) -> str:
            reading.dates.append(_shift(today, sign, mt["unit"] or mt["km"]))
            return " "

        return sub

    for pattern, sign in ((_AGO, -1), (_LATER, 1), (_IN_UNITS, 1)):
        text = pattern.sub(counted(sign), text)
    text = _LAST_UNIT.sub(one(-1), text)
    text = _NEXT_UNIT.sub(one(1), text)
    for pattern, days in _FIXED_DAYS:
        found = pattern.subn(" ", text)
        text = found[0]
        reading.dates.extend([today + dt.timedelta(days=days)] * found[1])
    return text


# a "since" word right before a month and year ("since March 2025", "ចាប់ពីខែមីនា ឆ្នាំ២០២៤")
_SINCE_BEFORE = re.compile(r"(?:\b(?:since|from)|តាំងពី|ចាប់ពី)\s*(?:ខែ\s*)?$", re.IGNORECASE)


def _dates(text: str, reading: Reading, today: dt.date) -> str:
    def iso(mt: re.Match[str]) -> str:
        try:
            reading.dates.append(dt.date(int(mt[1]), int(mt[2]), int(mt[3])))
        except ValueError:
            reading.ambiguous.append(Ambiguous("bad_date"))
        return " "

    def dmy(mt: re.Match[str]) -> str:
        a, b, y = int(mt[1]), int(mt[2]), int(mt[3])
        y = y + 2000 if y < 100 else y
        if a <= 12 and b <= 12 and a != b:
            reading.ambiguous.append(Ambiguous("ambiguous_date", (f"{a}/{b}/{y}",)))
            return " "
        try:
            reading.dates.append(dt.date(y, a, b) if b > 12 else dt.date(y, b, a))
        except ValueError:
            reading.ambiguous.append(Ambiguous("bad_date"))
        return " "

    text = _ISO_DATE.sub(iso, text)
    text = _DMY_DATE.sub(dmy, text)
    names = "|".join(sorted(map(re.escape, _MONTH_NAMES), key=len, reverse=True))
    named = re.compile(
        rf"(?:\b(\d{{1,2}})\s+)?(?:ខែ\s+)?{_NOT_LETTER_BEFORE}({names}){_NOT_LETTER_AFTER}(?:\s+(\d{{1,2}}),?)?(?:\s+(?:ឆ្នាំ\s+)?(\d{{4}}))"
    )

    def words(mt: re.Match[str]) -> str:
        day = int(mt[1] or mt[3] or 1)
        try:
            date = dt.date(int(mt[4]), _MONTH_NAMES[mt[2]], day)
        except ValueError:
            reading.ambiguous.append(Ambiguous("bad_date"))
            return " "
        if _SINCE_BEFORE.search(mt.string[: mt.start()]):
            # "since March 2025" is a duration (whole months up to this month), not an event date
            months = (today.year - date.year) * 12 + today.month - date.month
            if months >= 0:
                reading.months.append(months)
        else:
            reading.dates.append(date)
        return " "

    return _relative_dates(named.sub(words, text), reading, today)


def read(text: str | None, today: dt.date | None = None) -> Reading:
    """Read every number, amount, duration, count, age, date and yes/no in ``text``."""
    reading = Reading()
    if not text or not text.strip() or len(text) > 2000:
        return reading
    today = today or dt.date.today()
    prepared = _dates(_prepare(text), reading, today)
    reading.dont_know = bool(_DONT_KNOW.search(prepared))
    nlp, matcher = _nlp()
    doc = nlp(prepared)
    import spacy.util

    spans = spacy.util.filter_spans([doc[s:e] for _, s, e in matcher(doc)])
    labels = {(s, e): nlp.vocab.strings[k] for k, s, e in matcher(doc)}
    used: set[int] = set()
    for before, after in pairwise(spans):
        between = [t.lower_ for t in doc[before.end : after.start]]
        same = labels.get((before.start, before.end)) == labels.get((after.start, after.end))
        if same and len(between) == 1 and between[0] in _OR_WORDS:
            reading.ambiguous.append(Ambiguous("range", (before.text, after.text)))
    for span in spans:
        label = labels.get((span.start, span.end), "")
        used.update(range(span.start, span.end))
        toks = [t.lower_ for t in span]
        if label == "MONEY":
            amount = _scaled([t for t in toks if t not in _USD | _KHR])
            currency = "USD" if set(toks) & _USD else "KHR" if set(toks) & _KHR else None
            if amount is None:
                reading.ambiguous.append(Ambiguous("unreadable_number"))
            else:
                reading.money.append((amount, currency))
        elif label == "DURATION":
            _duration(toks, reading, today)
        elif label == "COUNT":
            reading.counts.append(int(_decimal(toks[0]) or 0))
        elif label == "AGE":
            age = next(d for d in map(_decimal, toks) if d is not None)
            reading.ages.append(int(age))
    for tok in doc:
        if tok.i in used:
            continue
        number = _decimal(tok.text)
        if number is not None:
            nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
            if nxt is not None and nxt.lower_ in _OR_WORDS and tok.i + 2 in used:
                reading.ambiguous.append(Ambiguous("range", (tok.text, doc[tok.i + 2].text)))
            else:
                reading.numbers.append(number)
        elif re.fullmatch(r"\d[\d.,]*", tok.text):
            reading.ambiguous.append(Ambiguous("unreadable_number", (tok.text,)))
        elif tok.lower_ in _MONTH_NAMES and tok.lower_ != "may":
            reading.month_only.append(_MONTH_NAMES[tok.lower_])
    _yes_no(doc, reading)
    return reading


def _duration(toks: list[str], reading: Reading, today: dt.date) -> None:
    if toks[0] in _SINCE:
        reading.months.append(_months_since(_MONTH_NAMES[toks[-1]], today))
        return
    months = days = 0
    value: Decimal | None = None
    for tok in toks:
        number = _decimal(tok)
        if number is not None:
            value = number
        elif value is not None and tok in _YEARS | _MONTHS | _DAYS | _WEEKS:
            if value != int(value):
                reading.ambiguous.append(Ambiguous("fraction", (tok,)))
                return
            n = int(value)
            months += n * 12 if tok in _YEARS else n if tok in _MONTHS else 0
            days += n * 7 if tok in _WEEKS else n if tok in _DAYS else 0
            value = None
        elif tok == "កន្លះ":
            months += 6 if toks[1] in _YEARS else 0
            days += 15 if toks[1] in _MONTHS else 0
    if months:
        reading.months.append(months)
    if days or (not months and any(t in _DAYS | _WEEKS for t in toks)):
        reading.days.append(days)
    elif not months:
        reading.months.append(0)


def _yes_no(doc: Any, reading: Reading) -> None:
    words = [t.lower_ for t in doc if not t.is_punct]
    if reading.dont_know:
        return
    if "ទេ" in words and len(words) > 2 and words[0] not in _NO:
        words = [w for w in words if w != "ទេ"]  # the question particle "...បានទេ?"
    if "not" in words and len(words) > 1 and words[0] != "not":
        words = [w for w in words if w != "not"]
    found = {True for w in words if w in _YES} | {False for w in words if w in _NO}
    if len(found) == 2:
        reading.ambiguous.append(Ambiguous("yes_and_no"))
    elif found and len(words) <= 6:
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
        return _one([(n, None) for n in r.numbers], kind) if r.numbers else None
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
