"""The gap store on SQLite and on a real PostgreSQL: migrations, writes, filters, status changes,
the spool (database down → conversation continues → database back → every record once), and the
staff dashboard's log-in sessions and log-in throttle kept in the same database."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from rasa_sdk.executor import CollectingDispatcher

from actions.unresolved import ActionUnresolved
from alembic import command
from bot.gaps.capture import GapRecorder
from bot.gaps.model import GapRecord, metadata
from bot.gaps.store import GapFilters, GapStore, alembic_config
from bot.notifications import model as notify_tables
from bot.questions.model import question_log
from bot.staff_answers import model as staff_answer_tables
from bot.web.sessions import Sessions, SessionsUnavailable
from bot.web.staff_db import StaffDatabaseUnavailable, staff_login_failures, staff_sessions
from bot.web.throttle import (
    FAILURE_WINDOW_S,
    MAX_FAILURES,
    USER_DELAY_CAP_S,
    LoginThrottle,
    ThrottleUnavailable,
)
from tests.factories import tracker
from tests.fakes.tcp import Proxy
from tests.gaps_support import TEST_KEY, PostgresSchema, gap, postgres_url


def _version(gap_store: GapStore) -> str | None:
    with gap_store.engine.connect() as conn:
        return conn.scalar(sa.text("SELECT version_num FROM alembic_version"))


def test_migrations_create_the_gaps_and_staff_tables_at_head(
    store: GapStore,
) -> None:
    with store.engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
    assert {
        "gaps",
        "staff_sessions",
        "staff_login_failures",
        "staff_preferences",
        "staff_answers",
        "staff_answer_versions",
        "staff_answer_questions",
        "notify_requests",
        "question_log",
    } <= tables
    assert _version(store) == "0008"
    store.migrate()  # idempotent
    assert store.count() == 0


def test_the_migrated_schema_is_exactly_the_model(store: GapStore) -> None:
    # the staff answers' and the notifications' tables are part of the model too
    assert staff_answer_tables.staff_answers.metadata is metadata
    assert notify_tables.notify_requests.metadata is metadata
    assert question_log.metadata is metadata
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def _downgrade(gap_store: GapStore, revision: str) -> None:
    config = alembic_config()
    with gap_store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def _texts(gap_store: GapStore) -> list[str]:
    """The stored questions, read with SQL: the store's queries need the newest schema."""
    with gap_store.engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT text FROM gaps")).scalars())


def test_the_staff_sessions_migration_upgrades_a_0001_database_and_reverts(
    store: GapStore,
) -> None:
    store.add(gap("asked before the upgrade"))
    _downgrade(store, "0001")
    with store.engine.connect() as conn:
        assert "staff_sessions" not in sa.inspect(conn).get_table_names()
    store.upgrade("0002")
    with store.engine.connect() as conn:
        inspector = sa.inspect(conn)
        columns = {c["name"]: c for c in inspector.get_columns("staff_sessions")}
        indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes("staff_sessions")}
        primary_key = inspector.get_pk_constraint("staff_sessions")["constrained_columns"]
        version = conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
    assert set(columns) == {"token_hash", "user_name", "csrf", "created_at", "expires_at"}
    assert not any(c["nullable"] for c in columns.values())
    assert primary_key == ["token_hash"]
    assert indexes == {"ix_staff_sessions_expires_at": ["expires_at"]}
    assert version == "0002"
    assert _texts(store) == ["asked before the upgrade"]


def test_the_login_failures_migration_upgrades_a_0002_database_and_reverts(
    store: GapStore,
) -> None:
    store.add(gap("asked before the upgrade"))
    token, _ = Sessions(store).create("staff")
    _downgrade(store, "0002")
    with store.engine.connect() as conn:
        assert "staff_login_failures" not in sa.inspect(conn).get_table_names()
    assert _version(store) == "0002"
    assert Sessions(store).get(token) is not None  # the downgrade keeps the sessions
    store.upgrade("0003")
    with store.engine.connect() as conn:
        inspector = sa.inspect(conn)
        columns = {c["name"]: c for c in inspector.get_columns("staff_login_failures")}
        indexes = {
            i["name"]: i["column_names"] for i in inspector.get_indexes("staff_login_failures")
        }
        primary_key = inspector.get_pk_constraint("staff_login_failures")["constrained_columns"]
    assert set(columns) == {"id", "key_hash", "failed_at"}
    assert not any(c["nullable"] for c in columns.values())
    assert primary_key == ["id"]
    assert indexes == {
        "ix_staff_login_failures_key_hash_failed_at": ["key_hash", "failed_at"],
        "ix_staff_login_failures_failed_at": ["failed_at"],
    }
    assert _version(store) == "0003"
    LoginThrottle(store, SECRET).failed("ip:192.0.2.1")  # the upgraded table takes failures again
    assert len(_failure_rows(store)) == 1
    assert _texts(store) == ["asked before the upgrade"]
    assert Sessions(store).get(token) is not None


