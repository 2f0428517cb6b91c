"""The Messenger and Telegram channels inside a real Rasa server with the trained model.

``rasa run`` and the action server start on 127.0.0.1 with the credentials file written by
``scripts/credentials.py``; the channels talk to fake Graph API and Bot API servers (real HTTP
servers on 127.0.0.1 that record every call). Payloads follow the platforms' documented formats
(``tests/fakes/payloads.py``).

Negative checks ("nothing was processed") are made deterministic with a sentinel: after the
refused or duplicate delivery, the same user sends one valid message; once its reply has arrived,
every earlier accepted event would have been handled too (one conversation is handled in order),
so the number of typing indicators (one per handled event) proves what was processed.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.knowledge import get_knowledge
from tests.fakes import payloads as p
from tests.fakes.rasa import BIN, ROOT, RasaStack, channel_env, free_port, rasa_stack
from tests.fakes.servers import FakeBotAPI, FakeGraph, message_to, too_many_requests

APP_SECRET = "app-secret-for-tests"
VERIFY_TOKEN = "verify-token-for-tests"
PAGE_TOKEN = "page-token-for-tests"
BOT_TOKEN = "123456:TEST-bot-token"
TG_SECRET = "tg-webhook-secret_for-tests"
BOT_NAME = "nssf_test_bot"
BOT_ID = 7000001

KB = get_knowledge()


@pytest.fixture(scope="module")
def graph() -> Iterator[FakeGraph]:
    fake = FakeGraph(PAGE_TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def botapi() -> Iterator[FakeBotAPI]:
    fake = FakeBotAPI(BOT_TOKEN).start()
    yield fake
    fake.stop()


def platform_env(graph: FakeGraph, botapi: FakeBotAPI) -> dict[str, str]:
    """Both channels configured with this module's secrets, on the fake platforms."""
    return {
        "MESSENGER_PAGE_ACCESS_TOKEN": PAGE_TOKEN,
        "MESSENGER_APP_SECRET": APP_SECRET,
        "MESSENGER_VERIFY_TOKEN": VERIFY_TOKEN,
        "MESSENGER_GRAPH_URL": graph.url,
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
        "TELEGRAM_API_URL": botapi.base,
    }


@pytest.fixture(scope="module")
def stack(
    trained_model: Path,
    tmp_path_factory: pytest.TempPathFactory,
    graph: FakeGraph,
    botapi: FakeBotAPI,
) -> Iterator[RasaStack]:
    env = platform_env(graph, botapi)
    with rasa_stack(trained_model, tmp_path_factory.mktemp("rasa"), env) as running:
        yield running


# --- helpers -----------------------------------------------------------------------------------


def fb_post(stack: RasaStack, body: bytes, signature: str | None = "sign") -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        headers["X-Hub-Signature-256"] = p.sign(APP_SECRET, body)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return requests.post(f"{stack.url}/webhooks/messenger/webhook", data=body, headers=headers)


def fb_replies(graph: FakeGraph, psid: str, count: int) -> list[dict[str, Any]]:
    """The first ``count`` message objects sent to ``psid``, waiting for them."""
    return [c.body["message"] for c in graph.wait_for(message_to(psid), count)][:count]


def tg_post(
    stack: RasaStack, update: dict[str, Any], secret: str | None = TG_SECRET
) -> requests.Response:
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    return requests.post(f"{stack.url}/webhooks/telegram/webhook", json=update, headers=headers)


def tg_texts(botapi: FakeBotAPI, chat_id: int, count: int) -> list[dict[str, Any]]:
    calls = botapi.wait_for(
        lambda c: botapi.method(c) == "sendMessage" and str(c.body.get("chat_id")) == str(chat_id),
        count,
    )
    return [c.body for c in calls]


def menu_quick_replies(lang: str) -> list[dict[str, str]]:
    return [
        {"content_type": "text", "title": KB.title(t, lang), "payload": f"/{t}"}
        for t in KB.menu  # type: ignore[arg-type]
    ]


def test_both_webhooks_answer_the_health_check(stack: RasaStack) -> None:
    for channel in ("messenger", "telegram"):
        health = requests.get(f"{stack.url}/webhooks/{channel}/")
        assert (health.status_code, health.json()) == (200, {"status": "ok"})


# --- Messenger ---------------------------------------------------------------------------------


