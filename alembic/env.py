"""Alembic environment of the gap store: migrates the connection it is given, or DATABASE_URL."""

from __future__ import annotations

import sqlalchemy as sa

from alembic import context
from bot.gaps.model import metadata
from bot.gaps.store import database_url
from bot.questions import model as question_model  # noqa: F401  (its table joins the metadata)
from bot.web import staff_db  # noqa: F401  (its tables join the metadata)

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = sa.create_engine(database_url(), future=True)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
        conn.commit()


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
