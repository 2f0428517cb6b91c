"""The answers the bot gives: loaded from ``data/knowledge/*.yml``, one file per topic.

Each topic file holds the answer in Khmer and English, the sources of its figures with their dates,
a short button title per language, related topics and what it answers (``answers``: aspects of
``data/lexicon/aspects.yml`` such as documents or deadlines; a question asking another aspect
gets the answer with an honest "I can't answer that yet"). ``ui.yml`` holds the conversational texts
(greeting, fallback, ...). No text writes a figure: each names one of ``data/schemes``
(``{maternity.allowance_rate}``, ``{hotline}``; see ``bot.figures``), filled with the value in
force.
Loading refuses any file that misses a language, a source or a date, or writes a figure itself,
naming the file and topic.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot import figures
from bot.eligibility.config import configured
from bot.eligibility.rules import RuleBook
from bot.language import LANGUAGES, Lang
from bot.yaml_data import DataFileError, as_date, read_mapping

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "data" / "knowledge"
UI_FILE = "ui.yml"
MAX_ANSWER_CHARS = 2000  # Messenger's limit for one text message
MAX_TITLE_CHARS = 20  # Messenger's limit for a quick-reply title
# filled when the text is said, not when it is loaded: what was asked, a topic's title, a number
RUNTIME_PLACEHOLDERS = frozenset({"aspect", "topic", "number", "date", "preview"})
# UI texts that are button titles (Messenger: at most 20 characters, {number} counted as 4)
BUTTON_TEXTS = (
    "something_else",
    "menu_button",
    "check_offer",
    "role_age_button",
    "role_years_button",
    "role_months_button",
    "english_button",
    "sources_button",
    "notify_yes_button",
    "notify_no_button",
)
REQUIRED_UI_TEXTS = (
    "greet",
    "menu_prompt",
    "thanks",
    "goodbye",
    "bot_challenge",
    "language_prompt",
    "language_set",
    "ask_back",
    "something_else",
    "menu_button",
    "out_of_scope",
    "not_answered",
    "non_text",
    "handling_failed",
    "source_label",
    "feedback_prompt",
    "not_covered",
    "not_covered_general",
    "partial",
    "also_asked",
    "check_offer",
    "check_offer_prompt",
    "role_age_or_years",
    "role_age_button",
    "role_years_button",
    "role_months",
    "role_months_button",
    "english_button",
    "sources_more",
    "sources_button",
    "sources_title",
    "sources_none",
    "notify_offer",
    "notify_yes_button",
    "notify_no_button",
    "notify_confirmed",
    "notify_declined",
    "notify_nothing",
    "notify_failed",
    "notify_good_news",
)


class KnowledgeError(ValueError):
    """A knowledge file is malformed; the message names the file, the topic and the problem."""


@dataclass(frozen=True)
class Source:
    name: dict[str, str]  # per language
    date: dt.date


@dataclass(frozen=True)
class Topic:
    key: str
    title: dict[str, str]
    answer: dict[str, str]
    sources: tuple[Source, ...]
    related: tuple[str, ...] = ()
    # what the answer answers beyond its topic: aspects of data/lexicon/aspects.yml
    answers: frozenset[str] = frozenset()

    def render(self, lang: Lang, source_label: str, more: str = "") -> str:
        """The answer in ``lang`` followed by a short line naming its first source and its date
        (``more``: how many others there are, e.g. "+4 more"; all of them: :meth:`cited`)."""
        first = self.sources[0]
        line = f"{source_label}: {first.name[lang]} ({first.date.isoformat()})"
        if len(self.sources) > 1 and more:
            line += f" {more}"
        return f"{self.answer[lang].rstrip()}\n\n{line}"

    def cited(self, lang: Lang) -> list[str]:
        """Every source in ``lang`` with its date, one per line, newest first."""
        ordered = sorted(self.sources, key=lambda s: s.date, reverse=True)
        return [f"• {s.name[lang]} ({s.date.isoformat()})" for s in ordered]


@dataclass(frozen=True)
class Knowledge:
    topics: dict[str, Topic]
    texts: dict[str, dict[str, str]]
    menu: tuple[str, ...]

    def text(self, key: str, lang: Lang, **values: str) -> str:
        """A UI text in ``lang``, with its runtime placeholders (``{aspect}``...) filled."""
        text = self.texts[key][lang]
        for name, value in values.items():
            text = text.replace("{" + name + "}", value)
        return text

    def answer(self, key: str, lang: Lang) -> str:
        topic = self.topics[key]
        more = self.text("sources_more", lang, number=str(len(topic.sources) - 1))
        return topic.render(lang, self.text("source_label", lang), more)

    def sources(self, key: str, lang: Lang) -> str:
        """The list of a topic's sources with their dates (the "Sources" button)."""
        title = self.text("sources_title", lang, topic=self.title(key, lang))
        return "\n".join([title, *self.topics[key].cited(lang)])

    def title(self, key: str, lang: Lang) -> str:
        return self.topics[key].title[lang]


