"""The words the number reader knows, in English, Khmer and romanized Khmer.

English and Khmer words are here; romanized Khmer units ("8 khe", "10 nak", "250 dolla") come from
``data/lexicon/romanized.yml`` and the role cues ("worked", "ធ្វើការ", "over", "លើស") from
``data/lexicon/roles.yml``, both read on first use (:func:`words`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.lexicon_files import lexicon_dir, read_lexicon_file

EN_NUMBERS = {
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
KM_NUMBERS = {
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
SCALES = {
    "k": 1_000,
    "thousand": 1_000,
    "រយ": 100,
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
MONTH_NAMES = {
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
YES = frozenset(
    {"yes", "y", "yeah", "yep", "yup", "ok", "okay", "sure", "correct", "right", "true"}
    | {"បាទ", "ចាស", "ចា៎ស", "ចា", "មែន", "ត្រូវហើយ", "ហ្នឹងហើយ", "អូខេ", "baat", "bat", "jas", "chas"}
)
NO = frozenset({"no", "n", "nope", "nah", "not", "never", "អត់", "ទេ", "មិនមែន", "ot", "te"})
DONT_KNOW = re.compile(
    r"\b(i\s*)?(don'?t|do not|dont)\s+know\b|\bnot sure\b|\bno idea\b|\bdunno\b|"
    r"មិនដឹង|អត់ដឹង|មិនច្បាស់|\bot deng\b"
)
OR_WORDS = frozenset({"or", "to", "-", "–", "ឬ", "ដល់", "~"})
SINCE = frozenset({"since", "from", "តាំងពី", "ចាប់ពី", "ពី"})
# Khmer words spaced out before reading (Khmer has no spaces between words); number words are
# spaced out only where they are numbers (see parser._space_khmer_numbers).
KM_KEYWORDS = (
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
)


@dataclass(frozen=True)
class Words:
    """Every word list of the reader, with the romanized units and the role cues merged in."""

    usd: frozenset[str]
    khr: frozenset[str]
    months: frozenset[str]
    years: frozenset[str]
    days: frozenset[str]
    weeks: frozenset[str]
    people: frozenset[str]
    age: frozenset[str]
    cues: dict[str, frozenset[str]]  # role → cue words (data/lexicon/roles.yml)

    @property
    def units(self) -> frozenset[str]:
        return self.months | self.years | self.days | self.weeks


@lru_cache(maxsize=4)
def _load(directory: str) -> Words:
    romanized = read_lexicon_file(directory, "romanized.yml").get("units") or {}
    roles = read_lexicon_file(directory, "roles.yml").get("cues") or {}

    def units(name: str, *base: str) -> frozenset[str]:
        return frozenset(base) | frozenset(str(w).casefold() for w in romanized.get(name, ()))

    return Words(
        usd=units("usd", "$", "usd", "dollar", "dollars", "ដុល្លារ", "ដុល្លា", "us$"),
        khr=units("khr", "riel", "riels", "khr", "៛", "រៀល"),
        months=units("months", "month", "months", "mo", "mos", "mth", "mths", "ខែ"),
        years=units("years", "year", "years", "yr", "yrs", "ឆ្នាំ"),
        days=units("days", "day", "days", "ថ្ងៃ"),
        weeks=units("weeks", "week", "weeks", "wk", "wks", "សប្តាហ៍", "សប្ដាហ៍", "អាទិត្យ"),
        people=units(
            "people",
            *("worker", "workers", "staff", "staffs", "employee", "employees", "people"),
            *("persons", "person", "nak", "នាក់"),
        ),
        age=units("age", "age", "aged", "អាយុ"),
        cues={role: frozenset(str(w).casefold() for w in ws) for role, ws in roles.items()},
    )


def words() -> Words:
    """The reader's words, from ``LEXICON_DIR`` (default ``data/lexicon``), loaded once."""
    return _load(lexicon_dir())