def test_messenger_handshake_echoes_the_challenge_only_for_the_right_verify_token(
    stack: RasaStack,
) -> None:
    url = f"{stack.url}/webhooks/messenger/webhook"
    ok = requests.get(
        url,
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": VERIFY_TOKEN,
            "hub.challenge": "1158201444",
        },
    )
    assert (ok.status_code, ok.text) == (200, "1158201444")
    wrong = requests.get(
        url, params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "x"}
    )
    no_mode = requests.get(url, params={"hub.verify_token": VERIFY_TOKEN, "hub.challenge": "x"})
    assert wrong.status_code == 403 and "x" not in wrong.text
    assert no_mode.status_code == 403


def test_messenger_english_greeting_gets_greeting_and_menu_as_quick_replies(
    stack: RasaStack, graph: FakeGraph
) -> None:
    psid = p.unique("psid-en-")
    assert fb_post(stack, p.messenger_body([p.text_event(psid, "hello")])).status_code == 200

    replies = fb_replies(graph, psid, 2)

    assert replies == [
        {"text": KB.text("greet", "en")},
        {"text": KB.text("menu_prompt", "en"), "quick_replies": menu_quick_replies("en")},
    ]
    quick = replies[1]["quick_replies"]
    assert len(quick) <= 13 and all(len(q["title"]) <= 20 for q in quick)
    assert len(graph.typing_to(psid)) == 1


def test_messenger_khmer_greeting_is_answered_in_khmer(stack: RasaStack, graph: FakeGraph) -> None:
    psid = p.unique("psid-km-")
    fb_post(stack, p.messenger_body([p.text_event(psid, "សួស្តី")]))

    replies = fb_replies(graph, psid, 2)

    assert replies[0] == {"text": KB.text("greet", "km")}
    assert replies[1]["quick_replies"] == menu_quick_replies("km")


def test_messenger_quick_reply_payload_reaches_the_bot_and_keeps_the_users_language(
    stack: RasaStack, graph: FakeGraph
) -> None:
    psid = p.unique("psid-qr-")
    fb_post(stack, p.messenger_body([p.text_event(psid, "hello")]))
    fb_replies(graph, psid, 2)

    fb_post(stack, p.messenger_body([p.quick_reply_event(psid, "Maternity", "/maternity")]))

    answer = fb_replies(graph, psid, 3)[2]
    assert answer["text"] == KB.answer("maternity", "en")
    assert all(len(q["title"]) <= 20 for q in answer["quick_replies"])


def test_messenger_get_started_postback_greets(stack: RasaStack, graph: FakeGraph) -> None:
    psid = p.unique("psid-gs-")
    fb_post(stack, p.messenger_body([p.postback_event(psid, "Get Started", "/greet")]))

    replies = fb_replies(graph, psid, 2)

    assert replies[0] == {"text": KB.text("greet", "km")}  # no text yet: Khmer, the default


def test_messenger_language_choice_arrives_as_a_button_template_with_postbacks(
    stack: RasaStack, graph: FakeGraph
) -> None:
    psid = p.unique("psid-lang-")
    fb_post(stack, p.messenger_body([p.postback_event(psid, "English / ខ្មែរ", "/language")]))

    reply = fb_replies(graph, psid, 1)[0]

    template = reply["attachment"]["payload"]
    assert template["template_type"] == "button"
    assert template["text"] == KB.text("language_prompt", "km")
    assert [(b["type"], b["title"]) for b in template["buttons"]] == [
        ("postback", "ខ្មែរ"),
        ("postback", "English"),
    ]


def test_messenger_batch_of_three_events_in_two_entries_gets_three_answers(
    stack: RasaStack, graph: FakeGraph
) -> None:
    a, b, c = (p.unique(f"psid-batch-{x}-") for x in "abc")
    body = p.messenger_body(
        [p.text_event(a, "hello"), p.echo_event(a), p.delivery_event(a)],
        [p.text_event(b, "សួស្តី"), p.read_event(b), p.quick_reply_event(c, "Pension", "/pension")],
    )

    assert fb_post(stack, body).status_code == 200

    assert fb_replies(graph, a, 2)[0] == {"text": KB.text("greet", "en")}
    assert fb_replies(graph, b, 2)[0] == {"text": KB.text("greet", "km")}
    assert fb_replies(graph, c, 1)[0]["text"] == KB.answer("pension", "km")
    # each event's typing indicator is sent (and answered) before the event goes to the bot
    assert [len(graph.typing_to(x)) for x in (a, b, c)] == [1, 1, 1]


