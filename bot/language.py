"""Language handling: which script a message is written in, Khmer digits, and the reply language.

The bot answers in Khmer (``km``) or English (``en``). A user who picked a language keeps it;
otherwise each message's script decides, and a message without letters (emoji, digits) keeps the
language of the conversation so far.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

from bot.lexicon_files import lexicon_dir, read_lexicon_file

Lang = Literal["en", "km"]
LANGUAGES: tuple[Lang, ...] = ("km", "en")
DEFAULT_LANGUAGE: Lang = "km"

_KHMER_DIGITS = "០១២៣៤៥៦៧៨៩"
_DIGIT_TABLE = str.maketrans(_KHMER_DIGITS, "0123456789")
# Zero-width characters people paste from Khmer keyboards and word processors.
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)

_KHMER_LETTER = re.compile(r"[\u1780-\u17b3\u19e0-\u19ff]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")

_ASK_ENGLISH = re.compile(r"\b(english|eng|anglais)\b|អង់គ្លេស", re.IGNORECASE)
_ASK_KHMER = re.compile(r"\b(khmer|kh|cambodian)\b|ខ្មែរ", re.IGNORECASE)


def khmer_digits_to_ascii(text: str) -> str:
    """Replace Khmer digits (០-៩) by ASCII digits, keeping everything else."""
    return text.translate(_DIGIT_TABLE)


def strip_zero_width(text: str) -> str:
    """Remove zero-width spaces and joiners, which Khmer text often carries invisibly."""
    return text.translate(_ZERO_WIDTH)


def normalise(text: str) -> str:
    """NFC-normalise, drop zero-width characters and read Khmer digits as ASCII digits."""
    return khmer_digits_to_ascii(strip_zero_width(unicodedata.normalize("NFC", text)))


_LATIN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


@lru_cache(maxsize=4)
def _romanized_words(directory: str) -> tuple[frozenset[str], frozenset[str]]:
    """Romanized-Khmer marker words and English words (``data/lexicon/romanized.yml``)."""
    data = read_lexicon_file(directory, "romanized.yml")
    return (
        frozenset(str(w).casefold() for w in data["markers"]),
        frozenset(str(w).casefold() for w in data["english"]),
    )


@lru_cache(maxsize=4)
def _spellings(directory: str) -> dict[str, str]:
    data = read_lexicon_file(directory, "romanized.yml")
    out: dict[str, str] = {}
    for concept, variants in (data.get("spellings") or {}).items():
        for variant in variants:
            out[str(variant).casefold()] = str(concept)
    return out


def romanized_spellings() -> dict[str, str]:
    """Every romanized spelling with the concept it stands for (``data/lexicon/romanized.yml``)."""
    return _spellings(lexicon_dir())


def romanized_spelling(word: str) -> str:
    """One spelling for a romanized-Khmer word ("chnam", "chhnum" → "year"), else the word."""
    return romanized_spellings().get(word.casefold(), word)


def is_romanized_khmer(text: str | None) -> bool:
    """Khmer typed in Latin letters ("knhom chong deng pi prak maternity"): two marker words, more
    than English words; or one in a message of at most four words with no English word."""
    if not text or _KHMER_LETTER.search(text):
        return False
    markers, english = _romanized_words(lexicon_dir())
    tokens = _LATIN_WORD.findall(text.casefold())
    khmer = sum(t in markers and t not in english for t in tokens)
    other = sum(t in english for t in tokens)
    return (khmer >= 2 and khmer > other) or (khmer >= 1 and other == 0 and len(tokens) <= 4)


def script_of(text: str | None) -> Lang | None:
    """The script alone: ``km`` with any Khmer letter, ``en`` with Latin letters only."""
    if not text or text.startswith("/"):
        return None
    if _KHMER_LETTER.search(text):
        return "km"
    return "en" if _LATIN_LETTER.search(text) else None


def detect_language(text: str | None) -> Lang | None:
    """The language a message is written in: ``km`` if it holds Khmer letters or is romanized
    Khmer, ``en`` if it has other Latin letters, ``None`` when it has no letters at all (emoji,
    digits, punctuation).

    Mixed messages ("ខ្ញុំចង់ដឹងពី maternity leave") count as Khmer: the user reads Khmer. So do
    romanized ones: the bot answers them in Khmer script, with a button to switch to English.
    """
    # "/maternity" is a button payload or a command: it says nothing about the language.
    script = script_of(text)
    if script == "en" and is_romanized_khmer(text):
        return "km"
    return script


def requested_language(text: str | None) -> Lang | None:
    """The language a user asks for ("English please", "ខ្មែរ", "speak khmer"), if any.

    "ភាសាអង់គ្លេស" (Khmer for "English language") asks for English. A message that names both
    languages is ambiguous and returns ``None``, so the caller asks with buttons.
    """
    if not text:
        return None
    wants_en = bool(_ASK_ENGLISH.search(text))
    wants_km = bool(_ASK_KHMER.search(text))
    if wants_en == wants_km:
        return None
    return "en" if wants_en else "km"


def reply_language(
    text: str | None, preferred: str | None = None, previous: str | None = None
) -> Lang:
    """The language to answer in: the user's explicit choice, else the message's script,
    else the conversation's previous language, else Khmer."""
    if preferred in LANGUAGES:
        return preferred
    detected = detect_language(text)
    if detected:
        return detected
    if previous in LANGUAGES:
        return previous
    return DEFAULT_LANGUAGE


# Each language's own name, shown on the language buttons.
LANGUAGE_NAMES: dict[Lang, str] = {"en": "English", "km": "ខ្មែរ"}
