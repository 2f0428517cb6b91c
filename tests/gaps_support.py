"""Fixtures and builders shared by the knowledge-gap tests (store on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.gaps import capture
from bot.gaps.capture import GapRecorder
from bot.gaps.model import GapRecord
from bot.gaps.store import GapStore
from bot.questions.model import question_log

TEST_KEY = b"test-hmac-key-0123456789"


def postgres_url() -> str:
    """The PostgreSQL the store tests use: required, never skipped (scripts/ci_services.sh)."""
    url = os.environ.get("TEST_POSTGRES_URL", "").strip()
    if not url:
        pytest.fail(
            'TEST_POSTGRES_URL is not set: run `eval "$(scripts/ci_services.sh)"` first '
            "(make unit and make test do it)"
        )
    return url


class PostgresSchema:
    """A fresh schema in the test database, dropped afterwards: tests never share tables."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = f"t_{uuid.uuid4().hex[:12]}"
        self._admin = sa.create_engine(url, future=True)

    def __enter__(self) -> PostgresSchema:
        with self._admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{self.name}"'))
        return self

    def connect_args(self) -> dict[str, Any]:
        return {"options": f"-csearch_path={self.name}"}

    def __exit__(self, *exc: object) -> None:
        with self._admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{self.name}" CASCADE'))
        self._admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GapStore]:
    """A migrated, empty gap store on SQLite and on PostgreSQL."""
    spool = tmp_path / "spool.jsonl"
    if request.param == "sqlite":
        gap_store = GapStore(f"sqlite:///{tmp_path / 'gaps.db'}", spool)
        gap_store.migrate()
        yield gap_store
        gap_store.dispose()
        return
    with PostgresSchema(postgres_url()) as schema:
        gap_store = GapStore(schema.url, spool, connect_args=schema.connect_args())
        gap_store.migrate()
        yield gap_store
        gap_store.dispose()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[GapStore]:
    gap_store = GapStore(f"sqlite:///{tmp_path / 'gaps.db'}", tmp_path / "spool.jsonl")
    gap_store.migrate()
    yield gap_store
    gap_store.dispose()


@pytest.fixture
def recorder(sqlite_store: GapStore, monkeypatch: pytest.MonkeyPatch) -> Iterator[GapRecorder]:
    """The recorder the actions use, writing to a fresh SQLite store."""
    rec = GapRecorder(sqlite_store, TEST_KEY)
    monkeypatch.setattr(capture, "get_recorder", lambda: rec)
    import actions.recording

    monkeypatch.setattr(actions.recording, "get_recorder", lambda: rec)
    yield rec
    rec.flush()


def gap(
    text: str = "does nssf pay for weddings",
    *,
    reason: str = "out_of_scope",
    language: str = "en",
    channel: str = "web",
    status: str = "new",
    days_ago: float = 0,
    intents: tuple[tuple[str, float], ...] = (("out_of_scope", 0.8),),
    context: str = "",
    conversation: str = "c0ffee",
    aspect: str = "",
) -> GapRecord:
    """A gap record for tests (already masked, as the store receives them)."""
    created = dt.datetime(2025, 3, 10, 9, 0) - dt.timedelta(days=days_ago)
    return GapRecord(
        text=text,
        reason=reason,
        language=language,
        channel=channel,
        status=status,
        conversation=conversation,
        intents=tuple({"name": n, "confidence": c} for n, c in intents),
        context=context,
        aspect=aspect,
        created_at=created,
    )


GAP_UI_TEXTS = {
    "feedback_thanks": {"en": "feedback_thanks en", "km": "feedback_thanks ខ្មែរ"},
    "feedback_sorry": {"en": "feedback_sorry en", "km": "feedback_sorry ខ្មែរ"},
    "human_handoff": {"en": "human_handoff en", "km": "human_handoff ខ្មែរ"},
}


def question_rows(store: GapStore) -> list[dict[str, object]]:
    """Every row of the question log."""
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(question_log)).mappings()]


def logged(store: GapStore, rec: GapRecorder) -> dict[str, tuple[str, str, str]]:
    """The question log after the recorder wrote everything: text → (outcome, topic, reason)."""
    rec.flush()
    return {
        str(r["text"]): (str(r["outcome"]), str(r["topic"]), str(r["reason"]))
        for r in question_rows(store)
    }


@pytest.fixture
def small_kb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small knowledge base (maternity, sickness, pension) with the gap-related texts."""
    from tests.factories import UI_TEXTS, topic_doc, write_knowledge

    ui = {
        "texts": {
            **UI_TEXTS,
            **GAP_UI_TEXTS,
            "menu_button": {"en": "Main menu", "km": "ម៉ឺនុយ"},
            "something_else": {"en": "Something else", "km": "ផ្សេងទៀត"},
        }
    }
    directory = write_knowledge(
        tmp_path / "kb",
        [
            topic_doc("maternity", title={"en": "Maternity", "km": "មាតុភាព"}),
            topic_doc("sickness", title={"en": "Sickness", "km": "ជំងឺ"}),
            topic_doc("pension", title={"en": "Pension", "km": "សោធន"}),
        ],
        **ui,
    )
    monkeypatch.setenv("KNOWLEDGE_DIR", str(directory))
    return directory


# a cluster of three paraphrases (two English, one Khmer) and one unrelated question, with how many
# days ago each was asked: the dashboard's and the API's cluster tests
WEDDING_QUESTIONS = (
    ("does nssf give money when i get married", "en", 3),
    ("តើ ប.ស.ស. ផ្តល់ប្រាក់ពេលរៀបការទេ", "km", 2),
    ("is there a wedding allowance from nssf", "en", 1),
    ("what are today's lottery numbers", "en", 1),
)