def test_the_aspect_migration_keeps_old_records_and_stores_the_aspect(
    store: GapStore,
) -> None:
    store.add(gap("asked before the aspect column"))
    _downgrade(store, "0003")
    with store.engine.connect() as conn:
        assert "aspect" not in {c["name"] for c in sa.inspect(conn).get_columns("gaps")}
    store.upgrade("0004")
    store.add(gap("which hospitals in kampot", reason="not_covered", aspect="local_facility"))
    by_text = {r.text: r.aspect for r in store.list()}
    assert by_text == {
        "asked before the aspect column": "",
        "which hospitals in kampot": "local_facility",
    }


def test_a_record_is_stored_with_every_field(store: GapStore) -> None:
    record = gap(
        "ខ្ញុំឈ្មោះ <NAME> តើបានប្រាក់រៀបការទេ",
        language="km",
        channel="telegram",
        intents=(("out_of_scope", 0.81), ("maternity", 0.1), ("pension", 0.05)),
        context="Hello!",
    )
    assert store.add(record) is True
    (back,) = store.list()
    assert back.id is not None
    assert (back.text, back.language, back.channel, back.reason, back.status) == (
        record.text,
        "km",
        "telegram",
        "out_of_scope",
        "new",
    )
    assert back.intents == record.intents and back.context == "Hello!"
    assert back.created_at == record.created_at and back.uid == record.uid


def test_writing_the_same_record_twice_stores_it_once(store: GapStore) -> None:
    record = gap()
    store.add(record)
    store.add(record)
    assert store.count() == 1


def test_filters_and_search(store: GapStore) -> None:
    store.add(gap("wedding money?", days_ago=20))
    store.add(gap("ប្រាក់រៀបការ", language="km", channel="telegram", days_ago=1))
    store.add(gap("Wedding GRANT 100%_off", reason="low_confidence", status="answered"))
    assert store.count(GapFilters(language="km")) == 1
    assert store.count(GapFilters(channel="telegram")) == 1
    assert store.count(GapFilters(reason="low_confidence")) == 1
    assert store.count(GapFilters(statuses=("new", "reviewing"))) == 2
    assert store.count(GapFilters(search="wedding")) == 2  # case-insensitive
    assert store.count(GapFilters(search="%_")) == 1  # wildcards are literal
    assert store.count(GapFilters(search="រៀបការ")) == 1
    since = dt.datetime(2025, 3, 10) - dt.timedelta(days=2)
    assert [r.text for r in store.list(GapFilters(since=since))] == [
        "Wedding GRANT 100%_off",
        "ប្រាក់រៀបការ",
    ]


def test_counts_by_column_and_by_day_are_made_by_the_database(store: GapStore) -> None:
    store.add(gap("a", reason="low_confidence", language="km", channel="telegram", days_ago=1))
    store.add(gap("b", status="answered"))
    store.add(gap("c", days_ago=2))
    store.add(gap("d", days_ago=40))
    assert store.tally("reason") == [("out_of_scope", 3), ("low_confidence", 1)]
    assert store.tally("status") == [("new", 3), ("answered", 1)]
    assert dict(store.tally("channel")) == {"web": 3, "telegram": 1}
    assert store.per_day(dt.datetime(2025, 3, 1)) == {
        dt.date(2025, 3, 10): 1,
        dt.date(2025, 3, 9): 1,
        dt.date(2025, 3, 8): 1,
    }
    with pytest.raises(ValueError):
        store.tally("text")


def test_bulk_status_change_with_a_note(store: GapStore) -> None:
    for n in range(3):
        store.add(gap(f"question {n}"))
    ids = [r.id for r in store.list() if r.text != "question 1"]
    assert store.set_status(ids, "answered", "added to maternity.yml") == 2
    by_text = {r.text: r for r in store.list()}
    assert by_text["question 0"].status == "answered"
    assert by_text["question 0"].note == "added to maternity.yml"
    assert by_text["question 0"].updated_at is not None
    assert by_text["question 1"].status == "new" and by_text["question 1"].note == ""
    with pytest.raises(ValueError):
        store.set_status(ids, "done")