def test_messenger_same_delivery_twice_is_answered_once(stack: RasaStack, graph: FakeGraph) -> None:
    psid = p.unique("psid-dup-")
    body = p.messenger_body([p.text_event(psid, "hello", mid="m_dup_" + psid)])

    assert fb_post(stack, body).status_code == 200
    assert fb_post(stack, body).status_code == 200
    fb_post(stack, p.messenger_body([p.text_event(psid, "thank you")]))  # sentinel

    replies = fb_replies(graph, psid, 3)
    assert replies[2] == {"text": KB.text("thanks", "en")}
    assert len(graph.typing_to(psid)) == 2
    assert len(graph.where(message_to(psid))) == 3


@pytest.mark.parametrize(
    "signature",
    [None, "sha256=" + "0" * 64, "sha1=0123456789abcdef", "sha256=", "garbage"],
    ids=["missing", "wrong", "sha1-only", "empty", "garbage"],
)
def test_messenger_missing_or_wrong_signature_is_403_and_nothing_is_processed(
    stack: RasaStack, graph: FakeGraph, signature: str | None
) -> None:
    psid = p.unique("psid-sig-")
    refused = fb_post(stack, p.messenger_body([p.text_event(psid, "hello")]), signature)
    assert refused.status_code == 403

    fb_post(stack, p.messenger_body([p.text_event(psid, "thank you")]))  # sentinel

    assert fb_replies(graph, psid, 1) == [{"text": KB.text("thanks", "en")}]
    assert len(graph.typing_to(psid)) == 1


def test_messenger_signature_of_another_body_is_refused(stack: RasaStack, graph: FakeGraph) -> None:
    psid = p.unique("psid-tamper-")
    signed = p.messenger_body([p.text_event(psid, "hello")])
    tampered = p.messenger_body([p.text_event(psid, "hello!")])
    assert fb_post(stack, tampered, p.sign(APP_SECRET, signed)).status_code == 403


def test_messenger_broken_json_and_non_page_objects_get_clear_errors(stack: RasaStack) -> None:
    assert fb_post(stack, b'{"object": "page", "entry": [').status_code == 400
    assert fb_post(stack, b'{"object": "instagram", "entry": []}').status_code == 404
    assert fb_post(stack, b'{"object": "page", "entry": "nonsense"}').status_code == 200


@pytest.mark.parametrize("make", [p.attachment_event, p.sticker_event], ids=["image", "sticker"])
def test_messenger_non_text_gets_text_only_reply_in_the_users_language(
    stack: RasaStack, graph: FakeGraph, make: Any
) -> None:
    english, new = p.unique("psid-nt-en-"), p.unique("psid-nt-new-")
    fb_post(stack, p.messenger_body([p.text_event(english, "hello")]))
    fb_replies(graph, english, 2)

    fb_post(stack, p.messenger_body([make(english), make(new)]))

    assert fb_replies(graph, english, 3)[2] == {"text": KB.text("non_text", "en")}
    assert fb_replies(graph, new, 1) == [{"text": KB.text("non_text", "km")}]


def test_messenger_send_refused_with_429_is_retried_and_delivered(
    stack: RasaStack, graph: FakeGraph
) -> None:
    psid = p.unique("psid-429-")
    graph.fail(
        message_to(psid),
        429,
        {"error": {"message": "Too many calls", "code": 613}},
        headers={"Retry-After": "1"},
    )

    fb_post(stack, p.messenger_body([p.text_event(psid, "thank you")]))

    calls = graph.wait_for(message_to(psid), 2)
    assert calls[0].body == calls[1].body
    assert calls[1].at - calls[0].at >= 0.9  # Retry-After (1 s) honoured
    assert calls[1].body["message"] == {"text": KB.text("thanks", "en")}


def test_messenger_send_failing_with_500_is_retried(stack: RasaStack, graph: FakeGraph) -> None:
    psid = p.unique("psid-500-")
    graph.fail(message_to(psid), 500, {"error": {"message": "oops", "code": 2}}, times=2)

    fb_post(stack, p.messenger_body([p.text_event(psid, "thank you")]))

    calls = graph.wait_for(message_to(psid), 3)
    assert [c.body["message"] for c in calls] == [{"text": KB.text("thanks", "en")}] * 3


