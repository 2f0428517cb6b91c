"""The staff pages: overview, clusters, one cluster, the question list and one question, the bulk
status change (or NLU YAML export) and the CSV export."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from aiohttp import web

from bot.gaps.clustering import Cluster, cluster
from bot.gaps.model import OPEN_STATUSES, STATUSES
from bot.gaps.store import TALLY_COLUMNS, GapFilters, GapStore
from bot.web.charts import trend_chart, week_start, weekly_counts
from bot.web.exports import INTENT_NAME, to_csv, to_nlu_yaml
from bot.web.staff.core import dashboard, form_field, in_thread, log, message, render, staff_only
from bot.web.staff.filters import CHOICES, OPEN, filters_of, query_string

PAGE_SIZE = 100
EXPORT_PAGE = 1000  # records per query of the CSV export
TREND_WEEKS = 12


@staff_only
async def overview(request: web.Request) -> web.StreamResponse:
    store = dashboard(request).store
    today = dt.datetime.now(dt.timezone.utc).date()
    first_week = week_start(today) - dt.timedelta(weeks=TREND_WEEKS - 1)
    per_day = await in_thread(store.per_day, dt.datetime.combine(first_week, dt.time()))
    series = weekly_counts(per_day, TREND_WEEKS, today)
    counts = {name: await in_thread(store.tally, name) for name in TALLY_COLUMNS}
    return render(
        request,
        "overview.html",
        total=sum(n for _, n in counts["status"]),
        open_count=sum(n for status, n in counts["status"] if status in OPEN_STATUSES),
        counts=counts,
        chart=trend_chart(series),
        series=series,
    )


async def _clusters(store: GapStore, filters: GapFilters) -> list[Cluster]:
    records = await in_thread(store.list, filters)
    return await in_thread(cluster, records)


@staff_only
async def clusters_page(request: web.Request) -> web.StreamResponse:
    filters, values = filters_of(request.query, default_status=OPEN)
    groups = await _clusters(dashboard(request).store, filters)
    return render(
        request,
        "clusters.html",
        clusters=groups,
        values=values,
        query=query_string(values),
        **CHOICES,
    )


@staff_only
async def cluster_page(request: web.Request) -> web.StreamResponse:
    filters, values = filters_of(request.query, default_status=OPEN)
    key = request.match_info["key"]
    groups = await _clusters(dashboard(request).store, filters)
    found = next((c for c in groups if c.key == key), None)
    if found is None:
        return message(request, 404, "cluster_gone_title", "cluster_gone")
    back = "/staff/clusters" + (f"?{query_string(values)}" if query_string(values) else "")
    return render(
        request,
        "cluster.html",
        cluster=found,
        records=found.records,
        back=back,
        intents=list(dashboard(request).intents),
        answers=await in_thread(dashboard(request).answers.list),
        **CHOICES,
    )


@staff_only
async def gaps_page(request: web.Request) -> web.StreamResponse:
    store = dashboard(request).store
    filters, values = filters_of(request.query)
    try:
        page = max(1, int(request.query.get("page", "1")))
    except ValueError:
        page = 1
    total = await in_thread(store.count, filters)
    records = await in_thread(store.list, filters, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    query = query_string(values)
    return render(
        request,
        "gaps.html",
        records=records,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        values=values,
        query=query,
        back=request.path_qs,
        intents=list(dashboard(request).intents),
        **CHOICES,
    )


@staff_only
async def gap_page(request: web.Request) -> web.StreamResponse:
    try:
        gap_id = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    record = await in_thread(dashboard(request).store.get, gap_id)
    if record is None:
        return message(request, 404, "not_found_title", "no_such_question")
    answers = await in_thread(dashboard(request).answers.list)
    return render(request, "gap.html", record=record, back=request.path, answers=answers, **CHOICES)


def safe_next(raw: str) -> str:
    """A same-site path under /staff to go back to (never an open redirect)."""
    if raw.startswith("/staff") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return "/staff/gaps"


FLASH_PARAMS = ("done", "done_n", "done_status")


def with_flash(path: str, key: str, **params: str | int) -> str:
    """``path`` with the note for the page it returns to: a text key (``done_…``) and its
    figures, shown in the staff member's language (:func:`bot.web.staff.core.flash_of`)."""
    base = path.split("#", 1)[0]
    parts = (
        [p for p in base.split("?", 1)[1].split("&") if p.split("=", 1)[0] not in FLASH_PARAMS]
        if "?" in base
        else []
    )
    parts.append(urlencode({"done": key, **params}))
    return base.split("?", 1)[0] + "?" + "&".join(parts)


@staff_only
async def bulk(request: web.Request) -> web.StreamResponse:
    form = request["form"]
    ids = sorted({int(v) for v in form.getall("ids", []) if isinstance(v, str) and v.isdigit()})
    back = safe_next(form_field(form, "next"))
    store = dashboard(request).store
    if not ids:
        raise web.HTTPSeeOther(with_flash(back, "done_select_one"))
    if form_field(form, "action") == "nlu":
        intent = form_field(form, "intent").strip()
        if not INTENT_NAME.fullmatch(intent):
            raise web.HTTPSeeOther(with_flash(back, "done_choose_intent"))
        records = await in_thread(store.list, GapFilters(ids=tuple(ids)))
        body = to_nlu_yaml(records, intent)
        return web.Response(
            text=body,
            content_type="application/x-yaml",
            charset="utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="nlu-{intent}.yml"',
                "Cache-Control": "no-store",
            },
        )
    status = form_field(form, "status")
    if status not in STATUSES:
        raise web.HTTPSeeOther(with_flash(back, "done_choose_status"))
    changed = await in_thread(store.set_status, ids, status, form_field(form, "note"))
    log.info("staff set %d gap(s) to %s", changed, status)
    raise web.HTTPSeeOther(with_flash(back, "done_marked", done_n=changed, done_status=status))


@staff_only
async def export_csv(request: web.Request) -> web.StreamResponse:
    """The filtered records as CSV, streamed page by page (:data:`EXPORT_PAGE` records per
    query): any number of gaps exports in constant memory."""
    filters, _ = filters_of(request.query)
    store = dashboard(request).store
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d")
    first = await in_thread(store.page_after, filters, None, EXPORT_PAGE)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="nssf-gaps-{stamp}.csv"',
            "Cache-Control": "no-store",
        }
    )
    await response.prepare(request)
    await response.write(("\ufeff" + to_csv(first)).encode("utf-8"))  # BOM: Excel reads Khmer
    page = first
    while len(page) == EXPORT_PAGE:
        last = page[-1]
        page = await in_thread(
            store.page_after, filters, (last.created_at, last.id or 0), EXPORT_PAGE
        )
        await response.write(to_csv(page, header=False).encode("utf-8"))
    await response.write_eof()
    return response