def _fail(path: Path, topic: str | None, problem: str) -> KnowledgeError:
    where = f"{path.name}" + (f", topic '{topic}'" if topic else "")
    return KnowledgeError(f"{where}: {problem}")


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        return read_mapping(path)
    except DataFileError as exc:
        raise _fail(path, None, str(exc)) from exc


def _bilingual(path: Path, topic: str | None, key: str, value: Any, limit: int) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _fail(path, topic, f"'{key}' must map each language (km, en) to a text")
    out: dict[str, str] = {}
    for lang in LANGUAGES:
        text = value.get(lang)
        if not isinstance(text, str) or not text.strip():
            raise _fail(path, topic, f"'{key}' has no text in language '{lang}'")
        if len(text) > limit:
            raise _fail(path, topic, f"'{key}' in '{lang}' is {len(text)} characters (max {limit})")
        out[lang] = text.strip()
    return out


def _as_date(path: Path, topic: str, value: Any) -> dt.date:
    day = as_date(value)
    if day is None:
        raise _fail(path, topic, f"source date {value!r} is not a date (YYYY-MM-DD)")
    return day


def _sources(path: Path, topic: str, value: Any) -> tuple[Source, ...]:
    if not isinstance(value, list) or not value:
        raise _fail(path, topic, "has no 'sources': every answer needs a source and its date")
    out: list[Source] = []
    for item in value:
        if not isinstance(item, dict) or not item.get("name"):
            raise _fail(path, topic, "a source has no 'name'")
        raw = item["name"]
        name: dict[str, str]
        if isinstance(raw, str):
            name = {lang: raw.strip() for lang in LANGUAGES}
        else:
            name = _bilingual(path, topic, "source name", raw, MAX_ANSWER_CHARS)
        if item.get("date") is None:
            raise _fail(path, topic, f"source '{name['en']}' has no 'date'")
        if any(s.name["en"].casefold() == name["en"].casefold() for s in out):
            raise _fail(path, topic, f"source '{name['en']}' is listed twice")
        out.append(Source(name, _as_date(path, topic, item["date"])))
    return tuple(out)


# the UI texts that may hold runtime placeholders
_RUNTIME_TEXTS = frozenset(
    {
        "notify_good_news",
        "not_covered",
        "partial",
        "also_asked",
        "role_age_or_years",
        "role_age_button",
        "role_years_button",
        "role_months",
        "role_months_button",
        "sources_more",
        "sources_title",
        "staff_offer",
    }
)


@dataclass(frozen=True)
class _Figures:
    """What fills a text's figure placeholders: the rule book and the day whose values count."""

    book: RuleBook
    day: dt.date

    def fill(self, path: Path, topic: str | None, text: str, lang: Lang) -> str:
        bare = figures.bare_figures(text)
        if bare:
            raise _fail(
                path,
                topic,
                f"text in '{lang}' writes {', '.join(repr(b) for b in bare[:3])} itself:"
                " name the figure of data/schemes instead ({scheme.key}, see bot/figures.py)",
            )
        keep = RUNTIME_PLACEHOLDERS if topic in _RUNTIME_TEXTS else frozenset()
        try:
            return figures.render(text, self.book, self.day, lang, keep)
        except figures.FigureError as exc:
            raise _fail(path, topic, f"in '{lang}': {exc}") from exc