def test_messenger_a_greeting_the_graph_api_refuses_for_a_while_arrives_later_whole(
    stack: RasaStack, graph: FakeGraph
) -> None:
    psid = p.unique("psid-down-")
    graph.fail(message_to(psid), 503, {"error": {"message": "down", "code": 2}}, times=4)

    fb_post(stack, p.messenger_body([p.text_event(psid, "hello")]))

    # the greeting failed its four tries; it and the menu after it wait in the outbox and go
    # out in order at the sweep after the first pause (10 s), never the menu alone
    calls = graph.wait_for(message_to(psid), 6)
    assert [c.body["message"].get("text") for c in calls[:5]] == [KB.text("greet", "en")] * 5
    assert calls[5].body["message"]["quick_replies"] == menu_quick_replies("en")


# --- Telegram ----------------------------------------------------------------------------------


def test_telegram_private_text_is_answered_with_inline_keyboard_within_limits(
    stack: RasaStack, botapi: FakeBotAPI
) -> None:
    uid = p.unique_id(500_000)
    chat, user = p.private_chat(uid), p.user(uid)

    assert tg_post(stack, p.update(p.tg_message(chat, user, "hello"))).status_code == 200

    sent = tg_texts(botapi, uid, 2)
    assert [m["text"] for m in sent] == [KB.text("greet", "en"), KB.text("menu_prompt", "en")]
    assert "reply_markup" not in sent[0] and "parse_mode" not in sent[1]
    keyboard = sent[1]["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in keyboard] == [KB.title(t, "en") for t in KB.menu]
    assert [row[0]["callback_data"] for row in keyboard] == [f"/{t}" for t in KB.menu]
    assert all(len(row[0]["callback_data"].encode()) <= 64 for row in keyboard)


def test_telegram_callback_query_is_answered_and_its_payload_reaches_the_bot(
    stack: RasaStack, botapi: FakeBotAPI
) -> None:
    uid = p.unique_id(600_000)
    chat, user = p.private_chat(uid), p.user(uid)
    upd = p.callback_update(chat, user, "/maternity")

    tg_post(stack, upd)

    sent = tg_texts(botapi, uid, 1)
    assert sent[0]["text"] == KB.answer("maternity", "km")
    answered = botapi.wait_for(
        lambda c: (
            botapi.method(c) == "answerCallbackQuery"
            and c.body.get("callback_query_id") == upd["callback_query"]["id"]
        )
    )
    assert len(answered) == 1


@pytest.mark.parametrize(
    ("command", "expected_first"),
    [
        ("/start", ("greet", "km")),
        ("/menu", ("menu_prompt", "km")),
        ("/language en", ("language_set", "en")),
    ],
)
def test_telegram_commands_reach_the_bot(
    stack: RasaStack, botapi: FakeBotAPI, command: str, expected_first: tuple[str, str]
) -> None:
    uid = p.unique_id(700_000)
    tg_post(stack, p.update(p.tg_message(p.private_chat(uid), p.user(uid), command)))

    assert tg_texts(botapi, uid, 1)[0]["text"] == KB.text(*expected_first)  # type: ignore[arg-type]


def test_telegram_same_update_twice_is_answered_once(stack: RasaStack, botapi: FakeBotAPI) -> None:
    uid = p.unique_id(800_000)
    chat, user = p.private_chat(uid), p.user(uid)
    upd = p.update(p.tg_message(chat, user, "thank you"))

    tg_post(stack, upd)
    tg_post(stack, upd)
    tg_post(stack, p.update(p.tg_message(chat, user, "thank you")))  # sentinel

    tg_texts(botapi, uid, 2)
    assert len(botapi.calls_of("sendChatAction", uid)) == 2
    assert len(botapi.calls_of("sendMessage", uid)) == 2


@pytest.mark.parametrize(
    "secret",
    [None, "wrong-secret", TG_SECRET + "x", ""],
    ids=["missing", "wrong", "longer", "empty"],
)
def test_telegram_missing_or_wrong_secret_is_403_and_nothing_is_processed(
    stack: RasaStack, botapi: FakeBotAPI, secret: str | None
) -> None:
    uid = p.unique_id(900_000)
    chat, user = p.private_chat(uid), p.user(uid)
    refused = tg_post(stack, p.update(p.tg_message(chat, user, "hello")), secret)
    assert refused.status_code == 403

    tg_post(stack, p.update(p.tg_message(chat, user, "thank you")))  # sentinel

    assert [m["text"] for m in tg_texts(botapi, uid, 1)] == [KB.text("thanks", "en")]
    assert len(botapi.calls_of("sendChatAction", uid)) == 1


def test_telegram_broken_json_and_non_updates_get_400(stack: RasaStack) -> None:
    url = f"{stack.url}/webhooks/telegram/webhook"
    headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    assert requests.post(url, data=b"{not json", headers=headers).status_code == 400
    assert requests.post(url, json=[1, 2], headers=headers).status_code == 400
    assert requests.post(url, json={"message": {}}, headers=headers).status_code == 400


def test_json_nested_70000_deep_gets_400_from_both_webhooks_not_500(stack: RasaStack) -> None:
    deep = b"[" * 70_000 + b"]" * 70_000
    assert fb_post(stack, deep).status_code == 400
    headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    url = f"{stack.url}/webhooks/telegram/webhook"
    assert requests.post(url, data=deep, headers=headers).status_code in (400, 413)
    assert requests.get(f"{stack.url}/webhooks/messenger/").status_code == 200  # still serving


def test_telegram_sticker_gets_text_only_reply_in_the_users_language(
    stack: RasaStack, botapi: FakeBotAPI
) -> None:
    uid = p.unique_id(1_100_000)
    chat = p.private_chat(uid)
    tg_post(stack, p.update(p.tg_message(chat, p.user(uid, "km"), "សួស្តី")))
    tg_texts(botapi, uid, 2)

    tg_post(stack, p.update(p.tg_message(chat, p.user(uid, "en"), sticker=p.STICKER)))

    assert tg_texts(botapi, uid, 3)[2]["text"] == KB.text("non_text", "km")


def test_telegram_group_answers_only_commands_mentions_and_replies_to_the_bot(
    stack: RasaStack, botapi: FakeBotAPI
) -> None:
    gid = -p.unique_id(1_000_000_000)
    chat = p.group_chat(gid)
    alice, bob = p.user(11), p.user(12)
    bot_message = {
        "message_id": 5,
        "date": int(time.time()),
        "chat": chat,
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "NSSF", "username": BOT_NAME},
    }
    ignored = [
        p.tg_message(chat, alice, "hello everyone"),
        p.tg_message(chat, alice, "/menu@some_other_bot"),
        p.tg_message(chat, bob, "hi @someone_else"),
        p.tg_message(chat, bob, sticker=p.STICKER),
    ]
    for message in ignored:
        assert tg_post(stack, p.update(message)).status_code == 200
    mention = p.tg_message(chat, alice, f"@{BOT_NAME} thank you")
    command = p.tg_message(chat, bob, f"/menu@{BOT_NAME}")
    reply = p.tg_message(chat, alice, "thanks", reply_to=bot_message)
    for message in (mention, command, reply):
        tg_post(stack, p.update(message))

    sent = tg_texts(botapi, gid, 3)
    # each update's chat action is sent (and answered) before the update goes to the bot
    assert len(botapi.calls_of("sendChatAction", gid)) == 3
    by_reply = {m["reply_parameters"]["message_id"]: m["text"] for m in sent}
    assert by_reply == {
        mention["message_id"]: KB.text("thanks", "en"),
        command["message_id"]: KB.text("menu_prompt", "km"),
        reply["message_id"]: KB.text("thanks", "en"),
    }


