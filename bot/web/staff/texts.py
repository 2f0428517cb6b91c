"""The staff dashboard's texts in Khmer and English (``data/dashboard/texts.yml``), and which
language a request is shown in.

:func:`load_texts` refuses a file where a text lacks a language or where the two languages name
different ``{placeholders}``: a page never shows half a translation. :meth:`DashboardTexts.page`
gives the templates ``t(key, **params)``: the text escaped, its parameters escaped unless they are
markup the page built itself (a number in ``<strong>``).

The language: the one the staff member chose (kept per user name, :mod:`bot.web.preferences`),
else the ``nssf_staff_lang`` cookie (the log-in page's switch), else ``DASHBOARD_LANGUAGE``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from bot.language import LANGUAGES, Lang
from bot.yaml_data import read_mapping

DEFAULT_FILE = Path(__file__).resolve().parents[3] / "data" / "dashboard" / "texts.yml"
LANGUAGE_COOKIE = "nssf_staff_lang"
_KEY = re.compile(r"[a-z][a-z0-9_]*")


class DashboardTextsError(ValueError):
    """The dashboard's texts file is missing, malformed or incomplete."""


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@dataclass(frozen=True)
class DashboardTexts:
    texts: Mapping[str, Mapping[Lang, str]]

    def __contains__(self, key: object) -> bool:
        return key in self.texts

    def get(self, key: str, lang: Lang, **params: Any) -> Markup:
        """The text ``key`` in ``lang``, escaped, with ``params`` filled in (escaped unless
        they are :class:`Markup`)."""
        return Markup(escape(self.texts[key][lang])).format(**params)

    def label(self, kind: str, value: str, lang: Lang) -> Markup | str:
        """How a stored value (a status, reason or language code) is shown; the value itself
        (escaped where the page shows it) when there is no text for it."""
        key = f"{kind}_{value}"
        return self.get(key, lang) if key in self.texts else value

    def page(self, lang: Lang) -> dict[str, Callable[..., Any]]:
        """What every template gets: ``t`` (a text) and ``label`` (a stored value's name)."""
        return {
            "t": lambda key, **params: self.get(key, lang, **params),
            "label": lambda kind, value: self.label(kind, value, lang),
        }


def load_texts(path: Path | str = DEFAULT_FILE) -> DashboardTexts:
    path = Path(path)
    try:
        data = read_mapping(path)
    except (OSError, ValueError) as exc:
        raise DashboardTextsError(f"{path.name}: cannot be read ({exc})") from exc
    out: dict[str, dict[Lang, str]] = {}
    for key, entry in data.items():
        where = f"{path.name}, '{key}'"
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise DashboardTextsError(f"{where}: a key is lower-case letters, digits and _")
        if not isinstance(entry, dict) or set(entry) != set(LANGUAGES):
            raise DashboardTextsError(f"{where}: needs exactly the languages {list(LANGUAGES)}")
        texts = {lang: entry[lang] for lang in LANGUAGES}
        if not all(isinstance(t, str) and t.strip() for t in texts.values()):
            raise DashboardTextsError(f"{where}: every language needs a text")
        names = {lang: _fields(t) for lang, t in texts.items()}
        if len({frozenset(n) for n in names.values()}) != 1:
            raise DashboardTextsError(f"{where}: the languages name different placeholders {names}")
        out[key] = texts
    return DashboardTexts(out)


@lru_cache(maxsize=4)
def get_texts(path: str = str(DEFAULT_FILE)) -> DashboardTexts:
    """The texts, read once per process on first use."""
    return load_texts(path)


def chosen_language(raw: str | None) -> Lang | None:
    """``raw`` when it names a dashboard language."""
    return next((lang for lang in LANGUAGES if lang == raw), None)