def _load_ui(path: Path, fill: _Figures) -> tuple[dict[str, dict[str, str]], tuple[str, ...]]:
    data = _read_yaml(path)
    raw_texts = data.get("texts")
    if not isinstance(raw_texts, dict):
        raise _fail(path, None, "has no 'texts'")
    texts = {}
    for key in REQUIRED_UI_TEXTS:
        if key not in raw_texts:
            raise _fail(path, None, f"text '{key}' is missing")
    for key, value in raw_texts.items():
        pair = _bilingual(path, None, key, value, MAX_ANSWER_CHARS)
        texts[key] = {str(lang): fill.fill(path, key, pair[lang], lang) for lang in LANGUAGES}
    for key in BUTTON_TEXTS:
        for lang, t in texts.get(key, {}).items():
            if len(t.replace("{number}", "0000")) > MAX_TITLE_CHARS:
                raise _fail(path, key, f"button title in '{lang}' is over {MAX_TITLE_CHARS} chars")
    menu = tuple(data.get("menu") or ())
    return texts, menu


def _load_topic(path: Path, fill: _Figures) -> Topic:
    data = _read_yaml(path)
    key = data.get("topic")
    if key != path.stem:
        raise _fail(path, None, f"'topic' is {key!r} but must equal the file name '{path.stem}'")
    sources = _sources(path, key, data.get("sources"))
    title = _bilingual(path, key, "title", data.get("title"), MAX_TITLE_CHARS)
    title = {lang: fill.fill(path, key, title[lang], lang) for lang in LANGUAGES}
    answer = _bilingual(path, key, "answer", data.get("answer"), MAX_ANSWER_CHARS)
    answer = {lang: fill.fill(path, key, answer[lang], lang) for lang in LANGUAGES}
    related = data.get("related") or []
    if not isinstance(related, list) or not all(isinstance(r, str) for r in related):
        raise _fail(path, key, "'related' must be a list of topic names")
    answers = data.get("answers")
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        raise _fail(path, key, "'answers' must list what the answer answers (aspect names)")
    return Topic(key, title, answer, sources, tuple(related), frozenset(answers))


def load_knowledge(
    directory: Path | str = DEFAULT_DIR,
    rules: RuleBook | None = None,
    today: dt.date | None = None,
) -> Knowledge:
    """Read and check every knowledge file in ``directory``, with the figures of ``rules``
    (default: those of ``bot.eligibility.config``) in force on ``today``."""
    directory = Path(directory)
    ui_path = directory / UI_FILE
    if not ui_path.exists():
        raise KnowledgeError(f"{UI_FILE}: missing in {directory}")
    fill = _Figures(rules or configured().rules(), today or configured().today())
    texts, menu = _load_ui(ui_path, fill)
    topics: dict[str, Topic] = {}
    for path in sorted(directory.glob("*.yml")):
        if path.name == UI_FILE:
            continue
        topic = _load_topic(path, fill)
        topics[topic.key] = topic
    for topic in topics.values():
        for other in topic.related:
            if other not in topics:
                raise _fail(directory / f"{topic.key}.yml", topic.key, f"related '{other}' unknown")
        for lang in LANGUAGES:
            more = texts["sources_more"][lang].replace("{number}", str(len(topic.sources) - 1))
            for what, rendered in (
                ("answer", topic.render(lang, texts["source_label"][lang], more)),
                ("sources", "\n".join(topic.cited(lang))),
            ):
                if len(rendered) > MAX_ANSWER_CHARS:
                    raise _fail(
                        directory / f"{topic.key}.yml",
                        topic.key,
                        f"{what} in '{lang}' with its source line is {len(rendered)} characters"
                        f" (max {MAX_ANSWER_CHARS})",
                    )
    for key in menu:
        if key not in topics:
            raise _fail(ui_path, None, f"menu topic '{key}' has no knowledge file")
    return Knowledge(topics=topics, texts=texts, menu=menu)


@lru_cache(maxsize=4)
def get_knowledge(directory: str = str(DEFAULT_DIR)) -> Knowledge:
    """The knowledge base, loaded once per process on first use."""
    return load_knowledge(directory)


def configured_knowledge() -> Knowledge:
    """The knowledge base from ``KNOWLEDGE_DIR`` (default ``data/knowledge``), loaded once."""
    return get_knowledge(os.environ.get("KNOWLEDGE_DIR") or str(DEFAULT_DIR))
