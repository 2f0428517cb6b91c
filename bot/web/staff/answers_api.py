"""The JSON API of staff answers, with the bearer token ``GAPS_API_TOKEN`` (as ``/api/gaps``).

- ``POST /api/answers`` with ``{"cluster_id": "c12"}`` (an open cluster, as ``GET
  /api/clusters`` names it) or ``{"gap_ids": [1, 2]}``, plus ``{"answer": {"en": …, "km": …},
  "source": {"name": …, "date": "YYYY-MM-DD"}}`` and optionally ``"topic"``: publishes it →
  ``201 {"id": …}``; a missing language, source or date → ``422`` naming the field;
- ``GET /api/answers``: every answer, most recently changed first;
- ``DELETE /api/answers/{id}``: unpublish (the bot stops using it; the answer and its versions
  stay) → ``200``;
- ``POST /api/answers/{id}/questions``: more questions (``gap_ids`` or ``cluster_id``) for an
  existing answer;
- ``GET /api/notifications``: the requests to be told and their delivery state.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.gaps.store import GapFilters
from bot.staff_answers.model import MAX_QUESTIONS, Draft, Question, StaffAnswer
from bot.staff_answers.store import UnknownAnswer
from bot.web import notify
from bot.web.staff.answers import open_cluster, topics
from bot.web.staff.api import _json, _refused, _when, api_error
from bot.web.staff.core import dashboard, in_thread, log

API_AUTHOR = "api"


def answer_json(answer: StaffAnswer) -> dict[str, Any]:
    d = answer.draft
    return {
        "id": answer.id,
        "status": answer.status,
        "version": answer.version,
        "answer": {"en": d.en, "km": d.km},
        "source": {
            "name": d.source_name,
            "date": d.source_date.isoformat() if d.source_date else None,
        },
        "topic": d.topic or None,
        "uses": answer.uses,
        "last_used_at": _when(answer.last_used_at) if answer.last_used_at else None,
        "created_at": _when(answer.created_at),
        "created_by": answer.created_by,
        "updated_at": _when(answer.updated_at),
        "updated_by": answer.updated_by,
        "questions": [q.text for q in answer.questions],
        "gap_ids": [q.gap_id for q in answer.questions if q.gap_id is not None],
    }


def _unprocessable(field: str, problem: str) -> web.Response:
    return web.json_response(
        {"error": f"{field}: {problem}", "field": field},
        status=422,
        headers={"Cache-Control": "no-store"},
    )


def _text(body: dict[str, Any], outer: str, inner: str) -> str:
    part = body.get(outer)
    value = part.get(inner) if isinstance(part, dict) else None
    return value if isinstance(value, str) else ""


def draft_from_json(body: dict[str, Any]) -> Draft | web.Response:
    raw_date = _text(body, "source", "date")
    day: dt.date | None = None
    if raw_date:
        try:
            day = dt.date.fromisoformat(raw_date)
        except ValueError:
            return _unprocessable("source.date", "must be a date, YYYY-MM-DD")
    topic = body.get("topic") or ""
    draft = Draft(
        _text(body, "answer", "en"),
        _text(body, "answer", "km"),
        _text(body, "source", "name"),
        day,
        topic if isinstance(topic, str) else "",
    )
    problems = draft.problems(topics())
    if problems:
        field, problem = next(iter(problems.items()))
        return _unprocessable(field, problem.replace("_", " "))
    return draft


async def _questions(request: web.Request, body: dict[str, Any]) -> list[Question] | web.Response:
    store = dashboard(request).store
    cluster_id, gap_ids = body.get("cluster_id"), body.get("gap_ids")
    if isinstance(cluster_id, str) and cluster_id:
        chosen = list(await open_cluster(store, cluster_id))
        if not chosen:
            return _unprocessable("cluster_id", "no open cluster has this id")
    elif isinstance(gap_ids, list) and gap_ids and all(type(i) is int for i in gap_ids):
        ids = tuple(sorted(set(gap_ids)))[:MAX_QUESTIONS]
        chosen = await in_thread(store.list, GapFilters(ids=ids))
        if len(chosen) != len(ids):
            return _unprocessable("gap_ids", "some ids name no question")
    else:
        return _unprocessable("cluster_id", "give cluster_id or a list of gap_ids")
    return [Question(r.text, r.language, r.id) for r in chosen]


async def _object_body(request: web.Request) -> dict[str, Any] | web.Response:
    """The request's JSON object; else the error response (API off, wrong token: 503/401; not a
    JSON object: 400)."""
    refused = _refused(request)
    if refused is not None:
        return refused
    try:
        body = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        return api_error(400, "The body must be JSON.")
    if not isinstance(body, dict):
        return api_error(400, "The body must be a JSON object.")
    return body


async def api_publish_answer(request: web.Request) -> web.StreamResponse:
    body = await _object_body(request)
    if isinstance(body, web.Response):
        return body
    draft = draft_from_json(body)
    if isinstance(draft, web.Response):
        return draft
    try:
        questions = await _questions(request, body)
        if isinstance(questions, web.Response):
            return questions
        answer_id = await in_thread(
            dashboard(request).answers.publish, draft, questions, API_AUTHOR
        )
    except SQLAlchemyError as exc:
        log.error("answers API: database unavailable (%s)", type(exc).__name__)
        return api_error(503, "The gap database is unavailable; try again later.")
    log.info("API published answer %d for %d question(s)", answer_id, len(questions))
    await notify.answered(request, answer_id, [q.gap_id for q in questions if q.gap_id])
    return web.json_response({"id": answer_id}, status=201, headers={"Cache-Control": "no-store"})


async def api_answers(request: web.Request) -> web.StreamResponse:
    refused = _refused(request)
    if refused is not None:
        return refused
    try:
        answers = await in_thread(dashboard(request).answers.list)
    except SQLAlchemyError as exc:
        log.error("answers API: database unavailable (%s)", type(exc).__name__)
        return api_error(503, "The gap database is unavailable; try again later.")
    return _json([answer_json(a) for a in answers])


async def api_delete_answer(request: web.Request) -> web.StreamResponse:
    refused = _refused(request)
    if refused is not None:
        return refused
    answer_id = int(request.match_info["id"])
    try:
        await in_thread(dashboard(request).answers.set_published, answer_id, False, API_AUTHOR)
    except UnknownAnswer:
        return api_error(404, f"No answer has id {answer_id}.")
    except SQLAlchemyError as exc:
        log.error("answers API: database unavailable (%s)", type(exc).__name__)
        return api_error(503, "The gap database is unavailable; try again later.")
    log.info("API unpublished answer %d", answer_id)
    return _json({"id": answer_id, "status": "unpublished"})


async def api_notifications(request: web.Request) -> web.StreamResponse:
    """``GET /api/notifications``: every request to be told, newest first, without addresses
    (``?answer_id=`` for one answer's)."""
    refused = _refused(request)
    if refused is not None:
        return refused
    raw = request.query.get("answer_id", "")
    if raw and not raw.isdigit():
        return api_error(400, "answer_id must be a number.")
    notify_store = request.app[notify.DELIVERER_KEY].notify
    try:
        rows = await in_thread(notify_store.list, int(raw) if raw else None)
    except SQLAlchemyError as exc:
        log.error("notifications API: database unavailable (%s)", type(exc).__name__)
        return api_error(503, "The gap database is unavailable; try again later.")
    return _json(
        [
            {
                "id": n.id,
                "answer_id": n.answer_id,
                "channel": n.channel,
                "language": n.language,
                "state": n.state,
                "asked_at": _when(n.asked_at),
                "updated_at": _when(n.updated_at),
                "attempts": n.attempts,
                "error": n.error,
            }
            for n in rows
        ]
    )


async def api_link_questions(request: web.Request) -> web.StreamResponse:
    """``POST /api/answers/{id}/questions`` with ``{"gap_ids": […]}`` or ``{"cluster_id": …}``:
    more questions for an existing answer → ``200 {"id", "added"}``."""
    body = await _object_body(request)
    if isinstance(body, web.Response):
        return body
    answer_id = int(request.match_info["id"])
    answers = dashboard(request).answers
    try:
        questions = await _questions(request, body)
        if isinstance(questions, web.Response):
            return questions
        added = await in_thread(answers.add_questions, answer_id, questions, API_AUTHOR)
        answer = await in_thread(answers.get, answer_id)
    except UnknownAnswer:
        return api_error(404, f"No answer has id {answer_id}.")
    except SQLAlchemyError as exc:
        log.error("answers API: database unavailable (%s)", type(exc).__name__)
        return api_error(503, "The gap database is unavailable; try again later.")
    if answer is not None and answer.published:
        await notify.answered(request, answer_id, [q.gap_id for q in questions if q.gap_id])
    return _json({"id": answer_id, "added": added})
