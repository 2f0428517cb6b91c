"""The Topics page and the monthly report, from a question log filled in the test: the counts per
topic, week, language and channel, the answered share, the growing gap clusters, the printable
report (SVG charts, Khmer and English) and its CSV; and the web app's daily purge."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.gaps.model import utcnow
from bot.gaps.store import GapStore
from bot.knowledge import configured_knowledge
from bot.questions.model import QuestionEntry
from bot.questions.store import QuestionLog
from bot.staff_answers.model import Draft, Question
from bot.staff_answers.store import AnswerStore
from bot.web import purge
from bot.web.app import create_app
from bot.web.settings import WebSettings
from tests.fakes.waiting import until_async
from tests.gaps_support import WEDDING_QUESTIONS, gap
from tests.test_dashboard import STAFF, log_in, staff_app

NOW = utcnow()


def title(topic: str) -> str:
    """A topic's English title in the knowledge base the dashboard shows."""
    return configured_knowledge().title(topic, "en")


def message(
    n: int, outcome: str, topic: str = "", *, days_ago: float = 0, **fields: str
) -> QuestionEntry:
    values = {"language": "en", "channel": "web", "reason": "", **fields}
    return QuestionEntry(
        uid=f"m{n}",
        conversation=f"c{n}",
        text=f"message {n}",
        outcome=outcome,
        topic=topic,
        created_at=NOW - dt.timedelta(days=days_ago),
        **values,  # type: ignore[arg-type]
    )


def fill(store: GapStore) -> list[QuestionEntry]:
    """This week: 3 maternity answers (one Khmer on Telegram), 1 gap, 1 greeting; last week:
    2 pension answers; 40 days ago: 1 sickness answer (another month)."""
    log = QuestionLog(store)
    entries = [
        message(1, "answered", "maternity"),
        message(2, "answered", "maternity"),
        message(3, "answered", "maternity", language="km", channel="telegram"),
        message(4, "gap", "", reason="not_covered"),
        message(5, "chat", "greet"),
        message(6, "answered", "pension", days_ago=7),
        message(7, "form", "pension", days_ago=7),
        message(8, "answered", "sickness", days_ago=40),
    ]
    for entry in entries:
        assert log.add(entry)
    # three recent wedding questions (one cluster, growing) and an older unrelated one
    for text, lang, days in WEDDING_QUESTIONS[:3]:
        store.add(replace(gap(text, language=lang), created_at=NOW - dt.timedelta(days=days)))
    store.add(replace(gap("lottery numbers"), created_at=NOW - dt.timedelta(days=20)))
    return entries


@pytest.fixture
def entries(sqlite_store: GapStore) -> list[QuestionEntry]:
    return fill(sqlite_store)


@pytest.fixture
async def client(sqlite_store: GapStore, entries: list[QuestionEntry]) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(staff_app(sqlite_store), host="127.0.0.1")) as c:
        yield c


