"""What a number in a message is the number of, from the words around it.

A check's input is filled from a first message only when a cue says what the number is
(``data/lexicon/roles.yml``): "I WORKED 8 months" / "បង់ភាគទាន១០ខែ" are months of contributions,
"I AM 45" / "អាយុ៤៥" an age, "10 WORKERS" a head count, "$250" money. "8 months pregnant" is not
contributions, and "over 60" / "at least 12 months" are rules, not the user's own figures. A
number with no cue is :func:`unclear`: the bot asks what it is instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.numbers.lexicon import SINCE, words
from bot.numbers.parser import Found, Reading

_KHMER = re.compile(r"[\u1780-\u17ff]")
_BEFORE, _AFTER = 4, 3  # how many words around a number a cue may be
_NOT_OWN_BEFORE = 3  # "at least", "more than", "over": right before the number


def _is_cue(token: str, cues: frozenset[str]) -> bool:
    if token in cues:
        return True
    return bool(_KHMER.search(token)) and any(c in token for c in cues if _KHMER.search(c))


def _near(reading: Reading, found: Found, role: str, before: int, after: int) -> bool:
    cues = words().cues.get(role, frozenset())
    tokens = reading.tokens
    window = [*tokens[max(0, found.start - before) : found.start], *tokens[found.end :][:after]]
    return any(_is_cue(t, cues) for t in window)


def is_own(reading: Reading, found: Found) -> bool:
    """Not a rule or a threshold ("over 60", "at least 12 months", "លើស៦០")."""
    return not _near(reading, found, "not_own", _NOT_OWN_BEFORE, 0)


def _since(reading: Reading, found: Found) -> bool:
    return reading.tokens[found.start] in SINCE


def contribution_months(reading: Reading) -> list[int]:
    """Months of work or contributions: "worked 8 months", "បង់ភាគទាន១០ខែ", "since March"."""
    out = []
    for found in reading.found:
        if found.kind != "duration" or not is_own(reading, found):
            continue
        months, days = found.value
        if days or _near(reading, found, "pregnancy", 2, 2):
            continue
        if _since(reading, found) or _near(reading, found, "contributed", _BEFORE, _AFTER):
            out.append(months)
    return out


def ages(reading: Reading) -> list[int]:
    """Ages stated as such: "I am 45", "45 years old", "អាយុ៤៥"."""
    return [f.value for f in reading.found if f.kind == "age" and is_own(reading, f)]


def day_counts(reading: Reading) -> list[int]:
    """Durations in days or weeks: "10 days", "២សប្តាហ៍"."""
    return [
        f.value[1]
        for f in reading.found
        if f.kind == "duration" and f.value[1] and not f.value[0] and is_own(reading, f)
    ]


def head_counts(reading: Reading) -> list[int]:
    """Numbers of people: "10 workers", "១០នាក់"."""
    return [f.value for f in reading.found if f.kind == "count" and is_own(reading, f)]


def amounts(reading: Reading) -> list[Found]:
    return [f for f in reading.found if f.kind == "money" and is_own(reading, f)]


def unclear(reading: Reading, bound: Iterable[Found] = ()) -> list[Found]:
    """Numbers of the user's own whose role no cue gives: durations in months or years that are
    not contributions nor a pregnancy, and bare numbers (not years like 2024, not percentages)."""
    taken = {(f.start, f.end) for f in bound}
    out = []
    for found in reading.found:
        if (found.start, found.end) in taken or not is_own(reading, found):
            continue
        if found.kind == "duration":
            months, days = found.value
            if days or not months or _since(reading, found):
                continue
            if _near(reading, found, "pregnancy", 2, 2):
                continue
            if _near(reading, found, "contributed", _BEFORE, _AFTER):
                continue
            out.append(found)
        elif found.kind == "number":
            nxt = reading.tokens[found.end : found.end + 1]
            if nxt == ["%"] or not 1 <= found.value <= 120 or found.value != int(found.value):
                continue
            out.append(found)
    return out
