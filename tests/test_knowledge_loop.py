"""The whole knowledge loop in a real Chromium, with the trained model in a real Rasa server and
action server, the Messenger and Telegram channels talking to fake Graph API and Bot API servers,
and the web app (chat and dashboard) in front: three paraphrased unanswered questions (English on
Telegram, Khmer and mixed on Messenger) form one cluster; two people say yes to being told, one
says no; a staff member publishes an answer in the dashboard; the Telegram user gets it at once,
the Messenger user whose last message is 2 days old only when they write again (and first), the
one who said no never; a new paraphrase gets the answer within 10 s; unpublishing stops it.
Saves docs/knowledge-loop.png."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from selenium import webdriver
from selenium.webdriver.common.by import By

from bot.gaps.capture import hmac_key
from bot.gaps.redaction import conversation_key
from bot.gaps.store import GapStore
from bot.knowledge import get_knowledge
from bot.notifications.model import notify_requests
from bot.web.app import create_app
from bot.web.auth import hash_password
from bot.web.settings import WebSettings
from bot.web.staff import StaffSettings
from tests.conftest import ROOT
from tests.fakes import payloads as p
from tests.fakes.rasa import RasaStack, rasa_stack
from tests.fakes.servers import FakeBotAPI, FakeGraph, message_to
from tests.fakes.waiting import until
from tests.test_browser_dashboard import (  # noqa: F401
    LiveServer,
    browser,
    click_and_wait,
    log_in_as_staff,
)

APP_SECRET = "loop-app-secret"
VERIFY_TOKEN = "loop-verify-token"
PAGE_TOKEN = "loop-page-token"
BOT_TOKEN = "654321:LOOP-bot-token"
TG_SECRET = "loop-webhook-secret"
PASSWORD = "loop-staff-password"
LIVE_WITHIN_S = 10.0
KB = get_knowledge()
ANSWER_EN = "NSSF health care does not pay for glasses. An eye injury at work is covered."
ANSWER_KM = "ការថែទាំសុខភាពរបស់ ប.ស.ស. មិនចេញថ្លៃវ៉ែនតាទេ។ របួសភ្នែកនៅកន្លែងធ្វើការ ត្រូវបានធានា។"
CHANNEL_ENV = {
    "MESSENGER_PAGE_ACCESS_TOKEN": PAGE_TOKEN,
    "MESSENGER_APP_SECRET": APP_SECRET,
    "MESSENGER_VERIFY_TOKEN": VERIFY_TOKEN,
    "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
    "TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
}


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeGraph, FakeBotAPI]]:
    graph, botapi = FakeGraph(PAGE_TOKEN).start(), FakeBotAPI(BOT_TOKEN).start()
    yield graph, botapi
    graph.stop()
    botapi.stop()


@pytest.fixture(scope="module")
def loop_stack(
    trained_model: Path,
    tmp_path_factory: pytest.TempPathFactory,
    gap_db: Path,
    fakes: tuple[FakeGraph, FakeBotAPI],
) -> Iterator[RasaStack]:
    graph, botapi = fakes
    env = {
        **CHANNEL_ENV,
        "MESSENGER_GRAPH_URL": graph.url,
        "TELEGRAM_API_URL": botapi.base,
        "DATABASE_URL": f"sqlite:///{gap_db / 'gaps.db'}",
        "GAPS_SPOOL_FILE": str(gap_db / "spool.jsonl"),
    }
    with rasa_stack(trained_model, tmp_path_factory.mktemp("rasa"), env) as running:
        yield running


def fb_post(stack: RasaStack, event: dict[str, Any]) -> None:
    body = p.messenger_body([event])
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": p.sign(APP_SECRET, body)}
    resp = requests.post(f"{stack.url}/webhooks/messenger/webhook", data=body, headers=headers)
    assert resp.status_code == 200


def tg_post(stack: RasaStack, update: dict[str, Any]) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    resp = requests.post(f"{stack.url}/webhooks/telegram/webhook", json=update, headers=headers)
    assert resp.status_code == 200


def text_of(message: dict[str, Any]) -> str:
    return message.get("text") or message["attachment"]["payload"]["text"]


def payloads_of(message: dict[str, Any]) -> list[str]:
    template = (message.get("attachment") or {}).get("payload") or {}
    buttons = template.get("buttons") or message.get("quick_replies") or []
    return [b["payload"] for b in buttons]


def messenger_offer(graph: FakeGraph, psid: str) -> dict[str, Any]:
    """The offer to be told, once the bot has sent it to ``psid``."""
    return until(
        lambda: next(
            (m for m in graph.messages_to(psid) if any("/notify_me" in x for x in payloads_of(m))),
            None,
        ),
        f"no offer to {psid}",
    )


def tg_sent(botapi: FakeBotAPI, chat: int) -> list[dict[str, Any]]:
    return [
        c.body for c in botapi.calls_of("sendMessage") if str(c.body.get("chat_id")) == str(chat)
    ]


def ask_web(server: LiveServer, sender: str, text: str) -> str:
    resp = requests.post(
        f"{server.url}/chat/api/message", json={"sender": sender, "message": text}, timeout=60
    )
    assert resp.status_code == 200, resp.text
    return "\n".join(m.get("text") or "" for m in resp.json())


def test_the_whole_knowledge_loop_in_a_real_browser(
    loop_stack: RasaStack,
    fakes: tuple[FakeGraph, FakeBotAPI],
    gap_db: Path,
    browser: webdriver.Chrome,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    graph, botapi = fakes
    store = GapStore(f"sqlite:///{gap_db / 'gaps.db'}", gap_db / "spool.jsonl")
    tg_user = p.unique_id(910_000)
    tg_chat, tg_from = p.private_chat(tg_user), p.user(tg_user)

    # 1. Three paraphrases nobody can answer yet; two people say yes, one says no.
    tg_post(loop_stack, p.update(p.tg_message(tg_chat, tg_from, "does nssf pay for my glasses")))
    offer = until(
        lambda: next(
            (m for m in tg_sent(botapi, tg_user) if "/notify_me" in str(m.get("reply_markup"))),
            None,
        ),
        "no offer on Telegram",
    )
    assert offer["text"] == KB.text("notify_offer", "en")
    tg_post(loop_stack, p.callback_update(tg_chat, tg_from, '/notify_me{"notify":"yes"}'))
    until(
        lambda: any(
            m["text"] == KB.text("notify_confirmed", "en") for m in tg_sent(botapi, tg_user)
        ),
        "the Telegram yes was not confirmed",
    )
    fb_post(loop_stack, p.text_event("psid-old", "តើ ប.ស.ស. ចេញថ្លៃវ៉ែនតាឱ្យខ្ញុំទេ"))
    messenger_offer(graph, "psid-old")
    fb_post(loop_stack, p.postback_event("psid-old", "yes", '/notify_me{"notify":"yes"}'))
    until(
        lambda: any(
            text_of(m) == KB.text("notify_confirmed", "km") for m in graph.messages_to("psid-old")
        ),
        "the Messenger yes was not confirmed",
    )
    fb_post(loop_stack, p.text_event("psid-no", "NSSF pay ថ្លៃវ៉ែនតា ឱ្យខ្ញុំទេ"))
    messenger_offer(graph, "psid-no")
    fb_post(loop_stack, p.postback_event("psid-no", "no", '/notify_me{"notify":"no"}'))
    until(
        lambda: any(
            text_of(m) == KB.text("notify_declined", "km") for m in graph.messages_to("psid-no")
        ),
        "the Messenger no was not confirmed",
    )
    until(lambda: len(store.list()) >= 3, "the three questions were not recorded")
    # psid-old's last message is now 2 days old: Messenger's 24-hour window has closed
    old = conversation_key("messenger:psid-old", hmac_key())
    with store.engine.begin() as conn:
        conn.execute(
            sa.update(notify_requests)
            .where(notify_requests.c.conversation == old)
            .values(last_seen_at=dt.datetime.utcnow() - dt.timedelta(days=2))
        )
        requests_kept = conn.execute(sa.select(sa.func.count()).select_from(notify_requests))
        assert requests_kept.scalar_one() == 2  # the no keeps nothing

    # 2. A staff member publishes an answer for the cluster, in the dashboard.
    for name, value in CHANNEL_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MESSENGER_GRAPH_URL", graph.url)
    monkeypatch.setenv("TELEGRAM_API_URL", botapi.base)
    staff = StaffSettings(
        user="staff", password_hash=hash_password(PASSWORD), api_token="t", language="en"
    )
    web = WebSettings(rasa_url=loop_stack.url, rate_per_address=10_000)
    with LiveServer(create_app(web, store, staff)) as server:
        b = browser
        log_in_as_staff(b, server.url, PASSWORD)
        b.get(f"{server.url}/staff/clusters")
        glasses = next(
            row
            for row in b.find_elements(By.CSS_SELECTOR, "#clusters tbody tr")
            if "glasses" in row.text
        )
        assert glasses.find_element(By.CSS_SELECTOR, "td.num").text == "3"
        click_and_wait(b, glasses.find_element(By.CSS_SELECTOR, "a.open"))
        click_and_wait(b, b.find_element(By.ID, "write-answer"))
        b.find_element(By.ID, "answer-km").send_keys(ANSWER_KM)
        b.find_element(By.ID, "answer-en").send_keys(ANSWER_EN)
        b.find_element(By.ID, "source-name").send_keys("NSSF communication team")
        b.execute_script("document.getElementById('source-date').value = '2026-11-30'")
        click_and_wait(b, b.find_element(By.ID, "publish"))
        published = time.monotonic()

        # 3. The Telegram user gets it at once; a new paraphrase gets it within 10 s.
        good_news = until(
            lambda: next(
                (m for m in tg_sent(botapi, tg_user) if m["text"].startswith("Good news")), None
            ),
            "the Telegram user was not told",
        )
        assert ANSWER_EN in good_news["text"] and "(2026-11-30)" in good_news["text"]
        senders = (f"paraphrase-{n}" for n in itertools.count())
        until(
            lambda: ANSWER_EN in ask_web(server, next(senders), "Will NSSF pay for glasses?"),
            "not answered within 10 s of publishing",
            timeout=LIVE_WITHIN_S - (time.monotonic() - published),
        )

        # 4. The Messenger user outside the window got nothing; when they write, it comes first.
        assert all("ដំណឹងល្អ" not in text_of(m) for m in graph.messages_to("psid-old"))
        before = len(graph.messages_to("psid-old"))
        fb_post(loop_stack, p.text_event("psid-old", "សួស្តី"))
        after = [c.body["message"] for c in graph.wait_for(message_to("psid-old"), before + 2)]
        assert text_of(after[before]).startswith("ដំណឹងល្អ")  # "Good news", in Khmer
        assert ANSWER_KM in text_of(after[before])

        # 5. The dashboard shows who was told; unpublishing stops the answer within 10 s.
        b.refresh()
        states = [
            r.get_attribute("data-state")
            for r in b.find_elements(By.CSS_SELECTOR, "#notifications tbody tr[data-state]")
        ]
        assert sorted(states) == ["sent", "sent"]
        b.execute_script("document.getElementById('notifications').scrollIntoView()")
        b.save_screenshot(str(ROOT / "docs" / "knowledge-loop.png"))
        click_and_wait(b, b.find_element(By.ID, "unpublish"))
        senders = (f"after-{n}" for n in itertools.count())
        until(
            lambda: ANSWER_EN not in ask_web(server, next(senders), "Will NSSF pay for glasses?"),
            "still answered 10 s after unpublishing",
            timeout=LIVE_WITHIN_S,
        )
    # 6. The one who said no was never messaged.
    assert all(
        "ដំណឹងល្អ" not in text_of(m) and "Good news" not in text_of(m)
        for m in graph.messages_to("psid-no")
    )
