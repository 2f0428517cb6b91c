"""Run the web chat: ``python -m bot.web``.

Settings come from the environment, see :mod:`bot.web.settings`.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot import log_safety
from bot.gaps.store import GapStore
from bot.web import purge, warm
from bot.web.app import create_app
from bot.web.settings import WebSettings
from bot.web.staff import StaffSettings


def main() -> None:
    """Configure logging, read the settings and serve until interrupted."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    log_safety.install()
    settings = WebSettings.from_env()
    staff = StaffSettings.from_env()
    logging.getLogger("bot.web").info(
        "NSSF web chat on http://%s:%d/chat, forwarding to Rasa at %s",
        settings.host,
        settings.port,
        settings.rasa_url,
    )
    logging.getLogger("bot.web").info(
        "staff dashboard on http://%s:%d/staff (%s)",
        settings.host,
        settings.port,
        "log-in enabled" if staff.enabled else "not configured: see README, 'Staff dashboard'",
    )
    store = GapStore.from_env()
    app = create_app(settings, store, staff)
    purge.mount(app, store)  # the daily purge of what is older than its retention
    if staff.enabled:
        warm.mount(app, store)  # the Clusters page's grouping, kept up to date
    # access_log=None: bot.web already logs one privacy-safe line per request.
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        access_log=None,
        print=None,
    )


if __name__ == "__main__":
    main()
