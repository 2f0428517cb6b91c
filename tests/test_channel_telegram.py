"""Unit tests of the Telegram channel: update classification (group rules, commands, callbacks),
its output channel against the fake Bot API (a real HTTP server on 127.0.0.1), and
``make telegram-setup``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot, Update, User

from bot.channels.common import utf16_len
from bot.channels.store import ChannelStore
from bot.channels.telegram import TelegramOutput
from bot.channels.telegram_updates import classify, command_payload
from tests.fakes import payloads as p
from tests.fakes.servers import BOT_USER, FakeBotAPI, too_many_requests
from tests.test_channel_common import _english_answer

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "42:unit-test-token"
ME = User(BOT_USER["id"], BOT_USER["first_name"], True, username=BOT_USER["username"])
GROUP = p.group_chat(-100123)
ALICE = p.user(11, "km")


def _classify(data: dict[str, Any], store: dict[str, str] | None = None):
    return classify(Update.de_json(data, None), ME, (store or {}).get)


@pytest.fixture
def botapi() -> Iterator[FakeBotAPI]:
    fake = FakeBotAPI(TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture
async def bot(botapi: FakeBotAPI) -> AsyncIterator[Bot]:
    client = Bot(TOKEN, base_url=f"{botapi.base}/bot")
    async with client:
        yield client


# --- classification ----------------------------------------------------------------------------


def test_private_text_goes_to_the_bot_as_is_with_the_chat_bound_to_telegram_as_sender() -> None:
    event = _classify(p.update(p.tg_message(p.private_chat(5), p.user(5), "hello")))
    assert event is not None
    assert (event.sender, event.chat_id, event.text, event.reply_to) == (
        "telegram:5",
        5,
        "hello",
        None,
    )


@pytest.mark.parametrize(
    ("text", "payload"),
    [
        ("/start", "/greet"),
        ("/help", "/help"),
        ("/menu", "/help"),
        ("/language", "/language"),
        ("/language km", '/language{"language":"km"}'),
        ("/unknown", "/help"),
    ],
)
def test_commands_map_to_bot_payloads(text: str, payload: str) -> None:
    event = _classify(p.update(p.tg_message(p.private_chat(5), p.user(5), text)))
    assert event is not None and event.text == payload


def test_command_payload_ignores_unknown_language_arguments() -> None:
    assert command_payload("language", "fr") == "/language"


@pytest.mark.parametrize(
    "text",
    ["hello everyone", "/menu@some_other_bot", "hi @someone_else", "nssf_test_bot without at"],
)
def test_group_chatter_not_addressed_to_the_bot_is_ignored(text: str) -> None:
    assert _classify(p.update(p.tg_message(GROUP, ALICE, text))) is None


def test_group_non_text_is_ignored_unless_it_replies_to_the_bot() -> None:
    bot_msg = {"message_id": 9, "date": 1, "chat": GROUP, "from": BOT_USER, "text": "menu"}
    assert _classify(p.update(p.tg_message(GROUP, ALICE, sticker=p.STICKER))) is None
    event = _classify(p.update(p.tg_message(GROUP, ALICE, reply_to=bot_msg, sticker=p.STICKER)))
    assert event is not None and event.text is None


def test_group_mention_command_and_reply_are_answered_per_chat_and_user() -> None:
    bot_msg = {"message_id": 9, "date": 1, "chat": GROUP, "from": BOT_USER, "text": "menu"}
    mention = p.tg_message(GROUP, ALICE, "@nssf_test_bot how much is maternity pay?")
    events = [
        _classify(p.update(mention)),
        _classify(p.update(p.tg_message(GROUP, ALICE, "/menu@nssf_test_bot"))),
        _classify(p.update(p.tg_message(GROUP, p.user(12), "and pension?", reply_to=bot_msg))),
    ]

    assert [(e.sender, e.text) for e in events if e] == [
        ("telegram:-100123:11", "how much is maternity pay?"),
        ("telegram:-100123:11", "/help"),
        ("telegram:-100123:12", "and pension?"),
    ]
    assert events[0] is not None and events[0].reply_to == mention["message_id"]


def test_messages_from_bots_edits_and_service_messages_are_ignored() -> None:
    chat = p.private_chat(5)
    other_bot = {"id": 99, "is_bot": True, "first_name": "Bot"}
    assert _classify(p.update(p.tg_message(chat, other_bot, "hi"))) is None
    assert _classify(p.update(edited_message=p.tg_message(chat, p.user(5), "hi"))) is None
    joined = p.tg_message(GROUP, ALICE, new_chat_members=[p.user(13)])
    assert _classify(p.update(joined)) is None


def test_private_sticker_and_photo_with_caption_are_non_text() -> None:
    chat = p.private_chat(5)
    photo = [{"file_id": "f", "file_unique_id": "u", "width": 9, "height": 9}]
    sticker = _classify(p.update(p.tg_message(chat, p.user(5), sticker=p.STICKER)))
    captioned = _classify(p.update(p.tg_message(chat, p.user(5), photo=photo, caption="សួស្តី")))
    assert sticker is not None and sticker.text is None
    assert captioned is not None and (captioned.text, captioned.visible_text) == (None, "សួស្តី")


def test_callback_query_payload_goes_to_the_bot_and_stored_keys_are_resolved() -> None:
    chat = p.private_chat(5)
    plain = _classify(p.callback_update(chat, p.user(5), "/maternity"))
    mapped = _classify(p.callback_update(chat, p.user(5), "p:abc"), {"p:abc": "/long{...}"})
    expired = _classify(p.callback_update(chat, p.user(5), "p:gone"))

    assert plain is not None and (plain.text, plain.callback_id is not None) == ("/maternity", True)
    assert mapped is not None and mapped.text == "/long{...}"
    assert expired is not None and expired.text == "/help"


# --- output ------------------------------------------------------------------------------------


async def test_5000_character_answer_is_split_under_4096_with_the_keyboard_on_the_last_part(
    bot: Bot, botapi: FakeBotAPI, tmp_path: Path
) -> None:
    text = _english_answer(5000)
    output = TelegramOutput(bot, 77, ChannelStore(tmp_path / "c.db"), "k")

    await output.send_response("77", {"text": text, "buttons": [{"title": "A", "payload": "/a"}]})

    sent = [c.body for c in botapi.calls_of("sendMessage", 77)]
    assert len(sent) == 2
    assert all(utf16_len(b["text"]) <= 4096 for b in sent)
    assert " ".join(b["text"] for b in sent).split() == text.split()
    assert "reply_markup" not in sent[0]
    assert sent[1]["reply_markup"] == {"inline_keyboard": [[{"text": "A", "callback_data": "/a"}]]}
    assert all("parse_mode" not in b for b in sent)  # plain text: nothing read as markup


async def test_long_payloads_become_short_callback_data_that_maps_back(
    bot: Bot, botapi: FakeBotAPI, tmp_path: Path
) -> None:
    store = ChannelStore(tmp_path / "c.db")
    long_payload = '/language{"language":"en","from":"' + "settings-page" * 5 + '"}'
    output = TelegramOutput(bot, 78, store, "k")

    await output.send_response(
        "78", {"text": "Pick", "buttons": [{"title": "EN", "payload": long_payload}]}
    )

    (sent,) = [c.body for c in botapi.calls_of("sendMessage", 78)]
    data = sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert len(data.encode()) <= 64
    event = _classify(
        p.callback_update(p.private_chat(78), p.user(78), data),
        {data: store.payload_for(data) or ""},
    )
    assert event is not None and event.text == long_payload


async def test_html_in_answers_is_sent_as_plain_text(
    bot: Bot, botapi: FakeBotAPI, tmp_path: Path
) -> None:
    output = TelegramOutput(bot, 79, ChannelStore(tmp_path / "c.db"), "k")
    await output.send_text_message("79", "<b>1 < 2</b> & *stars* _under_")
    (sent,) = [c.body for c in botapi.calls_of("sendMessage", 79)]
    assert sent["text"] == "<b>1 < 2</b> & *stars* _under_" and "parse_mode" not in sent


async def test_429_retry_after_is_waited_then_the_message_sent(
    bot: Bot, botapi: FakeBotAPI, tmp_path: Path
) -> None:
    botapi.fail(lambda c: botapi.method(c) == "sendMessage", 429, too_many_requests(1))
    output = TelegramOutput(bot, 80, ChannelStore(tmp_path / "c.db"), "k", delays=(0.01, 0.01))

    await output.send_text_message("80", "hello")

    calls = botapi.calls_of("sendMessage", 80)
    assert len(calls) == 2 and calls[1].at - calls[0].at >= 0.95


async def test_sending_to_a_chat_that_blocked_the_bot_is_logged_not_raised(
    bot: Bot, botapi: FakeBotAPI, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    forbidden = {
        "ok": False,
        "error_code": 403,
        "description": "Forbidden: bot was blocked by the user",
    }
    botapi.fail(lambda c: botapi.method(c) == "sendMessage", 403, forbidden)
    output = TelegramOutput(bot, 81, ChannelStore(tmp_path / "c.db"), "k", delays=(0.01,))

    await output.send_text_message("81", "private answer text")

    assert len(botapi.calls_of("sendMessage", 81)) == 1  # not retried
    assert "telegram send failed" in caplog.text and "private answer text" not in caplog.text


async def test_a_bad_request_is_not_retried(
    bot: Bot, botapi: FakeBotAPI, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bad = {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
    botapi.fail(lambda c: botapi.method(c) == "sendMessage", 400, bad)
    output = TelegramOutput(bot, 82, ChannelStore(tmp_path / "c.db"), "k", delays=(0.01, 0.01))

    await output.send_text_message("82", "hello")

    assert len(botapi.calls_of("sendMessage", 82)) == 1  # the same request would fail again
    assert "telegram send failed" in caplog.text


# --- setup -------------------------------------------------------------------------------------


def _setup(env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    return subprocess.run(
        [sys.executable, "-m", "scripts.telegram_setup"],
        cwd=ROOT,
        env={**base, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_telegram_setup_sets_webhook_with_secret_and_commands_in_english_and_khmer(
    botapi: FakeBotAPI,
) -> None:
    done = _setup(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": "hook_secret-1",
            "TELEGRAM_API_URL": botapi.base,
            "TELEGRAM_WEBHOOK_URL": "https://nssf.example.org/webhooks/telegram/webhook",
        }
    )

    assert done.returncode == 0, done.stderr
    (hook,) = botapi.calls_of("setWebhook")
    assert hook.body["url"] == "https://nssf.example.org/webhooks/telegram/webhook"
    assert hook.body["secret_token"] == "hook_secret-1"
    assert hook.body["allowed_updates"] == ["message", "callback_query"]
    commands = botapi.calls_of("setMyCommands")
    assert [c.body.get("language_code") for c in commands] == [None, "km"]
    for call in commands:
        assert [c["command"] for c in call.body["commands"]] == [
            "start",
            "menu",
            "help",
            "language",
        ]
    assert "ប្រធានបទ" in commands[1].body["commands"][1]["description"]


def test_telegram_setup_needs_the_webhook_url_and_the_secrets(botapi: FakeBotAPI) -> None:
    no_url = _setup(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": "s",
            "TELEGRAM_API_URL": botapi.base,
        }
    )
    no_secret = _setup({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": botapi.base})

    assert no_url.returncode == 2 and "TELEGRAM_WEBHOOK_URL" in no_url.stderr
    assert no_secret.returncode == 2 and "TELEGRAM_WEBHOOK_SECRET" in no_secret.stderr
    assert botapi.calls == []


def test_telegram_setup_reports_a_refused_token_without_printing_it(botapi: FakeBotAPI) -> None:
    done = _setup(
        {
            "TELEGRAM_BOT_TOKEN": "43:wrong-token",
            "TELEGRAM_WEBHOOK_SECRET": "s",
            "TELEGRAM_API_URL": botapi.base,
            "TELEGRAM_WEBHOOK_URL": "https://nssf.example.org/hook",
        }
    )
    assert done.returncode == 1 and "43:wrong-token" not in done.stderr + done.stdout
