"""Tests of the web chat (``bot.web``): the app runs on 127.0.0.1 against a fake Rasa REST server.

The fake Rasa is a real aiohttp server on a random free port; it records every request it gets so
the tests can prove what was (or was not) forwarded.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.knowledge import configured_knowledge
from bot.web.app import STATIC_DIR, create_app
from bot.web.chat_identity import CHAT_COOKIE
from bot.web.settings import WebSettings

API = "/chat/api/message"
WEB_CONVERSATION = re.compile(r"web:[0-9a-f]{32}")  # the server's: bot.web.chat_identity
KHMER = re.compile(r"[\u1780-\u17ff]")

RASA_REPLY: list[dict[str, Any]] = [
    {"recipient_id": "user-1", "text": "សួស្តី!\nHow can I help?"},
    {
        "recipient_id": "user-1",
        "text": "Choose a topic / ជ្រើសរើសប្រធានបទ",
        "buttons": [
            {"title": "Maternity / មាតុភាព", "payload": "/ask_maternity"},
            {"title": "<b>Pension</b>", "payload": '/ask_pension{"lang":"en"}'},
        ],
    },
    {"recipient_id": "user-1", "image": "https://example.org/nssf.png"},
]


@dataclass
class FakeRasa:
    """Controls and records of the fake Rasa server."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    reply: Any = field(default_factory=lambda: RASA_REPLY)
    status: int = 200
    raw_body: str | None = None  # sent instead of ``reply`` when set (e.g. not JSON)
    delay_s: float = 0.0


def _fake_rasa_app(fake: FakeRasa) -> web.Application:
    async def webhook(request: web.Request) -> web.Response:
        fake.received.append(await request.json())
        if fake.delay_s:
            await asyncio.sleep(fake.delay_s)
        if fake.raw_body is not None:
            return web.Response(status=fake.status, text=fake.raw_body)
        return web.json_response(fake.reply, status=fake.status)

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="Hello from Rasa: 3.6.21")

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    app.router.add_get("/", hello)
    return app


@pytest.fixture
async def rasa() -> AsyncIterator[FakeRasa]:
    fake = FakeRasa()
    server = TestServer(_fake_rasa_app(fake), host="127.0.0.1")
    await server.start_server()
    fake.url = str(server.make_url("")).rstrip("/")
    try:
        yield fake
    finally:
        await server.close()


