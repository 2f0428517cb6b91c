"""Which part of a long message is the question.

"Hello, my name is Dara, I work at a shoe factory in Kandal. My wife is pregnant but she does not
work, can she use my card?" is about the wife's care, not about the factory. A message is cut into
parts (sentences, clauses between commas, and in Khmer the runs between spaces); a part that is a
greeting, an introduction or a polite closing (``data/lexicon/focus.yml``) and holds no topic word
and no question is left out of what decides the topic. The NLU tokenizer reads only the kept
parts (:func:`focus_spans`); so do the aspect reader and the topic evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.answerability.lexicon import Lexicon, configured_lexicon
from bot.answerability.terms import Text

Kind = Literal["greeting", "introduction", "closing", "content"]

# "." ends a sentence before a space, but not after one letter ("ប.ស.ស. ជួយ", "n.s.s.f. card")
_SENTENCE_END = re.compile(r"[!?។៕\n;]+|(?<![\s.]\w)(?<!^\w)\.+(?=\s|$)")
_CLAUSE_END = re.compile(r"(?<!\d),(?!\d)|،|៖|:")
_KHMER = re.compile(r"[\u1780-\u17ff]")
_LATIN = re.compile(r"[A-Za-z]")
_HAS_WORD = re.compile(r"[\w\u1780-\u17ff]")


@dataclass(frozen=True)
class Part:
    start: int
    end: int
    text: str
    kind: Kind
    question: bool
    sentence: int  # index of the sentence the part belongs to


def _spans(text: str, pattern: re.Pattern[str], start: int, end: int) -> list[tuple[int, int]]:
    out, pos = [], start
    for match in pattern.finditer(text, start, end):
        out.append((pos, match.end()))
        pos = match.end()
    out.append((pos, end))
    return [(a, b) for a, b in out if _HAS_WORD.search(text, a, b)]


def _runs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A clause written mostly in Khmer splits at its spaces; other clauses stay whole."""
    chunk = text[start:end]
    if len(_KHMER.findall(chunk)) <= len(_LATIN.findall(chunk)):
        return [(start, end)]
    return [(start + m.start(), start + m.end()) for m in re.finditer(r"\S+", chunk)]


def _kind(part: Text, lex: Lexicon) -> tuple[Kind, bool]:
    question = "?" in part.raw or lex.question_starts.starts(part) or lex.question.any_in(part)
    topical = lex.nssf.any_in(part) or any(t.any_in(part) for t in lex.topics.values())
    if question or topical:
        return "content", question
    for kind, terms in (
        ("greeting", lex.greeting),
        ("introduction", lex.introduction),
        ("closing", lex.closing),
    ):
        if terms.starts(part):
            return kind, False  # type: ignore[return-value]
    return "content", False


def parts(text: str, lex: Lexicon | None = None) -> list[Part]:
    """The message's parts, in order, each with its kind."""
    lex = lex or configured_lexicon()
    out: list[Part] = []
    for index, (s0, s1) in enumerate(_spans(text, _SENTENCE_END, 0, len(text))):
        for c0, c1 in _spans(text, _CLAUSE_END, s0, s1):
            for r0, r1 in _runs(text, c0, c1):
                piece = text[r0:r1]
                kind, question = _kind(Text(piece), lex)
                out.append(Part(r0, r1, piece, kind, question, index))
    return out


def focus_spans(text: str, lex: Lexicon | None = None) -> list[tuple[int, int]]:
    """Where, in ``text``, the parts that decide the topic are; the whole text when every part
    would be left out (a message that is only "Hello!")."""
    found = parts(text, lex)
    kept = [(p.start, p.end) for p in found if p.kind == "content"]
    if not kept or len(kept) == len(found):
        return [(0, len(text))]
    return kept


def focus(text: str, lex: Lexicon | None = None) -> str:
    """The parts of ``text`` that decide the topic, joined by spaces."""
    return " ".join(text[a:b].strip() for a, b in focus_spans(text, lex))


def question_sentences(text: str, lex: Lexicon | None = None) -> list[str]:
    """The sentences of ``text`` that ask something (with their content parts only)."""
    by_sentence: dict[int, list[Part]] = {}
    for part in parts(text, lex):
        by_sentence.setdefault(part.sentence, []).append(part)
    out = []
    for group in by_sentence.values():
        if any(p.question for p in group):
            out.append(" ".join(p.text.strip() for p in group if p.kind == "content"))
    return out
