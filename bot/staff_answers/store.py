"""Publishing, editing and unpublishing staff answers, and counting their use (SQLAlchemy Core on
the gap store's database; the schema comes from its Alembic migrations).

Publishing an answer for some gaps also marks those gaps ``answered``, with a note naming the
answer. Every change of the texts is a new version (who, when); nothing is ever overwritten.
These calls block: the dashboard runs them in a worker thread; database errors
(``SQLAlchemyError``) reach the caller, which answers 503.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.gaps.model import MAX_TEXT_CHARS, gaps, utcnow
from bot.gaps.store import GapStore
from bot.staff_answers.model import (
    MAX_QUESTIONS,
    PUBLISHED,
    UNPUBLISHED,
    Draft,
    Question,
    StaffAnswer,
    Version,
    staff_answer_questions,
    staff_answer_versions,
    staff_answers,
)


class UnknownAnswer(LookupError):
    """No staff answer has that id."""


class AnswerStore:
    """Staff answers in the gap store's database."""

    def __init__(self, gap_store: GapStore) -> None:
        self.gap_store = gap_store

    def _begin(self) -> Any:
        self.gap_store.ensure_schema()
        return self.gap_store.engine.begin()

    # --- writes ----------------------------------------------------------------------------

    def publish(self, draft: Draft, questions: Sequence[Question], author: str) -> int:
        """Publish a new answer for ``questions``; the gaps they came from become answered."""
        draft = draft.cleaned()
        now = utcnow()
        with self._begin() as conn:
            answer_id = conn.execute(
                sa.insert(staff_answers).values(
                    status=PUBLISHED,
                    version=1,
                    created_at=now,
                    created_by=author,
                    updated_at=now,
                    updated_by=author,
                    uses=0,
                )
            ).inserted_primary_key[0]
            _add_version(conn, int(answer_id), 1, draft, author)
            kept = [q for q in questions if q.text.strip()][:MAX_QUESTIONS]
            if kept:
                conn.execute(
                    sa.insert(staff_answer_questions),
                    [_question_row(int(answer_id), q) for q in kept],
                )
            _mark_answered(conn, int(answer_id), [q.gap_id for q in kept], now)
        return int(answer_id)

    def add_questions(self, answer_id: int, questions: Sequence[Question], author: str) -> int:
        """Link more questions to an answer (new paraphrases staff found among the gaps): the
        bot then matches them too, and their gaps become answered; returns how many were added
        (a question already linked is not added twice)."""
        now = utcnow()
        with self._begin() as conn:
            if (
                conn.scalar(sa.select(staff_answers.c.id).where(staff_answers.c.id == answer_id))
                is None
            ):
                raise UnknownAnswer(answer_id)
            q = staff_answer_questions
            known = {
                (row.text, row.gap_id)
                for row in conn.execute(
                    sa.select(q.c.text, q.c.gap_id).where(q.c.answer_id == answer_id)
                )
            }
            fresh = [x for x in questions if x.text.strip() and (x.text, x.gap_id) not in known][
                :MAX_QUESTIONS
            ]
            if fresh:
                conn.execute(sa.insert(q), [_question_row(answer_id, x) for x in fresh])
                conn.execute(
                    sa.update(staff_answers)
                    .where(staff_answers.c.id == answer_id)
                    .values(updated_at=now, updated_by=author)
                )
            _mark_answered(conn, answer_id, [x.gap_id for x in fresh], now)
        return len(fresh)

    def update(self, answer_id: int, draft: Draft, author: str) -> int:
        """Save ``draft`` as the answer's next version; returns that version's number."""
        draft = draft.cleaned()
        with self._begin() as conn:
            current = conn.scalar(
                sa.select(staff_answers.c.version).where(staff_answers.c.id == answer_id)
            )
            if current is None:
                raise UnknownAnswer(answer_id)
            version = int(current) + 1
            _add_version(conn, answer_id, version, draft, author)
            conn.execute(
                sa.update(staff_answers)
                .where(staff_answers.c.id == answer_id)
                .values(version=version, updated_at=utcnow(), updated_by=author)
            )
        return version

    def set_published(self, answer_id: int, published: bool, author: str) -> None:
        """Unpublish an answer (the bot stops using it) or publish it again."""
        with self._begin() as conn:
            result = conn.execute(
                sa.update(staff_answers)
                .where(staff_answers.c.id == answer_id)
                .values(
                    status=PUBLISHED if published else UNPUBLISHED,
                    updated_at=utcnow(),
                    updated_by=author,
                )
            )
            if not result.rowcount:
                raise UnknownAnswer(answer_id)

    def record_use(self, answer_id: int) -> None:
        """The bot gave this answer once more."""
        with self._begin() as conn:
            conn.execute(
                sa.update(staff_answers)
                .where(staff_answers.c.id == answer_id)
                .values(uses=staff_answers.c.uses + 1, last_used_at=utcnow())
            )

    # --- reads -----------------------------------------------------------------------------

    def list(self, status: str | None = None) -> builtins.list[StaffAnswer]:
        """Every answer (or those with ``status``), most recently changed first."""
        query = _current()
        if status is not None:
            query = query.where(staff_answers.c.status == status)
        query = query.order_by(staff_answers.c.updated_at.desc(), staff_answers.c.id.desc())
        with self._begin() as conn:
            rows = conn.execute(query).all()
            questions = _questions(conn, [int(r._mapping["id"]) for r in rows])
        return [_answer(r, questions.get(int(r._mapping["id"]), ())) for r in rows]

    def published(self) -> builtins.list[StaffAnswer]:
        """The answers the bot may use, with their questions."""
        return self.list(PUBLISHED)

    def get(self, answer_id: int) -> StaffAnswer | None:
        with self._begin() as conn:
            row = conn.execute(_current().where(staff_answers.c.id == answer_id)).first()
            if row is None:
                return None
            return _answer(row, _questions(conn, [answer_id]).get(answer_id, ()))

    def versions(self, answer_id: int) -> builtins.list[Version]:
        """Every version of an answer's texts, newest first."""
        v = staff_answer_versions
        query = sa.select(v).where(v.c.answer_id == answer_id).order_by(v.c.version.desc())
        with self._begin() as conn:
            return [
                Version(r.version, _draft(r._mapping), r.author, r.created_at)
                for r in conn.execute(query)
            ]