# --- the spool -----------------------------------------------------------------------------------


class Outage:
    """Takes a store's database down and brings it back (SQLite file or PostgreSQL proxy)."""

    def __init__(self, kind: str, tmp_path: Path) -> None:
        self.kind = kind
        self.tmp_path = tmp_path
        self.schema: PostgresSchema | None = None
        self.proxy: Proxy | None = None

    def store(self) -> GapStore:
        spool = self.tmp_path / "spool.jsonl"
        if self.kind == "sqlite":
            self.db = self.tmp_path / "db" / "gaps.db"
            return GapStore(f"sqlite:///{self.db}", spool)
        self.schema = PostgresSchema(postgres_url()).__enter__()
        url = sa.engine.make_url(self.schema.url)
        self.proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
        self.proxy.up()
        proxied = url.set(host="127.0.0.1", port=self.proxy.port)
        return GapStore(
            proxied.render_as_string(hide_password=False),
            spool,
            connect_args=self.schema.connect_args(),
        )

    def down(self) -> None:
        if self.proxy is not None:
            self.proxy.down()
        else:  # the database file's directory disappears: "unable to open database file"
            self.db.parent.rename(self.tmp_path / "db-away")

    def back(self) -> None:
        if self.proxy is not None:
            self.proxy.up()
        else:
            (self.tmp_path / "db-away").rename(self.db.parent)

    def close(self) -> None:
        if self.proxy is not None:
            self.proxy.down()
        if self.schema is not None:
            self.schema.__exit__(None, None, None)


@pytest.fixture(params=["sqlite", "postgresql"])
def outage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Outage]:
    o = Outage(request.param, tmp_path)
    yield o
    o.close()


async def test_database_down_conversation_continues_and_every_record_arrives_once(
    outage: Outage,
    small_kb: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gap_store = outage.store()
    gap_store.migrate()
    recorder = GapRecorder(gap_store, TEST_KEY)
    import actions.recording

    monkeypatch.setattr(actions.recording, "get_recorder", lambda: recorder)

    async def ask(text: str) -> list[dict]:
        dispatcher = CollectingDispatcher()
        await ActionUnresolved().run(dispatcher, tracker(text, "out_of_scope"), {})
        return dispatcher.messages

    assert len(await ask("question one before the outage")) == 1
    recorder.flush()
    outage.down()
    gap_store.dispose()  # drop pooled connections, as a database restart would
    during = [await ask(f"question {n} during the outage") for n in range(3)]
    assert all(len(messages) == 1 for messages in during)  # the bot still answers
    recorder.flush()
    assert gap_store.spool.pending()
    outage.back()
    await ask("question five after the outage")
    recorder.flush()
    texts = sorted(r.text for r in gap_store.list())
    assert texts == sorted(
        ["question one before the outage", "question five after the outage"]
        + [f"question {n} during the outage" for n in range(3)]
    )
    assert not gap_store.spool.pending()
    # A second replay (start-up, another process) adds nothing.
    gap_store.spool.append(gap_store.list()[0])
    assert gap_store.replay() == 0
    assert gap_store.count() == 5
    gap_store.dispose()


def test_spooled_records_are_replayed_at_start_up(tmp_path: Path) -> None:
    spool = tmp_path / "spool.jsonl"
    down = GapStore(f"sqlite:///{tmp_path / 'missing' / 'x' / 'gaps.db'}", spool)
    (tmp_path / "missing").write_text("not a directory")  # the database cannot be opened
    assert down.add(gap("spooled while down")) is False
    assert down.spool.pending()
    started = GapStore(f"sqlite:///{tmp_path / 'gaps.db'}", spool)
    started.migrate()  # what `python -m bot.gaps migrate` and the web app do at start-up
    assert [r.text for r in started.list()] == ["spooled while down"]
    assert not started.spool.pending()


# --- staff sessions ------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], GapStore]]:
    """Opens stores on one fresh database, as several web processes or a restarted app would."""
    opened: list[GapStore] = []
    with contextlib.ExitStack() as stack:
        url, connect_args = f"sqlite:///{tmp_path / 'gaps.db'}", {}
        if request.param == "postgresql":
            schema = stack.enter_context(PostgresSchema(postgres_url()))
            url, connect_args = schema.url, schema.connect_args()

        def open_store() -> GapStore:
            opened.append(GapStore(url, tmp_path / "spool.jsonl", connect_args=connect_args))
            return opened[-1]

        yield open_store
        for each in opened:
            each.dispose()


def _session_rows(gap_store: GapStore) -> list[dict[str, Any]]:
    with gap_store.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(sa.select(staff_sessions))]


