"""The staff dashboard of knowledge gaps, and the JSON API ``GET /api/gaps``.

Mounted on the web app by :func:`mount` (``bot.web.app.create_app``). Routes, all under ``/staff``
except the API:

- ``GET /staff/login``, ``POST /staff/login``, ``POST /staff/logout``;
- ``GET /staff`` overview: counts by reason, channel, language, status and a weekly trend chart;
- ``GET /staff/clusters`` similar questions grouped (Khmer and English together);
  ``GET /staff/clusters/{key}`` one cluster's questions, to review them together;
- ``GET /staff/gaps`` the list with filters and search; ``GET /staff/gaps/{id}`` one question;
- ``POST /staff/gaps/bulk`` status change with a note, or the selection as Rasa NLU YAML;
- ``GET /staff/gaps.csv`` the filtered list as CSV;
- ``GET /api/gaps`` (``Authorization: Bearer $GAPS_API_TOKEN``) filters ``since``, ``status``,
  ``reason``, ``language``, ``limit``.

Settings (environment): ``DASHBOARD_USER`` and ``DASHBOARD_PASSWORD_HASH`` (from
``make staff-password``) enable the dashboard; ``GAPS_API_TOKEN`` enables the API; without them
those routes answer 503 and say what to set. ``DASHBOARD_SESSION_HOURS`` (default 8),
``DASHBOARD_SECURE_COOKIE`` (``true`` behind HTTPS). User text is hostile: every page is a Jinja2
template with autoescaping; nothing user-written reaches a script or an attribute unescaped.

Log-in sessions (:mod:`bot.web.sessions`) and the wrong passwords the log-in throttle counts
(:mod:`bot.web.throttle`) live in the gap store's database, so they survive a restart and are shared
by several web processes. When that database cannot be reached, logging in (and every staff page)
answers 503 and says so.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import json
import logging
import os
import secrets
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
import yaml
from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.gaps.capture import hmac_key
from bot.gaps.clustering import Cluster, cluster
from bot.gaps.model import OPEN_STATUSES, REASONS, STATUSES, GapRecord
from bot.gaps.store import GapFilters, GapStore
from bot.web import auth
from bot.web.charts import trend_chart, weekly_counts
from bot.web.exports import INTENT_NAME, to_csv, to_nlu_yaml
from bot.web.sessions import Sessions
from bot.web.staff_db import StaffDatabaseUnavailable
from bot.web.throttle import LoginThrottle, throttle_secret

log = logging.getLogger("bot.web.dashboard")

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
DOMAIN_FILE = HERE.parent.parent / "domain.yml"
SESSION_COOKIE = "nssf_staff"
LOGIN_CSRF_COOKIE = "nssf_login_csrf"
PAGE_SIZE = 100
TREND_WEEKS = 12
API_DEFAULT_LIMIT, API_MAX_LIMIT = 1000, 5000
LANGUAGES = ("km", "en")
OPEN = "open"

MSG_WRONG = "Wrong user name or password."
MSG_THROTTLED = "Too many wrong passwords. Please wait {minutes} minute(s) and try again."
MSG_NOT_CONFIGURED = (
    "The staff dashboard is not configured: set DASHBOARD_USER and DASHBOARD_PASSWORD_HASH "
    "(make staff-password) and restart. See the README, section 'Staff dashboard'."
)
MSG_CSRF = "This form has expired. Please go back, reload the page and try again."
MSG_DB_DOWN = (
    "The database is unavailable, so the dashboard cannot show or change anything now. Please "
    "try again in a few minutes; if it lasts, check that the database (DATABASE_URL) is running."
)


@dataclass(frozen=True)
class StaffSettings:
    """Who may log in and how the API is protected; empty values disable those parts."""

    user: str = ""
    password_hash: str = ""
    api_token: str = ""
    session_hours: float = 8.0
    secure_cookie: bool = False

    @property
    def enabled(self) -> bool:
        return bool(self.user and self.password_hash)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> StaffSettings:
        env = os.environ if environ is None else environ
        hours = env.get("DASHBOARD_SESSION_HOURS", "").strip() or "8"
        try:
            session_hours = float(hours)
        except ValueError:
            raise ValueError(f"DASHBOARD_SESSION_HOURS must be a number, got {hours!r}") from None
        password_hash = env.get("DASHBOARD_PASSWORD_HASH", "").strip()
        if password_hash and not password_hash.startswith("scrypt:"):
            raise ValueError("DASHBOARD_PASSWORD_HASH must come from `make staff-password`")
        return cls(
            user=env.get("DASHBOARD_USER", "").strip(),
            password_hash=password_hash,
            api_token=env.get("GAPS_API_TOKEN", "").strip(),
            session_hours=session_hours,
            secure_cookie=env.get("DASHBOARD_SECURE_COOKIE", "").strip().lower()
            in {"1", "true", "yes"},
        )


@dataclass
class Dashboard:
    """The dashboard's state for one app: the store, settings, sessions and login throttle."""

    store: GapStore
    settings: StaffSettings
    sessions: Sessions
    throttle: LoginThrottle
    templates: jinja2.Environment


