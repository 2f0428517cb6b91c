"""Rasa's SQL tracker store, without the user's words in its errors.

When a write fails, Rasa's fail-safe store logs the SQLAlchemy error, and SQLAlchemy quotes the
statement's parameters: the event JSON with the user's message and the raw sender id. This store is
Rasa's ``SQLTrackerStore`` on an engine made with ``hide_parameters=True``, so that no error it
raises carries them; it also masks configured secrets in the Rasa server's logs
(:mod:`bot.log_safety`), whichever channels run. ``endpoints.yml`` names it as the tracker store.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs

from bot import log_safety


class MaskedSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose database errors never quote the statement's parameters."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        log_safety.install()
        super().__init__(*args, **kwargs)
        first: sa.engine.Engine = self.engine  # type: ignore[has-type]
        url = first.url
        first.dispose()
        self.engine = sa.create_engine(url, hide_parameters=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
