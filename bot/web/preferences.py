"""Each staff member's dashboard language, kept by user name in the gap store's database
(``staff_preferences``): chosen once with the switch at the top of a page, it follows the staff
member to any browser. A database failure raises :class:`StaffDatabaseUnavailable` (the pages
answer 503), as for the sessions.

These calls block: the dashboard runs them in a worker thread.
"""

from __future__ import annotations

import sqlalchemy as sa

from bot.gaps.model import utcnow
from bot.gaps.store import GapStore
from bot.language import LANGUAGES, Lang
from bot.web.staff_db import staff_preferences, transaction


class Preferences:
    def __init__(self, store: GapStore) -> None:
        self.store = store

    def language(self, user: str) -> Lang | None:
        """The language ``user`` chose, or ``None`` when they never chose one."""
        with transaction(self.store) as conn:
            row = conn.execute(
                sa.select(staff_preferences.c.language).where(staff_preferences.c.user_name == user)
            ).first()
        value = row[0] if row else None
        return value if value in LANGUAGES else None

    def set_language(self, user: str, language: Lang) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}")
        with transaction(self.store) as conn:
            done = conn.execute(
                staff_preferences.update()
                .where(staff_preferences.c.user_name == user)
                .values(language=language, updated_at=utcnow())
            ).rowcount
            if not done:
                conn.execute(
                    staff_preferences.insert().values(
                        user_name=user, language=language, updated_at=utcnow()
                    )
                )