class Clock:
    """A settable UTC wall clock for the sessions."""

    def __init__(self) -> None:
        self.now = dt.datetime(2025, 3, 10, 9, 0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def test_a_session_is_stored_as_the_hash_of_its_token_with_utc_times(
    database: Callable[[], GapStore],
) -> None:
    gap_store = database()
    token, session = Sessions(gap_store, lifetime_s=3600).create("staff")
    (row,) = _session_rows(gap_store)
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert (row["user_name"], row["csrf"]) == ("staff", session.csrf)
    assert all(token not in str(value) for value in row.values())
    wall_clock = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert abs(row["created_at"] - wall_clock) < dt.timedelta(minutes=1)
    assert row["expires_at"] - row["created_at"] == dt.timedelta(hours=1)


def test_a_session_works_on_another_store_and_logging_out_deletes_it(
    database: Callable[[], GapStore],
) -> None:
    first, second = Sessions(database()), Sessions(database())
    token, session = first.create("staff")
    assert second.get(token) == session  # another process, or the app after a restart
    assert second.get("not-" + token) is None and second.get(None) is None
    second.end(token)
    assert first.get(token) is None
    assert _session_rows(first.store) == []


def test_logging_in_again_keeps_the_other_sessions(database: Callable[[], GapStore]) -> None:
    sessions = Sessions(database())
    phone, _ = sessions.create("staff")
    laptop, _ = sessions.create("staff")
    assert phone != laptop
    sessions.end(phone)
    assert sessions.get(phone) is None
    assert sessions.get(laptop) is not None and len(_session_rows(sessions.store)) == 1


def test_an_expired_session_is_refused_and_deleted(database: Callable[[], GapStore]) -> None:
    clock = Clock()
    sessions = Sessions(database(), lifetime_s=60, clock=clock)
    token, _ = sessions.create("staff")
    clock.advance(59)
    assert sessions.get(token) is not None
    clock.advance(1)
    assert sessions.get(token) is None
    assert _session_rows(sessions.store) == []


def test_logging_in_deletes_every_expired_session(database: Callable[[], GapStore]) -> None:
    clock = Clock()
    sessions = Sessions(database(), lifetime_s=60, clock=clock)
    sessions.create("morning")
    sessions.create("morning")
    clock.advance(30)
    sessions.create("midday")
    clock.advance(45)  # the two morning sessions are over, midday's is not
    sessions.create("evening")
    assert sorted(r["user_name"] for r in _session_rows(sessions.store)) == ["evening", "midday"]
    clock.advance(60)
    assert sessions.purge_expired() == 2 and _session_rows(sessions.store) == []


def test_sessions_say_so_when_the_database_is_unreachable(tmp_path: Path) -> None:
    (tmp_path / "missing").write_text("not a directory")  # the database cannot be opened
    down = GapStore(f"sqlite:///{tmp_path / 'missing' / 'gaps.db'}", tmp_path / "spool.jsonl")
    sessions = Sessions(down)
    with pytest.raises(SessionsUnavailable):
        sessions.create("staff")
    with pytest.raises(SessionsUnavailable):
        sessions.get("some-token")
    with pytest.raises(SessionsUnavailable):
        sessions.end("some-token")
    assert sessions.get(None) is None  # no cookie: no database needed


# --- log-in throttle -----------------------------------------------------------------------------

WINDOW = dt.timedelta(seconds=FAILURE_WINDOW_S)


def _failure_rows(gap_store: GapStore) -> list[dict[str, Any]]:
    with gap_store.engine.connect() as conn:
        query = sa.select(staff_login_failures).order_by(staff_login_failures.c.id)
        return [dict(row._mapping) for row in conn.execute(query)]


SECRET = b"throttle secret for tests"


def _sha256(text: str) -> str:
    """HMAC-SHA-256 under the tests' throttle secret, computed here (not by the module)."""
    return hmac.new(SECRET, text.encode(), hashlib.sha256).hexdigest()


def test_five_failures_on_one_process_throttle_log_in_on_another(
    database: Callable[[], GapStore],
) -> None:
    clock = Clock()
    one = LoginThrottle(database(), SECRET, clock=clock)
    two = LoginThrottle(database(), SECRET, clock=clock)
    keys = ("ip:203.0.113.7", "user:staff")
    for _ in range(4):
        one.failed(*keys)
    assert two.retry_after(*keys) == 0
    one.failed(*keys)
    assert two.retry_after(*keys) == FAILURE_WINDOW_S
    assert one.retry_after(*keys) == FAILURE_WINDOW_S


def test_failures_count_per_address_and_per_user_name(database: Callable[[], GapStore]) -> None:
    throttle = LoginThrottle(database(), SECRET, clock=Clock())
    for _ in range(5):
        throttle.failed("ip:203.0.113.7", "user:staff")
    assert throttle.retry_after("ip:203.0.113.7", "user:someone-else") > 0  # same address
    assert throttle.retry_after("ip:198.51.100.2", "user:staff") > 0  # same user name
    assert throttle.retry_after("ip:198.51.100.2", "user:someone-else") == 0


def test_the_window_of_an_address_slides_with_the_clock(database: Callable[[], GapStore]) -> None:
    clock = Clock()
    throttle = LoginThrottle(database(), SECRET, clock=clock)
    ip = "ip:203.0.113.7"
    for _ in range(5):  # one failure a minute, at 0, 1, 2, 3 and 4 minutes
        throttle.failed(ip)
        clock.advance(60)
    clock.advance(-60)
    assert throttle.retry_after(ip) == FAILURE_WINDOW_S - 4 * 60
    clock.advance(FAILURE_WINDOW_S - 4 * 60 - 1)
    assert throttle.retry_after(ip) == 1
    clock.advance(1)  # the failure at minute 0 has left the window: four remain
    assert throttle.retry_after(ip) == 0
    throttle.failed(ip)  # five again; the one at minute 1 leaves first
    assert throttle.retry_after(ip) == 60


def test_a_user_name_is_slowed_down_with_doubling_delays_never_locked(
    database: Callable[[], GapStore],
) -> None:
    clock = Clock()
    throttle = LoginThrottle(database(), SECRET, clock=clock)
    waits = []
    for n in range(12):  # someone guessing the known user name from twelve addresses
        assert throttle.attempt(f"ip:198.51.100.{n}", "user:staff") == 0
        waits.append(throttle.retry_after("ip:192.0.2.99", "user:staff"))
        clock.advance(waits[-1])
    assert waits[:4] == [0, 0, 0, 0] and waits[4:9] == [1, 2, 4, 8, 16]
    assert max(waits) == USER_DELAY_CAP_S  # the real user, from another address, waits a minute
    assert throttle.attempt("ip:192.0.2.99", "user:staff") == 0


def test_concurrent_attempts_cannot_all_pass_the_check_before_one_is_counted(
    database: Callable[[], GapStore],
) -> None:
    throttle = LoginThrottle(database(), SECRET, clock=Clock())
    with ThreadPoolExecutor(max_workers=20) as pool:
        waits = list(pool.map(lambda _: throttle.attempt("ip:203.0.113.7"), range(20)))
    assert waits.count(0) == MAX_FAILURES


def test_a_success_clears_the_failures_of_the_address_and_the_user_name(
    database: Callable[[], GapStore],
) -> None:
    throttle = LoginThrottle(database(), SECRET, clock=Clock())
    for _ in range(4):
        throttle.failed("ip:203.0.113.7", "user:staff")
    throttle.failed("ip:198.51.100.2", "user:other")
    throttle.succeeded("ip:203.0.113.7", "user:staff")
    assert [r["key_hash"] for r in _failure_rows(throttle.store)] == [
        _sha256("ip:198.51.100.2"),
        _sha256("user:other"),
    ]
    for _ in range(4):
        throttle.failed("ip:203.0.113.7", "user:staff")
    assert throttle.retry_after("ip:203.0.113.7", "user:staff") == 0


def test_failures_outside_the_window_are_deleted_when_one_is_written(
    database: Callable[[], GapStore],
) -> None:
    clock = Clock()
    throttle = LoginThrottle(database(), SECRET, clock=clock)
    throttle.failed("ip:203.0.113.7", "user:staff")
    clock.advance(60)
    throttle.failed("user:staff")
    clock.advance(FAILURE_WINDOW_S - 60)  # the first two rows are out of the window now
    throttle.failed("user:other")
    rows = _failure_rows(throttle.store)
    assert [(r["key_hash"], r["failed_at"]) for r in rows] == [
        (_sha256("user:staff"), clock.now - WINDOW + dt.timedelta(seconds=60)),
        (_sha256("user:other"), clock.now),
    ]
    clock.advance(FAILURE_WINDOW_S)
    assert throttle.purge_expired() == 2 and _failure_rows(throttle.store) == []


def test_the_throttle_stores_only_a_keyed_hash_of_the_address_and_user_name(
    database: Callable[[], GapStore],
) -> None:
    gap_store = database()
    clock = Clock()
    LoginThrottle(gap_store, SECRET, clock=clock).failed("ip:203.0.113.7", "user:mallory")
    rows = _failure_rows(gap_store)
    assert [(r["key_hash"], r["failed_at"]) for r in rows] == [
        (_sha256("ip:203.0.113.7"), clock.now),
        (_sha256("user:mallory"), clock.now),
    ]
    assert set(rows[0]) == {"id", "key_hash", "failed_at"}
    for row in rows:
        assert all(
            raw not in str(value) for raw in ("203.0.113.7", "mallory") for value in row.values()
        )


def test_throttles_with_another_secret_neither_share_nor_reveal_failures(
    database: Callable[[], GapStore],
) -> None:
    clock = Clock()
    ours = LoginThrottle(database(), SECRET, clock=clock)
    for _ in range(5):
        ours.failed("ip:203.0.113.7")
    other = LoginThrottle(database(), b"another deployment's secret", clock=clock)
    assert ours.retry_after("ip:203.0.113.7") > 0
    assert other.retry_after("ip:203.0.113.7") == 0
    plain = hashlib.sha256(b"ip:203.0.113.7").hexdigest()
    assert plain not in {r["key_hash"] for r in _failure_rows(ours.store)}
    with pytest.raises(ValueError, match="secret"):
        LoginThrottle(database(), b"")


def test_the_throttle_says_so_when_the_database_is_unreachable(tmp_path: Path) -> None:
    (tmp_path / "missing").write_text("not a directory")  # the database cannot be opened
    down = GapStore(f"sqlite:///{tmp_path / 'missing' / 'gaps.db'}", tmp_path / "spool.jsonl")
    throttle = LoginThrottle(down, SECRET)
    for call in (throttle.retry_after, throttle.failed, throttle.succeeded):
        with pytest.raises(ThrottleUnavailable):
            call("ip:203.0.113.7", "user:staff")
    assert issubclass(ThrottleUnavailable, StaffDatabaseUnavailable)
    assert issubclass(SessionsUnavailable, StaffDatabaseUnavailable)


# --- what a database cannot store (issue 10, item 14) ------------------------------------------


def test_a_nul_character_is_stored_without_it_and_the_store_keeps_working(store: GapStore) -> None:
    assert store.add(gap("wedding\x00 money", context="an\x00swer"))
    assert store.add(gap("second question"))
    by_text = {r.text: r for r in store.list()}
    assert set(by_text) == {"wedding money", "second question"}
    assert by_text["wedding money"].context == "answer"
    assert not store.spool.pending()


def _refuse(poison: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the database driver refuse one record the way psycopg2 refuses a NUL (ValueError)."""
    row = GapRecord.row

    def refusing(self: GapRecord) -> dict:
        if self.uid == poison:
            raise ValueError("A string literal cannot contain NUL (0x00) characters.")
        return row(self)

    monkeypatch.setattr(GapRecord, "row", refusing)


def test_a_refused_record_goes_to_the_dead_letters_and_never_blocks_the_others(
    store: GapStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, poison, last = gap("first"), gap("poison"), gap("last")
    for record in (first, poison, last):
        store.spool.append(record)
    _refuse(poison.uid, monkeypatch)
    assert store.replay() == 2
    assert sorted(r.text for r in store.list()) == ["first", "last"]
    assert not store.spool.pending()  # nothing left to fail again on every replay
    dead = store.spool.path.with_suffix(".dead").read_text("utf-8")
    assert poison.uid in dead and first.uid not in dead
    # written directly, the refused record is not spooled either
    again = gap("poison again")
    _refuse(again.uid, monkeypatch)
    assert store.add(again) is False
    assert not store.spool.pending()
    assert again.uid in store.spool.path.with_suffix(".dead").read_text("utf-8")
