"""The answers the bot gives: loaded from ``data/knowledge/*.yml``, one file per topic.

Each topic file holds the answer in Khmer and English, the sources of its figures with their dates,
a short button title per language, related topics and what it answers (``answers``: aspects of
``data/lexicon/aspects.yml`` such as documents or deadlines; a question asking another aspect
gets the answer with an honest "I can't answer that yet"). ``ui.yml`` holds the conversational texts
(greeting, fallback, ...) and shared facts such as the hotline, substituted for ``{hotline}``.
Loading refuses any file that misses a language, a source or a date, naming the file and topic.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.language import LANGUAGES, Lang

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "data" / "knowledge"
UI_FILE = "ui.yml"
MAX_ANSWER_CHARS = 2000  # Messenger's limit for one text message
MAX_TITLE_CHARS = 20  # Messenger's limit for a quick-reply title
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# filled when the text is said, not when it is loaded: what was asked, a topic's title, a number
RUNTIME_PLACEHOLDERS = frozenset({"aspect", "topic", "number"})
# UI texts that are button titles (Messenger: at most 20 characters, {number} counted as 4)
BUTTON_TEXTS = (
    "something_else",
    "menu_button",
    "check_offer",
    "role_age_button",
    "role_years_button",
    "role_months_button",
    "english_button",
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
)


class KnowledgeError(ValueError):
    """A knowledge file is malformed; the message names the file, the topic and the problem."""


@dataclass(frozen=True)
class Source:
    name: str
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

    def render(self, lang: Lang, source_label: str) -> str:
        """The answer in ``lang`` followed by the line naming its sources and their dates."""
        cited = "; ".join(f"{s.name} ({s.date.isoformat()})" for s in self.sources)
        return f"{self.answer[lang].rstrip()}\n\n{source_label}: {cited}"


@dataclass(frozen=True)
class Knowledge:
    topics: dict[str, Topic]
    texts: dict[str, dict[str, str]]
    menu: tuple[str, ...]
    facts: dict[str, str] = field(default_factory=dict)

    def text(self, key: str, lang: Lang, **values: str) -> str:
        """A UI text in ``lang``, with its runtime placeholders (``{aspect}``...) filled."""
        text = self.texts[key][lang]
        for name, value in values.items():
            text = text.replace("{" + name + "}", value)
        return text

    def answer(self, key: str, lang: Lang) -> str:
        return self.topics[key].render(lang, self.text("source_label", lang))

    def title(self, key: str, lang: Lang) -> str:
        return self.topics[key].title[lang]


def _fail(path: Path, topic: str | None, problem: str) -> KnowledgeError:
    where = f"{path.name}" + (f", topic '{topic}'" if topic else "")
    return KnowledgeError(f"{where}: {problem}")


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise _fail(path, None, f"not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise _fail(path, None, "expected a mapping at the top level")
    return data


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
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _fail(path, topic, f"source date {value!r} is not a date (YYYY-MM-DD)")


def _sources(path: Path, topic: str, value: Any) -> tuple[Source, ...]:
    if not isinstance(value, list) or not value:
        raise _fail(path, topic, "has no 'sources': every answer needs a source and its date")
    out = []
    for item in value:
        if not isinstance(item, dict) or not str(item.get("name") or "").strip():
            raise _fail(path, topic, "a source has no 'name'")
        if item.get("date") is None:
            raise _fail(path, topic, f"source '{item['name']}' has no 'date'")
        out.append(Source(str(item["name"]).strip(), _as_date(path, topic, item["date"])))
    return tuple(out)


# the UI texts that may hold runtime placeholders
_RUNTIME_TEXTS = frozenset(
    {
        "not_covered",
        "partial",
        "also_asked",
        "role_age_or_years",
        "role_age_button",
        "role_years_button",
        "role_months",
        "role_months_button",
    }
)


def _substitute(path: Path, topic: str | None, text: str, facts: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in RUNTIME_PLACEHOLDERS and topic in _RUNTIME_TEXTS:
            return match.group(0)
        if name not in facts:
            raise _fail(path, topic, f"unknown placeholder '{{{name}}}'")
        return facts[name]

    return _PLACEHOLDER.sub(fill, text)


def _load_ui(path: Path) -> tuple[dict[str, str], dict[str, dict[str, str]], tuple[str, ...]]:
    data = _read_yaml(path)
    facts: dict[str, str] = {}
    for name, fact in (data.get("facts") or {}).items():
        if not isinstance(fact, dict) or "value" not in fact:
            raise _fail(path, None, f"fact '{name}' has no 'value'")
        if not fact.get("source") or not fact.get("date"):
            raise _fail(path, None, f"fact '{name}' needs a 'source' and a 'date'")
        facts[name] = str(fact["value"])
    raw_texts = data.get("texts")
    if not isinstance(raw_texts, dict):
        raise _fail(path, None, "has no 'texts'")
    texts = {}
    for key in REQUIRED_UI_TEXTS:
        if key not in raw_texts:
            raise _fail(path, None, f"text '{key}' is missing")
    for key, value in raw_texts.items():
        pair = _bilingual(path, None, key, value, MAX_ANSWER_CHARS)
        texts[key] = {lang: _substitute(path, key, t, facts) for lang, t in pair.items()}
    for key in BUTTON_TEXTS:
        for lang, t in texts.get(key, {}).items():
            if len(t.replace("{number}", "0000")) > MAX_TITLE_CHARS:
                raise _fail(path, key, f"button title in '{lang}' is over {MAX_TITLE_CHARS} chars")
    menu = tuple(data.get("menu") or ())
    return facts, texts, menu


def _load_topic(path: Path, facts: dict[str, str]) -> Topic:
    data = _read_yaml(path)
    key = data.get("topic")
    if key != path.stem:
        raise _fail(path, None, f"'topic' is {key!r} but must equal the file name '{path.stem}'")
    sources = _sources(path, key, data.get("sources"))
    title = _bilingual(path, key, "title", data.get("title"), MAX_TITLE_CHARS)
    answer = _bilingual(path, key, "answer", data.get("answer"), MAX_ANSWER_CHARS)
    answer = {lang: _substitute(path, key, t, facts) for lang, t in answer.items()}
    related = data.get("related") or []
    if not isinstance(related, list) or not all(isinstance(r, str) for r in related):
        raise _fail(path, key, "'related' must be a list of topic names")
    answers = data.get("answers")
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        raise _fail(path, key, "'answers' must list what the answer answers (aspect names)")
    return Topic(key, title, answer, sources, tuple(related), frozenset(answers))


def load_knowledge(directory: Path | str = DEFAULT_DIR) -> Knowledge:
    """Read and check every knowledge file in ``directory``."""
    directory = Path(directory)
    ui_path = directory / UI_FILE
    if not ui_path.exists():
        raise KnowledgeError(f"{UI_FILE}: missing in {directory}")
    facts, texts, menu = _load_ui(ui_path)
    topics: dict[str, Topic] = {}
    for path in sorted(directory.glob("*.yml")):
        if path.name == UI_FILE:
            continue
        topic = _load_topic(path, facts)
        topics[topic.key] = topic
    for topic in topics.values():
        for other in topic.related:
            if other not in topics:
                raise _fail(directory / f"{topic.key}.yml", topic.key, f"related '{other}' unknown")
        for lang in LANGUAGES:
            rendered = topic.render(lang, texts["source_label"][lang])
            if len(rendered) > MAX_ANSWER_CHARS:
                raise _fail(
                    directory / f"{topic.key}.yml",
                    topic.key,
                    f"answer in '{lang}' with its sources is {len(rendered)} characters"
                    f" (max {MAX_ANSWER_CHARS})",
                )
    for key in menu:
        if key not in topics:
            raise _fail(ui_path, None, f"menu topic '{key}' has no knowledge file")
    return Knowledge(topics=topics, texts=texts, menu=menu, facts=facts)


@lru_cache(maxsize=4)
def get_knowledge(directory: str = str(DEFAULT_DIR)) -> Knowledge:
    """The knowledge base, loaded once per process on first use."""
    return load_knowledge(directory)


def configured_knowledge() -> Knowledge:
    """The knowledge base from ``KNOWLEDGE_DIR`` (default ``data/knowledge``), loaded once."""
    return get_knowledge(os.environ.get("KNOWLEDGE_DIR") or str(DEFAULT_DIR))