def test_telegram_group_keeps_one_conversation_per_user(
    stack: RasaStack, botapi: FakeBotAPI
) -> None:
    gid = -p.unique_id(2_000_000_000)
    chat = p.group_chat(gid)
    alice, bob = p.user(21), p.user(22)
    tg_post(stack, p.update(p.tg_message(chat, alice, f"/language@{BOT_NAME} en")))
    tg_texts(botapi, gid, 2)  # "OK, English" + menu

    tg_post(stack, p.update(p.tg_message(chat, alice, "/menu")))
    tg_texts(botapi, gid, 3)
    tg_post(stack, p.update(p.tg_message(chat, bob, "/menu")))

    sent = tg_texts(botapi, gid, 4)
    assert sent[2]["text"] == KB.text("menu_prompt", "en")  # Alice chose English
    assert sent[3]["text"] == KB.text("menu_prompt", "km")  # Bob's conversation is his own


def test_telegram_429_retry_after_is_honoured(stack: RasaStack, botapi: FakeBotAPI) -> None:
    uid = p.unique_id(1_200_000)
    botapi.fail(
        lambda c: botapi.method(c) == "sendMessage" and str(c.body.get("chat_id")) == str(uid),
        429,
        too_many_requests(1),
    )

    tg_post(stack, p.update(p.tg_message(p.private_chat(uid), p.user(uid), "thank you")))

    first, second = tg_texts(botapi, uid, 2)[:2]
    assert first["text"] == second["text"] == KB.text("thanks", "en")
    times = [c.at for c in botapi.calls_of("sendMessage", uid)]
    assert times[1] - times[0] >= 0.95


