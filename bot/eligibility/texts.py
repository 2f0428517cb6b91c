"""The bilingual texts of the checks and the calculator, from ``data/eligibility/texts.yml``.

Loading refuses a text that misses a language or a button title over 20 characters, naming the
file and key. Texts write no figures: a ``{scheme.key}`` placeholder is filled from the rules data
when the texts are loaded (:mod:`bot.figures`), the other ``{placeholders}`` when a text is said,
from the rules of the check and the user's answers.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot import figures
from bot.eligibility.rules import DEFAULT_DIR, RuleBook, get_rules
from bot.language import LANGUAGES, Lang

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "data" / "eligibility" / "texts.yml"
MAX_BUTTON_CHARS = 20


class TextsError(ValueError):
    """The texts file is malformed; the message names the file, the key and the problem."""


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class SourceName:
    """A document a figure's source names, as the "Basis" line cites it."""

    match: re.Pattern[str]
    name: dict[str, str]  # per language, may hold \\1 for what ``match`` caught


@dataclass(frozen=True)
class Texts:
    texts: dict[str, dict[str, str]]
    sources: tuple[SourceName, ...] = ()

    def documents(self, source: str, lang: Lang) -> list[str]:
        """The documents a figure's ``source`` names, in ``lang`` (unknown ones as written)."""
        out = []
        for part in source_parts(source):
            for entry in self.sources:
                found = entry.match.search(part)
                if found:
                    out.append(found.expand(entry.name[lang]))
                    break
            else:
                if part:
                    out.append(part)
        return out

    def __call__(self, key: str, lang: Lang, **params: Any) -> str:
        return self.texts[key][lang].format_map(_Blank({k: str(v) for k, v in params.items()}))

    def __contains__(self, key: str) -> bool:
        return key in self.texts


def source_parts(source: str) -> list[str]:
    """A figure's source split at each ";" outside brackets: one part per document."""
    parts, depth, current = [], 0, ""
    for char in source:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == ";" and depth <= 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [p.strip() for p in [*parts, current] if p.strip()]


def load_texts(
    path: Path | str = DEFAULT_FILE, rules: RuleBook | None = None, today: dt.date | None = None
) -> Texts:
    """Read and check the texts, with the figures of ``rules`` (default: ``data/schemes``) in
    force on ``today``."""
    path = Path(path)
    book, day = rules or get_rules(str(DEFAULT_DIR)), today or dt.date.today()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise TextsError(f"{path.name}: not valid YAML ({exc})") from exc
    raw = data.get("texts") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        raise TextsError(f"{path.name}: has no 'texts' mapping")
    out: dict[str, dict[str, str]] = {}
    for key, value in raw.items():
        if not isinstance(value, dict):
            raise TextsError(f"{path.name}, key '{key}': must map km and en to a text")
        for lang in LANGUAGES:
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                raise TextsError(f"{path.name}, key '{key}': no text in language '{lang}'")
            if (
                key.endswith("_button")
                or key.startswith("scheme_")
                and not key.startswith("scheme_label")
            ):
                if len(text) > MAX_BUTTON_CHARS:
                    raise TextsError(f"{path.name}, key '{key}': button title over 20 chars")
        try:
            out[key] = {
                lang: figures.render(value[lang].strip(), book, day, lang, keep_plain=True)
                for lang in LANGUAGES
            }
        except figures.FigureError as exc:
            raise TextsError(f"{path.name}, key '{key}': {exc}") from exc
    return Texts(out, _source_names(path, data.get("sources") or []))


def _source_names(path: Path, raw: Any) -> tuple[SourceName, ...]:
    if not isinstance(raw, list):
        raise TextsError(f"{path.name}: 'sources' must be a list")
    out = []
    for entry in raw:
        if not isinstance(entry, dict) or not all(entry.get(k) for k in ("match", *LANGUAGES)):
            raise TextsError(f"{path.name}: each source needs 'match', 'en' and 'km' ({entry!r})")
        try:
            pattern = re.compile(str(entry["match"]))
        except re.error as exc:
            raise TextsError(f"{path.name}: source pattern {entry['match']!r}: {exc}") from exc
        out.append(SourceName(pattern, {lang: str(entry[lang]) for lang in LANGUAGES}))
    return tuple(out)


@lru_cache(maxsize=2)
def get_texts(path: str = str(DEFAULT_FILE), rules_dir: str = str(DEFAULT_DIR)) -> Texts:
    """The texts with the figures of ``rules_dir``, loaded once per process on first use."""
    return load_texts(path, get_rules(rules_dir))
