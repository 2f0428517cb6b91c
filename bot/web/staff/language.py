"""The dashboard's language switch (Khmer / English), at the top of every page.

Logged in, the choice is kept for the staff member (:class:`bot.web.preferences.Preferences`:
POST with the session's CSRF token) and in a cookie; on the log-in page it is kept in the cookie
only (a GET: it changes nothing but how the page is shown). Either way the browser goes back to
the page it came from (a path under /staff only: never an open redirect).
"""

from __future__ import annotations

from aiohttp import web

from bot.web.staff.core import dashboard, db_down, form_field, in_thread, message, staff_only
from bot.web.staff.pages import safe_next
from bot.web.staff.texts import LANGUAGE_COOKIE, chosen_language
from bot.web.staff_db import StaffDatabaseUnavailable

YEAR_S = 365 * 24 * 3600


def _switched(request: web.Request, lang: str, next_path: str) -> web.HTTPSeeOther:
    response = web.HTTPSeeOther(safe_next(next_path))
    response.set_cookie(
        LANGUAGE_COOKIE,
        lang,
        samesite="Strict",
        secure=dashboard(request).settings.secure_cookie,
        path="/staff",
        max_age=YEAR_S,
    )
    return response


async def switch_before_login(request: web.Request) -> web.StreamResponse:
    lang = chosen_language(request.query.get("to"))
    if lang is None:
        return message(request, 400, "bad_language_title", "bad_language")
    raise _switched(request, lang, request.query.get("next", "/staff/login"))


@staff_only
async def switch(request: web.Request) -> web.StreamResponse:
    form = request["form"]
    lang = chosen_language(form_field(form, "to"))
    if lang is None:
        return message(request, 400, "bad_language_title", "bad_language")
    try:
        user = request["staff_session"].user
        await in_thread(dashboard(request).preferences.set_language, user, lang)
    except StaffDatabaseUnavailable as exc:
        return db_down(request, exc)
    raise _switched(request, lang, form_field(form, "next"))
