"""Exports of gap records for staff: CSV for spreadsheets, Rasa NLU YAML for training data."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

import yaml

from bot.gaps.model import GapRecord

CSV_FIELDS = (
    "id",
    "created_at",
    "channel",
    "language",
    "reason",
    "aspect",
    "status",
    "text",
    "context",
    "intents",
    "conversation",
    "note",
)
INTENT_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(records: Iterable[GapRecord], header: bool = True) -> str:
    """The records as CSV (UTF-8 text, with a header row unless ``header`` is false; the
    export streams a header and then one chunk per page of records), formula-safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    if header:
        writer.writerow(CSV_FIELDS)
    for r in records:
        intents = "; ".join(f"{i['name']} {i.get('confidence')}" for i in r.intents)
        writer.writerow(
            safe_cell(v)
            for v in (
                r.id,
                r.created_at.isoformat(),
                r.channel,
                r.language,
                r.reason,
                r.aspect,
                r.status,
                r.text,
                r.context,
                intents,
                r.conversation,
                r.note,
            )
        )
    return out.getvalue()


def to_nlu_yaml(records: Iterable[GapRecord], intent: str) -> str:
    """The records' texts as Rasa NLU examples of ``intent`` (one line each, no duplicates)."""
    if not INTENT_NAME.fullmatch(intent):
        raise ValueError("an intent name is lower-case letters, digits and '_'")
    examples: list[str] = []
    for r in records:
        line = " ".join(r.text.split())
        if line and not line.startswith("/") and line not in examples:
            examples.append(line)
    body = "".join(f"- {_example(e)}\n" for e in examples)
    doc = {"version": "3.1", "nlu": [{"intent": intent, "examples": body}]}
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=10_000)


def _example(text: str) -> str:
    # Rasa reads entity markup in examples: brackets would be taken for annotations.
    return text.replace("[", "(").replace("]", ")")
