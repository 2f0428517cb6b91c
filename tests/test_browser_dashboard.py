"""The staff dashboard in a real headless Chromium (Debian's chromium + chromedriver, Selenium):
log in, filter, open a cluster, mark it answered, export CSV, and prove that stored ``<script>``
and ``<img onerror>`` payloads are shown as text and never run; write, preview, publish and
unpublish a staff answer; the Topics page and the monthly report in Khmer. Saves docs/dashboard.png,
docs/staff-answer-preview.png, docs/topics.png and docs/report.png."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp import web
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from bot.gaps.store import GapStore
from bot.questions.store import QuestionLog
from bot.staff_answers.live import LiveAnswers
from bot.staff_answers.store import AnswerStore
from bot.web.app import create_app
from bot.web.auth import hash_password
from bot.web.settings import WebSettings
from bot.web.staff import StaffSettings
from tests.conftest import ROOT
from tests.gaps_support import WEDDING_QUESTIONS, gap

PASSWORD = "browser-test-password"
PAGE_LOAD_TIMEOUT_S = 60  # a deadline for a navigation under CI load, not a wait
SCRIPT_PAYLOAD = "<script>window.__xss='script'</script>"
IMG_PAYLOAD = "<img src=x onerror=\"window.__xss='img'\">"
CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1000",
)


def _binary(env: str, name: str) -> str:
    path = os.environ.get(env) or shutil.which(name)
    if not path:
        pytest.fail(f'{name} is missing: run `eval "$(scripts/ci_services.sh)"` (installs it)')
    return path


class LiveServer:
    """The web app (chat + dashboard) served on 127.0.0.1 from a background thread."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.url = ""
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        self.runner = web.AppRunner(self.app, access_log=None)
        asyncio.run_coroutine_threadsafe(self.runner.setup(), self.loop).result(30)
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        asyncio.run_coroutine_threadsafe(site.start(), self.loop).result(30)
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = _binary("CHROMIUM_BIN", "chromium")
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=tmp_path)
    options.add_argument(f"--user-data-dir={profile}")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    service = Service(executable_path=_binary("CHROMEDRIVER_BIN", "chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.downloads = downloads  # type: ignore[attr-defined]
    # Pages are rendered on the server: once a navigation has finished (``click_and_wait``,
    # ``driver.get``) every element is there, so lookups need no implicit wait.
    try:
        yield driver
    finally:
        driver.quit()


def click_and_wait(driver: webdriver.Chrome, element: WebElement) -> None:
    """Click something that loads a new page, and return once the new page has replaced the old
    one and finished loading: lookups after it can never see the old page's elements.

    The old page is marked in its window (a new document gets a new window object), rather than
    watched through an element reference: Chromium answers a check on a node of a page that is
    being replaced with an inspector error instead of "stale element", now and then, under load.
    """
    driver.execute_script("window.__nssf_old_page = true")
    element.click()
    # a script run while the page is being replaced may fail: asked again until the deadline
    wait = WebDriverWait(driver, PAGE_LOAD_TIMEOUT_S, ignored_exceptions=(WebDriverException,))
    wait.until(
        lambda d: d.execute_script(
            "return window.__nssf_old_page === undefined && document.readyState === 'complete'"
        )
    )


def log_in_as_staff(driver: webdriver.Chrome, url: str, password: str = PASSWORD) -> None:
    """Log in as ``staff`` on the server at ``url``."""
    driver.get(f"{url}/staff/login")
    driver.find_element(By.ID, "user").send_keys("staff")
    driver.find_element(By.ID, "password").send_keys(password)
    click_and_wait(driver, driver.find_element(By.ID, "login"))


def assert_nothing_ran(driver: webdriver.Chrome) -> None:
    assert driver.execute_script("return window.__xss === undefined") is True
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert  # noqa: B018
    assert driver.find_elements(By.CSS_SELECTOR, "main script, main img") == []


def test_the_browser_has_a_khmer_font_so_screenshots_show_khmer_not_boxes() -> None:
    import subprocess

    listed = subprocess.run(
        ["fc-list", ":lang=km", "family"], capture_output=True, text=True, check=True
    ).stdout
    assert listed.strip(), "no Khmer font: scripts/ci_services.sh installs fonts-khmeros"


def test_staff_review_a_cluster_in_a_real_browser(
    browser: webdriver.Chrome,
    sqlite_store: GapStore,
) -> None:
    for text, lang, days in [
        *WEDDING_QUESTIONS,
        (SCRIPT_PAYLOAD, "en", 0),
        (IMG_PAYLOAD, "en", 0),
    ]:
        intents = (("out_of_scope", 0.7), ("maternity", 0.2))
        sqlite_store.add(
            gap(text, language=lang, days_ago=days, intents=intents, context=SCRIPT_PAYLOAD)
        )
    staff = StaffSettings(
        user="staff", password_hash=hash_password(PASSWORD), api_token="t", language="en"
    )
    with LiveServer(create_app(WebSettings(), sqlite_store, staff)) as server:
        b = browser
        b.get(f"{server.url}/staff")
        assert b.current_url.endswith("/staff/login")
        b.find_element(By.ID, "user").send_keys("staff")
        b.find_element(By.ID, "password").send_keys("not the password")
        click_and_wait(b, b.find_element(By.ID, "login"))
        assert "Wrong user name or password." in b.find_element(By.ID, "login-error").text
        b.find_element(By.ID, "user").send_keys("staff")
        b.find_element(By.ID, "password").send_keys(PASSWORD)
        click_and_wait(b, b.find_element(By.ID, "login"))
        assert b.find_element(By.ID, "total").text == "6"

        # The question list, filtered to Khmer: the hostile payloads are listed as plain text.
        b.get(f"{server.url}/staff/gaps")
        assert SCRIPT_PAYLOAD in b.find_element(By.TAG_NAME, "main").text
        assert IMG_PAYLOAD in b.find_element(By.TAG_NAME, "main").text
        assert_nothing_ran(b)
        Select(b.find_element(By.NAME, "language")).select_by_value("km")
        click_and_wait(b, b.find_element(By.ID, "apply-filters"))
        rows = b.find_elements(By.CSS_SELECTOR, "table.gaps tbody tr")
        assert [r.find_element(By.CSS_SELECTOR, "td.text").text for r in rows] == [
            "តើ ប.ស.ស. ផ្តល់ប្រាក់ពេលរៀបការទេ"
        ]

        # Clusters: the wedding questions, Khmer and English, are one cluster.
        b.get(f"{server.url}/staff/clusters")
        b.save_screenshot(str(ROOT / "docs" / "dashboard.png"))
        assert_nothing_ran(b)
        wedding = next(
            row
            for row in b.find_elements(By.CSS_SELECTOR, "#clusters tbody tr")
            if "wedding allowance" in row.text
        )
        assert wedding.find_element(By.CSS_SELECTOR, "td.num").text == "3"
        click_and_wait(b, wedding.find_element(By.CSS_SELECTOR, "a.open"))
        assert "Cluster of 3 question(s)" in b.find_element(By.TAG_NAME, "h1").text
        Select(b.find_element(By.ID, "bulk-status")).select_by_value("answered")
        b.find_element(By.ID, "bulk-note").send_keys("added to the FAQ")
        click_and_wait(b, b.find_element(By.ID, "bulk-apply"))
        assert "3 question(s) marked answered." in b.find_element(By.CSS_SELECTOR, ".flash").text
        assert all(
            "wedding" not in row.text
            for row in b.find_elements(By.CSS_SELECTOR, "#clusters tbody tr")
        )

        # One question's detail page shows the hostile context as text too.
        b.get(f"{server.url}/staff/gaps?status=answered")
        assert len(b.find_elements(By.CSS_SELECTOR, "table.gaps tbody tr")) == 3
        click_and_wait(b, b.find_element(By.CSS_SELECTOR, "table.gaps td.text a"))
        assert SCRIPT_PAYLOAD in b.find_element(By.CSS_SELECTOR, "dd.context").text
        assert_nothing_ran(b)

        # CSV export of the answered questions.
        b.get(f"{server.url}/staff/gaps?status=answered")
        b.find_element(By.ID, "export-csv").click()
        csv_file = _wait_for_download(b.downloads)  # type: ignore[attr-defined]
        content = csv_file.read_text("utf-8-sig")
        assert "added to the FAQ" in content and "តើ ប.ស.ស. ផ្តល់ប្រាក់ពេលរៀបការទេ" in content
        assert "lottery" not in content

        # The switch at the top: the same page in Khmer, kept for the next pages.
        b.get(f"{server.url}/staff/clusters?status=answered")
        click_and_wait(b, b.find_element(By.ID, "switch-language"))
        assert b.current_url.endswith("/staff/clusters?status=answered")
        assert b.find_element(By.TAG_NAME, "h1").text == "សំណួរស្រដៀងគ្នា"
        assert b.find_element(By.TAG_NAME, "html").get_attribute("lang") == "km"
        b.save_screenshot(str(ROOT / "docs" / "dashboard-km.png"))
        b.get(f"{server.url}/staff")
        assert b.find_element(By.TAG_NAME, "h1").text == "ទិដ្ឋភាពទូទៅ"
    statuses = {r.text: r.status for r in sqlite_store.list()}
    assert statuses["is there a wedding allowance from nssf"] == "answered"
    assert statuses[SCRIPT_PAYLOAD] == "new"


def _wait_for_download(folder: Path, timeout_s: float = 20) -> Path:
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        done = [p for p in folder.glob("*.csv")]
        if done:
            return done[0]
        time.sleep(0.2)
    pytest.fail("the CSV download did not arrive")


def test_staff_write_preview_publish_and_unpublish_an_answer_in_a_real_browser(
    browser: webdriver.Chrome,
    sqlite_store: GapStore,
) -> None:
    for text, lang, days in WEDDING_QUESTIONS:
        sqlite_store.add(gap(text, language=lang, days_ago=days))
    live = LiveAnswers(AnswerStore(sqlite_store), refresh_s=0)
    paraphrase = "will nssf give me money for my wedding"
    assert live.match(paraphrase) is None
    staff = StaffSettings(
        user="staff", password_hash=hash_password(PASSWORD), api_token="t", language="km"
    )
    with LiveServer(create_app(WebSettings(), sqlite_store, staff)) as server:
        b = browser
        log_in_as_staff(b, server.url)
        b.get(f"{server.url}/staff/clusters")
        wedding = next(
            row
            for row in b.find_elements(By.CSS_SELECTOR, "#clusters tbody tr")
            if "wedding allowance" in row.text
        )
        click_and_wait(b, wedding.find_element(By.CSS_SELECTOR, "a.open"))
        click_and_wait(b, b.find_element(By.ID, "write-answer"))
        assert len(b.find_elements(By.CSS_SELECTOR, "#answer-questions li")) == 3
        b.find_element(By.ID, "answer-km").send_keys("ប.ស.ស. មិនមានប្រាក់ឧបត្ថម្ភរៀបការទេ។")
        b.find_element(By.ID, "answer-en").send_keys("NSSF has no wedding grant.")
        b.find_element(By.ID, "source-name").send_keys("NSSF communication team")
        b.execute_script("document.getElementById('source-date').value = '2026-11-30'")
        click_and_wait(b, b.find_element(By.ID, "preview"))
        bubbles = [e.text for e in b.find_elements(By.CSS_SELECTOR, "#previews .bubble")]
        assert len(bubbles) == 4 and bubbles[0].startswith("ប.ស.ស. មិនមានប្រាក់ឧបត្ថម្ភរៀបការទេ។")
        assert "NSSF communication team (2026-11-30)" in bubbles[0]
        b.execute_script("document.getElementById('previews').scrollIntoView()")
        b.save_screenshot(str(ROOT / "docs" / "staff-answer-preview.png"))
        assert live.match(paraphrase) is None  # a preview publishes nothing
        click_and_wait(b, b.find_element(By.ID, "publish"))
        assert b.find_element(By.CSS_SELECTOR, ".flash").text.startswith("បានផ្សព្វផ្សាយ")
        found = live.match(paraphrase)
        assert found is not None and found.answer.draft.en == "NSSF has no wedding grant."
        click_and_wait(b, b.find_element(By.ID, "unpublish"))
        assert b.find_element(By.CSS_SELECTOR, ".flash").text.startswith("បានដកចេញ")
        assert live.match(paraphrase) is None
        b.get(f"{server.url}/staff/answers")
        assert len(b.find_elements(By.CSS_SELECTOR, "#answers tbody tr[data-answer]")) == 1
    statuses = {r.text: r.status for r in sqlite_store.list()}
    assert {statuses[text] for text, _, _ in WEDDING_QUESTIONS[:3]} == {"answered"}
    assert statuses["what are today's lottery numbers"] == "new"


def test_the_topics_page_and_the_monthly_report_in_khmer_in_a_real_browser(
    browser: webdriver.Chrome,
    sqlite_store: GapStore,
) -> None:
    from tests.test_topics_web import LAST_MONTH, NOW, fill, fill_last_month, message

    fill(sqlite_store)
    fill_last_month(sqlite_store)
    # Whatever today's date, the wedding questions must be a growing cluster: last month's three
    # fall 14-28 days back in the first half of a month, so two more today make it at least
    # five in the last 14 days against at most three in the 14 before (without them the table
    # was empty on 288 of 730 days).
    for text, lang, _ in WEDDING_QUESTIONS[:2]:
        sqlite_store.add(replace(gap(text, language=lang), created_at=NOW))
    log = QuestionLog(sqlite_store)
    # a fuller picture for the screenshots: several topics over the last weeks, both languages
    topics = ("maternity", "health_care", "maternity", "pension", "work_injury", "sickness")
    for n in range(60):
        outcome = "gap" if n % 10 == 0 else "answered"
        entry = message(
            1000 + n,
            outcome,
            topics[n % len(topics)] if outcome == "answered" else "",
            days_ago=(n * 37) % 50,
            language="km" if n % 3 else "en",
            channel=("messenger", "telegram", "web")[n % 3],
            reason="not_covered" if outcome == "gap" else "",
        )
        assert log.add(entry)
    staff = StaffSettings(
        user="staff", password_hash=hash_password(PASSWORD), api_token="t", language="km"
    )
    with LiveServer(create_app(WebSettings(), sqlite_store, staff)) as server:
        b = browser
        log_in_as_staff(b, server.url)
        b.get(f"{server.url}/staff")
        click_and_wait(b, b.find_element(By.CSS_SELECTOR, 'nav a[href="/staff/topics"]'))
        assert b.find_element(By.TAG_NAME, "h1").text == "អ្វីដែលមនុស្សសួរ"
        rows = b.find_elements(By.CSS_SELECTOR, "#topics tbody tr")
        assert rows[0].find_element(By.CSS_SELECTOR, "td").text == "មាតុភាព"  # most asked
        assert len(b.find_elements(By.CSS_SELECTOR, "#weekly-chart rect.answered")) == 8
        assert b.find_elements(By.CSS_SELECTOR, "#growing tbody tr td.recent")
        b.save_screenshot(str(ROOT / "docs" / "topics.png"))

        click_and_wait(b, b.find_element(By.CSS_SELECTOR, 'nav a[href="/staff/report"]'))
        Select(b.find_element(By.NAME, "month")).select_by_value(LAST_MONTH.strftime("%Y-%m"))
        click_and_wait(b, b.find_element(By.ID, "apply-filters"))
        assert "របាយការណ៍ប្រចាំខែ" in b.find_element(By.TAG_NAME, "h1").text
        assert b.find_elements(By.CSS_SELECTOR, "#report-topics rect.bar")
        assert (
            b.find_element(By.ID, "report-csv")
            .get_attribute("href")
            .endswith(f"/staff/report.csv?month={LAST_MONTH:%Y-%m}")
        )
        b.save_screenshot(str(ROOT / "docs" / "report.png"))
