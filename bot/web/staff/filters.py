"""The list pages' filters: a query string in (dates, channel, language, reason, status, search),
the store's :class:`~bot.gaps.store.GapFilters` and the cleaned values to show back out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from bot.gaps.model import OPEN_STATUSES, REASONS, STATUSES
from bot.gaps.store import GapFilters

LANGUAGES = ("km", "en")
OPEN = "open"  # the status filter for "new or reviewing"
CHOICES: dict[str, Any] = {"reasons": REASONS, "statuses": STATUSES, "languages": LANGUAGES}


def parse_day(raw: str) -> dt.datetime | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return dt.datetime.fromisoformat(raw)
    except ValueError:
        return None


def _day_after(day: dt.datetime | None) -> dt.datetime | None:
    """The end of the ``to`` day; the last day there is (9999-12-31) has no end: no limit."""
    if day is None or day.date() == dt.date.max:
        return None
    return day + dt.timedelta(days=1)


def filters_of(
    query: Mapping[str, str], default_status: str = ""
) -> tuple[GapFilters, dict[str, str]]:
    """Filters from a query string, and the cleaned values to show back in the form."""
    status = query.get("status", default_status)
    values = {
        "from": query.get("from", "").strip()[:10],
        "to": query.get("to", "").strip()[:10],
        "channel": query.get("channel", "").strip()[:32],
        "language": query.get("language", "") if query.get("language") in LANGUAGES else "",
        "reason": query.get("reason", "") if query.get("reason") in REASONS else "",
        "status": status if status in STATUSES or status == OPEN else "",
        "q": query.get("q", "").strip()[:200],
    }
    until = parse_day(values["to"])
    statuses: tuple[str, ...] | None = None
    if values["status"] == OPEN:
        statuses = OPEN_STATUSES
    elif values["status"]:
        statuses = (values["status"],)
    filters = GapFilters(
        since=parse_day(values["from"]),
        until=_day_after(until),
        channel=values["channel"] or None,
        language=values["language"] or None,
        reason=values["reason"] or None,
        statuses=statuses,
        search=values["q"] or None,
    )
    return filters, values


def query_string(values: Mapping[str, str]) -> str:
    return urlencode({k: v for k, v in values.items() if v})