def _closed_port_url() -> str:
    """URL of a port on 127.0.0.1 that nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def _client(settings: WebSettings, clock: Any = None) -> TestClient:
    app = create_app(settings) if clock is None else create_app(settings, clock=clock)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return client


@pytest.fixture
async def client(rasa: FakeRasa) -> AsyncIterator[TestClient]:
    client = await _client(WebSettings(rasa_url=rasa.url))
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def client_rasa_down() -> AsyncIterator[TestClient]:
    client = await _client(WebSettings(rasa_url=_closed_port_url()))
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def client_short_timeout(rasa: FakeRasa) -> AsyncIterator[TestClient]:
    client = await _client(WebSettings(rasa_url=rasa.url, rasa_timeout_s=0.3))
    try:
        yield client
    finally:
        await client.close()


def _is_bilingual(text: str) -> bool:
    return " / " in text and bool(re.search(r"[A-Za-z]", text)) and bool(KHMER.search(text))


# --- forwarding ---------------------------------------------------------------------------------


async def test_message_is_forwarded_with_the_servers_conversation_and_the_reply_unchanged(
    client: TestClient, rasa: FakeRasa
) -> None:
    text = "  តើខ្ញុំអាចទទួលប្រាក់សោធននិវត្តន៍បានទេ?\nAm I eligible?  "
    resp = await client.post(API, json={"sender": "user-1", "message": text})

    assert resp.status == 200
    assert resp.content_type == "application/json"
    assert await resp.json() == RASA_REPLY
    assert [m["message"] for m in rasa.received] == [text]
    assert WEB_CONVERSATION.fullmatch(rasa.received[0]["sender"])
    assert "user-1" not in rasa.received[0]["sender"]  # the page's id is not the conversation


async def test_message_of_exactly_the_maximum_length_is_accepted(
    client: TestClient, rasa: FakeRasa
) -> None:
    resp = await client.post(API, json={"sender": "abc", "message": "ក" * 2000})
    assert resp.status == 200
    assert len(rasa.received) == 1


async def test_an_empty_rasa_reply_becomes_the_apology_never_silence(
    client: TestClient, rasa: FakeRasa
) -> None:
    rasa.reply = []
    resp = await client.post(API, json={"sender": "abc", "message": "hi"})
    assert resp.status == 200
    assert [m["text"] for m in await resp.json()] == [
        configured_knowledge().text("handling_failed", "en")
    ]


# --- validation -----------------------------------------------------------------------------------


async def test_broken_json_is_rejected_with_400_and_not_forwarded(
    client: TestClient, rasa: FakeRasa
) -> None:
    resp = await client.post(
        API, data='{"sender": "a", "message": ', headers={"Content-Type": "application/json"}
    )
    assert resp.status == 400
    assert isinstance((await resp.json())["error"], str)
    assert rasa.received == []


async def test_json_nested_70000_deep_is_rejected_with_4xx_not_500(
    client: TestClient, rasa: FakeRasa
) -> None:
    deep = '{"sender": "a", "message": ' + "[" * 70_000 + "]" * 70_000 + "}"
    resp = await client.post(API, data=deep, headers={"Content-Type": "application/json"})
    assert resp.status in (400, 413)
    assert rasa.received == []


@pytest.mark.parametrize(
    "body",
    [
        [],
        "hello",
        {"message": "hi"},
        {"sender": "abc"},
        {"sender": 123, "message": "hi"},
        {"sender": "abc", "message": None},
        {"sender": "abc", "message": ["hi"]},
    ],
    ids=["list", "string", "no-sender", "no-message", "int-sender", "null-message", "list-message"],
)
async def test_non_object_or_missing_or_non_string_fields_are_rejected_with_400(
    client: TestClient, rasa: FakeRasa, body: Any
) -> None:
    resp = await client.post(API, json=body)
    assert resp.status == 400
    assert (await resp.json())["error"]
    assert rasa.received == []


@pytest.mark.parametrize("message", ["", "   ", "\n\t "])
async def test_empty_message_is_rejected_with_bilingual_400_and_not_forwarded(
    client: TestClient, rasa: FakeRasa, message: str
) -> None:
    resp = await client.post(API, json={"sender": "abc", "message": message})
    assert resp.status == 400
    assert _is_bilingual((await resp.json())["error"])
    assert rasa.received == []


async def test_ten_thousand_chars_get_bilingual_413_naming_the_limit_and_are_not_forwarded(
    client: TestClient, rasa: FakeRasa
) -> None:
    resp = await client.post(API, json={"sender": "abc", "message": "a" * 10_000})
    assert resp.status == 413
    error = (await resp.json())["error"]
    assert _is_bilingual(error)
    assert "2000" in error
    assert rasa.received == []


async def test_huge_body_gets_the_same_json_413(client: TestClient, rasa: FakeRasa) -> None:
    resp = await client.post(API, json={"sender": "abc", "message": "ក" * 100_000})
    assert resp.status == 413
    assert "2000" in (await resp.json())["error"]
    assert rasa.received == []


@pytest.mark.parametrize(
    "sender",
    ["", "a" * 65, "has space", "ក្មេង", "../etc", "abc\n", "a;b", "<script>"],
    ids=["empty", "too-long", "space", "khmer", "path", "trailing-newline", "semicolon", "html"],
)
async def test_bad_sender_is_rejected_with_400_and_not_forwarded(
    client: TestClient, rasa: FakeRasa, sender: str
) -> None:
    resp = await client.post(API, json={"sender": sender, "message": "hi"})
    assert resp.status == 400
    assert (await resp.json())["error"]
    assert rasa.received == []


async def test_uuid_sender_from_the_browser_is_accepted(client: TestClient, rasa: FakeRasa) -> None:
    sender = "3f2b8c1e-9d4a-4f6b-8e2a-1c5d7e9f0a1b"
    resp = await client.post(API, json={"sender": sender, "message": "hi"})
    assert resp.status == 200
    assert WEB_CONVERSATION.fullmatch(rasa.received[0]["sender"])


async def test_the_server_issues_the_conversation_and_keeps_it_for_that_browser(
    client: TestClient, rasa: FakeRasa
) -> None:
    first = await client.post(API, json={"sender": "tab-1", "message": "hi"})
    cookie = first.cookies[CHAT_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/chat"
    again = await client.post(API, json={"sender": "tab-1", "message": "and pension?"})
    assert CHAT_COOKIE not in again.cookies  # kept, not issued again
    other_tab = await client.post(API, json={"sender": "tab-2", "message": "hi"})
    assert other_tab.status == 200
    ids = [m["sender"] for m in rasa.received]
    assert ids[0] == ids[1] != ids[2]


async def test_someone_elses_sender_id_does_not_reach_their_conversation(rasa: FakeRasa) -> None:
    """The hijack the page's own id allowed: another browser posting the victim's ``sender``."""
    settings = WebSettings(rasa_url=rasa.url)
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as victim:
        await victim.post(API, json={"sender": "victim-tab", "message": "my pension?"})
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as attacker:
        await attacker.post(API, json={"sender": "victim-tab", "message": "what did I ask?"})
        forged = {CHAT_COOKIE: "not-a-token-the-server-issued"}
        await attacker.post(API, json={"sender": "victim-tab", "message": "again"}, cookies=forged)
    ids = [m["sender"] for m in rasa.received]
    assert len(set(ids)) == 3  # a forged cookie gets a new conversation of its own


@pytest.mark.parametrize("forged", ["telegram:123456", "messenger:998877", "web:x", "a:b"])
async def test_the_web_chat_cannot_post_into_another_channels_conversation(
    client: TestClient, rasa: FakeRasa, forged: str
) -> None:
    resp = await client.post(API, json={"sender": forged, "message": "my pension?"})
    assert resp.status == 400
    assert rasa.received == []  # a web id can never be a Telegram or Messenger conversation


async def test_get_on_the_api_is_405_json(client: TestClient) -> None:
    resp = await client.get(API)
    assert resp.status == 405
    assert "error" in await resp.json()


# --- Rasa failures ------------------------------------------------------------------------------


def _assert_unavailable_error(body: dict[str, Any]) -> None:
    assert set(body) == {"error"}
    assert body["error"].startswith(
        "The assistant is not available right now. Please try again in a minute. / "
    )
    assert KHMER.search(body["error"])
    assert "Traceback" not in body["error"]


async def test_rasa_down_gives_502_with_bilingual_error_json(client_rasa_down: TestClient) -> None:
    resp = await client_rasa_down.post(API, json={"sender": "abc", "message": "hi"})
    assert resp.status == 502
    _assert_unavailable_error(await resp.json())


@pytest.mark.parametrize(
    "raw_body",
    ["Internal Server Error\nTraceback (most recent call last): ...", '[{"text": "partial"}]'],
    ids=["text-body", "json-list-body"],
)
async def test_rasa_returning_500_gives_502(
    client: TestClient, rasa: FakeRasa, raw_body: str
) -> None:
    rasa.status = 500
    rasa.raw_body = raw_body
    resp = await client.post(API, json={"sender": "abc", "message": "hi"})
    assert resp.status == 502
    _assert_unavailable_error(await resp.json())
    assert len(rasa.received) == 1


async def test_rasa_returning_non_json_gives_502(client: TestClient, rasa: FakeRasa) -> None:
    rasa.raw_body = "<html>proxy error</html>"
    resp = await client.post(API, json={"sender": "abc", "message": "hi"})
    assert resp.status == 502
    _assert_unavailable_error(await resp.json())


async def test_rasa_returning_json_that_is_not_a_list_gives_502(
    client: TestClient, rasa: FakeRasa
) -> None:
    rasa.reply = {"text": "not a list"}
    resp = await client.post(API, json={"sender": "abc", "message": "hi"})
    assert resp.status == 502
    _assert_unavailable_error(await resp.json())


async def test_rasa_slower_than_the_timeout_gives_502(
    client_short_timeout: TestClient, rasa: FakeRasa
) -> None:
    rasa.delay_s = 2.0
    resp = await client_short_timeout.post(API, json={"sender": "abc", "message": "hi"})
    assert resp.status == 502
    _assert_unavailable_error(await resp.json())


# --- logging --------------------------------------------------------------------------------------


async def test_one_log_line_per_request_and_user_text_is_never_logged(
    client: TestClient, rasa: FakeRasa, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "my-secret-medical-detail ជំងឺ"
    caplog.set_level(logging.DEBUG)
    ok = await client.post(API, json={"sender": "abc", "message": secret})
    rasa.status = 500
    failed = await client.post(API, json={"sender": "abc", "message": secret})
    too_long = await client.post(API, json={"sender": "abc", "message": secret * 1000})
    assert (ok.status, failed.status, too_long.status) == (200, 502, 413)

    web_lines = [r.getMessage() for r in caplog.records if r.name == "bot.web"]
    assert len(web_lines) == 3
    assert all(line.startswith(f"POST {API} ") for line in web_lines)
    for record in caplog.records:
        assert "my-secret" not in record.getMessage()
        assert "ជំងឺ" not in record.getMessage()


# --- page and static files ------------------------------------------------------------------------


async def test_root_redirects_to_chat(client: TestClient) -> None:
    resp = await client.get("/", allow_redirects=False)
    assert resp.status in (301, 302, 303, 307, 308)
    assert resp.headers["Location"] == "/chat"


async def test_chat_page_is_html_with_title_input_send_button_and_script_tag(
    client: TestClient,
) -> None:
    resp = await client.get("/chat")
    assert resp.status == 200
    assert resp.content_type == "text/html"
    assert resp.charset == "utf-8"
    html = await resp.text()
    assert "<title>NSSF assistant · ជំនួយការ ប.ស.ស.</title>" in html
    assert re.search(r'<textarea[^>]*id="message-input"', html)
    assert re.search(r'<label[^>]*for="message-input"', html)
    assert re.search(r'<button[^>]*type="submit"', html)
    assert re.search(r'<script src="/chat/static/app\.js"[^>]*>\s*</script>', html)
    assert 'id="messages"' in html


async def test_chat_page_has_no_inline_script_or_style_and_no_external_resources(
    client: TestClient,
) -> None:
    html = await (await client.get("/chat")).text()
    for match in re.finditer(r"<script\b([^>]*)>(.*?)</script>", html, re.S):
        assert "src=" in match.group(1)
        assert match.group(2).strip() == ""
    assert not re.search(r"\son[a-z]+\s*=", html, re.I), "inline event handler"
    assert "<style" not in html and "style=" not in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "external resource"


async def test_static_js_and_css_are_served(client: TestClient) -> None:
    js = await client.get("/chat/static/app.js")
    assert js.status == 200
    assert "javascript" in js.content_type
    css = await client.get("/chat/static/app.css")
    assert css.status == 200
    assert css.content_type == "text/css"


def test_css_uses_a_system_font_stack_with_khmer_fonts_and_no_downloads() -> None:
    css = (STATIC_DIR / "app.css").read_text(encoding="utf-8")
    assert '"Noto Sans Khmer"' in css and '"Khmer OS"' in css and "sans-serif" in css
    assert "@import" not in css and "@font-face" not in css and "url(" not in css


def test_static_js_uses_textcontent_and_never_assigns_html() -> None:
    js = (STATIC_DIR / "app.js").read_text(encoding="utf-8")
    assert ".textContent = " in js
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
    ):
        assert sink not in js, sink


def test_static_js_keeps_sender_in_localstorage_and_posts_to_the_api() -> None:
    js = (STATIC_DIR / "app.js").read_text(encoding="utf-8")
    assert "localStorage" in js
    assert f'"{API}"' in js
    assert "JSON.stringify({ sender: sender, message: message })" in js


def test_static_files_load_nothing_from_the_network() -> None:
    for path in STATIC_DIR.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(src|href)=[\"']?(https?:)?//", text), path.name
        assert "fonts.googleapis" not in text and "cdn" not in text.lower(), path.name


# --- security headers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/chat"),
        ("GET", "/chat/static/app.js"),
        ("GET", "/healthz"),
        ("GET", "/no-such-page"),
        ("POST", API),
    ],
)
async def test_security_headers_are_on_every_response(
    client: TestClient, method: str, path: str
) -> None:
    resp = await client.request(method, path, allow_redirects=False, data="not json")
    csp = resp.headers["Content-Security-Policy"]
    assert csp.startswith("default-src 'self';")
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert resp.headers["X-Frame-Options"] == "DENY"


# --- health ---------------------------------------------------------------------------------------


async def test_healthz_is_ok_without_asking_rasa(client_rasa_down: TestClient) -> None:
    resp = await client_rasa_down.get("/healthz")
    assert resp.status == 200
    assert await resp.json() == {"status": "ok"}


async def test_deep_healthz_is_ok_when_rasa_says_hello(client: TestClient) -> None:
    resp = await client.get("/healthz", params={"deep": "1"})
    assert resp.status == 200
    body = await resp.json()
    assert body["status"] == "ok"
    assert body["rasa"] == "Hello from Rasa: 3.6.21"


async def test_deep_healthz_is_503_with_reason_when_rasa_is_down(
    client_rasa_down: TestClient,
) -> None:
    resp = await client_rasa_down.get("/healthz?deep=1")
    assert resp.status == 503
    body = await resp.json()
    assert body["status"] == "unavailable"
    assert "Rasa" in body["reason"]


# --- settings -------------------------------------------------------------------------------------


def test_settings_defaults_when_environment_is_empty() -> None:
    settings = WebSettings.from_env({})
    assert settings == WebSettings(
        host="127.0.0.1",
        port=8000,
        rasa_url="http://127.0.0.1:5005",
        max_message_chars=2000,
        rasa_timeout_s=8.0,
    )


def test_settings_are_read_from_environment_and_url_trailing_slash_is_dropped() -> None:
    settings = WebSettings.from_env(
        {
            "WEB_HOST": "0.0.0.0",
            "WEB_PORT": "8080",
            "RASA_URL": "http://rasa:5005/",
            "WEB_MAX_MESSAGE_CHARS": "500",
            "WEB_RASA_TIMEOUT": "10.5",
        }
    )
    assert settings == WebSettings(
        host="0.0.0.0",
        port=8080,
        rasa_url="http://rasa:5005",
        max_message_chars=500,
        rasa_timeout_s=10.5,
    )


@pytest.mark.parametrize(
    "env",
    [
        {"WEB_PORT": "eighty"},
        {"WEB_PORT": "0"},
        {"WEB_MAX_MESSAGE_CHARS": "0"},
        {"RASA_URL": "rasa:5005"},
    ],
)
def test_invalid_settings_fail_fast_with_a_clear_error(env: dict[str, str]) -> None:
    with pytest.raises(ValueError, match=next(iter(env))):
        WebSettings.from_env(env)


async def test_app_honours_a_custom_message_limit(rasa: FakeRasa) -> None:
    client = await _client(WebSettings(rasa_url=rasa.url, max_message_chars=5))
    try:
        assert (await client.post(API, json={"sender": "a", "message": "12345"})).status == 200
        resp = await client.post(API, json={"sender": "a", "message": "123456"})
        assert resp.status == 413
        assert "5" in (await resp.json())["error"]
    finally:
        await client.close()


# --- rate limits -------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_conversation_over_its_rate_gets_429_with_retry_after_and_rasa_is_not_asked(
    rasa: FakeRasa,
) -> None:
    clock = Clock()
    settings = WebSettings(rasa_url=rasa.url, rate_per_conversation=3, rate_per_address=100)
    client = await _client(settings, clock)
    try:
        statuses = []
        for n in range(4):
            resp = await client.post(API, json={"sender": "tester-1", "message": f"hi {n}"})
            statuses.append(resp.status)
        assert statuses == [200, 200, 200, 429]
        assert resp.headers["Retry-After"] == "20"  # 3 a minute: one more every 20 s
        assert _is_bilingual((await resp.json())["error"])
        assert len(rasa.received) == 3
        other = await client.post(API, json={"sender": "tester-2", "message": "hi"})
        assert other.status == 200  # another conversation has its own allowance
        clock.now += 20
        again = await client.post(API, json={"sender": "tester-1", "message": "hi again"})
        assert again.status == 200
    finally:
        await client.close()


async def test_one_address_over_its_rate_gets_429_whatever_conversation_it_names(
    rasa: FakeRasa,
) -> None:
    settings = WebSettings(rasa_url=rasa.url, rate_per_conversation=100, rate_per_address=5)
    client = await _client(settings, Clock())
    try:
        statuses = [
            (await client.post(API, json={"sender": f"s-{n}", "message": "hi"})).status
            for n in range(7)
        ]
        assert statuses == [200] * 5 + [429, 429]
        assert len(rasa.received) == 5
    finally:
        await client.close()


def test_rate_limits_come_from_the_environment_and_refuse_zero() -> None:
    env = {"WEB_RATE_PER_CONVERSATION": "10", "WEB_RATE_PER_ADDRESS": "50"}
    settings = WebSettings.from_env(env)
    assert (settings.rate_per_conversation, settings.rate_per_address) == (10, 50)
    with pytest.raises(ValueError, match="WEB_RATE_PER_ADDRESS"):
        WebSettings.from_env({"WEB_RATE_PER_ADDRESS": "0"})


# --- the bot failing to answer --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "delay_s", "status"),
    [([], 0.0, 200), (RASA_REPLY, 1.0, 502)],  # no reply at all; a reply too late
)
async def test_a_message_the_bot_does_not_answer_gets_an_apology_and_becomes_a_gap(
    rasa: FakeRasa, sqlite_store: Any, reply: Any, delay_s: float, status: int
) -> None:
    from bot.web.app import FAILURES_KEY

    rasa.reply, rasa.delay_s = reply, delay_s
    app = create_app(WebSettings(rasa_url=rasa.url, rasa_timeout_s=0.3), sqlite_store)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        resp = await client.post(
            "/chat/api/message", json={"sender": "tab-1", "message": "ប្រាក់មាតុភាពប៉ុន្មាន"}
        )
        assert resp.status == status
        body = await resp.json()
        if status == 200:  # the apology, in the user's language, instead of nothing
            assert [m["text"] for m in body] == [
                configured_knowledge().text("handling_failed", "km")
            ]
        else:
            assert _is_bilingual(body["error"])
        app[FAILURES_KEY].recorder().flush()
    (record,) = sqlite_store.list()
    assert (record.text, record.reason, record.channel) == ("ប្រាក់មាតុភាពប៉ុន្មាន", "bot_error", "web")
