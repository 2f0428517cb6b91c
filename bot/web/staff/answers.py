"""The staff pages of answers: write one for a cluster or some questions, preview it as each
channel shows it, publish, edit (a new version each time), unpublish and publish again; the list
with how often each was used.

- ``GET /staff/answers``; ``GET /staff/answers/new?cluster=KEY`` or ``?gaps=1,2``;
- ``POST /staff/answers`` (``action`` ``preview`` or ``publish``, hidden ``gap_ids``);
- ``GET /staff/answers/{id}``; ``POST /staff/answers/{id}`` (``preview`` or ``save``);
- ``POST /staff/answers/{id}/state`` (``to`` ``published`` or ``unpublished``);
- ``POST /staff/answers/link`` (``answer``, ``gap_ids``): more questions for an existing answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from bot.gaps.clustering import cluster
from bot.gaps.model import OPEN_STATUSES, GapRecord
from bot.gaps.store import GapFilters, GapStore
from bot.knowledge import configured_knowledge
from bot.staff_answers.model import MAX_QUESTIONS, PUBLISHED, UNPUBLISHED, Draft, Question
from bot.staff_answers.replies import offer_preview, preview
from bot.staff_answers.store import UnknownAnswer
from bot.web import notify
from bot.web.staff.core import (
    dashboard,
    form_field,
    in_thread,
    language,
    log,
    message,
    render,
    staff_only,
)
from bot.web.staff.pages import with_flash


def topics() -> tuple[str, ...]:
    return tuple(configured_knowledge().topics)


def _topic_choices(request: web.Request) -> list[tuple[str, str]]:
    kb = configured_knowledge()
    lang = language(request)
    return [(key, kb.title(key, lang)) for key in kb.topics]


def draft_of(form: Mapping[str, Any]) -> Draft:
    raw_date = form_field(form, "source_date").strip()
    try:
        day = dt.date.fromisoformat(raw_date) if raw_date else None
    except ValueError:
        day = None
    return Draft(
        form_field(form, "en"),
        form_field(form, "km"),
        form_field(form, "source_name"),
        day,
        form_field(form, "topic"),
    )


def _ids(raw: list[str]) -> tuple[int, ...]:
    return tuple(sorted({int(v) for v in raw if v.isdigit()}))[:MAX_QUESTIONS]


async def open_cluster(store: GapStore, key: str) -> tuple[GapRecord, ...]:
    """The records of the open cluster ``key`` (as the Clusters page names it); none if gone."""
    records = await in_thread(store.list, GapFilters(statuses=OPEN_STATUSES))
    found = next((c for c in await in_thread(cluster, records) if c.key == key), None)
    return found.records if found else ()


async def _questions_for(request: web.Request) -> tuple[list[GapRecord], str]:
    """The gap questions a new answer is for: a cluster's (``cluster``) or given ids (``gaps``);
    with the hidden ``gap_ids`` of a posted form."""
    store = dashboard(request).store
    if request.method == "POST":
        form = request["form"]
        values = [v for v in form.getall("gap_ids", []) if isinstance(v, str)]
        ids = _ids(values)
        key = ""
    else:
        key = request.query.get("cluster", "")
        ids = _ids(request.query.get("gaps", "").split(","))
    if key:
        return list(await open_cluster(store, key)), key
    if not ids:
        return [], ""
    return await in_thread(store.list, GapFilters(ids=ids)), ""


def _form(
    request: web.Request,
    draft: Draft,
    records: list[GapRecord],
    *,
    answer: Any = None,
    problems: dict[str, str] | None = None,
    show_preview: bool = False,
    status: int = 200,
    versions: tuple[Any, ...] = (),
    notifications: tuple[Any, ...] = (),
    used: tuple[Any, ...] = (),
) -> web.Response:
    kb = configured_knowledge()
    views = preview(draft, kb) if show_preview and not problems else {}
    offers = offer_preview(draft, kb) if views else {}
    return render(
        request,
        "answer.html",
        status,
        draft=draft,
        records=records,
        answer=answer,
        problems=problems or {},
        previews=views,
        offers=offers,
        versions=versions,
        notifications=notifications,
        used=used,
        known={q.text for q in answer.questions} if answer else set(),
        topics=_topic_choices(request),
    )


@staff_only
async def answers_page(request: web.Request) -> web.StreamResponse:
    answers = await in_thread(dashboard(request).answers.list)
    return render(request, "answers.html", answers=answers)


@staff_only
async def new_answer(request: web.Request) -> web.StreamResponse:
    records, _ = await _questions_for(request)
    if not records:
        return message(request, 404, "cluster_gone_title", "answer_no_questions")
    return _form(request, Draft("", "", "", dt.date.today()), records)


@staff_only
async def create_answer(request: web.Request) -> web.StreamResponse:
    form = request["form"]
    records, _ = await _questions_for(request)
    if not records:
        return message(request, 422, "cluster_gone_title", "answer_no_questions")
    draft = draft_of(form)
    problems = draft.problems(topics())
    if form_field(form, "action") != "publish" or problems:
        return _form(
            request,
            draft,
            records,
            problems=problems if form_field(form, "action") == "publish" else {},
            show_preview=True,
            status=422 if problems and form_field(form, "action") == "publish" else 200,
        )
    questions = [Question(r.text, r.language, r.id) for r in records]
    session = request["staff_session"]
    answer_id = await in_thread(dashboard(request).answers.publish, draft, questions, session.user)
    log.info("staff published answer %d for %d question(s)", answer_id, len(questions))
    await notify.answered(request, answer_id, [q.gap_id for q in questions if q.gap_id])
    raise web.HTTPSeeOther(with_flash(f"/staff/answers/{answer_id}", "done_published"))


def _answer_id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None


async def _show(request: web.Request, draft: Draft | None = None, **kwargs: Any) -> web.Response:
    answers = dashboard(request).answers
    answer = await in_thread(answers.get, _answer_id(request))
    if answer is None:
        return message(request, 404, "answer_gone_title", "answer_gone")
    versions = tuple(await in_thread(answers.versions, answer.id))
    told = tuple(await in_thread(request.app[notify.DELIVERER_KEY].notify.list, answer.id))
    used = tuple(await in_thread(dashboard(request).questions.sent_answer, answer.id))
    return _form(
        request,
        draft or answer.draft,
        [],
        answer=answer,
        versions=versions,
        notifications=told,
        used=used,
        **kwargs,
    )


@staff_only
async def answer_page(request: web.Request) -> web.StreamResponse:
    return await _show(request, show_preview=True)


@staff_only
async def update_answer(request: web.Request) -> web.StreamResponse:
    form = request["form"]
    draft = draft_of(form)
    problems = draft.problems(topics())
    if form_field(form, "action") != "save" or problems:
        saving = form_field(form, "action") == "save"
        return await _show(
            request,
            draft,
            problems=problems if saving else {},
            show_preview=True,
            status=422 if problems and saving else 200,
        )
    answer_id = _answer_id(request)
    try:
        version = await in_thread(
            dashboard(request).answers.update, answer_id, draft, request["staff_session"].user
        )
    except UnknownAnswer:
        return message(request, 404, "answer_gone_title", "answer_gone")
    log.info("staff saved version %d of answer %d", version, answer_id)
    raise web.HTTPSeeOther(with_flash(f"/staff/answers/{answer_id}", "done_saved"))


@staff_only
async def answer_state(request: web.Request) -> web.StreamResponse:
    answer_id = _answer_id(request)
    to = form_field(request["form"], "to")
    if to not in (PUBLISHED, UNPUBLISHED):
        raise web.HTTPBadRequest(text="to must be published or unpublished")
    try:
        await in_thread(
            dashboard(request).answers.set_published,
            answer_id,
            to == PUBLISHED,
            request["staff_session"].user,
        )
    except UnknownAnswer:
        return message(request, 404, "answer_gone_title", "answer_gone")
    log.info("staff set answer %d to %s", answer_id, to)
    if to == PUBLISHED:  # those who were waiting when it was unpublished are told now
        answer = await in_thread(dashboard(request).answers.get, answer_id)
        gap_ids = [q.gap_id for q in answer.questions if q.gap_id] if answer else []
        await notify.answered(request, answer_id, gap_ids)
    done = "done_published" if to == PUBLISHED else "done_unpublished"
    raise web.HTTPSeeOther(with_flash(f"/staff/answers/{answer_id}", done))


@staff_only
async def link_questions(request: web.Request) -> web.StreamResponse:
    """``POST /staff/answers/link`` (``answer``, ``gap_ids``): questions found later (new
    paraphrases among the gaps) join an answer: the bot matches them too, their gaps become
    answered, and the people who asked them and said yes to being told are told now."""
    raw = form_field(request["form"], "answer")
    if not raw.isdigit():
        return message(request, 404, "answer_gone_title", "answer_gone")
    answer_id = int(raw)
    records, _ = await _questions_for(request)
    if not records:
        return message(request, 422, "cluster_gone_title", "answer_no_questions")
    questions = [Question(r.text, r.language, r.id) for r in records]
    answers = dashboard(request).answers
    try:
        added = await in_thread(
            answers.add_questions, answer_id, questions, request["staff_session"].user
        )
    except UnknownAnswer:
        return message(request, 404, "answer_gone_title", "answer_gone")
    answer = await in_thread(answers.get, answer_id)
    if answer is not None and answer.published:
        await notify.answered(request, answer_id, [q.gap_id for q in questions if q.gap_id])
    log.info("staff linked %d question(s) to answer %d", added, answer_id)
    raise web.HTTPSeeOther(with_flash(f"/staff/answers/{answer_id}", "done_linked", done_n=added))


@staff_only
async def add_sent_questions(request: web.Request) -> web.StreamResponse:
    """``POST /staff/answers/{id}/questions`` (``uids``): messages the answer was sent for (at
    once, or after the user said yes to it) join the questions it was written for, so that the
    bot finds the next message worded like them at once."""
    answer_id = _answer_id(request)
    uids = [v for v in request["form"].getall("uids", []) if isinstance(v, str)][:MAX_QUESTIONS]
    entries = await in_thread(dashboard(request).questions.entries, uids) if uids else []
    mine = {e.text: Question(e.text, e.language) for e in entries if e.answer_id == answer_id}
    questions = list(mine.values())
    if not questions:
        return message(request, 422, "cluster_gone_title", "answer_no_questions")
    try:
        added = await in_thread(
            dashboard(request).answers.add_questions,
            answer_id,
            questions,
            request["staff_session"].user,
        )
    except UnknownAnswer:
        return message(request, 404, "answer_gone_title", "answer_gone")
    log.info("staff added %d message(s) the answer was sent for to answer %d", added, answer_id)
    raise web.HTTPSeeOther(with_flash(f"/staff/answers/{answer_id}", "done_linked", done_n=added))
