"""Gap store administration: ``python -m bot.gaps migrate`` applies the migrations and replays
the spool (run at start-up by ``make run``)."""

from __future__ import annotations

import argparse
import logging
import sys

from sqlalchemy.exc import SQLAlchemyError

from bot.gaps.store import GapStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.gaps", description=__doc__)
    parser.add_argument("command", choices=["migrate"])
    parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    store = GapStore.from_env()
    try:
        store.migrate()
    except SQLAlchemyError as exc:
        print(f"gap store: migration failed ({type(exc).__name__}); is DATABASE_URL right?")
        return 1
    print(f"gap store ready ({store.engine.url.render_as_string(hide_password=True)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
