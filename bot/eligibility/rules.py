"""Effective-dated figures (rates, day counts, thresholds, deadlines) from ``data/schemes``.

One YAML file per scheme maps each figure key to a list of periods, each with ``value``, ``unit``,
``valid_from``, ``valid_to`` (``null`` = still in force), ``source`` and ``source_date``. Older
values are kept with their end dates so that a past event is judged by the rules of its date.
Loading refuses a malformed file or overlapping periods with a message naming file, key and problem.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

from bot.yaml_data import DataFileError, as_date, read_mapping

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "data" / "schemes"
UNITS = frozenset(
    {
        "percent",
        "months",
        "days",
        "weeks",
        "hours",
        "years",
        "riel",
        "riel_per_usd",
        "workers",
        "day_of_next_month",
        "phone",
        "usd",
        "count",
        "form",
        "year",
    }
)
_FIELDS = frozenset(
    {"value", "unit", "valid_from", "valid_to", "source", "source_date", "confirmed", "note"}
)


class RulesError(ValueError):
    """A rules file is malformed; the message names the file, the key and the problem."""


@dataclass(frozen=True)
class Figure:
    """One value of a figure and the period it applies to, with its source."""

    scheme: str
    key: str
    value: Decimal
    unit: str
    valid_from: dt.date
    valid_to: dt.date | None
    source: str
    source_date: dt.date
    confirmed: bool = True

    def applies_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    @property
    def ref(self) -> str:
        return f"{self.scheme}.{self.key}"


class MissingRule(LookupError):
    """No figure is in force for this key on this date: the bot cannot tell."""

    def __init__(self, ref: str, day: dt.date) -> None:
        super().__init__(f"no rule '{ref}' in force on {day.isoformat()}")
        self.ref = ref
        self.day = day


@dataclass(frozen=True)
class RuleBook:
    figures: dict[str, tuple[Figure, ...]]

    def get(self, ref: str, day: dt.date) -> Figure:
        """The figure ``scheme.key`` in force on ``day``; ``MissingRule`` when there is none."""
        for figure in self.figures.get(ref, ()):
            if figure.applies_on(day):
                return figure
        raise MissingRule(ref, day)

    def changes(self, ref: str) -> tuple[dt.date, ...]:
        """The dates on which ``ref`` took a new value (every ``valid_from``)."""
        return tuple(f.valid_from for f in self.figures.get(ref, ()))


def _fail(path: Path, key: str | None, problem: str) -> RulesError:
    return RulesError(f"{path.name}" + (f", key '{key}'" if key else "") + f": {problem}")


def _date(
    path: Path, key: str, field: str, value: Any, *, optional: bool = False
) -> dt.date | None:
    if value is None and optional:
        return None
    day = as_date(value)
    if day is None:
        raise _fail(path, key, f"'{field}' {value!r} is not a date (YYYY-MM-DD)")
    return day


def _figure(path: Path, scheme: str, key: str, item: Any) -> Figure:
    if not isinstance(item, dict):
        raise _fail(path, key, "each period must be a mapping")
    unknown = set(item) - _FIELDS
    if unknown:
        raise _fail(path, key, f"unknown field(s) {sorted(unknown)}")
    for field in ("value", "unit", "valid_from", "source", "source_date"):
        if item.get(field) in (None, ""):
            raise _fail(path, key, f"missing '{field}'")
    if "valid_to" not in item:
        raise _fail(path, key, "missing 'valid_to' (use null for a rule still in force)")
    if isinstance(item["value"], bool):
        raise _fail(path, key, f"value {item['value']!r} is not a number")
    try:
        value = Decimal(str(item["value"]))
    except InvalidOperation as exc:
        raise _fail(path, key, f"value {item['value']!r} is not a number") from exc
    if value < 0:
        raise _fail(path, key, f"value {value} is negative")
    if item["unit"] not in UNITS:
        raise _fail(path, key, f"unknown unit {item['unit']!r}")
    valid_from = _date(path, key, "valid_from", item["valid_from"])
    valid_to = _date(path, key, "valid_to", item["valid_to"], optional=True)
    assert valid_from is not None
    if valid_to is not None and valid_to < valid_from:
        raise _fail(path, key, f"valid_to {valid_to} is before valid_from {valid_from}")
    source_date = _date(path, key, "source_date", item["source_date"])
    assert source_date is not None
    confirmed = item.get("confirmed", True)
    if not isinstance(confirmed, bool):
        raise _fail(path, key, "'confirmed' must be true or false")
    return Figure(
        scheme,
        key,
        value,
        str(item["unit"]),
        valid_from,
        valid_to,
        str(item["source"]).strip(),
        source_date,
        confirmed,
    )


def _periods(path: Path, scheme: str, key: str, items: Any) -> tuple[Figure, ...]:
    if not isinstance(items, list) or not items:
        raise _fail(path, key, "must be a non-empty list of periods")
    figures = sorted((_figure(path, scheme, key, i) for i in items), key=lambda f: f.valid_from)
    for before, after in pairwise(figures):
        if before.valid_to is None or before.valid_to >= after.valid_from:
            raise _fail(
                path,
                key,
                f"periods overlap: {before.valid_from}–{before.valid_to or 'open'} and "
                f"{after.valid_from}–{after.valid_to or 'open'}",
            )
        if before.unit != after.unit:
            raise _fail(path, key, f"unit changes from {before.unit!r} to {after.unit!r}")
    return tuple(figures)


def load_scheme(path: Path) -> dict[str, tuple[Figure, ...]]:
    """Read and check one scheme file."""
    try:
        data = read_mapping(path)
    except DataFileError as exc:
        raise _fail(path, None, str(exc)) from exc
    scheme = data.get("scheme")
    if scheme != path.stem:
        raise _fail(path, None, f"'scheme' is {scheme!r} but must equal the file name")
    figures = data.get("figures")
    if not isinstance(figures, dict) or not figures:
        raise _fail(path, None, "has no 'figures' mapping")
    return {f"{scheme}.{key}": _periods(path, scheme, key, v) for key, v in figures.items()}


def load_rules(directory: Path | str = DEFAULT_DIR) -> RuleBook:
    """Read every ``*.yml`` scheme file in ``directory``."""
    directory = Path(directory)
    paths = sorted(directory.glob("*.yml"))
    if not paths:
        raise RulesError(f"{directory}: no scheme files")
    figures: dict[str, tuple[Figure, ...]] = {}
    for path in paths:
        figures.update(load_scheme(path))
    return RuleBook(figures)


@lru_cache(maxsize=4)
def get_rules(directory: str = str(DEFAULT_DIR)) -> RuleBook:
    """The rule book, loaded once per process on first use."""
    return load_rules(directory)
