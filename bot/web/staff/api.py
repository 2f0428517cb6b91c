"""The JSON API, with the bearer token ``GAPS_API_TOKEN``; errors as JSON with a clear status.

- ``GET /api/gaps``: the records, filters ``since``, ``status``, ``reason``, ``language``,
  ``limit``;
- ``GET /api/clusters``: the same records grouped as on the dashboard's Clusters page (the same
  filters; without ``status``, the open ones: new and reviewing), biggest first:
  ``[{"id", "size", "examples", "languages", "first_seen", "last_seen", "suggested_intent",
  "gap_ids"}]``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.gaps.clustering import Cluster, cluster
from bot.gaps.model import OPEN_STATUSES, REASONS, STATUSES, GapRecord
from bot.gaps.store import GapFilters
from bot.web import auth
from bot.web.staff.core import dashboard, in_thread, log
from bot.web.staff.filters import LANGUAGES, parse_day

API_DEFAULT_LIMIT, API_MAX_LIMIT = 1000, 5000


def api_error(status: int, message: str) -> web.Response:
    return web.json_response(
        {"error": message}, status=status, headers={"Cache-Control": "no-store"}
    )


def gap_json(record: GapRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "text": record.text,
        "reason": record.reason,
        "aspect": record.aspect,
        "language": record.language,
        "channel": record.channel,
        "status": record.status,
        "created_at": _when(record.created_at),
        "intents": list(record.intents),
        "context": record.context,
        "conversation": record.conversation,
        "note": record.note,
    }


def _when(value: dt.datetime) -> str:
    return value.replace(tzinfo=dt.timezone.utc).isoformat()


def cluster_json(group: Cluster) -> dict[str, Any]:
    return {
        "id": group.key,
        "size": group.size,
        "examples": list(group.examples),
        "languages": list(group.languages),
        "first_seen": _when(group.first_seen),
        "last_seen": _when(group.last_seen),
        "suggested_intent": group.suggested_intent,
        "gap_ids": list(group.ids),
    }


def _refused(request: web.Request) -> web.Response | None:
    """The error response when the API is off or the bearer token is wrong; else ``None``."""
    token = dashboard(request).settings.api_token
    if not token:
        return api_error(503, "The gaps API is off: set GAPS_API_TOKEN.")
    given = request.headers.get("Authorization", "")
    if not (given.startswith("Bearer ") and auth.same_token(given[7:].strip(), token)):
        response = api_error(401, "A valid bearer token is required.")
        response.headers["WWW-Authenticate"] = 'Bearer realm="gaps"'
        return response
    return None


def _filters(
    request: web.Request, default_statuses: tuple[str, ...] | None = None
) -> tuple[GapFilters, int] | web.Response:
    """The query's filters and limit, or the 400 saying what is wrong."""
    q = request.query
    since = parse_day(q.get("since", "")) if q.get("since") else None
    if q.get("since") and since is None:
        return api_error(400, "since must be an ISO date or date-time, e.g. 2025-01-31.")
    if since is not None and since.tzinfo is not None:
        since = since.astimezone(dt.timezone.utc).replace(tzinfo=None)
    for name, allowed in (("status", STATUSES), ("reason", REASONS), ("language", LANGUAGES)):
        if q.get(name) and q[name] not in allowed:
            return api_error(400, f"{name} must be one of: {', '.join(allowed)}.")
    try:
        limit = min(int(q.get("limit", API_DEFAULT_LIMIT)), API_MAX_LIMIT)
    except ValueError:
        return api_error(400, "limit must be a number.")
    filters = GapFilters(
        since=since,
        statuses=(q["status"],) if q.get("status") else default_statuses,
        reason=q.get("reason") or None,
        language=q.get("language") or None,
    )
    return filters, max(limit, 0)


def _json(body: Any) -> web.Response:
    return web.json_response(
        body,
        headers={"Cache-Control": "no-store"},
        dumps=lambda o: json.dumps(o, ensure_ascii=False),
    )


async def _records(
    request: web.Request, default_statuses: tuple[str, ...] | None = None
) -> list[GapRecord] | web.Response:
    """The records the query asks for, or the error response (token, filters, database)."""
    refused = _refused(request)
    if refused is not None:
        return refused
    parsed = _filters(request, default_statuses)
    if isinstance(parsed, web.Response):
        return parsed
    try:
        return await in_thread(dashboard(request).store.list, *parsed)
    except SQLAlchemyError as exc:
        log.error("gaps API: database unavailable (%s)", type(exc).__name__)
        return api_error(503, "The gap database is unavailable; try again later.")


async def api_gaps(request: web.Request) -> web.StreamResponse:
    records = await _records(request)
    if isinstance(records, web.Response):
        return records
    return _json([gap_json(r) for r in records])


async def api_clusters(request: web.Request) -> web.StreamResponse:
    records = await _records(request, default_statuses=OPEN_STATUSES)
    if isinstance(records, web.Response):
        return records
    groups = await in_thread(cluster, records)
    return _json([cluster_json(g) for g in groups])
