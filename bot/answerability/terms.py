"""Finding lexicon terms in a chat message written in Khmer, English, romanized Khmer or a mix.

A term list comes from ``data/lexicon/*.yml``: lowercase terms; a Latin term matches whole words
(``*`` at its end: any ending), a Khmer term matches anywhere, spaces ignored (Khmer is written
without spaces between words, and people put them at random). :class:`Text` prepares a message
once for every list that looks at it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from bot.language import normalise

_KHMER = re.compile(r"[\u1780-\u17ff\u19e0-\u19ff]")
_SPACES = re.compile(r"\s+")
_NOT_WORD_BEFORE = r"(?<![a-z0-9])"
_NOT_WORD_AFTER = r"(?![a-z0-9])"


@dataclass(frozen=True)
class Text:
    """A message prepared for matching: case-folded and normalised (Khmer digits as ASCII)."""

    raw: str

    @cached_property
    def latin(self) -> str:
        """For Latin terms: lowercase, one space between words, ``’`` as ``'``."""
        return _SPACES.sub(" ", normalise(self.raw).casefold().replace("’", "'")).strip()

    @cached_property
    def khmer(self) -> str:
        """For Khmer terms: the same without any spaces."""
        return _SPACES.sub("", self.latin)


def _latin_pattern(term: str) -> str:
    prefix = term.endswith("*")
    words = term.rstrip("*").split()
    body = r"[\s\-]+".join(re.escape(w) for w in words)
    start = _NOT_WORD_BEFORE if re.match(r"[a-z0-9]", body) else ""
    end = r"[a-z0-9'\-]*" + _NOT_WORD_AFTER if prefix else _NOT_WORD_AFTER
    if not prefix and not re.search(r"[a-z0-9]$", term):
        end = ""
    return f"{start}{body}{end}"


class Terms:
    """A compiled list of terms; :meth:`found` says which of them a message contains."""

    def __init__(self, terms: Iterable[str]) -> None:
        self.terms = tuple(
            dict.fromkeys(str(t).casefold().strip() for t in terms if str(t).strip())
        )
        latin = [t for t in self.terms if not _KHMER.search(t)]
        khmer = sorted({_SPACES.sub("", t) for t in self.terms if _KHMER.search(t)}, key=len)
        self._latin = (
            re.compile("|".join(f"(?:{_latin_pattern(t)})" for t in latin)) if latin else None
        )
        self._latin_start = (
            re.compile("^(?:" + "|".join(f"(?:{_latin_pattern(t)})" for t in latin) + ")")
            if latin
            else None
        )
        self._khmer = tuple(reversed(khmer))

    def __repr__(self) -> str:
        return f"Terms({list(self.terms)!r})"

    def __bool__(self) -> bool:
        return bool(self.terms)

    def found(self, text: Text) -> list[str]:
        """The distinct matches in ``text`` (Latin matches as written, Khmer terms as listed)."""
        out: list[str] = []
        if self._latin is not None:
            out.extend(dict.fromkeys(m.group(0) for m in self._latin.finditer(text.latin)))
        out.extend(t for t in self._khmer if t in text.khmer)
        return out

    def any_in(self, text: Text) -> bool:
        if self._latin is not None and self._latin.search(text.latin):
            return True
        return any(t in text.khmer for t in self._khmer)

    def starts(self, text: Text) -> bool:
        """Whether ``text`` begins with one of the terms (leading punctuation ignored)."""
        latin = text.latin.lstrip(" ,.;:!?-–—…\"'()[]")
        if self._latin_start is not None and self._latin_start.match(latin):
            return True
        khmer = text.khmer.lstrip(",.;:!?-–—…\"'()[]៖។")
        return any(khmer.startswith(t) for t in self._khmer)
