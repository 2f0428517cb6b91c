"""The bilingual texts of the checks and the calculator, from ``data/eligibility/texts.yml``.

Loading refuses a text that misses a language or a button title over 20 characters, naming the
file and key. Texts hold no figures: ``{placeholders}`` are filled from the rules and answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.language import LANGUAGES, Lang

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "data" / "eligibility" / "texts.yml"
MAX_BUTTON_CHARS = 20


class TextsError(ValueError):
    """The texts file is malformed; the message names the file, the key and the problem."""


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class Texts:
    texts: dict[str, dict[str, str]]

    def __call__(self, key: str, lang: Lang, **params: Any) -> str:
        return self.texts[key][lang].format_map(_Blank({k: str(v) for k, v in params.items()}))

    def __contains__(self, key: str) -> bool:
        return key in self.texts


def load_texts(path: Path | str = DEFAULT_FILE) -> Texts:
    path = Path(path)
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
        out[key] = {lang: value[lang].strip() for lang in LANGUAGES}
    return Texts(out)


@lru_cache(maxsize=2)
def get_texts(path: str = str(DEFAULT_FILE)) -> Texts:
    """The texts, loaded once per process on first use."""
    return load_texts(path)
