"""What every staff page shares: the dashboard's state on the app, templates (autoescaped: user
text is hostile) in the staff member's language, running the store's blocking calls off the event
loop, the log-in check with CSRF (:func:`staff_only`) and the "database unavailable" page."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from bot.gaps.model import STATUSES
from bot.gaps.store import GapStore
from bot.language import Lang
from bot.questions.store import QuestionLog
from bot.staff_answers.store import AnswerStore
from bot.web import auth
from bot.web.preferences import Preferences
from bot.web.sessions import Sessions
from bot.web.staff.settings import StaffSettings
from bot.web.staff.texts import LANGUAGE_COOKIE, DashboardTexts, chosen_language, get_texts
from bot.web.staff_db import StaffDatabaseUnavailable
from bot.web.throttle import LoginThrottle

log = logging.getLogger("bot.web.staff")

WEB_DIR = Path(__file__).resolve().parent.parent
TEMPLATES = WEB_DIR / "templates"
STATIC = WEB_DIR / "staff_static"
SESSION_COOKIE = "nssf_staff"
LOGIN_CSRF_COOKIE = "nssf_login_csrf"


@dataclass
class Dashboard:
    """The dashboard's state for one app: the store, settings, sessions, login throttle, and the
    intents staff may export questions to (read once, when the dashboard is mounted)."""

    store: GapStore
    settings: StaffSettings
    sessions: Sessions
    throttle: LoginThrottle
    templates: jinja2.Environment
    intents: tuple[str, ...] = ()
    texts: DashboardTexts = field(default_factory=get_texts)
    preferences: Preferences = field(init=False)
    answers: AnswerStore = field(init=False)
    questions: QuestionLog = field(init=False)

    def __post_init__(self) -> None:
        self.preferences = Preferences(self.store)
        self.answers = AnswerStore(self.store)
        self.questions = QuestionLog(self.store)


DASHBOARD_KEY = web.AppKey("dashboard", Dashboard)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every template, whatever its name: user text is hostile
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = lambda d: d.strftime("%Y-%m-%d %H:%M") if d else ""
    env.filters["day"] = lambda d: d.strftime("%Y-%m-%d") if d else ""
    env.globals["strong"] = strong
    return env


def strong(value: Any, element_id: str = "") -> Markup:
    """``value`` in ``<strong>`` (escaped), to put a figure into a text (``t(..., total=...)``)."""
    if element_id:
        return Markup('<strong id="{}">{}</strong>').format(element_id, value)
    return Markup("<strong>{}</strong>").format(value)


def dashboard(request: web.Request) -> Dashboard:
    return request.app[DASHBOARD_KEY]


async def in_thread(func: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, func, *args)


def language(request: web.Request) -> Lang:
    """The page's language: the staff member's choice (looked up by :func:`staff_only`), else the
    log-in page's cookie, else ``DASHBOARD_LANGUAGE``."""
    return (
        request.get("staff_lang")
        or chosen_language(request.cookies.get(LANGUAGE_COOKIE))
        or dashboard(request).settings.language
    )


def text(request: web.Request, key: str, **params: Any) -> Markup:
    """One of the dashboard's texts in the page's language (for messages built in code); already
    escaped, so a template shows it as it is."""
    return dashboard(request).texts.get(key, language(request), **params)


def flash_of(request: web.Request) -> Markup:
    """The note a bulk change left for the page it returns to: a text key and its figures from
    the query string (``done=done_marked&done_n=3&done_status=answered``); anything else shows
    nothing."""
    key, texts = request.query.get("done", ""), dashboard(request).texts
    if not key.startswith("done_") or key not in texts:
        return Markup("")
    status = request.query.get("done_status", "")
    n = request.query.get("done_n", "")
    if key == "done_marked":
        if not n.isdigit() or status not in STATUSES:
            return Markup("")
        lang = language(request)
        return texts.get(key, lang, n=n, status=texts.label("status", status, lang))
    return text(request, key)


def render(request: web.Request, name: str, status: int = 200, **context: Any) -> web.Response:
    session = request.get("staff_session")
    lang = language(request)
    dash = dashboard(request)
    html = dash.templates.get_template(name).render(
        session=session,
        csrf=session.csrf if session else "",
        path=request.path,
        path_qs=request.path_qs,
        flash=flash_of(request),
        lang=lang,
        **dash.texts.page(lang),
        **context,
    )
    return web.Response(
        text=html,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={"Cache-Control": "no-store"},
    )


def client(request: web.Request) -> str:
    """The client's address: the peer's, or, when the peer is a trusted proxy, the right-most
    ``X-Forwarded-For`` address that is not a trusted proxy (what the first proxy saw)."""
    remote = request.remote or "unknown"
    trusted = dashboard(request).settings.trusted_proxies
    if not _within(remote, trusted):
        return remote
    hops = [h.strip() for v in request.headers.getall("X-Forwarded-For", []) for h in v.split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _within(hop, trusted):
            return hop
    return remote


def _within(address: str, networks: tuple[Any, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def form_field(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def message(request: web.Request, status: int, title: str, body: str) -> web.Response:
    """A page that only says something: ``title`` and ``body`` are text keys."""
    return render(
        request, "message.html", status, title=text(request, title), message=text(request, body)
    )


def not_configured(request: web.Request) -> web.Response:
    return message(request, 503, "not_configured_title", "not_configured")


def db_down(request: web.Request, exc: Exception) -> web.Response:
    log.error("staff database unavailable (%s)", type(exc).__name__)
    return message(request, 503, "db_down_title", "db_down")


def staff_only(handler: Handler) -> Handler:
    """Requires a logged-in session; a POST also requires the session's CSRF token."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        dash = dashboard(request)
        if not dash.settings.enabled:
            return not_configured(request)
        try:
            session = await in_thread(dash.sessions.get, request.cookies.get(SESSION_COOKIE))
        except StaffDatabaseUnavailable as exc:
            return db_down(request, exc)
        if session is None:
            raise web.HTTPSeeOther("/staff/login")
        request["staff_session"] = session
        try:
            request["staff_lang"] = await in_thread(dash.preferences.language, session.user)
        except StaffDatabaseUnavailable as exc:
            return db_down(request, exc)
        if request.method == "POST":
            form = await request.post()
            if not auth.same_token(form_field(form, "csrf"), session.csrf):
                return message(request, 403, "form_expired_title", "form_expired")
            request["form"] = form
        try:
            return await handler(request)
        except SQLAlchemyError as exc:  # the gap store failed after the session was checked
            return db_down(request, exc)

    return wrapped
