"""Unit tests of the Messenger channel's parsing, signatures and rendering, its output channel
against the fake Graph API (a real HTTP server on 127.0.0.1), and ``make messenger-setup``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.channels.messenger import (
    GraphClient,
    Incoming,
    MessengerOutput,
    parse_events,
    render,
    signature_is_valid,
)
from bot.knowledge import get_knowledge
from tests.fakes import payloads as p
from tests.fakes.servers import FakeGraph, message_to
from tests.test_channel_common import _english_answer

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "page-token-unit"


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    fake = FakeGraph(TOKEN).start()
    yield fake
    fake.stop()


def _output(graph: FakeGraph, delays: tuple[float, ...] = (0.01, 0.01)) -> MessengerOutput:
    return MessengerOutput(GraphClient(graph.url, TOKEN, delays=delays), "log-key")


def test_signature_is_hmac_sha256_of_the_raw_body() -> None:
    body = p.messenger_body([p.text_event("1", "hi")])
    assert signature_is_valid("s", body, p.sign("s", body))
    assert not signature_is_valid("s", body, p.sign("other", body))
    assert not signature_is_valid("s", body + b" ", p.sign("s", body))
    assert not signature_is_valid("s", body, None)
    assert not signature_is_valid("s", body, p.sign("s", body).replace("sha256=", "sha1="))


def test_every_event_of_every_entry_is_parsed_and_echoes_deliveries_reads_ignored() -> None:
    body = json.loads(
        p.messenger_body(
            [p.text_event("a", "hello", mid="m1"), p.echo_event("a"), p.delivery_event("a")],
            [p.quick_reply_event("b", "Pension", "/pension"), p.read_event("b")],
            [p.attachment_event("c", "audio"), p.postback_event("d", "Get Started", "/greet")],
        )
    )

    events = parse_events(body)

    assert [(e.sender, e.text) for e in events] == [
        ("messenger:a", "hello"),
        ("messenger:b", "/pension"),
        ("messenger:c", None),
        ("messenger:d", "/greet"),
    ]
    assert events[0] == Incoming("messenger:a", "m1", "hello", visible_text="hello")
    assert events[1].visible_text == "Pension"
    assert all(e.key for e in events)


def test_malformed_events_are_skipped_not_crashed_on() -> None:
    body = {
        "object": "page",
        "entry": [
            None,
            {"messaging": [{"message": {"text": "no sender"}}, {"sender": {}, "postback": {}}]},
            {"messaging": "nope"},
            {"messaging": [{"sender": {"id": "x"}, "message": "not a dict"}]},
        ],
    }
    assert parse_events(body) == [Incoming("messenger:x", None, None)]


def test_ten_thousand_character_message_is_cut_for_the_bot() -> None:
    events = parse_events(json.loads(p.messenger_body([p.text_event("a", "a" * 10_000)])))
    assert len(events[0].text or "") == 2000


def test_menu_renders_as_at_most_13_quick_replies_with_titles_up_to_20_characters() -> None:
    buttons = [
        {"title": f"Topic number {i} with a long name", "payload": f"/t{i}"} for i in range(15)
    ]

    (message,) = render("Pick a topic", buttons)

    assert message["text"] == "Pick a topic"
    quick = message["quick_replies"]
    assert len(quick) == 13
    assert all(q["content_type"] == "text" and len(q["title"]) <= 20 for q in quick)
    assert [q["payload"] for q in quick] == [f"/t{i}" for i in range(13)]


def test_up_to_three_buttons_with_short_text_render_as_a_button_template() -> None:
    kb = get_knowledge()
    buttons = [{"title": "English", "payload": '/language{"language":"en"}'}]

    (message,) = render(kb.text("language_prompt", "en"), buttons)

    assert message["attachment"]["type"] == "template"
    assert message["attachment"]["payload"] == {
        "template_type": "button",
        "text": kb.text("language_prompt", "en"),
        "buttons": [{"type": "postback", "title": "English", "payload": buttons[0]["payload"]}],
    }


def test_buttons_go_on_the_last_part_of_a_long_text() -> None:
    text = _english_answer(5000)
    buttons = [{"title": f"T{i}", "payload": f"/t{i}"} for i in range(5)]

    messages = render(text, buttons)

    assert [("quick_replies" in m) for m in messages] == [False, False, True]
    assert all(len(m["text"]) <= 2000 for m in messages)


async def test_5000_character_answer_arrives_as_three_messages_under_2000(
    graph: FakeGraph,
) -> None:
    text = _english_answer(5000)

    await _output(graph).send_response("psid-1", {"text": text})

    sent = [c.body for c in graph.where(message_to("psid-1"))]
    assert [len(b["message"]["text"]) <= 2000 for b in sent] == [True] * 3
    assert " ".join(b["message"]["text"] for b in sent).split() == text.split()
    assert all(b["messaging_type"] == "RESPONSE" for b in sent)


async def test_typing_indicator_is_a_sender_action(graph: FakeGraph) -> None:
    await _output(graph).typing("psid-2")
    assert [c.body for c in graph.typing_to("psid-2")] == [
        {"recipient": {"id": "psid-2"}, "sender_action": "typing_on"}
    ]


async def test_send_gives_up_after_the_retries_and_logs_no_text(
    graph: FakeGraph, caplog: pytest.LogCaptureFixture
) -> None:
    graph.fail(message_to("psid-3"), 503, {"error": {"code": 2}}, times=10)

    await _output(graph).send_response("psid-3", {"text": "secret user-visible text"})

    assert len(graph.where(message_to("psid-3"))) == 3  # first try + 2 retries
    assert "messenger send failed" in caplog.text
    assert "secret user-visible text" not in caplog.text and "psid-3" not in caplog.text


async def test_client_errors_are_not_retried(graph: FakeGraph) -> None:
    graph.fail(message_to("psid-4"), 400, {"error": {"code": 100}}, times=10)

    result = await _output(graph).client.post(
        "me/messages", {"recipient": {"id": "psid-4"}, "message": {"text": "x"}}
    )

    assert (result.ok, result.status, result.attempts) == (False, 400, 1)
    assert "code=100" in (result.error or "")


async def test_unreachable_graph_api_is_a_failed_result_not_an_exception() -> None:
    client = GraphClient("http://127.0.0.1:9", TOKEN, delays=(0.01,))
    result = await client.post("me/messages", {"recipient": {"id": "x"}})
    assert (result.ok, result.status, result.attempts) == (False, None, 2)


def _setup(env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MESSENGER_")}
    return subprocess.run(
        [sys.executable, "-m", "scripts.messenger_setup"],
        cwd=ROOT,
        env={**base, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _messenger_env(graph: FakeGraph) -> dict[str, str]:
    return {
        "MESSENGER_PAGE_ACCESS_TOKEN": TOKEN,
        "MESSENGER_APP_SECRET": "s",
        "MESSENGER_VERIFY_TOKEN": "v",
        "MESSENGER_GRAPH_URL": graph.url,
    }


def test_messenger_setup_sets_get_started_greeting_and_menu_in_both_languages(
    graph: FakeGraph,
) -> None:
    kb = get_knowledge()

    done = _setup(_messenger_env(graph))

    assert done.returncode == 0, done.stderr
    (call,) = graph.where(lambda c: c.path.endswith("/me/messenger_profile"))
    assert call.query == {"access_token": TOKEN}
    profile = call.body
    assert profile["get_started"] == {"payload": "/greet"}
    greetings = {g["locale"]: g["text"] for g in profile["greeting"]}
    assert set(greetings) == {"default", "km_KH"}
    assert all(len(t) <= 160 for t in greetings.values())
    assert kb.text("greet", "en").startswith(greetings["default"])
    assert kb.text("greet", "km").startswith(greetings["km_KH"])
    menus = {m["locale"]: m["call_to_actions"] for m in profile["persistent_menu"]}
    assert [a["payload"] for a in menus["km_KH"]] == ["/help", "/contact", "/language"]
    assert menus["km_KH"][0]["title"] == kb.text("menu_button", "km")
    assert all(len(a["title"]) <= 30 and a["type"] == "postback" for a in menus["default"])


def test_messenger_setup_fails_clearly_when_the_graph_api_refuses(graph: FakeGraph) -> None:
    graph.fail(lambda c: True, 400, {"error": {"code": 100, "type": "OAuthException"}})

    done = _setup(_messenger_env(graph))

    assert done.returncode == 1
    assert "status 400" in done.stderr and TOKEN not in done.stderr


def test_messenger_setup_refuses_to_run_without_the_secrets() -> None:
    done = _setup({"MESSENGER_PAGE_ACCESS_TOKEN": TOKEN})
    assert done.returncode == 2
    assert "MESSENGER_APP_SECRET" in done.stderr
