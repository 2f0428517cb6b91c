"""The staff dashboard in Khmer and English: every label from data/dashboard/texts.yml in both
languages, Khmer by default, the switch kept per staff member (across browsers and log-ins), the
log-in page's switch, and the notes and errors in the chosen language."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.gaps.model import REASONS, STATUSES
from bot.gaps.store import GapStore
from bot.web.app import create_app
from bot.web.settings import WebSettings
from bot.web.staff.core import TEMPLATES
from bot.web.staff.filters import LANGUAGES
from bot.web.staff.settings import StaffSettings
from bot.web.staff.texts import DashboardTextsError, get_texts, load_texts
from tests.gaps_support import gap
from tests.test_dashboard import CSRF, PASSWORD, STAFF, csrf_of, log_in

KHMER_STAFF = dataclasses.replace(STAFF, language="km")  # what DASHBOARD_LANGUAGE defaults to
ENGLISH_LABELS = ("Overview", "Clusters", "Questions", "Log out", "By reason", "none yet")
KHMER_LABELS = ("ទិដ្ឋភាពទូទៅ", "ក្រុមសំណួរ", "សំណួរ", "ចាកចេញ", "តាមមូលហេតុ", "មិនទាន់មាន")


@pytest.fixture
def app_for(sqlite_store: GapStore):
    def make():
        return TestClient(TestServer(create_app(WebSettings(), sqlite_store, KHMER_STAFF)))

    return make


@pytest.fixture
async def client(app_for) -> AsyncIterator[TestClient]:
    async with app_for() as c:
        yield c


def _visible(html: str) -> str:
    """The page's text without its tags (and without the language switch, which names the
    other language)."""
    html = re.sub(r'<[^>]*id="switch-language"[^>]*>[^<]*<', "<", html)
    return re.sub(r"<[^>]+>", " ", html)


async def _switch(client: TestClient, to: str, next_path: str = "/staff") -> None:
    token = await csrf_of(client, "/staff")
    response = await client.post(
        "/staff/language",
        data={"csrf": token, "to": to, "next": next_path},
        allow_redirects=False,
    )
    assert (response.status, response.headers["Location"]) == (303, next_path)


def test_every_text_has_khmer_and_english_with_the_same_placeholders() -> None:
    texts = load_texts()
    assert len(texts.texts) > 100
    for key, entry in texts.texts.items():
        assert entry["km"] != entry["en"] or key == "or", key  # not copied untranslated


def test_every_text_a_template_or_a_stored_value_needs_exists() -> None:
    texts = get_texts()
    used = set()
    for template in Path(TEMPLATES).glob("*.html"):
        used |= set(re.findall(r'\bt\("([a-z0-9_]+)"(?! ~)', template.read_text("utf-8")))
    needed = used | {f"status_{s}" for s in STATUSES} | {f"reason_{r}" for r in REASONS}
    needed |= {f"language_{lang}" for lang in LANGUAGES}
    needed |= {f"by_{n}" for n in ("reason", "channel", "language", "status")}
    assert len(used) > 60
    assert sorted(k for k in needed if k not in texts) == []


@pytest.mark.parametrize(
    "body, problem",
    [
        ("a: {en: 'Hello'}\n", "needs exactly the languages"),
        ("a: {en: 'Hello {name}', km: 'សួស្តី'}\n", "different placeholders"),
        ("a: {en: '', km: 'សួស្តី'}\n", "every language needs a text"),
        ("A-b: {en: 'x', km: 'y'}\n", "lower-case"),
        ("- just a list\n", "cannot be read"),
    ],
)
def test_a_texts_file_missing_a_language_or_a_placeholder_is_refused(
    tmp_path: Path, body: str, problem: str
) -> None:
    path = tmp_path / "texts.yml"
    path.write_text(body, "utf-8")
    with pytest.raises(DashboardTextsError, match=problem):
        load_texts(path)


async def test_the_dashboard_is_in_khmer_by_default(client: TestClient) -> None:
    login_page = await (await client.get("/staff/login")).text()
    assert '<html lang="km">' in login_page and "ការចូលប្រើរបស់បុគ្គលិក" in login_page
    await log_in(client)
    html = await (await client.get("/staff")).text()
    visible = _visible(html)
    assert all(label in visible for label in KHMER_LABELS)
    assert not [label for label in ENGLISH_LABELS if label in visible]
    assert ">English<" in html  # the switch names the other language


async def test_each_page_has_no_english_label_left_in_khmer(
    client: TestClient, sqlite_store: GapStore
) -> None:
    sqlite_store.add(gap("does nssf pay for my wedding", reason="not_covered"))
    sqlite_store.add(gap("wedding allowance nssf", reason="not_covered"))
    await log_in(client)
    clusters = await (await client.get("/staff/clusters")).text()
    key = re.search(r'href="/staff/clusters/(c\d+)', clusters)
    assert key
    gap_id = sqlite_store.list()[0].id
    english = re.compile(r"\b(Status|Reason|Channel|Filter|Search|Note|Save|When|Open|Size)\b")
    for path in (
        "/staff",
        "/staff/clusters",
        f"/staff/clusters/{key.group(1)}",
        "/staff/gaps",
        f"/staff/gaps/{gap_id}",
    ):
        visible = _visible(await (await client.get(path)).text())
        assert english.findall(visible) == [], path
        assert "មិនទាន់មានចម្លើយ" in visible or path == "/staff", path  # the reason, in Khmer


async def test_the_choice_is_kept_for_the_staff_member_in_any_browser(app_for) -> None:
    async with app_for() as first:
        await log_in(first)
        await _switch(first, "en", "/staff/gaps?status=open")
        page = await (await first.get("/staff")).text()
        assert '<html lang="en">' in page and "Log out" in page
    async with app_for() as other_browser:  # no cookie: the choice comes from the database
        await log_in(other_browser)
        page = await (await other_browser.get("/staff")).text()
        assert '<html lang="en">' in page and "Log out" in page
        await _switch(other_browser, "km")
        assert "ចាកចេញ" in await (await other_browser.get("/staff")).text()


async def test_the_switch_needs_the_forms_token_and_a_known_language(client: TestClient) -> None:
    await log_in(client)
    forged = await client.post(
        "/staff/language", data={"to": "en", "next": "/staff"}, allow_redirects=False
    )
    assert forged.status == 403 and "ទម្រង់នេះផុតកំណត់ហើយ" in await forged.text()
    token = await csrf_of(client, "/staff")
    wrong = await client.post(
        "/staff/language", data={"csrf": token, "to": "fr"}, allow_redirects=False
    )
    assert wrong.status == 400
    elsewhere = await client.post(
        "/staff/language",
        data={"csrf": token, "to": "en", "next": "//evil.example/x"},
        allow_redirects=False,
    )
    assert elsewhere.headers["Location"] == "/staff/gaps"  # never an open redirect


async def test_the_log_in_page_switches_with_a_cookie(client: TestClient) -> None:
    response = await client.get("/staff/language?to=en&next=/staff/login", allow_redirects=False)
    assert (response.status, response.headers["Location"]) == (303, "/staff/login")
    page = await (await client.get("/staff/login")).text()
    assert "Staff log-in" in page and "User name" in page
    wrong = await log_in(client, password="not it")
    assert wrong.status == 401 and "Wrong user name or password." in await wrong.text()
    assert (await client.get("/staff/language?to=xx")).status == 400


async def test_a_wrong_password_is_told_in_khmer(client: TestClient) -> None:
    wrong = await log_in(client, password="not it")
    assert wrong.status == 401
    assert "ឈ្មោះអ្នកប្រើ ឬពាក្យសម្ងាត់មិនត្រឹមត្រូវ។" in await wrong.text()


async def test_the_note_after_a_change_is_in_khmer_and_never_echoes_the_query(
    client: TestClient, sqlite_store: GapStore
) -> None:
    sqlite_store.add(gap("does nssf pay for my wedding"))
    await log_in(client)
    page = await (await client.get("/staff/gaps?status=open")).text()
    token = CSRF.search(page)
    assert token
    response = await client.post(
        "/staff/gaps/bulk",
        data={
            "csrf": token.group(1),
            "ids": str(sqlite_store.list()[0].id),
            "status": "answered",
            "next": "/staff/gaps?status=open",
            "action": "status",
        },
        allow_redirects=False,
    )
    location = response.headers["Location"]
    assert location.startswith("/staff/gaps?status=open&")  # the filter is kept
    html = await (await client.get(location)).text()
    assert "បានកំណត់សំណួរ 1 ជា «បានឆ្លើយ»។" in html
    forged = await (await client.get("/staff/gaps?done=<b>hacked</b>")).text()
    assert "<b>hacked" not in forged and 'class="flash"' not in forged
    assert PASSWORD not in html


def test_dashboard_language_comes_from_the_environment_and_is_checked() -> None:
    assert StaffSettings.from_env({}).language == "km"
    assert StaffSettings.from_env({"DASHBOARD_LANGUAGE": "en"}).language == "en"
    with pytest.raises(ValueError, match="DASHBOARD_LANGUAGE must be km or en"):
        StaffSettings.from_env({"DASHBOARD_LANGUAGE": "fr"})


async def test_a_text_with_quotes_is_escaped_once_not_twice(sqlite_store: GapStore) -> None:
    unconfigured = create_app(WebSettings(), sqlite_store, StaffSettings(language="en"))
    async with TestClient(TestServer(unconfigured)) as c:
        page = await (await c.get("/staff/login")).text()
    assert "section &#39;Staff dashboard&#39;." in page  # shown as 'Staff dashboard'
    assert "&amp;#39;" not in page


async def test_an_unknown_language_is_told_in_the_pages_language(client: TestClient) -> None:
    refused = await client.get("/staff/language?to=xx")
    assert refused.status == 400
    assert "ផ្ទាំងគ្រប់គ្រងមានជាភាសាខ្មែរ (km) ឬអង់គ្លេស (en)។" in await refused.text()