def _question_row(answer_id: int, question: Question) -> dict[str, Any]:
    return {
        "answer_id": answer_id,
        "gap_id": question.gap_id,
        "text": question.text[:MAX_TEXT_CHARS].replace("\x00", ""),
        "language": question.language,
    }


def _mark_answered(
    conn: Connection, answer_id: int, gap_ids: Sequence[int | None], now: Any
) -> None:
    """The gaps an answer was written for are answered, with a note naming it."""
    ids = sorted({i for i in gap_ids if i is not None})
    if ids:
        conn.execute(
            sa.update(gaps)
            .where(gaps.c.id.in_(ids))
            .values(status="answered", updated_at=now, note=f"Staff answer #{answer_id}")
        )


def _add_version(conn: Connection, answer_id: int, version: int, draft: Draft, author: str) -> None:
    conn.execute(
        sa.insert(staff_answer_versions).values(
            answer_id=answer_id,
            version=version,
            text_en=draft.en,
            text_km=draft.km,
            source_name=draft.source_name,
            source_date=draft.source_date,
            topic=draft.topic,
            author=author,
            created_at=utcnow(),
        )
    )


def _current() -> sa.sql.Select:
    """Answers joined with their current version."""
    a, v = staff_answers, staff_answer_versions
    joined = a.join(v, sa.and_(v.c.answer_id == a.c.id, v.c.version == a.c.version))
    return sa.select(
        a,
        v.c.text_en,
        v.c.text_km,
        v.c.source_name,
        v.c.source_date,
        v.c.topic,
    ).select_from(joined)


def _questions(conn: Connection, ids: Sequence[int]) -> dict[int, tuple[Question, ...]]:
    if not ids:
        return {}
    q = staff_answer_questions
    rows = conn.execute(sa.select(q).where(q.c.answer_id.in_(list(ids))).order_by(q.c.id))
    found: dict[int, builtins.list[Question]] = {}
    for row in rows:
        found.setdefault(row.answer_id, []).append(Question(row.text, row.language, row.gap_id))
    return {k: tuple(v) for k, v in found.items()}


def _draft(m: Any) -> Draft:
    return Draft(m["text_en"], m["text_km"], m["source_name"], m["source_date"], m["topic"] or "")


def _answer(row: Any, questions: tuple[Question, ...]) -> StaffAnswer:
    m = row._mapping
    return StaffAnswer(
        id=m["id"],
        status=m["status"],
        version=m["version"],
        draft=_draft(m),
        created_at=m["created_at"],
        created_by=m["created_by"],
        updated_at=m["updated_at"],
        updated_by=m["updated_by"],
        uses=m["uses"] or 0,
        last_used_at=m["last_used_at"],
        questions=questions,
    )
