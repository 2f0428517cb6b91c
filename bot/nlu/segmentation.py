"""Word segmentation for Khmer/English chat messages, with offsets into the original text.

Pure Python (no Rasa): :func:`segment` returns ``(token, start, end)`` triples where
``text[start:end]`` is the token's span in the message as the user typed it and ``token`` is
``bot.language.normalise(text[start:end])`` (NFC, zero-width characters removed, Khmer digits
as ASCII digits; letter case is kept). Rasa's entity and offset logic relies on those spans.

How a message is split:

* Khmer script (letters, vowels, signs, the repetition mark ``ៗ``) is segmented into words by
  khmer-nltk's CRF model, one Khmer run at a time. The model is loaded on first use, never at
  import time.
* Zero-width characters (U+200B, U+200C, U+200D, U+2060, U+FEFF) are ignored, not read as word
  boundaries: people paste them at random, so "ខ្ញុំ\\u200bធ្វើការ" and "ខ្ញុំធ្វើការ" give the
  same tokens. A token's span may contain them; its text never does.
* Other text is split on whitespace and punctuation. Letters, digits and ``_`` make a word;
  ``'``/``’`` join letters ("don't"), ``-`` joins a word when a letter is on one side of it
  ("e-mail", "covid-19"), and ``.``/``,`` join digits, so "1,000,000" and "2.6" stay one token.
* Digits, Khmer or ASCII, are numbers: "៨ខែ" gives "8", "ខែ"; "១ ០០០ ០០០" gives three
  tokens "1", "000", "000" (the spaces are kept as boundaries).
* Currency signs (Unicode category Sc: ``$``, ``៛``, ``€``...) and ``%`` are tokens of their
  own: "$250" gives "$", "250" and "2.6%" gives "2.6", "%", so the amount and the fact that it
  is money or a rate are separate features.
* Punctuation, Khmer or Latin (``។ ៕ ៖ ? ! , .``...), is dropped, and so are emoji and other
  symbols. A message with nothing else ("👍", "???", "") gives ``[]``; the Rasa tokenizer then
  falls back to one token for the whole message, as Rasa's WhitespaceTokenizer does.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from bot.language import normalise

logger = logging.getLogger(__name__)

Segment = tuple[str, int, int]

ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
_DIGIT_JOINERS = frozenset(".,")
_APOSTROPHES = frozenset("'’")
_HYPHENS = frozenset("-")
# Marks that belong to emoji, not to words: variation selectors and the keycap enclosure.
_EMOJI_MARKS = frozenset("\ufe0e\ufe0f\u20e3")


def _is_khmer(char: str) -> bool:
    """A Khmer letter, vowel or sign (not a Khmer digit, punctuation mark or the riel sign)."""
    return (
        "\u1780" <= char <= "\u17d3"  # consonants, independent vowels, vowel signs, diacritics
        or char in "\u17d7\u17dc\u17dd"  # ៗ repetition mark, avakrahasanya, atthacan
        or "\u19e0" <= char <= "\u19ff"  # Khmer lunar date symbols
    )


def _starts_word(char: str) -> bool:
    """A character that can start a non-Khmer word: a letter or a digit (Khmer digits too)."""
    return char.isalnum() and not _is_khmer(char)


def _continues_word(char: str) -> bool:
    """A character that can continue a non-Khmer word: also ``_`` and combining marks."""
    if _is_khmer(char):
        return False
    if char.isalnum() or char == "_":
        return True
    return unicodedata.category(char) in ("Mn", "Mc") and char not in _EMOJI_MARKS


def _joins(prev: str, char: str, nxt: str) -> bool:
    """Whether ``char`` between ``prev`` and ``nxt`` keeps one word together."""
    if char in _DIGIT_JOINERS:
        return prev.isdecimal() and nxt.isdecimal()
    if not (_continues_word(prev) and _continues_word(nxt)):
        return False
    if char in _APOSTROPHES:
        return prev.isalpha() and nxt.isalpha()
    if char in _HYPHENS:
        return prev.isalpha() or nxt.isalpha()
    return False


def _is_kept_symbol(char: str) -> bool:
    """Currency signs and ``%``: tokens of their own."""
    return char == "%" or unicodedata.category(char) == "Sc"


@lru_cache(maxsize=1)
def _word_tokenizer() -> Callable[[str], list[str]]:
    """khmer-nltk's ``word_tokenize``, imported on first use (its model loads on first call)."""
    from khmernltk import word_tokenize

    return word_tokenize


def load_segmenter() -> None:
    """Load khmer-nltk's model now, so that the first message is not slowed down by it."""
    _khmer_words("សួស្តី")


@lru_cache(maxsize=8192)
def _khmer_words(run: str) -> tuple[tuple[int, int], ...]:
    """Word spans ``(start, end)`` of a run of Khmer characters (no spaces, digits or Latin).

    Every character of the run ends up in exactly one span, even where khmer-nltk alters the
    text it segments (its clean-up rewrites a few known mis-spellings) or fails.
    """
    try:
        words = _word_tokenizer()(run)
    except Exception:  # a segmenter failure must not lose the user's words
        logger.warning("khmer-nltk could not segment %r; keeping it as one word", run)
        words = [run]
    spans: list[tuple[int, int]] = []
    pos = 0
    for raw in words:
        word = "".join(c for c in raw if c not in ZERO_WIDTH and not c.isspace())
        if not word:
            continue
        found = pos if run.startswith(word, pos) else run.find(word, pos)
        if found < 0:
            continue  # text the segmenter rewrote: it goes to the next span or the tail
        if found > pos:
            spans.append((pos, found))
        spans.append((found, found + len(word)))
        pos = found + len(word)
    if pos < len(run):
        spans.append((pos, len(run)))
    return tuple(spans)


def segment(text: str) -> list[Segment]:
    """Split a message into ``(token, start, end)`` triples, in order.

    ``text[start:end]`` is the token as typed; ``token == normalise(text[start:end])`` and is
    never empty. Punctuation, emoji and whitespace give no tokens (see the module docstring).
    """
    if not text:
        return []
    # Work on the text without zero-width characters; positions[i] is where clean[i] was.
    positions = [i for i, c in enumerate(text) if c not in ZERO_WIDTH]
    clean = "".join(text[i] for i in positions)
    spans: list[tuple[int, int]] = []  # in ``clean``
    n = len(clean)
    i = 0
    while i < n:
        char = clean[i]
        if _is_khmer(char):
            j = i + 1
            while j < n and _is_khmer(clean[j]):
                j += 1
            spans.extend((i + a, i + b) for a, b in _khmer_words(clean[i:j]))
        elif _starts_word(char):
            j = i + 1
            while j < n:
                if _continues_word(clean[j]):
                    j += 1
                elif j + 1 < n and _joins(clean[j - 1], clean[j], clean[j + 1]):
                    j += 2
                else:
                    break
            spans.append((i, j))
        else:
            j = i + 1
            if _is_kept_symbol(char):
                spans.append((i, j))
        i = j
    segments: list[Segment] = []
    for a, b in spans:
        start, end = positions[a], positions[b - 1] + 1
        segments.append((normalise(text[start:end]), start, end))
    return segments
