"""What every staff page shares: the dashboard's state on the app, templates (autoescaped: user
text is hostile), running the store's blocking calls off the event loop, the log-in check with CSRF
(:func:`staff_only`) and the "database unavailable" page."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.gaps.store import GapStore
from bot.web import auth
from bot.web.sessions import Sessions
from bot.web.staff.settings import StaffSettings
from bot.web.staff_db import StaffDatabaseUnavailable
from bot.web.throttle import LoginThrottle

log = logging.getLogger("bot.web.staff")

WEB_DIR = Path(__file__).resolve().parent.parent
TEMPLATES = WEB_DIR / "templates"
STATIC = WEB_DIR / "staff_static"
SESSION_COOKIE = "nssf_staff"
LOGIN_CSRF_COOKIE = "nssf_login_csrf"

MSG_NOT_CONFIGURED = (
    "The staff dashboard is not configured: set DASHBOARD_USER and DASHBOARD_PASSWORD_HASH "
    "(make staff-password) and restart. See the README, section 'Staff dashboard'."
)
MSG_CSRF = "This form has expired. Please go back, reload the page and try again."
MSG_DB_DOWN = (
    "The database is unavailable, so the dashboard cannot show or change anything now. Please "
    "try again in a few minutes; if it lasts, check that the database (DATABASE_URL) is running."
)


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
    return env


def dashboard(request: web.Request) -> Dashboard:
    return request.app[DASHBOARD_KEY]


async def in_thread(func: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, func, *args)


def render(request: web.Request, name: str, status: int = 200, **context: Any) -> web.Response:
    session = request.get("staff_session")
    html = (
        dashboard(request)
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


def field(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def not_configured(request: web.Request) -> web.Response:
    return render(request, "message.html", 503, title="Not configured", message=MSG_NOT_CONFIGURED)


def db_down(request: web.Request, exc: Exception) -> web.Response:
    log.error("staff database unavailable (%s)", type(exc).__name__)
    return render(request, "message.html", 503, title="Database unavailable", message=MSG_DB_DOWN)


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
        if request.method == "POST":
            form = await request.post()
            if not auth.same_token(field(form, "csrf"), session.csrf):
                return render(request, "message.html", 403, title="Expired form", message=MSG_CSRF)
            request["form"] = form
        try:
            return await handler(request)
        except SQLAlchemyError as exc:  # the gap store failed after the session was checked
            return db_down(request, exc)

    return wrapped