def cells(html: str, table_id: str) -> list[list[str]]:
    """The text of each row of a table (tags stripped)."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert table, table_id
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(0), re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)
        ]
        for r in rows
    ]


async def test_the_pages_need_a_login(client: TestClient) -> None:
    for path in ("/staff/topics", "/staff/report", "/staff/report.csv"):
        response = await client.get(path, allow_redirects=False)
        assert response.status in (302, 303) and "/staff/login" in response.headers["Location"]


async def test_topics_count_questions_per_topic_week_language_and_channel(
    client: TestClient,
) -> None:
    await log_in(client)
    html = await (await client.get("/staff/topics?weeks=4")).text()
    topics = cells(html, "topics")
    assert len(topics[0]) == 4 + 3  # topic, four weeks, total, answered share
    by_topic = {row[0]: row[1:] for row in topics[1:]}
    assert by_topic[title("maternity")] == ["", "", "", "3", "3", "100 %"]
    assert by_topic[title("pension")] == ["", "", "2", "", "2", "100 %"]
    assert by_topic["no topic found"][-2:] == ["1", "0 %"]
    assert title("sickness") not in by_topic  # 40 days ago: outside the four weeks
    assert "greet" not in html  # small talk is not a question
    assert cells(html, "by-language")[1:] == [
        ["English", "5", "4", "1", "80 %"],
        ["Khmer", "1", "1", "0", "100 %"],
    ]
    assert ["Telegram", "1", "1", "0", "100 %"] in cells(html, "by-channel")
    assert html.count('class="bar answered"') == 4
    # the wedding questions grew: 3 in the last 14 days, none before; the lottery one did not
    growing = cells(html, "growing")[1:]
    assert len(growing) == 1 and growing[0][:2] == ["3", "0"]
    link = re.search(r'href="(/staff/clusters/c\d+\?[^"]+)"', html)
    assert link
    cluster = await client.get(link.group(1).replace("&amp;", "&"))
    assert cluster.status == 200 and "Cluster of 3 question(s)" in await cluster.text()


async def test_topics_filter_by_language_and_channel(client: TestClient) -> None:
    await log_in(client)
    html = await (await client.get("/staff/topics?language=km")).text()
    assert [row[0] for row in cells(html, "topics")[1:]] == [title("maternity")]
    html = await (await client.get("/staff/topics?channel=web&weeks=999")).text()
    assert len(cells(html, "topics")[0]) == 8 + 3  # an unknown number of weeks: the default
    by_topic = {row[0]: row[-2] for row in cells(html, "topics")[1:]}
    assert by_topic[title("maternity")] == "2"


LAST_MONTH = (NOW.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def in_last_month(day: int) -> dt.datetime:
    return dt.datetime.combine(LAST_MONTH.replace(day=day), dt.time(9))


def fill_last_month(store: GapStore) -> None:
    """Last month only: 3 maternity answers, 1 pension form step, 2 gaps, a greeting; the three
    wedding questions as gaps, one marked answered by staff."""
    log = QuestionLog(store)
    outcomes = [
        ("answered", "maternity", 10),
        ("answered", "maternity", 11),
        ("answered", "maternity", 12),
        ("form", "pension", 12),
        ("gap", "", 13),
        ("gap", "", 14),
        ("chat", "greet", 14),
    ]
    for n, (outcome, topic, day) in enumerate(outcomes, 100):
        reason = "not_covered" if outcome == "gap" else ""
        entry = message(n, outcome, topic, reason=reason)
        assert log.add(replace(entry, created_at=in_last_month(day)))
    for text, lang, days in WEDDING_QUESTIONS[:3]:
        store.add(replace(gap(text, language=lang), created_at=in_last_month(20 - int(days))))


@pytest.fixture
async def empty_client(sqlite_store: GapStore) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(staff_app(sqlite_store), host="127.0.0.1")) as c:
        yield c


async def test_the_report_of_a_month_has_charts_tables_and_what_could_not_be_answered(
    empty_client: TestClient, sqlite_store: GapStore
) -> None:
    fill_last_month(sqlite_store)
    await log_in(empty_client)
    month = LAST_MONTH.strftime("%Y-%m")
    html = await (await empty_client.get(f"/staff/report?month={month}")).text()
    assert f'<option value="{month}" selected' in html
    assert 'id="questions">6<' in html and 'id="unanswered">2<' in html
    assert 'id="answered-share">67 %<' in html
    assert 'id="report-weeks"' in html and 'id="report-topics"' in html
    assert re.search(rf'class="hlabel">{title("maternity")}</text>', html)
    assert [title("maternity"), "3", "3", "0", "100 %"] in cells(html, "report-topic-table")
    assert cells(html, "report-reasons")[0] == ["no answer yet", "2"]
    assert cells(html, "report-clusters")[1][0] == "3"  # the wedding questions, one group
    this_month = await (await empty_client.get("/staff/report")).text()
    assert 'id="questions">0<' in this_month  # nothing was asked this month


async def test_the_report_lists_the_answers_staff_wrote_that_month(
    empty_client: TestClient, sqlite_store: GapStore
) -> None:
    draft = Draft(
        "NSSF gives no wedding allowance.", "ប.ស.ស. មិនផ្តល់ប្រាក់រៀបការទេ។", "NSSF", NOW.date()
    )
    AnswerStore(sqlite_store).publish(draft, [Question("wedding money?", "en")], "staff")
    await log_in(empty_client)
    html = await (await empty_client.get("/staff/report?month=2000-13")).text()
    assert f'<option value="{NOW:%Y-%m}" selected' in html  # not a month: this month
    assert "NSSF gives no wedding allowance." in cells(html, "report-answers")[1][1]
    earlier = await (await empty_client.get(f"/staff/report?month={LAST_MONTH:%Y-%m}")).text()
    assert "NSSF gives no wedding allowance." not in earlier


async def test_the_report_as_csv_has_every_figure(
    empty_client: TestClient, sqlite_store: GapStore
) -> None:
    fill_last_month(sqlite_store)
    await log_in(empty_client)
    month = LAST_MONTH.strftime("%Y-%m")
    response = await empty_client.get(f"/staff/report.csv?month={month}")
    assert response.status == 200
    assert f"nssf-report-{month}.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig"))))
    assert rows[0] == ["month", "section", "key", "name", "questions", "answered", "unanswered"]
    assert [month, "topic", "maternity", title("maternity"), "3", "3", "0"] in rows
    assert [month, "language", "en", "en", "6", "4", "2"] in rows
    assert [month, "unanswered_reason", "not_covered", "not_covered", "2", "0", "2"] in rows
    assert [r[4] for r in rows if r[1] == "gap_cluster"] == ["3"]


async def test_the_khmer_dashboard_shows_the_topics_and_report_in_khmer(
    sqlite_store: GapStore,
) -> None:
    fill(sqlite_store)
    app = create_app(WebSettings(), sqlite_store, replace(STAFF, language="km"))
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        await log_in(c)
        html = await (await c.get("/staff/topics")).text()
        assert "<h1>អ្វីដែលមនុស្សសួរ</h1>" in html
        assert "មាតុភាព" in cells(html, "topics")[1][0]
        report = await (await c.get("/staff/report")).text()
        assert "របាយការណ៍ប្រចាំខែ" in report and "អ្វីដែលជំនួយការមិនអាចឆ្លើយបាន" in report


async def test_the_web_app_purges_at_start_and_then_every_interval(
    sqlite_store: GapStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = QuestionLog(sqlite_store)
    log.add(message(1, "chat", days_ago=200))
    log.add(message(2, "chat", days_ago=1))
    monkeypatch.setenv("PURGE_INTERVAL_HOURS", "0.0003")  # about a second
    monkeypatch.delenv("TRACKER_DB_URL", raising=False)
    app = create_app(WebSettings(), sqlite_store, STAFF)
    purge.mount(app, sqlite_store)
    async with TestClient(TestServer(app, host="127.0.0.1")):

        async def purged_twice() -> bool:
            return len(app[purge.LAST_KEY]) >= 2

        await until_async(purged_twice, "the purge ran at start and once more", timeout=30)
    assert app[purge.LAST_KEY][0].questions == 1
    assert [e.uid for e in log.entries(["m1", "m2"])] == ["m2"]
