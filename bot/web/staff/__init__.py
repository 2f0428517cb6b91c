"""The staff dashboard of knowledge gaps, and the JSON API ``GET /api/gaps``.

Mounted on the web app by :func:`mount` (``bot.web.app.create_app``). Routes, all under ``/staff``
except the API (the modules: ``settings``, ``core`` shared by the pages, ``login``, ``filters``,
``pages``, ``api``):

- ``GET /staff/login``, ``POST /staff/login``, ``POST /staff/logout``;
- ``GET /staff`` overview: counts by reason, channel, language, status and a weekly trend chart;
- ``GET /staff/clusters`` similar questions grouped (Khmer and English together);
  ``GET /staff/clusters/{key}`` one cluster's questions, to review them together;
- ``GET /staff/gaps`` the list with filters and search; ``GET /staff/gaps/{id}`` one question;
- ``POST /staff/gaps/bulk`` status change with a note, or the selection as Rasa NLU YAML;
- ``GET /staff/gaps.csv`` the filtered list as CSV;
- ``GET /staff/topics`` what people ask: questions per topic per week, answered vs unanswered,
  the fastest growing gap clusters; ``GET /staff/report`` the monthly report (and
  ``/staff/report.csv``), from the question log (:mod:`bot.web.staff.topics`);
- ``/staff/answers…`` staff answers: write, preview, publish, edit, unpublish
  (:mod:`bot.web.staff.answers`);
- ``GET /api/gaps`` (``Authorization: Bearer $GAPS_API_TOKEN``) filters ``since``, ``status``,
  ``reason``, ``language``, ``limit``; ``GET /api/clusters``; ``GET``/``POST /api/answers``,
  ``DELETE /api/answers/{id}``, ``GET /api/notifications`` (:mod:`bot.web.staff.answers_api`).

Settings (environment): ``DASHBOARD_USER`` and ``DASHBOARD_PASSWORD_HASH`` (from
``make staff-password``) enable the dashboard; ``GAPS_API_TOKEN`` enables the API; without them
those routes answer 503 and say what to set. ``DASHBOARD_SESSION_HOURS`` (default 8),
``DASHBOARD_SECURE_COOKIE`` (``true`` behind HTTPS). User text is hostile: every page is a Jinja2
template with autoescaping; nothing user-written reaches a script or an attribute unescaped.

Log-in sessions (:mod:`bot.web.sessions`) and the wrong passwords the log-in throttle counts
(:mod:`bot.web.throttle`) live in the gap store's database, so they survive a restart and are shared
by several web processes. When that database cannot be reached, logging in (and every staff page)
answers 503 and says so. The intents staff may export questions to are read once, at mount:
``DASHBOARD_INTENTS`` (comma-separated) if set, else the intents of ``domain.yml``, else (the web
image has no domain) the knowledge base's topics.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from aiohttp import web

from bot.gaps.capture import hmac_key
from bot.gaps.store import GapStore
from bot.knowledge import configured_knowledge
from bot.web.sessions import Sessions
from bot.web.staff.answers import (
    add_sent_questions,
    answer_page,
    answer_state,
    answers_page,
    create_answer,
    link_questions,
    new_answer,
    update_answer,
)
from bot.web.staff.answers_api import (
    api_answers,
    api_delete_answer,
    api_link_questions,
    api_notifications,
    api_publish_answer,
)
from bot.web.staff.api import api_clusters, api_gaps
from bot.web.staff.core import (
    DASHBOARD_KEY,
    STATIC,
    WEB_DIR,
    Dashboard,
    environment,
    in_thread,
    log,
)
from bot.web.staff.language import switch as switch_language
from bot.web.staff.language import switch_before_login
from bot.web.staff.login import login, login_page, logout
from bot.web.staff.pages import (
    bulk,
    cluster_page,
    clusters_page,
    export_csv,
    gap_page,
    gaps_page,
    overview,
)
from bot.web.staff.settings import StaffSettings
from bot.web.staff.topics import report_csv, report_page, topics_page
from bot.web.throttle import LoginThrottle, throttle_secret

__all__ = ["DASHBOARD_KEY", "Dashboard", "StaffSettings", "mount"]

DOMAIN_FILE = WEB_DIR.parent.parent / "domain.yml"


def staff_intents(domain_file: Path = DOMAIN_FILE) -> tuple[str, ...]:
    """The intents staff may export questions to (see the module's docstring)."""
    configured = os.environ.get("DASHBOARD_INTENTS", "").strip()
    if configured:
        return tuple(i.strip() for i in configured.split(",") if i.strip())
    try:
        data = yaml.safe_load(domain_file.read_text("utf-8")) or {}
        intents = tuple(i for i in data.get("intents", []) if isinstance(i, str))
    except (OSError, yaml.YAMLError):
        intents = ()
    return intents or tuple(configured_knowledge().topics)


async def _prepare_store(app: web.Application) -> None:
    """Apply migrations and replay the spool at start-up, without blocking or failing the app."""
    store = app[DASHBOARD_KEY].store
    try:
        await in_thread(store.migrate)
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
        templates=environment(),
        intents=staff_intents(),
    )
    app[DASHBOARD_KEY] = dash
    if migrate_on_start:
        app.on_startup.append(_prepare_store)  # type: ignore[arg-type]  # aiohttp 3.9 stub
    r = app.router
    r.add_get("/staff", overview)
    r.add_get("/staff/", _staff_root)
    r.add_get("/staff/login", login_page)
    r.add_get("/staff/language", switch_before_login)
    r.add_post("/staff/language", switch_language)
    r.add_post("/staff/login", login)
    r.add_post("/staff/logout", logout)
    r.add_get("/staff/clusters", clusters_page)
    r.add_get("/staff/clusters/{key}", cluster_page)
    r.add_get("/staff/gaps", gaps_page)
    r.add_get("/staff/gaps.csv", export_csv)
    r.add_get(r"/staff/gaps/{id:\d+}", gap_page)
    r.add_post("/staff/gaps/bulk", bulk)
    r.add_get("/staff/topics", topics_page)
    r.add_get("/staff/report", report_page)
    r.add_get("/staff/report.csv", report_csv)
    r.add_get("/staff/answers", answers_page)
    r.add_get("/staff/answers/new", new_answer)
    r.add_post("/staff/answers", create_answer)
    r.add_get(r"/staff/answers/{id:\d+}", answer_page)
    r.add_post(r"/staff/answers/{id:\d+}", update_answer)
    r.add_post(r"/staff/answers/{id:\d+}/state", answer_state)
    r.add_post("/staff/answers/link", link_questions)
    r.add_post(r"/staff/answers/{id:\d+}/questions", add_sent_questions)
    r.add_static("/staff/static", STATIC)
    r.add_get("/api/gaps", api_gaps)
    r.add_get("/api/clusters", api_clusters)
    r.add_get("/api/answers", api_answers)
    r.add_post("/api/answers", api_publish_answer)
    r.add_delete(r"/api/answers/{id:\d+}", api_delete_answer)
    r.add_post(r"/api/answers/{id:\d+}/questions", api_link_questions)
    r.add_get("/api/notifications", api_notifications)
    return dash
