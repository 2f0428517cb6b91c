"""Reading the project's YAML data files (answers, rules, texts): the top-level mapping and dates.

Each loader wraps :class:`DataFileError` into its own error, which names the file and what is wrong.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml


class DataFileError(ValueError):
    """A data file cannot be read as YAML, or holds no mapping at the top level."""


def read_mapping(path: Path) -> dict[str, Any]:
    """The mapping at the top of the YAML file ``path``."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DataFileError(f"not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise DataFileError("expected a mapping at the top level")
    return data


def as_date(value: Any) -> dt.date | None:
    """A YAML date (or ISO text) as a date; ``None`` when it is not one."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None