DASHBOARD_KEY = web.AppKey("dashboard", Dashboard)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every template, whatever its name: user text is hostile
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = lambda d: d.strftime("%Y-%m-%d %H:%M") if d else ""
    env.filters["day"] = lambda d: d.strftime("%Y-%m-%d") if d else ""
    return env


def _dash(request: web.Request) -> Dashboard:
    return request.app[DASHBOARD_KEY]


async def _in_thread(func: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, func, *args)


def _render(request: web.Request, name: str, status: int = 200, **context: Any) -> web.Response:
    session = request.get("staff_session")
    html = (
        _dash(request)
        .templates.get_template(name)
        .render(
            session=session,
            csrf=session.csrf if session else "",
            path=request.path,
            flash=request.query.get("done", ""),
            **context,
        )
    )
    return web.Response(
        text=html,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={"Cache-Control": "no-store"},
    )


def _client(request: web.Request) -> str:
    return request.remote or "unknown"


# --- access --------------------------------------------------------------------------------------


def staff_only(handler: Handler) -> Handler:
    """Requires a logged-in session; a POST also requires the session's CSRF token."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        dash = _dash(request)
        if not dash.settings.enabled:
            return _render(
                request, "message.html", 503, title="Not configured", message=MSG_NOT_CONFIGURED
            )
        try:
            session = await _in_thread(dash.sessions.get, request.cookies.get(SESSION_COOKIE))
        except StaffDatabaseUnavailable as exc:
            return _db_down(request, exc)
        if session is None:
            raise web.HTTPSeeOther("/staff/login")
        request["staff_session"] = session
        if request.method == "POST":
            form = await request.post()
            if not auth.same_token(_field(form, "csrf"), session.csrf):
                return _render(request, "message.html", 403, title="Expired form", message=MSG_CSRF)
            request["form"] = form
        try:
            return await handler(request)
        except SQLAlchemyError as exc:  # the gap store failed after the session was checked
            return _db_down(request, exc)

    return wrapped


def _db_down(request: web.Request, exc: Exception) -> web.Response:
    log.error("staff database unavailable (%s)", type(exc).__name__)
    return _render(request, "message.html", 503, title="Database unavailable", message=MSG_DB_DOWN)


def _field(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


async def login_page(request: web.Request) -> web.StreamResponse:
    return _login_form(request)


def _login_form(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    dash = _dash(request)
    if not dash.settings.enabled:
        return _render(
            request, "message.html", 503, title="Not configured", message=MSG_NOT_CONFIGURED
        )
    token = secrets.token_urlsafe(32)
    response = _render(request, "login.html", status, login_csrf=token, error=error)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=dash.settings.secure_cookie,
        path="/staff",
    )
    return response


async def login(request: web.Request) -> web.StreamResponse:
    dash = _dash(request)
    if not dash.settings.enabled:
        return _login_form(request)
    form = await request.post()
    if not auth.same_token(_field(form, "csrf"), request.cookies.get(LOGIN_CSRF_COOKIE, "")):
        return _login_form(request, MSG_CSRF, 403)
    user = _field(form, "user").strip()[:100]
    keys = (f"ip:{_client(request)}", f"user:{user.lower()}")
    try:
        wait = await _in_thread(dash.throttle.retry_after, *keys)
        if wait > 0:
            log.warning("staff login throttled for %s", _client(request))
            minutes = max(1, int(wait // 60) + 1)
            return _login_form(request, MSG_THROTTLED.format(minutes=minutes), 429)
        password = _field(form, "password")
        user_ok = hmac.compare_digest(user.encode(), dash.settings.user.encode())
        password_ok = await _in_thread(auth.verify_password, password, dash.settings.password_hash)
        if not (user_ok and password_ok):
            await _in_thread(dash.throttle.failed, *keys)
            log.warning("staff login failed from %s", _client(request))
            return _login_form(request, MSG_WRONG, 401)
        await _in_thread(dash.throttle.succeeded, *keys)
        token, _ = await _in_thread(dash.sessions.create, user)
    except StaffDatabaseUnavailable as exc:
        log.error("staff login impossible: database unavailable (%s)", exc)
        return _login_form(request, MSG_DB_DOWN, 503)
    log.info("staff login succeeded")
    response = web.HTTPSeeOther("/staff")
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=dash.settings.secure_cookie,
        path="/staff",
        max_age=int(dash.settings.session_hours * 3600),
    )
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/staff")
    raise response


@staff_only
async def logout(request: web.Request) -> web.StreamResponse:
    try:
        await _in_thread(_dash(request).sessions.end, request.cookies.get(SESSION_COOKIE))
    except StaffDatabaseUnavailable as exc:
        return _db_down(request, exc)
    response = web.HTTPSeeOther("/staff/login")
    response.del_cookie(SESSION_COOKIE, path="/staff")
    raise response


# --- filters -------------------------------------------------------------------------------------


def _parse_day(raw: str) -> dt.datetime | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return dt.datetime.fromisoformat(raw)
    except ValueError:
        return None


def _filters(
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
    until = _parse_day(values["to"])
    statuses: tuple[str, ...] | None = None
    if values["status"] == OPEN:
        statuses = OPEN_STATUSES
    elif values["status"]:
        statuses = (values["status"],)
    filters = GapFilters(
        since=_parse_day(values["from"]),
        until=until + dt.timedelta(days=1) if until else None,
        channel=values["channel"] or None,
        language=values["language"] or None,
        reason=values["reason"] or None,
        statuses=statuses,
        search=values["q"] or None,
    )
    return filters, values


def _query_string(values: Mapping[str, str]) -> str:
    return urlencode({k: v for k, v in values.items() if v})


CHOICES: dict[str, Any] = {"reasons": REASONS, "statuses": STATUSES, "languages": LANGUAGES}


# --- pages ---------------------------------------------------------------------------------------


@staff_only
async def overview(request: web.Request) -> web.StreamResponse:
    store = _dash(request).store
    records: list[GapRecord] = await _in_thread(store.list)
    today = dt.datetime.now(dt.timezone.utc).date()
    series = weekly_counts((r.created_at for r in records), TREND_WEEKS, today)
    counts = {
        name: Counter(getattr(r, name) for r in records).most_common()
        for name in ("reason", "channel", "language", "status")
    }
    return _render(
        request,
        "overview.html",
        total=len(records),
        open_count=sum(1 for r in records if r.status in OPEN_STATUSES),
        counts=counts,
        chart=trend_chart(series),
        series=series,
    )


async def _clusters(store: GapStore, filters: GapFilters) -> list[Cluster]:
    records = await _in_thread(store.list, filters)
    return await _in_thread(cluster, records)


@staff_only
async def clusters_page(request: web.Request) -> web.StreamResponse:
    filters, values = _filters(request.query, default_status=OPEN)
    groups = await _clusters(_dash(request).store, filters)
    return _render(
        request,
        "clusters.html",
        clusters=groups,
        values=values,
        query=_query_string(values),
        **CHOICES,
    )


@staff_only
async def cluster_page(request: web.Request) -> web.StreamResponse:
    filters, values = _filters(request.query, default_status=OPEN)
    key = request.match_info["key"]
    groups = await _clusters(_dash(request).store, filters)
    found = next((c for c in groups if c.key == key), None)
    if found is None:
        return _render(
            request,
            "message.html",
            404,
            title="Cluster not found",
            message="This cluster changed (its questions were reviewed). Go back to the clusters.",
        )
    back = "/staff/clusters" + (f"?{_query_string(values)}" if _query_string(values) else "")
    return _render(
        request,
        "cluster.html",
        cluster=found,
        records=found.records,
        back=back,
        intents=_domain_intents(),
        **CHOICES,
    )


@staff_only
async def gaps_page(request: web.Request) -> web.StreamResponse:
    store = _dash(request).store
    filters, values = _filters(request.query)
    try:
        page = max(1, int(request.query.get("page", "1")))
    except ValueError:
        page = 1
    total = await _in_thread(store.count, filters)
    records = await _in_thread(store.list, filters, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    query = _query_string(values)
    return _render(
        request,
        "gaps.html",
        records=records,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        values=values,
        query=query,
        back=request.path_qs,
        intents=_domain_intents(),
        **CHOICES,
    )


@staff_only
async def gap_page(request: web.Request) -> web.StreamResponse:
    try:
        gap_id = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    record = await _in_thread(_dash(request).store.get, gap_id)
    if record is None:
        return _render(request, "message.html", 404, title="Not found", message="No such question.")
    return _render(request, "gap.html", record=record, back=request.path, **CHOICES)


def _safe_next(raw: str) -> str:
    """A same-site path under /staff to go back to (never an open redirect)."""
    if raw.startswith("/staff") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return "/staff/gaps"


def _with_flash(path: str, message: str) -> str:
    base = path.split("#", 1)[0]
    parts = (
        [p for p in base.split("?", 1)[1].split("&") if not p.startswith("done=")]
        if "?" in base
        else []
    )
    parts.append(urlencode({"done": message}))
    return base.split("?", 1)[0] + "?" + "&".join(parts)


@staff_only
async def bulk(request: web.Request) -> web.StreamResponse:
    form = request["form"]
    ids = sorted({int(v) for v in form.getall("ids", []) if isinstance(v, str) and v.isdigit()})
    back = _safe_next(_field(form, "next"))
    store = _dash(request).store
    if not ids:
        raise web.HTTPSeeOther(_with_flash(back, "Select at least one question."))
    if _field(form, "action") == "nlu":
        intent = _field(form, "intent").strip()
        if not INTENT_NAME.fullmatch(intent):
            raise web.HTTPSeeOther(_with_flash(back, "Choose an intent name (lower-case, _)."))
        records = await _in_thread(store.list, GapFilters(ids=tuple(ids)))
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
    status = _field(form, "status")
    if status not in STATUSES:
        raise web.HTTPSeeOther(_with_flash(back, "Choose a status."))
    changed = await _in_thread(store.set_status, ids, status, _field(form, "note"))
    log.info("staff set %d gap(s) to %s", changed, status)
    raise web.HTTPSeeOther(_with_flash(back, f"{changed} question(s) marked {status}."))


@staff_only
async def export_csv(request: web.Request) -> web.StreamResponse:
    filters, _ = _filters(request.query)
    records = await _in_thread(_dash(request).store.list, filters)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d")
    return web.Response(
        body=("\ufeff" + to_csv(records)).encode("utf-8"),  # BOM: Excel then reads Khmer right
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="nssf-gaps-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )


def _domain_intents() -> list[str]:
    try:
        data = yaml.safe_load(DOMAIN_FILE.read_text("utf-8")) or {}
        return [i for i in data.get("intents", []) if isinstance(i, str)]
    except (OSError, yaml.YAMLError):
        return []


# --- JSON API ------------------------------------------------------------------------------------


def _api_error(status: int, message: str) -> web.Response:
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
    token = _dash(request).settings.api_token
    if not token:
        return _api_error(503, "The gaps API is off: set GAPS_API_TOKEN.")
    given = request.headers.get("Authorization", "")
    if not (given.startswith("Bearer ") and auth.same_token(given[7:].strip(), token)):
        response = _api_error(401, "A valid bearer token is required.")
        response.headers["WWW-Authenticate"] = 'Bearer realm="gaps"'
        return response
    q = request.query
    since = _parse_day(q.get("since", "")) if q.get("since") else None
    if q.get("since") and since is None:
        return _api_error(400, "since must be an ISO date or date-time, e.g. 2025-01-31.")
    if since is not None and since.tzinfo is not None:
        since = since.astimezone(dt.timezone.utc).replace(tzinfo=None)
    for name, allowed in (("status", STATUSES), ("reason", REASONS), ("language", LANGUAGES)):
        if q.get(name) and q[name] not in allowed:
            return _api_error(400, f"{name} must be one of: {', '.join(allowed)}.")
    try:
        limit = min(int(q.get("limit", API_DEFAULT_LIMIT)), API_MAX_LIMIT)
    except ValueError:
        return _api_error(400, "limit must be a number.")
    filters = GapFilters(
        since=since,
        statuses=(q["status"],) if q.get("status") else None,
        reason=q.get("reason") or None,
        language=q.get("language") or None,
    )
    try:
        records = await _in_thread(_dash(request).store.list, filters, max(limit, 0))
    except SQLAlchemyError as exc:
        log.error("gaps API: database unavailable (%s)", type(exc).__name__)
        return _api_error(503, "The gap database is unavailable; try again later.")
    return web.json_response(
        [gap_json(r) for r in records],
        headers={"Cache-Control": "no-store"},
        dumps=lambda o: json.dumps(o, ensure_ascii=False),
    )


# --- mounting ------------------------------------------------------------------------------------


async def _prepare_store(app: web.Application) -> None:
    """Apply migrations and replay the spool at start-up, without blocking or failing the app."""
    store = app[DASHBOARD_KEY].store
    try:
        await _in_thread(store.migrate)
    except Exception as exc:  # the chat must start even if the gap database is down
        log.error("gap store not ready at start-up (%s); will retry on use", type(exc).__name__)


async def _staff_root(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/staff")


def mount(
    app: web.Application, store: GapStore, settings: StaffSettings, migrate_on_start: bool = True
) -> Dashboard:
    """Add the dashboard and the API to ``app``."""
    dash = Dashboard(
        store=store,
        settings=settings,
        sessions=Sessions(store, lifetime_s=settings.session_hours * 3600),
        throttle=LoginThrottle(store, throttle_secret(hmac_key())),
        templates=_environment(),
    )
    app[DASHBOARD_KEY] = dash
    if migrate_on_start:
        app.on_startup.append(_prepare_store)  # type: ignore[arg-type]  # aiohttp 3.9 stub
    r = app.router
    r.add_get("/staff", overview)
    r.add_get("/staff/", _staff_root)
    r.add_get("/staff/login", login_page)
    r.add_post("/staff/login", login)
    r.add_post("/staff/logout", logout)
    r.add_get("/staff/clusters", clusters_page)
    r.add_get("/staff/clusters/{key}", cluster_page)
    r.add_get("/staff/gaps", gaps_page)
    r.add_get("/staff/gaps.csv", export_csv)
    r.add_get(r"/staff/gaps/{id:\d+}", gap_page)
    r.add_post("/staff/gaps/bulk", bulk)
    r.add_static("/staff/static", HERE / "staff_static")
    r.add_get("/api/gaps", api_gaps)
    return dash
