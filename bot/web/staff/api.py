"""The JSON API: ``GET /api/gaps`` with the bearer token ``GAPS_API_TOKEN``, filters ``since``,
``status``, ``reason``, ``language``, ``limit``; errors as JSON with a clear status."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.gaps.model import REASONS, STATUSES, GapRecord
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
        "created_at": record.created_at.replace(tzinfo=dt.timezone.utc).isoformat(),
        "intents": list(record.intents),
        "context": record.context,
        "conversation": record.conversation,
        "note": record.note,
    }


async def api_gaps(request: web.Request) -> web.StreamResponse:
    token = dashboard(request).settings.api_token
    if not token:
        return api_error(503, "The gaps API is off: set GAPS_API_TOKEN.")
    given = request.headers.get("Authorization", "")
    if not (given.startswith("Bearer ") and auth.same_token(given[7:].strip(), token)):
        response = api_error(401, "A valid bearer token is required.")
        response.headers["WWW-Authenticate"] = 'Bearer realm="gaps"'
        return response
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
        statuses=(q["status"],) if q.get("status") else None,
        reason=q.get("reason") or None,
        language=q.get("language") or None,
    )
    try:
        records = await in_thread(dashboard(request).store.list, filters, max(limit, 0))
    except SQLAlchemyError as exc:
        log.error("gaps API: database unavailable (%s)", type(exc).__name__)
        return api_error(503, "The gap database is unavailable; try again later.")
    return web.json_response(
        [gap_json(r) for r in records],
        headers={"Cache-Control": "no-store"},
        dumps=lambda o: json.dumps(o, ensure_ascii=False),
    )
