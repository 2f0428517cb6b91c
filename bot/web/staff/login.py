"""Staff log-in and log-out: a CSRF cookie on the form, the throttle (per address and user name)
before the password is checked, a session cookie (HttpOnly, SameSite=Strict) after."""

from __future__ import annotations

import hmac
import secrets

from aiohttp import web

from bot.web import auth
from bot.web.staff.core import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    client,
    dashboard,
    db_down,
    form_field,
    in_thread,
    log,
    not_configured,
    render,
    staff_only,
    text,
)
from bot.web.staff_db import StaffDatabaseUnavailable


async def login_page(request: web.Request) -> web.StreamResponse:
    return login_form(request)


def login_form(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    dash = dashboard(request)
    if not dash.settings.enabled:
        return not_configured(request)
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", status, login_csrf=token, error=error)
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
    dash = dashboard(request)
    if not dash.settings.enabled:
        return login_form(request)
    form = await request.post()
    if not auth.same_token(form_field(form, "csrf"), request.cookies.get(LOGIN_CSRF_COOKIE, "")):
        return login_form(request, text(request, "form_expired"), 403)
    user = form_field(form, "user").strip()[:100]
    keys = (f"ip:{client(request)}", f"user:{user.lower()}")
    try:
        # counted as a failure until the password proves right
        wait = await in_thread(dash.throttle.attempt, *keys)
        if wait > 0:
            log.warning("staff login throttled for %s", client(request))
            minutes = max(1, int(wait // 60) + 1)
            return login_form(request, text(request, "login_throttled", minutes=minutes), 429)
        password = form_field(form, "password")
        user_ok = hmac.compare_digest(user.encode(), dash.settings.user.encode())
        password_ok = await in_thread(auth.verify_password, password, dash.settings.password_hash)
        if not (user_ok and password_ok):
            log.warning("staff login failed from %s", client(request))
            return login_form(request, text(request, "login_wrong"), 401)
        await in_thread(dash.throttle.succeeded, *keys)
        token, _ = await in_thread(dash.sessions.create, user)
    except StaffDatabaseUnavailable as exc:
        log.error("staff login impossible: database unavailable (%s)", exc)
        return login_form(request, text(request, "db_down"), 503)
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
        await in_thread(dashboard(request).sessions.end, request.cookies.get(SESSION_COOKIE))
    except StaffDatabaseUnavailable as exc:
        return db_down(request, exc)
    response = web.HTTPSeeOther("/staff/login")
    response.del_cookie(SESSION_COOKIE, path="/staff")
    raise response
