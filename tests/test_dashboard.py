"""The staff dashboard and the gaps API, through HTTP on loopback: log-in, sessions and the
wrong-password throttle kept in the database (across restarts and processes), CSRF, escaping,
filters, clusters, bulk status, exports, and the bearer-token API."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import dataclasses
import datetime as dt
import hashlib
import hmac
import io
import os
import re
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.gaps.store import GapStore
from bot.web.app import create_app
from bot.web.auth import hash_password, verify_password
from bot.web.settings import WebSettings
from bot.web.staff import DASHBOARD_KEY, StaffSettings, pages
from bot.web.staff.settings import proxies
from bot.web.staff_db import staff_login_failures, staff_sessions
from bot.web.throttle import LoginThrottle, ThrottleUnavailable
from tests.gaps_support import WEDDING_QUESTIONS, gap

PASSWORD = "correct horse battery"
TOKEN = "api-token-for-tests"
XSS = ["<script>window.__xss=1</script>", '<img src=x onerror="window.__xss=2">']
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


# these tests read the English texts; tests/test_dashboard_language.py the Khmer ones
STAFF = StaffSettings(
    user="staff", password_hash=hash_password(PASSWORD), api_token=TOKEN, language="en"
)


def staff_app(gap_store: GapStore) -> web.Application:
    return create_app(WebSettings(), gap_store, STAFF)


@pytest.fixture
async def client(sqlite_store: GapStore) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(staff_app(sqlite_store), host="127.0.0.1")) as c:
        yield c


async def csrf_of(client: TestClient, path: str) -> str:
    page = await client.get(path)
    match = CSRF.search(await page.text())
    assert match, path
    return match.group(1)


async def log_in(
    client: TestClient, user: str = "staff", password: str = PASSWORD, via: str | None = None
):
    """Log in (``via``: the client address a proxy puts in X-Forwarded-For)."""
    token = await csrf_of(client, "/staff/login")
    headers = {"X-Forwarded-For": via} if via else {}
    return await client.post(
        "/staff/login",
        data={"csrf": token, "user": user, "password": password},
        allow_redirects=False,
        headers=headers,
    )


def test_password_hashes_use_scrypt_with_n_of_at_least_2_to_the_17() -> None:
    scheme, n, r, p, *_ = hash_password("s3cret-password").split(":")
    assert (scheme, int(n) >= 2**17, int(r), int(p)) == ("scrypt", True, 8, 1)


def test_password_hash_round_trip() -> None:
    encoded = hash_password("s3cret-password")
    assert verify_password("s3cret-password", encoded)
    assert not verify_password("s3cret-passworD", encoded)
    assert not verify_password("s3cret-password", "garbage")
    assert "$" not in encoded and "s3cret" not in encoded


async def test_pages_need_a_login(client: TestClient) -> None:
    for path in ("/staff", "/staff/clusters", "/staff/gaps", "/staff/gaps.csv", "/staff/gaps/1"):
        response = await client.get(path, allow_redirects=False)
        assert (response.status, response.headers["Location"]) == (303, "/staff/login"), path


async def test_log_in_and_log_out(client: TestClient) -> None:
    response = await log_in(client)
    assert (response.status, response.headers["Location"]) == (303, "/staff")
    cookie = response.cookies["nssf_staff"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    overview = await client.get("/staff")
    assert overview.status == 200 and "Log out" in await overview.text()
    token = CSRF.search(await overview.text()).group(1)
    out = await client.post("/staff/logout", data={"csrf": token}, allow_redirects=False)
    assert out.headers["Location"] == "/staff/login"
    assert (await client.get("/staff", allow_redirects=False)).status == 303


# --- sessions in the database --------------------------------------------------------------------


def session_rows(gap_store: GapStore) -> list[dict]:
    with gap_store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(staff_sessions))]


def use_cookie(client: TestClient, token: str) -> None:
    """Give ``client`` the session cookie another client got (same browser, other server)."""
    client.session.cookie_jar.update_cookies({"nssf_staff": token}, client.make_url("/staff/"))


async def log_in_for_token(client: TestClient) -> str:
    response = await log_in(client)
    assert response.status == 303
    return response.cookies["nssf_staff"].value


async def test_a_session_survives_a_restart_of_the_web_app(tmp_path: Path) -> None:
    url, spool = f"sqlite:///{tmp_path / 'gaps.db'}", tmp_path / "spool.jsonl"
    before = GapStore(url, spool)
    async with TestClient(TestServer(staff_app(before), host="127.0.0.1")) as old:
        token = await log_in_for_token(old)
        csrf = await csrf_of(old, "/staff/gaps")
    before.dispose()

    after = GapStore(url, spool)  # a fresh app and store on the same database file
    after.migrate()
    after.add(gap("asked after the restart"))
    (record,) = after.list()
    async with TestClient(TestServer(staff_app(after), host="127.0.0.1")) as new:
        use_cookie(new, token)
        page = await new.get("/staff", allow_redirects=False)
        assert page.status == 200 and "Log out" in await page.text()
        changed = await new.post(
            "/staff/gaps/bulk",
            data={"csrf": csrf, "ids": str(record.id), "status": "answered", "next": "/staff"},
            allow_redirects=False,
        )
        assert changed.status == 303  # the CSRF token of the old app still validates
    assert after.get(record.id).status == "answered"
    after.dispose()


@contextlib.asynccontextmanager
async def two_web_processes(store: GapStore) -> AsyncIterator[tuple[TestClient, TestClient]]:
    """Two web apps on one gap database, as two processes behind a load balancer would be."""
    other_store = GapStore(store.url, store.spool.path)
    async with contextlib.AsyncExitStack() as stack:
        one = await stack.enter_async_context(
            TestClient(TestServer(staff_app(store), host="127.0.0.1"))
        )
        two = await stack.enter_async_context(
            TestClient(TestServer(staff_app(other_store), host="127.0.0.1"))
        )
        try:
            yield one, two
        finally:
            other_store.dispose()


async def test_logging_out_on_one_process_ends_the_session_on_all(
    sqlite_store: GapStore,
) -> None:
    async with two_web_processes(sqlite_store) as (one, two):
        token = await log_in_for_token(one)
        use_cookie(two, token)
        csrf = await csrf_of(two, "/staff")
        out = await two.post("/staff/logout", data={"csrf": csrf}, allow_redirects=False)
        assert out.headers["Location"] == "/staff/login"
        assert session_rows(sqlite_store) == []
        refused = await one.get("/staff", allow_redirects=False)
        assert (refused.status, refused.headers["Location"]) == (303, "/staff/login")


async def test_logging_in_again_keeps_the_first_session(
    client: TestClient,
    sqlite_store: GapStore,
) -> None:
    first = await log_in_for_token(client)
    async with TestClient(TestServer(staff_app(sqlite_store), host="127.0.0.1")) as laptop:
        await log_in_for_token(laptop)
        assert (await laptop.get("/staff", allow_redirects=False)).status == 200
    use_cookie(client, first)
    assert (await client.get("/staff", allow_redirects=False)).status == 200
    assert len(session_rows(sqlite_store)) == 2


async def test_an_expired_session_is_refused_and_deleted(
    client: TestClient,
    sqlite_store: GapStore,
) -> None:
    await log_in_for_token(client)
    assert (await client.get("/staff", allow_redirects=False)).status == 200
    past = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(seconds=1)
    with sqlite_store.engine.begin() as conn:
        conn.execute(sa.update(staff_sessions).values(expires_at=past))
    refused = await client.get("/staff", allow_redirects=False)
    assert (refused.status, refused.headers["Location"]) == (303, "/staff/login")
    assert session_rows(sqlite_store) == []


async def test_the_database_keeps_only_the_hash_of_the_session_token(
    client: TestClient,
    sqlite_store: GapStore,
    tmp_path: Path,
) -> None:
    token = await log_in_for_token(client)
    (row,) = session_rows(sqlite_store)
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert row["user_name"] == "staff"
    sqlite_store.dispose()
    assert token.encode() not in (tmp_path / "gaps.db").read_bytes()


async def test_log_in_with_the_database_down_says_so(tmp_path: Path) -> None:
    (tmp_path / "missing").write_text("not a directory")  # the database cannot be opened
    down = GapStore(f"sqlite:///{tmp_path / 'missing' / 'gaps.db'}", tmp_path / "spool.jsonl")
    async with TestClient(TestServer(staff_app(down), host="127.0.0.1")) as c:
        response = await log_in(c)
        assert response.status == 503
        assert "The database is unavailable" in await response.text()
        assert "nssf_staff" not in response.cookies


async def test_staff_pages_say_so_when_the_database_goes_away(tmp_path: Path) -> None:
    db = tmp_path / "db" / "gaps.db"
    gap_store = GapStore(f"sqlite:///{db}", tmp_path / "spool.jsonl")
    async with TestClient(TestServer(staff_app(gap_store), host="127.0.0.1")) as c:
        await log_in_for_token(c)
        db.parent.rename(tmp_path / "db-away")
        gap_store.dispose()
        page = await c.get("/staff", allow_redirects=False)
        assert page.status == 503 and "The database is unavailable" in await page.text()
        (tmp_path / "db-away").rename(db.parent)
        assert (await c.get("/staff", allow_redirects=False)).status == 200
    gap_store.dispose()


async def test_pages_api_and_changes_say_so_when_only_the_gap_queries_fail(
    client: TestClient,
    sqlite_store: GapStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await log_in_for_token(client)  # the session check still works: only the gap queries fail
    csrf = await csrf_of(client, "/staff/gaps")

    def broken(*args: object, **kwargs: object) -> None:
        raise sa.exc.OperationalError("SELECT …", {}, Exception("server closed the connection"))

    for method in ("list", "page_after", "count", "tally", "per_day", "get", "set_status"):
        monkeypatch.setattr(sqlite_store, method, broken)

    for path in ("/staff", "/staff/clusters", "/staff/gaps", "/staff/gaps/1", "/staff/gaps.csv"):
        page = await client.get(path, allow_redirects=False)
        assert page.status == 503, path
        assert "The database is unavailable" in await page.text(), path
    change = await client.post(
        "/staff/gaps/bulk",
        data={"csrf": csrf, "ids": "1", "status": "answered", "note": "n"},
        allow_redirects=False,
    )
    assert change.status == 503
    api = await client.get("/api/gaps", headers={"Authorization": f"Bearer {TOKEN}"})
    assert api.status == 503
    assert (await api.json()) == {"error": "The gap database is unavailable; try again later."}


async def test_wrong_password_gets_a_clear_message_and_is_rate_limited(client: TestClient) -> None:
    for _ in range(5):
        response = await log_in(client, password="wrong password")
        assert response.status == 401
        assert "Wrong user name or password." in await response.text()
    response = await log_in(client)  # even the right password waits now
    assert response.status == 429
    assert "Too many wrong passwords" in await response.text()


# --- the wrong-password throttle in the database --------------------------------------------------


def failure_rows(gap_store: GapStore) -> list[dict]:
    with gap_store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(staff_login_failures))]


async def fail_five_times(client: TestClient, user: str = "staff") -> None:
    for _ in range(5):
        response = await log_in(client, user=user, password="wrong password")
        assert response.status == 401


async def assert_throttled(client: TestClient, user: str = "staff") -> None:
    response = await log_in(client, user=user)  # the right password
    assert response.status == 429
    assert "Too many wrong passwords. Please wait" in await response.text()
    assert "nssf_staff" not in response.cookies


async def test_five_wrong_passwords_on_one_process_throttle_log_in_on_another(
    sqlite_store: GapStore,
) -> None:
    async with two_web_processes(sqlite_store) as (one, two):
        await fail_five_times(one)
        await assert_throttled(two)
        await assert_throttled(two, user="someone-else")  # the same address


async def test_the_throttle_survives_a_restart_of_the_web_app(tmp_path: Path) -> None:
    url, spool = f"sqlite:///{tmp_path / 'gaps.db'}", tmp_path / "spool.jsonl"
    before = GapStore(url, spool)
    async with TestClient(TestServer(staff_app(before), host="127.0.0.1")) as old:
        await fail_five_times(old)
    before.dispose()
    after = GapStore(url, spool)  # a fresh app and store on the same database file
    async with TestClient(TestServer(staff_app(after), host="127.0.0.1")) as new:
        await assert_throttled(new)
    after.dispose()


class Clock:
    """A settable UTC wall clock for the throttle."""

    def __init__(self) -> None:
        self.now = dt.datetime(2025, 3, 10, 9, 0)

    def __call__(self) -> dt.datetime:
        return self.now


async def test_a_throttled_log_in_works_again_once_the_window_has_passed(
    sqlite_store: GapStore,
) -> None:
    clock = Clock()
    app = staff_app(sqlite_store)
    app[DASHBOARD_KEY].throttle = LoginThrottle(sqlite_store, b"secret", clock=clock)
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        await fail_five_times(c)
        clock.now += dt.timedelta(minutes=10)
        refused = await log_in(c)
        assert refused.status == 429
        assert "Too many wrong passwords. Please wait 6 minute(s) and try again." in (
            await refused.text()
        )
        clock.now += dt.timedelta(minutes=5)  # 15 minutes after the last failure
        assert (await log_in(c)).status == 303
    assert failure_rows(sqlite_store) == []  # the success cleared them


async def test_a_successful_log_in_clears_the_earlier_failures(
    client: TestClient,
    sqlite_store: GapStore,
) -> None:
    for _ in range(4):
        assert (await log_in(client, password="wrong password")).status == 401
    assert len(failure_rows(sqlite_store)) == 8  # four for the address, four for the user name
    assert (await log_in(client)).status == 303
    assert failure_rows(sqlite_store) == []
    await fail_five_times(client)  # five more before the limit, not one
    await assert_throttled(client)


async def test_the_database_keeps_no_address_or_user_name_of_a_wrong_password(
    client: TestClient,
    sqlite_store: GapStore,
    tmp_path: Path,
) -> None:
    response = await log_in(client, user="Mallory.Guesser", password="wrong password")
    assert response.status == 401
    rows = failure_rows(sqlite_store)
    # keyed with a secret derived from GAPS_HMAC_KEY (the tests' value, see conftest)
    secret = hmac.new(
        os.environ["GAPS_HMAC_KEY"].encode(), b"nssf staff login throttle", hashlib.sha256
    ).digest()
    assert {r["key_hash"] for r in rows} == {
        hmac.new(secret, b"ip:127.0.0.1", hashlib.sha256).hexdigest(),
        hmac.new(secret, b"user:mallory.guesser", hashlib.sha256).hexdigest(),
    }
    assert all(set(r) == {"id", "key_hash", "failed_at"} for r in rows)
    sqlite_store.dispose()
    stored = (tmp_path / "gaps.db").read_bytes().lower()
    assert b"mallory" not in stored and b"127.0.0.1" not in stored


async def test_a_wrong_password_with_the_database_down_says_so(tmp_path: Path) -> None:
    db = tmp_path / "db" / "gaps.db"
    gap_store = GapStore(f"sqlite:///{db}", tmp_path / "spool.jsonl")
    async with TestClient(TestServer(staff_app(gap_store), host="127.0.0.1")) as c:
        assert (await log_in(c, password="wrong password")).status == 401
        db.parent.rename(tmp_path / "db-away")
        gap_store.dispose()
        response = await log_in(c, password="wrong password")
        assert response.status == 503
        assert "The database is unavailable" in await response.text()
        (tmp_path / "db-away").rename(db.parent)
        assert (await log_in(c, password="wrong password")).status == 401
    assert len(failure_rows(gap_store)) == 4  # the attempt during the outage was not counted
    gap_store.dispose()


async def test_a_failure_that_cannot_be_recorded_refuses_the_log_in_with_503(
    client: TestClient,
) -> None:
    def unavailable(*keys: str) -> None:
        raise ThrottleUnavailable("OperationalError")

    client.server.app[DASHBOARD_KEY].throttle.attempt = unavailable  # type: ignore[method-assign]
    response = await log_in(client, password="wrong password")
    assert response.status == 503
    assert "The database is unavailable" in await response.text()


async def test_the_throttle_queries_the_database_off_the_event_loop(
    client: TestClient,
) -> None:
    throttle = client.server.app[DASHBOARD_KEY].throttle
    threads: list[int] = []
    for name in ("attempt", "succeeded"):
        method = getattr(throttle, name)

        def recorded(*keys: str, _method=method) -> object:
            threads.append(threading.get_ident())
            return _method(*keys)

        setattr(throttle, name, recorded)
    assert (await log_in(client, password="wrong password")).status == 401
    assert (await log_in(client)).status == 303
    assert len(threads) == 3  # attempt (wrong), attempt + success
    assert threading.get_ident() not in threads


async def test_login_without_its_csrf_token_is_refused(client: TestClient) -> None:
    response = await client.post(
        "/staff/login", data={"user": "staff", "password": PASSWORD}, allow_redirects=False
    )
    assert response.status == 403


async def test_changes_without_the_csrf_token_are_refused(
    client: TestClient,
    sqlite_store: GapStore,
) -> None:
    sqlite_store.add(gap())
    (record,) = sqlite_store.list()
    await log_in(client)
    for data in ({}, {"csrf": "forged"}):
        response = await client.post(
            "/staff/gaps/bulk", data={**data, "ids": str(record.id), "status": "ignored"}
        )
        assert response.status == 403
    assert sqlite_store.get(record.id).status == "new"


async def test_hostile_text_is_escaped_everywhere(
    client: TestClient,
    sqlite_store: GapStore,
) -> None:
    for payload in XSS:
        sqlite_store.add(gap(payload, context=payload))
    await log_in(client)
    ids = [r.id for r in sqlite_store.list()]
    pages = [
        "/staff",
        "/staff/clusters",
        "/staff/gaps",
        f"/staff/gaps/{ids[0]}",
        f"/staff/gaps/{ids[1]}",
    ]
    pages.append(f"/staff/gaps?q={XSS[0]}")
    for path in pages:
        html = await (await client.get(path)).text()
        assert "<script>window" not in html and "<img src=x" not in html, path
    listing = await (await client.get("/staff/gaps")).text()
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in listing
    assert "&lt;img src=x onerror=&#34;window.__xss=2&#34;&gt;" in listing


async def test_overview_counts_by_reason_channel_language_and_draws_a_trend(
    client: TestClient,
    sqlite_store: GapStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sqlite_store.add(gap("a", reason="low_confidence", language="km", channel="telegram"))
    sqlite_store.add(gap("b"))
    sqlite_store.add(gap("c"))

    def no_listing(*args: object, **kwargs: object) -> None:
        raise AssertionError("the overview counts in SQL; it must not load the records")

    monkeypatch.setattr(GapStore, "list", no_listing)
    await log_in(client)
    html = await (await client.get("/staff")).text()
    assert '<strong id="total">3</strong>' in html
    by_reason = html.split('id="by-reason"')[1].split("</table>")[0]
    not_nssf = r"reason=out_of_scope\">not about NSSF</a></td><td class=\"num\">2<"
    assert re.search(not_nssf, by_reason)
    assert re.search(r"Telegram</a></td><td class=\"num\">1<", html)
    assert html.count('class="bar"') == 12 and "<svg" in html


async def test_list_filters_and_search(client: TestClient, sqlite_store: GapStore) -> None:
    sqlite_store.add(gap("wedding money", days_ago=30))
    sqlite_store.add(gap("ប្រាក់រៀបការ", language="km", channel="telegram"))
    sqlite_store.add(gap("lottery numbers", reason="low_confidence", status="ignored"))
    await log_in(client)

    async def texts(query: str) -> list[str]:
        html = await (await client.get(f"/staff/gaps?{query}")).text()
        return re.findall(r'<td class="text"><a href="/staff/gaps/\d+">([^<]*)</a>', html)

    assert await texts("language=km") == ["ប្រាក់រៀបការ"]
    assert await texts("channel=telegram") == ["ប្រាក់រៀបការ"]
    assert await texts("reason=low_confidence") == ["lottery numbers"]
    assert await texts("status=open") == ["ប្រាក់រៀបការ", "wedding money"]
    assert await texts("q=WEDDING") == ["wedding money"]
    assert await texts("from=2025-03-01&to=2025-03-10") == ["lottery numbers", "ប្រាក់រៀបការ"]


async def test_cluster_view_and_marking_a_cluster_answered(
    client: TestClient,
    sqlite_store: GapStore,
) -> None:
    for text in ("does nssf pay for my wedding", "wedding allowance nssf", "lottery numbers today"):
        sqlite_store.add(gap(text))
    await log_in(client)
    html = await (await client.get("/staff/clusters")).text()
    keys = re.findall(r'href="/staff/clusters/(c\d+)\?status=open"', html)
    assert len(keys) == 2
    page = await (await client.get(f"/staff/clusters/{keys[0]}?status=open")).text()
    assert "Cluster of 2 question(s)" in page and "wedding allowance nssf" in page
    ids = re.findall(r'name="ids" value="(\d+)" checked', page)
    token = CSRF.search(page).group(1)
    done = await client.post(
        "/staff/gaps/bulk",
        data=[
            ("csrf", token),
            ("action", "status"),
            ("status", "answered"),
            ("note", "added to FAQ"),
            ("next", "/staff/clusters?status=open"),
        ]
        + [("ids", i) for i in ids],
        allow_redirects=False,
    )
    assert done.status == 303 and done.headers["Location"].startswith("/staff/clusters?status=open")
    answered = {r.text: (r.status, r.note) for r in sqlite_store.list()}
    assert answered["wedding allowance nssf"] == ("answered", "added to FAQ")
    assert answered["lottery numbers today"] == ("new", "")
    html = await (await client.get("/staff/clusters")).text()
    assert len(re.findall(r'href="/staff/clusters/c\d+', html)) == 1


async def test_bulk_refuses_an_open_redirect(client: TestClient, sqlite_store: GapStore) -> None:
    sqlite_store.add(gap())
    await log_in(client)
    token = await csrf_of(client, "/staff/gaps")
    response = await client.post(
        "/staff/gaps/bulk",
        data={"csrf": token, "ids": "1", "status": "reviewing", "next": "https://evil.example/"},
        allow_redirects=False,
    )
    assert response.headers["Location"].startswith("/staff/gaps?")


async def test_csv_export_is_filtered_and_formula_safe(
    client: TestClient,
    sqlite_store: GapStore,
) -> None:
    sqlite_store.add(gap('=HYPERLINK("http://evil")'))
    sqlite_store.add(gap("ប្រាក់រៀបការ", language="km"))
    await log_in(client)
    response = await client.get("/staff/gaps.csv?language=en")
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO((await response.read()).decode("utf-8-sig"))))
    assert [r["text"] for r in rows] == ['\'=HYPERLINK("http://evil")']
    everything = (await (await client.get("/staff/gaps.csv")).read()).decode("utf-8-sig")
    assert "ប្រាក់រៀបការ" in everything


async def test_csv_export_streams_every_record_once_page_by_page_newest_first(
    client: TestClient, sqlite_store: GapStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(23):  # pairs share a moment: the pages must not drop or repeat a tie
        sqlite_store.add(gap(f"question {n}", days_ago=n // 2))
    expected = [r.text for r in sqlite_store.list()]
    monkeypatch.setattr(pages, "EXPORT_PAGE", 5)

    def everything_at_once(*args: object, **kwargs: object) -> None:
        raise AssertionError("the export read every record at once")

    monkeypatch.setattr(GapStore, "list", everything_at_once)
    await log_in(client)
    response = await client.get("/staff/gaps.csv")
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/csv")
    body = (await response.read()).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["text"] for r in rows] == expected and len(expected) == 23
    assert body.count("id,") == 1  # one header


async def test_selected_questions_export_as_rasa_nlu_yaml(
    client: TestClient,
    sqlite_store: GapStore,
) -> None:
    for text in ("wedding money [now]", "ប្រាក់រៀបការ", "lottery"):
        sqlite_store.add(gap(text))
    ids = [str(r.id) for r in sqlite_store.list() if r.text != "lottery"]
    await log_in(client)
    token = await csrf_of(client, "/staff/gaps")
    response = await client.post(
        "/staff/gaps/bulk",
        data=[("csrf", token), ("action", "nlu"), ("intent", "wedding_grant")]
        + [("ids", i) for i in ids],
    )
    assert response.status == 200
    assert 'filename="nlu-wedding_grant.yml"' in response.headers["Content-Disposition"]
    doc = yaml.safe_load(await response.text())
    assert doc["nlu"][0]["intent"] == "wedding_grant"
    assert sorted(doc["nlu"][0]["examples"].splitlines()) == [
        "- wedding money (now)",
        "- ប្រាក់រៀបការ",
    ]


async def test_api_needs_the_bearer_token(client: TestClient) -> None:
    assert (await client.get("/api/gaps")).status == 401
    bad = await client.get("/api/gaps", headers={"Authorization": "Bearer nope"})
    assert bad.status == 401 and bad.headers["WWW-Authenticate"].startswith("Bearer")


async def test_api_lists_records_with_filters(client: TestClient, sqlite_store: GapStore) -> None:
    sqlite_store.add(gap("old one", days_ago=40))
    sqlite_store.add(
        gap(
            "ប្រាក់រៀបការ",
            language="km",
            reason="low_confidence",
            intents=(("nlu_fallback", 0.4), ("maternity", 0.3)),
        )
    )
    sqlite_store.add(gap("answered one", status="answered"))
    auth = {"Authorization": f"Bearer {TOKEN}"}

    async def get(query: str) -> list[dict]:
        response = await client.get(f"/api/gaps?{query}", headers=auth)
        assert response.status == 200
        return await response.json()

    everything = await get("")
    assert len(everything) == 3
    assert set(everything[0]) >= {
        "text",
        "reason",
        "language",
        "channel",
        "status",
        "created_at",
        "intents",
    }
    (km,) = await get("language=km")
    assert km["text"] == "ប្រាក់រៀបការ" and km["reason"] == "low_confidence"
    assert km["intents"] == [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "maternity", "confidence": 0.3},
    ]
    assert km["created_at"] == "2025-03-10T09:00:00+00:00"
    assert [g["text"] for g in await get("status=answered")] == ["answered one"]
    assert [g["text"] for g in await get("reason=low_confidence")] == ["ប្រាក់រៀបការ"]
    assert {g["text"] for g in await get("since=2025-03-01")} == {"ប្រាក់រៀបការ", "answered one"}
    assert (await client.get("/api/gaps?since=yesterday", headers=auth)).status == 400
    assert (await client.get("/api/gaps?status=done", headers=auth)).status == 400


async def test_api_clusters_groups_the_open_questions_across_languages(
    client: TestClient, sqlite_store: GapStore
) -> None:
    for text, lang, days in WEDDING_QUESTIONS:
        sqlite_store.add(gap(text, language=lang, days_ago=days))
    sqlite_store.add(gap("wedding allowance nssf answered", status="answered"))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert (await client.get("/api/clusters")).status == 401
    response = await client.get("/api/clusters", headers=auth)
    assert response.status == 200
    first, second = await response.json()
    assert set(first) == {
        "id", "size", "examples", "languages", "first_seen", "last_seen", "suggested_intent",
        "gap_ids",
    }  # fmt: skip
    assert (first["size"], first["languages"], second["size"]) == (3, ["en", "km"], 1)
    assert "តើ ប.ស.ស. ផ្តល់ប្រាក់ពេលរៀបការទេ" in first["examples"]
    assert first["first_seen"] < first["last_seen"] and first["last_seen"].endswith("+00:00")
    by_id = {g.id: g.text for g in sqlite_store.list()}
    assert {by_id[i] for i in first["gap_ids"]} == set(first["examples"])
    assert first["id"] == f"c{min(first['gap_ids'])}"  # the dashboard's cluster key
    answered = await (await client.get("/api/clusters?status=answered", headers=auth)).json()
    assert [c["examples"] for c in answered] == [["wedding allowance nssf answered"]]
    khmer = await (await client.get("/api/clusters?language=km", headers=auth)).json()
    assert [c["size"] for c in khmer] == [1]
    assert (await client.get("/api/clusters?status=done", headers=auth)).status == 400


async def test_without_settings_the_dashboard_and_api_say_what_to_set(
    sqlite_store: GapStore,
) -> None:
    app = create_app(WebSettings(), sqlite_store, StaffSettings())
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        page = await c.get("/staff/login")
        assert page.status == 503 and "DASHBOARD_PASSWORD_HASH" in await page.text()
        api = await c.get("/api/gaps", headers={"Authorization": "Bearer x"})
        assert api.status == 503 and "GAPS_API_TOKEN" in (await api.json())["error"]


def test_staff_settings_refuse_a_password_instead_of_a_hash() -> None:
    with pytest.raises(ValueError):
        StaffSettings.from_env({"DASHBOARD_USER": "a", "DASHBOARD_PASSWORD_HASH": "hunter2"})
    assert StaffSettings.from_env({}).enabled is False


def test_the_export_intents_come_from_configuration_then_the_domain_then_the_knowledge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.knowledge import configured_knowledge
    from bot.web.staff import DOMAIN_FILE, staff_intents

    monkeypatch.delenv("DASHBOARD_INTENTS", raising=False)
    assert "maternity" in staff_intents(DOMAIN_FILE) and "greet" in staff_intents(DOMAIN_FILE)
    # the web image has no domain.yml: the knowledge base's topics
    assert staff_intents(tmp_path / "missing.yml") == tuple(configured_knowledge().topics)
    monkeypatch.setenv("DASHBOARD_INTENTS", "maternity, new_topic")
    assert staff_intents(tmp_path / "missing.yml") == ("maternity", "new_topic")


async def test_a_non_ascii_bearer_token_or_csrf_value_is_refused_with_4xx_not_500(
    client: TestClient, sqlite_store: GapStore
) -> None:
    api = await client.get("/api/gaps", headers={"Authorization": "Bearer tökén-ß"})
    assert api.status == 401
    sqlite_store.add(gap())
    (record,) = sqlite_store.list()
    await log_in(client)
    forged = {"csrf": "ünïcödé-✓", "ids": str(record.id), "status": "ignored"}
    assert (await client.post("/staff/gaps/bulk", data=forged)).status == 403
    assert sqlite_store.get(record.id).status == "new"


async def test_a_filter_up_to_the_last_day_there_is_lists_everything_not_500(
    client: TestClient, sqlite_store: GapStore
) -> None:
    sqlite_store.add(gap("wedding money"))
    await log_in(client)
    for query in ("to=9999-12-31", "from=0001-01-01&to=9999-12-31"):
        page = await client.get(f"/staff/gaps?{query}")
        assert page.status == 200 and "wedding money" in await page.text()
    api = await client.get("/api/gaps?to=9999-12-31", headers={"Authorization": f"Bearer {TOKEN}"})
    assert api.status == 200 and len(await api.json()) == 1


async def test_concurrent_wrong_passwords_cannot_all_pass_the_check(client: TestClient) -> None:
    tokens = [await csrf_of(client, "/staff/login")] * 12  # one form, sent twelve times at once

    async def wrong(token: str) -> int:
        form = {"csrf": token, "user": "staff", "password": "wrong password"}
        response = await client.post("/staff/login", data=form, allow_redirects=False)
        return response.status

    statuses = await asyncio.gather(*(wrong(t) for t in tokens))
    assert statuses.count(401) == 5 and statuses.count(429) == 7


async def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(
    sqlite_store: GapStore,
) -> None:
    behind_proxy = dataclasses.replace(STAFF, trusted_proxies=proxies("127.0.0.1"))
    app = create_app(WebSettings(), sqlite_store, behind_proxy)
    async with TestClient(TestServer(app, host="127.0.0.1")) as proxied:
        for _ in range(5):
            wrong = await log_in(proxied, "mallory", "guess", via="203.0.113.9, 127.0.0.1")
            assert wrong.status == 401
        assert (await log_in(proxied, via="203.0.113.9")).status == 429  # that client
        assert (await log_in(proxied, via="198.51.100.4")).status == 303  # another one
    async with TestClient(TestServer(staff_app(sqlite_store), host="127.0.0.1")) as direct:
        for _ in range(5):
            assert (await log_in(direct, "eve", "guess", via="203.0.113.10")).status == 401
        # no trusted proxy: the header is the client's own words, and the peer is throttled
        assert (await log_in(direct, via="198.51.100.5")).status == 429


def test_trusted_proxies_come_from_the_environment_and_refuse_nonsense() -> None:
    settings = StaffSettings.from_env({"TRUSTED_PROXIES": "10.0.0.0/8, ::1"})
    assert [str(n) for n in settings.trusted_proxies] == ["10.0.0.0/8", "::1/128"]
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        StaffSettings.from_env({"TRUSTED_PROXIES": "proxy.local"})
