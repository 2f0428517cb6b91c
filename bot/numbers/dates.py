"""Dates in a chat message: ISO and day/month/year dates, "5 March 2024", "ថ្ងៃទី២៥ ខែមីនា
ឆ្នាំ២០២៤", and dates relative to today ("yesterday", "3 days ago", "due in 2 months", "last
month", "៣ថ្ងៃមុន"). "since March 2025" is a duration (whole months up to now), not a date.

Each reader takes the prepared text, adds what it found to the reading and returns the text with
what it read blanked out, so that the number reader does not read it again.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

from bot.numbers.lexicon import MONTH_NAMES, words

_NOT_LETTER_BEFORE = r"(?<![a-z\u1780-\u17ff])"
_NOT_LETTER_AFTER = r"(?![a-z\u1780-\u17ff])"
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_DMY_DATE = re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{2,4})\b")
# "មុន" is "ago" but also "before" ("៩ខែមុនពេលសម្រាល": 9 months before giving birth)
_KM_AGO = r"(?:មុន(?!\s*(?:ពេល|នឹង|ការ|សម្រាល|កើត))|កន្លងទៅ)"
_KM_LATER = r"(?:ក្រោយ(?!\s*(?:ពេល|ការ|សម្រាល|កើត))|ទៀត|បន្ទាប់)"
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
# a "since" word right before a month and year ("since March 2025", "ចាប់ពីខែមីនា ឆ្នាំ២០២៤")
_SINCE_BEFORE = re.compile(r"(?:\b(?:since|from)|តាំងពី|ចាប់ពី)\s*(?:ខែ\s*)?$", re.IGNORECASE)


class DateSink(Protocol):
    """What the date readers fill in (``bot.numbers.parser.Reading``)."""

    months: list[int]
    dates: list[dt.date]
    ambiguous: list[Any]


def months_since(month: int, today: dt.date) -> int:
    year = today.year if month <= today.month else today.year - 1
    return (today.year - year) * 12 + today.month - month


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def shift(today: dt.date, n: int, unit: str) -> dt.date:
    w = words()
    if unit in w.years:
        return add_months(today, 12 * n)
    if unit in w.months:
        return add_months(today, n)
    return today + dt.timedelta(days=n * (7 if unit in w.weeks else 1))


@lru_cache(maxsize=4)
def _relative_patterns(units: frozenset[str]) -> tuple[re.Pattern[str], ...]:
    unit = "|".join(sorted(map(re.escape, units), key=len, reverse=True))
    n_units = rf"(?P<n>\d{{1,3}})\s+(?P<unit>{unit}){_NOT_LETTER_AFTER}"
    return (
        re.compile(rf"{n_units}\s*(?:\bago\b|{_KM_AGO})"),
        re.compile(rf"{n_units}\s*(?:\bfrom now\b|\blater\b|{_KM_LATER})"),
        re.compile(rf"\bin\s+{n_units}"),
        re.compile(rf"\d+\s+(?:{unit})\s*$"),
    )


def _relative_dates(text: str, reading: DateSink, today: dt.date) -> str:
    """ "today", "yesterday", "3 days ago", "due in 2 months", "last month", "៣ថ្ងៃមុន" → dates.
    "in 12 months" right after a duration ("6 months in 12 months") is not a date."""
    ago, later, in_units, after_duration = _relative_patterns(words().units)

    def counted(sign: int) -> Callable[[re.Match[str]], str]:
        def sub(mt: re.Match[str]) -> str:
            if sign > 0 and mt.re is in_units and after_duration.search(text[: mt.start()]):
                return mt[0]
            reading.dates.append(shift(today, sign * int(mt["n"]), mt["unit"]))
            return " "

        return sub

    def one(sign: int) -> Callable[[re.Match[str]], str]:
        def sub(mt: re.Match[str]) -> str:
            reading.dates.append(shift(today, sign, mt["unit"] or mt["km"]))
            return " "

        return sub

    for pattern, sign in ((ago, -1), (later, 1), (in_units, 1)):
        text = pattern.sub(counted(sign), text)
    text = _LAST_UNIT.sub(one(-1), text)
    text = _NEXT_UNIT.sub(one(1), text)
    for pattern, days in _FIXED_DAYS:
        found = pattern.subn(" ", text)
        text = found[0]
        reading.dates.extend([today + dt.timedelta(days=days)] * found[1])
    return text


def read_dates(text: str, reading: DateSink, today: dt.date, ambiguous: Callable[..., Any]) -> str:
    """Read the dates in ``text`` into ``reading``; ``ambiguous(reason, options)`` builds what
    is asked back (a date that cannot exist, or 5/3/2024: 5 March or May 3?)."""

    def iso(mt: re.Match[str]) -> str:
        try:
            reading.dates.append(dt.date(int(mt[1]), int(mt[2]), int(mt[3])))
        except ValueError:
            reading.ambiguous.append(ambiguous("bad_date"))
        return " "

    def dmy(mt: re.Match[str]) -> str:
        a, b, y = int(mt[1]), int(mt[2]), int(mt[3])
        y = y + 2000 if y < 100 else y
        if a <= 12 and b <= 12 and a != b:
            reading.ambiguous.append(ambiguous("ambiguous_date", (f"{a}/{b}/{y}",)))
            return " "
        try:
            reading.dates.append(dt.date(y, a, b) if b > 12 else dt.date(y, b, a))
        except ValueError:
            reading.ambiguous.append(ambiguous("bad_date"))
        return " "

    text = _ISO_DATE.sub(iso, text)
    text = _DMY_DATE.sub(dmy, text)
    names = "|".join(sorted(map(re.escape, MONTH_NAMES), key=len, reverse=True))
    named = re.compile(
        rf"(?:\b(\d{{1,2}})\s+)?(?:ខែ\s+)?{_NOT_LETTER_BEFORE}({names}){_NOT_LETTER_AFTER}"
        rf"(?:\s+(\d{{1,2}}),?)?(?:\s+(?:ឆ្នាំ\s+)?(\d{{4}}))"
    )

    def named_date(mt: re.Match[str]) -> str:
        day = int(mt[1] or mt[3] or 1)
        try:
            date = dt.date(int(mt[4]), MONTH_NAMES[mt[2]], day)
        except ValueError:
            reading.ambiguous.append(ambiguous("bad_date"))
            return " "
        if _SINCE_BEFORE.search(mt.string[: mt.start()]):
            # "since March 2025" is a duration (whole months up to this month), not an event date
            months = (today.year - date.year) * 12 + today.month - date.month
            if months >= 0:
                reading.months.append(months)
        else:
            reading.dates.append(date)
        return " "

    return _relative_dates(named.sub(named_date, text), reading, today)
