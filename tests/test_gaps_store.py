"""The gap store on SQLite and on a real PostgreSQL: migrations, writes, filters, status changes,
and the spool (database down → conversation continues → database back → every record once)."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa_sdk.executor import CollectingDispatcher

from actions.unresolved import ActionUnresolved
from bot.gaps.capture import GapRecorder
from bot.gaps.store import GapFilters, GapStore
from tests.factories import tracker
from tests.gaps_support import (  # noqa: F401  (fixtures)
    TEST_KEY,
    PostgresSchema,
    gap,
    postgres_url,
    small_kb,
    store,
)


def test_migrations_create_the_gaps_table_at_head(store: GapStore) -> None:  # noqa: F811
    with store.engine.connect() as conn:
        assert "gaps" in sa.inspect(conn).get_table_names()
        assert conn.scalar(sa.text("SELECT version_num FROM alembic_version")) == "0001"
    store.migrate()  # idempotent
    assert store.count() == 0


def test_a_record_is_stored_with_every_field(store: GapStore) -> None:  # noqa: F811
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


def test_writing_the_same_record_twice_stores_it_once(store: GapStore) -> None:  # noqa: F811
    record = gap()
    store.add(record)
    store.add(record)
    assert store.count() == 1


def test_filters_and_search(store: GapStore) -> None:  # noqa: F811
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


def test_bulk_status_change_with_a_note(store: GapStore) -> None:  # noqa: F811
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


class Proxy:
    """A TCP proxy on loopback in front of PostgreSQL that can be taken down and brought back."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._server: socket.socket | None = None
        self._conns: list[socket.socket] = []

    def up(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen()
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def down(self) -> None:
        if self._server is not None:
            try:
                self._server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
            except OSError:
                pass
            self._server.close()
            self._server = None
        for conn in self._conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
        self._conns.clear()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


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
    small_kb: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gap_store = outage.store()
    gap_store.migrate()
    recorder = GapRecorder(gap_store, TEST_KEY)
    import actions.unresolved

    monkeypatch.setattr(actions.unresolved, "get_recorder", lambda: recorder)

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
