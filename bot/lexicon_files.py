"""Where the lexicons are (``data/lexicon/``, or ``LEXICON_DIR``) and reading one of their files:
the language detector, the number reader and the answerability reader all read from here."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "data" / "lexicon"


def lexicon_dir() -> str:
    """``LEXICON_DIR`` if set, else ``data/lexicon`` (a string: the loaders cache by it)."""
    return os.environ.get("LEXICON_DIR") or str(DEFAULT_DIR)


def read_lexicon_file(directory: str | Path, name: str) -> dict[str, Any]:
    """One lexicon file as a mapping; a malformed one is refused naming it."""
    path = Path(directory) / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path.name}: expected a mapping at the top level")
    return data