def test_rasa_server_refuses_to_start_a_channel_whose_secret_is_missing(
    trained_model: Path, tmp_path: Path
) -> None:
    creds = tmp_path / "credentials.yml"
    creds.write_text(
        "rest:\nbot.channels.messenger.MessengerInput:\n"
        "  page_access_token: ${MESSENGER_PAGE_ACCESS_TOKEN}\n"
        "  verify_token: ${MESSENGER_VERIFY_TOKEN}\n"
    )
    env = channel_env(
        tmp_path,
        {
            "MESSENGER_PAGE_ACCESS_TOKEN": PAGE_TOKEN,
            "MESSENGER_VERIFY_TOKEN": "v",
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}/webhook",
        },
    )

    done = subprocess.run(
        [
            str(BIN / "rasa"),
            "run",
            "--model",
            str(trained_model),
            "--port",
            str(free_port()),
            "--interface",
            "127.0.0.1",
            "--credentials",
            str(creds),
            "--endpoints",
            "endpoints.yml",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode != 0
    assert "refuses to start" in done.stdout + done.stderr
    assert "MESSENGER_APP_SECRET" in done.stdout + done.stderr
    assert PAGE_TOKEN not in done.stdout + done.stderr


def test_messages_accepted_just_before_a_shutdown_are_still_answered(
    trained_model: Path, tmp_path: Path, graph: FakeGraph
) -> None:
    env = {
        "MESSENGER_PAGE_ACCESS_TOKEN": PAGE_TOKEN,
        "MESSENGER_APP_SECRET": APP_SECRET,
        "MESSENGER_VERIFY_TOKEN": VERIFY_TOKEN,
        "MESSENGER_GRAPH_URL": graph.url,
    }
    senders = [p.unique("psid-shutdown-") for _ in range(3)]
    with rasa_stack(trained_model, tmp_path, env) as running:
        for psid in senders:
            body = p.messenger_body([p.text_event(psid, "hello", mid=f"m-{psid}")])
            assert fb_post(running, body).status_code == 200
        running.rasa.send_signal(signal.SIGINT)  # Ctrl-C, as `make run` stops it
        running.rasa.wait(timeout=60)

    for psid in senders:  # without the drain on shutdown none of them was answered
        assert fb_replies(graph, psid, 2)[0]["text"] == KB.text("greet", "en")


# --- logs -------------------------------------------------------------------------------------


def test_no_secret_of_either_channel_reaches_the_rasa_log(
    stack: RasaStack, graph: FakeGraph, botapi: FakeBotAPI
) -> None:
    uid, psid = p.unique_id(900_000), p.unique("psid-log-")
    assert tg_post(stack, p.update(p.tg_message(p.private_chat(uid), p.user(uid), "hi"))).ok
    assert fb_post(stack, p.messenger_body([p.text_event(psid, "hello")])).ok
    tg_texts(botapi, uid, 2)
    fb_replies(graph, psid, 2)
    log = stack.rasa_log.read_text(encoding="utf-8", errors="replace")
    assert "bot***/" in log or "/bot" not in log  # a request URL, if any is logged, is masked
    for secret in (BOT_TOKEN, TG_SECRET, PAGE_TOKEN, APP_SECRET, VERIFY_TOKEN):
        assert secret not in log


def test_a_webhook_body_over_the_limit_gets_413_before_it_is_read(stack: RasaStack) -> None:
    # only the headers are sent: a server that read the body first would never answer
    host, port = stack.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(
            b"POST /webhooks/messenger/webhook HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 5000000\r\n\r\n"
        )
        assert conn.recv(200).startswith(b"HTTP/1.1 413")
    huge = b'{"object": "page", "entry": [' + b" " * 5_000_000 + b"]}"
    assert fb_post(stack, huge).status_code == 413
    headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    url = f"{stack.url}/webhooks/telegram/webhook"
    assert requests.post(url, data=huge, headers=headers).status_code == 413
    assert requests.get(f"{stack.url}/webhooks/telegram/").status_code == 200  # still serving
