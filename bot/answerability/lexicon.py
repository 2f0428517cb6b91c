"""The lexicons the bot reads questions with (``data/lexicon/``), loaded and checked once.

- ``aspects.yml``: what a question asks beyond its topic (a place, opening hours, a refund, ...),
  each with how the bot names it in Khmer and English;
- ``topics.yml``: words that show a topic, and words that show the message is about NSSF at all;
- ``focus.yml``: greetings, introductions and closings, and what makes a part a question.

Loading refuses a malformed file, naming the file, the entry and the problem.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.answerability.terms import Terms, Text
from bot.language import LANGUAGES, Lang
from bot.lexicon_files import DEFAULT_DIR, lexicon_dir


class LexiconError(ValueError):
    """A lexicon file is malformed; the message names the file, the entry and the problem."""


@dataclass(frozen=True)
class Aspect:
    """Something a question can ask about; asked when each group has a term in the message and
    no ``unless`` term is there."""

    name: str
    label: dict[Lang, str]
    groups: tuple[Terms, ...]
    unless: Terms
    facet: bool = False  # asked of almost every topic (how much, documents, deadline, how to)

    def asked(self, text: Text) -> bool:
        if self.unless and self.unless.any_in(text):
            return False
        return all(group.any_in(text) for group in self.groups)


@dataclass(frozen=True)
class Lexicon:
    aspects: dict[str, Aspect]
    nssf: Terms
    elsewhere: Terms  # other services' words (IDPoor card, number plates, passports ...)
    topics: dict[str, Terms]
    greeting: Terms
    introduction: Terms
    closing: Terms
    question_starts: Terms
    question: Terms

    @property
    def fingerprint(self) -> str:
        """A hash of the terms the NLU tokenizer's output depends on (focus: the topic words and
        the greetings, introductions, closings and question words; not the aspects)."""
        parts = (self.nssf, self.topics, self.greeting, self.introduction, self.closing)
        used = repr((*parts, self.question_starts, self.question))
        return hashlib.sha256(used.encode("utf-8")).hexdigest()[:16]


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LexiconError(f"{path.name}: cannot be read ({exc})") from exc
    if not isinstance(data, dict):
        raise LexiconError(f"{path.name}: expected a mapping at the top level")
    return data


def _terms(path: Path, where: str, value: Any, lists: dict[str, list[str]]) -> Terms:
    if isinstance(value, str) and value.startswith("$"):
        value = [value]  # a group that is one whole list
    if not isinstance(value, list) or not all(isinstance(t, str | int) for t in value):
        raise LexiconError(f"{path.name}, {where}: expected a list of terms")
    out: list[str] = []
    for term in map(str, value):
        if term.startswith("$"):
            if term[1:] not in lists:
                raise LexiconError(f"{path.name}, {where}: unknown list '{term}'")
            out.extend(lists[term[1:]])
        else:
            out.append(term)
    if not out:
        raise LexiconError(f"{path.name}, {where}: has no terms")
    return Terms(out)


def _aspects(path: Path) -> dict[str, Aspect]:
    data = _read(path)
    lists = data.get("lists") or {}
    if not isinstance(lists, dict):
        raise LexiconError(f"{path.name}: 'lists' must map names to lists of terms")
    lists = {name: [str(t) for t in terms] for name, terms in lists.items()}
    out: dict[str, Aspect] = {}
    for name, spec in (data.get("aspects") or {}).items():
        where = f"aspect '{name}'"
        if not isinstance(spec, dict):
            raise LexiconError(f"{path.name}, {where}: expected a mapping")
        label = spec.get("label")
        if not isinstance(label, dict) or any(not label.get(lang) for lang in LANGUAGES):
            raise LexiconError(f"{path.name}, {where}: 'label' needs a text in km and en")
        if ("all" in spec) == ("any" in spec):
            raise LexiconError(f"{path.name}, {where}: needs exactly one of 'all' or 'any'")
        raw_groups = spec["all"] if "all" in spec else [spec["any"]]
        if not isinstance(raw_groups, list) or not raw_groups:
            raise LexiconError(f"{path.name}, {where}: 'all' must be a list of term lists")
        groups = tuple(_terms(path, where, g, lists) for g in raw_groups)
        unless = _terms(path, where, spec["unless"], lists) if "unless" in spec else Terms(())
        labels = {lang: str(label[lang]) for lang in LANGUAGES}
        out[name] = Aspect(name, labels, groups, unless, bool(spec.get("facet", False)))
    if not out:
        raise LexiconError(f"{path.name}: no aspects")
    return out


def load_lexicon(directory: Path | str = DEFAULT_DIR) -> Lexicon:
    """Read and check the lexicon files in ``directory``."""
    directory = Path(directory)
    aspects = _aspects(directory / "aspects.yml")
    topics_path = directory / "topics.yml"
    topics_data = _read(topics_path)
    topics = {
        name: _terms(topics_path, f"topic '{name}'", terms, {})
        for name, terms in (topics_data.get("topics") or {}).items()
    }
    nssf = _terms(topics_path, "nssf", topics_data.get("nssf"), {})
    elsewhere = _terms(topics_path, "elsewhere", topics_data.get("elsewhere"), {})
    focus_path = directory / "focus.yml"
    focus = _read(focus_path)

    def part(name: str, key: str) -> Terms:
        entry = focus.get(name)
        if not isinstance(entry, dict) or key not in entry:
            raise LexiconError(f"{focus_path.name}, '{name}': needs '{key}:' with its terms")
        return _terms(focus_path, name, entry[key], {})

    return Lexicon(
        aspects=aspects,
        nssf=nssf,
        elsewhere=elsewhere,
        topics=topics,
        greeting=part("greeting", "starts"),
        introduction=part("introduction", "starts"),
        closing=part("closing", "starts"),
        question_starts=part("question", "starts"),
        question=part("question", "any"),
    )


@lru_cache(maxsize=4)
def get_lexicon(directory: str = str(DEFAULT_DIR)) -> Lexicon:
    """The lexicon, loaded once per process on first use."""
    return load_lexicon(directory)


def configured_lexicon() -> Lexicon:
    """The lexicon from ``LEXICON_DIR`` (default ``data/lexicon``), loaded once."""
    return get_lexicon(lexicon_dir())
