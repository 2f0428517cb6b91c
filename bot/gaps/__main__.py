"""Gap store administration, run at start-up by ``make run``: ``python -m bot.gaps migrate``
applies the migrations and replays the spool; ``python -m bot.gaps purge`` deletes the
conversations, gap records and question log entries older than their retention
(:mod:`bot.gaps.retention`)."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from sqlalchemy.exc import SQLAlchemyError

from bot.gaps.retention import Retention, purge_all
from bot.gaps.store import GapStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.gaps", description=__doc__)
    parser.add_argument("command", choices=["migrate", "purge"])
    command = parser.parse_args(argv).command
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    store = GapStore.from_env()
    if command == "purge":
        return purge(store)
    try:
        store.migrate()
    except SQLAlchemyError as exc:
        print(f"gap store: migration failed ({type(exc).__name__}); is DATABASE_URL right?")
        return 1
    print(f"gap store ready ({store.engine.url.render_as_string(hide_password=True)})")
    return 0


def purge(store: GapStore) -> int:
    retention = Retention.from_env(os.environ)
    try:
        done = purge_all(store, retention, os.environ.get("TRACKER_DB_URL", "").strip())
    except SQLAlchemyError as exc:
        print(f"purge failed ({type(exc).__name__}); nothing is lost, it runs again next time")
        return 1
    print(
        f"purged {done.events} tracker event(s) older than {retention.tracker_days} days, "
        f"{done.gaps} gap record(s) older than {retention.gaps_days} days and "
        f"{done.questions} question log entries older than {retention.question_log_days} days"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
