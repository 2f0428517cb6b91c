"""Unit tests of what both channels share: text splitting, sending with retries, the webhook
base (de-duplication, hand-off to Rasa, background handling), the delivery store, settings and
the credentials file, the reply language of channel-written texts."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.utils.io import read_config_file
from sanic import Blueprint

from bot.channels import messenger, telegram_updates, webhook
from bot.channels.common import (
    MAX_RETRY_AFTER_S,
    LanguageMemory,
    Retry,
    parts_with_buttons,
    pseudonym,
    retry_wait,
    shorten,
    split_text,
    utf16_len,
    with_retries,
)
from bot.channels.messenger import MessengerInput
from bot.channels.settings import (
    MESSENGER_CLASS,
    TELEGRAM_CLASS,
    ChannelConfigError,
    MessengerSettings,
    TelegramSettings,
    credentials_yaml,
    enabled_channels,
)
from bot.channels.store import ChannelStore
from bot.channels.telegram import TelegramInput
from bot.channels.webhook import WebhookInput
from bot.gaps.capture import GapRecorder
from bot.knowledge import configured_knowledge
from tests.fakes.servers import FakeGraph, message_to

ROOT = Path(__file__).resolve().parent.parent

MESSENGER_ENV = {
    "MESSENGER_PAGE_ACCESS_TOKEN": "pat-1234",
    "MESSENGER_APP_SECRET": "sec-5678",
    "MESSENGER_VERIFY_TOKEN": "ver-9012",
}
TELEGRAM_ENV = {"TELEGRAM_BOT_TOKEN": "1:abc", "TELEGRAM_WEBHOOK_SECRET": "s3cret_-X"}


def _words(text: str) -> list[str]:
    return text.split()


# --- splitting ---------------------------------------------------------------------------------


def _english_answer(chars: int) -> str:
    sentence = "Workers get {n} days of sick leave paid at 60 percent of their wage. "
    parts, n = [], 0
    while sum(map(len, parts)) < chars:
        parts.append(sentence.format(n=n % 90 + 10))
        n += 1
        if n % 7 == 0:
            parts.append("\n\n")
    return "".join(parts)[:chars].rstrip() + "."


def test_5000_character_answer_splits_under_2000_at_sentence_ends_losing_nothing() -> None:
    text = _english_answer(5000)

    parts = split_text(text, 2000)

    assert len(parts) == 3
    assert all(0 < len(part) <= 2000 for part in parts)
    assert all(part[-1] == "." for part in parts)  # every cut is at a sentence end
    assert _words(" ".join(parts)) == _words(text)


def test_khmer_text_splits_after_khan_and_never_inside_a_cluster() -> None:
    sentence = "កម្មករទទួលបានប្រាក់ឧបត្ថម្ភមាតុភាព១២០ភាគរយ។ "
    text = sentence * 120

    parts = split_text(text, 2000)

    assert all(utf16_len(part) <= 2000 for part in parts)
    assert all(part.endswith("។") for part in parts)
    assert len(parts) > 1
    assert " ".join(parts) == text.strip()


def test_text_without_any_boundary_is_cut_hard_but_not_after_a_khmer_coeng() -> None:
    text = "ក្ម" * 1000  # no spaces, no sentence ends; U+17D2 joins the next consonant

    parts = split_text(text, 100)

    assert "".join(parts) == text
    assert all(len(part) <= 100 and not part.endswith("\u17d2") for part in parts)


def test_limit_counts_utf16_units_so_emoji_heavy_text_still_fits_telegram() -> None:
    text = "🙏" * 3000  # 6000 UTF-16 units

    parts = split_text(text, 4096)

    assert [utf16_len(part) for part in parts] == [4096, 1904]


def test_short_text_is_one_part_and_blank_text_none() -> None:
    assert split_text("  Hello.  ", 2000) == ["Hello."]
    assert split_text(" \n ", 2000) == []


def test_shorten_keeps_short_titles_and_marks_cut_ones() -> None:
    assert shorten("Maternity", 20) == "Maternity"
    assert shorten("Registration of an enterprise", 20) == "Registration of an…"
    assert len(shorten("x" * 50, 20)) == 20


def test_pseudonym_is_stable_keyed_and_does_not_contain_the_id() -> None:
    assert pseudonym("1234567890", "k") == pseudonym("1234567890", "k")
    assert pseudonym("1234567890", "k") != pseudonym("1234567890", "other")
    assert "1234567890" not in pseudonym("1234567890", "k")


def test_language_memory_follows_the_senders_last_language_then_the_hint_then_khmer() -> None:
    memory = LanguageMemory(max_senders=2)
    memory.note("a", "hello")
    memory.note("b", "សួស្តី")
    memory.note("a", "👍")  # no letters: keeps English

    assert memory.language("a") == "en"
    assert memory.language("b") == "km"
    assert memory.language("c") == "km"
    assert memory.language("c", hint="en") == "en"
    assert memory.language("a", text="សួស្តី") == "km"  # the message's own script wins
    memory.note("c", "hi")  # the oldest sender ("a") is forgotten
    assert memory.language("a") == "km"


# --- sending: buttons on the last part, retries ------------------------------------------------


def test_buttons_ride_on_the_last_part_only_and_on_an_ellipsis_when_there_is_no_text() -> None:
    text = _english_answer(5000)

    parts = parts_with_buttons(text, 2000, "keyboard")

    assert [buttons for _, buttons in parts] == [None, None, "keyboard"]
    assert _words(" ".join(part for part, _ in parts)) == _words(text)
    assert parts_with_buttons(" \n ", 2000, "keyboard") == [("…", "keyboard")]
    assert parts_with_buttons(" \n ", 2000, None) == []
    assert parts_with_buttons("Hello.", 2000, None) == [("Hello.", None)]


def test_retry_waits_the_backoff_delay_or_the_platforms_longer_ask_up_to_ten_seconds() -> None:
    assert retry_wait(0.5) == 0.5
    assert retry_wait(2.0, 1.0) == 2.0
    assert retry_wait(0.5, 3.0) == 3.0
    assert retry_wait(0.5, 120.0) == MAX_RETRY_AFTER_S == 10.0


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The seconds each ``asyncio.sleep`` was asked for; nothing really waits."""
    asked: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:
        asked.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    return asked


def _attempts(*outcomes: str):
    it = iter(outcomes)

    async def attempt() -> str:
        return next(it)

    return attempt


def _transient(outcome: str) -> Retry | None:
    return {"busy": Retry(), "slow down": Retry(after=5.0)}.get(outcome)


async def test_transient_failures_are_retried_after_each_delay_then_the_last_one_returned(
    waits: list[float],
) -> None:
    attempt = _attempts("busy", "slow down", "busy", "busy", "never tried")

    outcome, attempts = await with_retries(attempt, _transient, (0.5, 1.0, 2.0))

    assert (outcome, attempts) == ("busy", 4)
    assert waits == [0.5, 5.0, 2.0]  # the platform asked for 5 s instead of the 1 s backoff


async def test_a_success_or_a_permanent_failure_ends_the_retries_at_once(
    waits: list[float],
) -> None:
    assert await with_retries(_attempts("busy", "sent"), _transient, (0.5, 1.0)) == ("sent", 2)
    assert await with_retries(_attempts("refused", "sent"), _transient, (0.5,)) == ("refused", 1)
    assert await with_retries(_attempts("busy", "sent"), _transient, ()) == ("busy", 1)
    assert waits == [0.5]


# --- the webhook base --------------------------------------------------------------------------


class _Webhook(WebhookInput):
    CHANNEL = "unit"

    def add_routes(self, hook: Blueprint, on_new_message: object) -> None:
        """No platform routes: only the base's health route and listener."""


class _OtherWebhook(WebhookInput):
    CHANNEL = "other"


class _Rasa:
    """Collects what a channel hands to Rasa, and replies "ok" as the bot would."""

    def __init__(self) -> None:
        self.received: list[UserMessage] = []

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        await message.output_channel.send_response(message.sender_id, {"text": "ok"})


def test_deliveries_are_remembered_per_channel_in_a_store_opened_on_first_use(
    tmp_path: Path,
) -> None:
    path = tmp_path / "var" / "channels.db"
    channel = _Webhook(str(path), "log-key")
    assert not path.parent.exists()

    assert channel.first_delivery("m_1") is True
    assert channel.first_delivery("m_1") is False
    assert _OtherWebhook(str(path), "log-key", store=channel.store).first_delivery("m_1") is True
    assert channel.store.first_delivery("unit:m_1") is False


def test_log_ids_are_keyed_hashes() -> None:
    channel = _Webhook(":memory:", "log-key")
    assert channel.log_id(1234567) == pseudonym("1234567", "log-key")


async def test_a_text_goes_to_rasa_with_the_channel_name_and_message_id() -> None:
    channel, output, rasa = _Webhook(":memory:", "k"), CollectingOutputChannel(), _Rasa()
    event = messenger.Incoming("u1", "m_1", "/pension", visible_text="Pension")

    await channel.hand_off(event, output, rasa, "m_1")

    (message,) = rasa.received
    assert (message.text, message.sender_id, message.input_channel, message.message_id) == (
        "/pension",
        "u1",
        "unit",
        "m_1",
    )
    assert message.output_channel.inner is output  # watched for silence (bot.channels.watchdog)
    assert output.messages == [{"recipient_id": "u1", "text": "ok"}]
    assert channel.languages.language("u1") == "en"  # from what the user saw they sent


@pytest.mark.parametrize(
    ("caption", "earlier", "hint", "lang"),
    [
        (None, None, None, "km"),
        (None, None, "en", "en"),
        (None, "hello", "km", "en"),  # the sender's last language before the platform's hint
        ("សួស្តី", "hello", "en", "km"),  # a caption's own script first
    ],
)
async def test_a_message_without_text_gets_the_text_only_reply_in_the_users_language(
    caption: str | None, earlier: str | None, hint: str | None, lang: str
) -> None:
    channel, output, rasa = _Webhook(":memory:", "k"), CollectingOutputChannel(), _Rasa()
    if earlier:
        channel.languages.note("5", earlier)
    event = telegram_updates.Incoming("5", 5, None, visible_text=caption, language_hint=hint)

    await channel.hand_off(event, output, rasa, "9", language_hint=hint)

    assert rasa.received == []
    text = configured_knowledge().text("non_text", lang)
    assert output.messages == [{"recipient_id": "5", "text": text}]


class _BrokenRasa:
    """Rasa failing on every message (its tracker store down, say)."""

    async def __call__(self, message: UserMessage) -> None:
        raise RuntimeError("tracker store unavailable")


class _DeafOutput(CollectingOutputChannel):
    """An output channel whose platform refuses every message."""

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: object) -> None:
        raise ConnectionError("platform down")


@pytest.mark.parametrize(
    ("text", "lang"), [("how much is maternity pay? call 012 345 678", "en"), ("ប្រាក់មាតុភាព", "km")]
)
async def test_a_message_the_bot_fails_on_gets_an_apology_in_the_users_language(
    text: str, lang: str
) -> None:
    channel, output = _Webhook(":memory:", "k"), CollectingOutputChannel()
    event = messenger.Incoming("u9", "m_9", text, visible_text=text)

    with pytest.raises(RuntimeError, match="tracker store unavailable"):
        await channel.hand_off(event, output, _BrokenRasa(), "m_9")

    apology = configured_knowledge().text("handling_failed", lang)
    assert output.messages == [{"recipient_id": "u9", "text": apology}]
    assert "1286" in apology


async def test_an_apology_the_platform_refuses_is_logged_and_the_failure_still_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    channel = _Webhook(":memory:", "k")
    event = messenger.Incoming("u9", "m_9", "my phone is 012 345 678", visible_text=None)

    with pytest.raises(RuntimeError, match="tracker store unavailable"):
        await channel.hand_off(event, _DeafOutput(), _BrokenRasa(), "m_9")

    assert "apology not delivered" in caplog.text
    assert "012 345 678" not in caplog.text and "u9" not in caplog.text


async def test_messenger_event_the_bot_fails_on_is_apologised_for_through_the_graph_api(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    graph = FakeGraph("tok").start()
    try:
        settings = MessengerSettings("tok", "secret", "verify", graph.url, str(tmp_path / "c.db"))
        channel = MessengerInput(settings)
        events = [messenger.Incoming("psid-1", "m_1", "សួស្តី", visible_text="សួស្តី")]

        await channel.handle(events, _BrokenRasa())

        sent = [c.body["message"] for c in graph.wait_for(message_to("psid-1"), 1)]
        assert sent == [{"text": configured_knowledge().text("handling_failed", "km")}]
        assert "messenger event failed" in caplog.text and "psid-1" not in caplog.text
    finally:
        graph.stop()


async def test_shutdown_waits_for_accepted_events_registered_as_a_server_listener() -> None:
    channel = _Webhook(":memory:", "k")
    hook = channel.blueprint(_Rasa())
    listeners = {
        (future.listener, future.event) for future in getattr(hook, "_future_listeners", [])
    }
    assert (channel.drain_before_stop, "before_server_stop") in listeners

    done: list[str] = []

    async def slow() -> None:
        await asyncio.sleep(0.05)
        done.append("answered")

    channel.schedule(slow())
    await channel.drain_before_stop(None, None)

    assert done == ["answered"]


async def test_shutdown_gives_up_on_an_event_that_never_finishes(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(webhook, "DRAIN_TIMEOUT_S", 0.05)
    channel = _Webhook(":memory:", "k")
    stuck = asyncio.Event()
    channel.schedule(stuck.wait())

    await channel.drain_before_stop(None, None)

    assert "1 event(s) unfinished at shutdown" in caplog.text
    stuck.set()
    await channel.drain()


async def test_handling_runs_in_the_background_and_drain_waits_for_all_of_it() -> None:
    channel = _Webhook(":memory:", "k")
    release = asyncio.Event()
    done: list[int] = []

    async def work(n: int) -> None:
        await release.wait()
        done.append(n)
        if n == 1:
            channel.schedule(work(2))  # arrives while draining

    async def fail() -> None:
        raise RuntimeError("one event failed")

    channel.schedule(work(1))
    channel.schedule(fail())
    assert done == []  # scheduling does not wait

    release.set()
    await channel.drain()

    assert done == [1, 2]


# --- store -------------------------------------------------------------------------------------


def test_store_remembers_a_delivery_across_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "var" / "channels.db"
    first = ChannelStore(path)
    assert first.first_delivery("messenger:m_1") is True
    assert first.first_delivery("messenger:m_1") is False
    first.close()

    restarted = ChannelStore(path)

    assert restarted.first_delivery("messenger:m_1") is False
    assert restarted.first_delivery("messenger:m_2") is True


def test_store_forgets_deliveries_and_payloads_after_they_expire(tmp_path: Path) -> None:
    now = [1000.0]
    store = ChannelStore(tmp_path / "c.db", ttl_s=60, clock=lambda: now[0])
    store.first_delivery("telegram:1")
    key = store.payload_key("/language" + "x" * 100)

    now[0] += 61

    assert store.first_delivery("telegram:1") is True
    assert store.payload_for(key) is None


def test_store_maps_long_payloads_to_short_stable_keys(tmp_path: Path) -> None:
    store = ChannelStore(tmp_path / "c.db")
    payload = '/language{"language":"en","source":"' + "x" * 80 + '"}'

    key = store.payload_key(payload)

    assert len(key.encode()) <= 64 and key.startswith("p:")
    assert store.payload_key(payload) == key
    assert store.payload_for(key) == payload
    assert store.payload_for("p:unknown") is None


# --- settings and the credentials file ---------------------------------------------------------


def test_no_channel_settings_enable_only_rest() -> None:
    assert enabled_channels({}) == []
    body = credentials_yaml({})
    assert re.findall(r"^\S+:", body, re.M) == ["rest:"]


def test_complete_settings_enable_channels_with_references_not_secrets() -> None:
    env = {**MESSENGER_ENV, **TELEGRAM_ENV, "TELEGRAM_API_URL": "http://127.0.0.1:1"}

    body = credentials_yaml(env)

    assert enabled_channels(env) == [MESSENGER_CLASS, TELEGRAM_CLASS]
    for value in env.values():
        assert value not in body
    assert "  app_secret: ${MESSENGER_APP_SECRET}" in body
    assert "  api_url: ${TELEGRAM_API_URL}" in body
    assert "graph_url" not in body  # unset optional settings are left out (Rasa refuses them)


def test_rasa_expands_the_generated_file_into_the_channels_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {**MESSENGER_ENV, **TELEGRAM_ENV}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "credentials.yml"
    path.write_text(credentials_yaml(env))

    creds = read_config_file(path)

    assert set(creds) == {"rest", MESSENGER_CLASS, TELEGRAM_CLASS}
    messenger = MessengerInput.from_credentials(creds[MESSENGER_CLASS]).settings
    telegram = TelegramInput.from_credentials(creds[TELEGRAM_CLASS]).settings
    assert (messenger.app_secret, messenger.graph_url) == (
        "sec-5678",
        MessengerSettings.graph_url,
    )
    assert (telegram.bot_token, telegram.webhook_secret) == ("1:abc", "s3cret_-X")


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"MESSENGER_PAGE_ACCESS_TOKEN": "t"}, "MESSENGER_APP_SECRET, MESSENGER_VERIFY_TOKEN"),
        ({**MESSENGER_ENV, "MESSENGER_APP_SECRET": " "}, "MESSENGER_APP_SECRET"),
        ({"TELEGRAM_BOT_TOKEN": "1:abc"}, "TELEGRAM_WEBHOOK_SECRET"),
        ({"TELEGRAM_WEBHOOK_SECRET": "abc"}, "TELEGRAM_BOT_TOKEN"),
    ],
)
def test_partly_configured_channel_is_refused_naming_the_missing_variable(
    env: dict[str, str], missing: str
) -> None:
    with pytest.raises(ChannelConfigError, match=f"{missing} missing"):
        credentials_yaml(env)


def test_invalid_channel_settings_are_refused() -> None:
    with pytest.raises(ChannelConfigError, match="TELEGRAM_WEBHOOK_SECRET must be"):
        enabled_channels({"TELEGRAM_BOT_TOKEN": "1:a", "TELEGRAM_WEBHOOK_SECRET": "has space"})
    with pytest.raises(ChannelConfigError, match="MESSENGER_GRAPH_URL must start"):
        enabled_channels({**MESSENGER_ENV, "MESSENGER_GRAPH_URL": "graph.facebook.com"})


@pytest.mark.parametrize(
    ("channel", "credentials", "missing"),
    [
        (MessengerInput, None, "MESSENGER_PAGE_ACCESS_TOKEN, MESSENGER_APP_SECRET"),
        (MessengerInput, {"page_access_token": "t", "verify_token": "v"}, "MESSENGER_APP_SECRET"),
        (MessengerInput, {"page_access_token": "t", "app_secret": "s"}, "MESSENGER_VERIFY_TOKEN"),
        (TelegramInput, {"bot_token": "1:a"}, "TELEGRAM_WEBHOOK_SECRET"),
        (TelegramInput, {"webhook_secret": "abc"}, "TELEGRAM_BOT_TOKEN"),
    ],
)
def test_channel_with_a_missing_secret_refuses_to_start(
    channel: type, credentials: dict | None, missing: str
) -> None:
    with pytest.raises(ChannelConfigError, match=f"refuses to start.*{missing}"):
        channel.from_credentials(credentials)


def _run_generator(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scripts.credentials", "--out", str(tmp_path / "c.yml")],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_generator_script_writes_the_file_and_names_the_enabled_channels(tmp_path: Path) -> None:
    done = _run_generator(tmp_path, TELEGRAM_ENV)

    assert done.returncode == 0, done.stderr
    assert "enables rest, telegram" in done.stdout
    assert TELEGRAM_CLASS in (tmp_path / "c.yml").read_text()


def test_generator_script_exits_non_zero_naming_the_missing_secret(tmp_path: Path) -> None:
    done = _run_generator(tmp_path, {"MESSENGER_PAGE_ACCESS_TOKEN": "token-value"})

    assert done.returncode == 2
    assert "MESSENGER_APP_SECRET" in done.stderr and "token-value" not in done.stderr
    assert not (tmp_path / "c.yml").exists()


def test_telegram_settings_build_the_bot_api_base_url() -> None:
    settings = TelegramSettings.from_env({**TELEGRAM_ENV, "TELEGRAM_API_URL": "http://x:1/"})
    assert settings.bot_base_url == "http://x:1/bot"


class _HungRasa:
    """Rasa waiting for an action server that does not answer, until ``release`` is set."""

    def __init__(self) -> None:
        self.release = asyncio.Event()

    async def __call__(self, message: UserMessage) -> None:
        await self.release.wait()
        await message.output_channel.send_response(message.sender_id, {"text": "late answer"})


class _SignallingOutput(CollectingOutputChannel):
    """Collects messages and says when the first one came."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = asyncio.Event()

    async def _persist_message(self, message: dict[str, Any]) -> None:
        await super()._persist_message(message)
        self.sent.set()


class _SilentRasa:
    """Rasa whose action server is down: the message is handled and nothing is said."""

    async def __call__(self, message: UserMessage) -> None:
        return None


async def test_a_hung_bot_gets_an_apology_in_time_and_the_late_answer_still_arrives(
    recorder: GapRecorder,
) -> None:
    channel, output, rasa = _Webhook(":memory:", "k"), _SignallingOutput(), _HungRasa()
    channel.apology_after_s = 0.05
    event = messenger.Incoming("u7", "m_7", "ប្រាក់មាតុភាព", visible_text="ប្រាក់មាតុភាព")
    handling = asyncio.ensure_future(channel.hand_off(event, output, rasa, "m_7"))
    await asyncio.wait_for(output.sent.wait(), 5)  # the apology, while the bot still hangs
    assert output.messages == [
        {"recipient_id": "u7", "text": configured_knowledge().text("handling_failed", "km")}
    ]
    rasa.release.set()
    await handling
    assert output.messages[-1]["text"] == "late answer"
    recorder.flush()
    assert [(r.text, r.reason) for r in recorder.store.list()] == [("ប្រាក់មាតុភាព", "bot_error")]


async def test_a_bot_that_says_nothing_gets_an_apology_and_a_bot_error_gap(
    recorder: GapRecorder,
) -> None:
    channel, output = _Webhook(":memory:", "k"), CollectingOutputChannel()
    event = messenger.Incoming("u8", "m_8", "how much is maternity pay?")
    await channel.hand_off(event, output, _SilentRasa(), "m_8")
    assert output.messages == [
        {"recipient_id": "u8", "text": configured_knowledge().text("handling_failed", "en")}
    ]
    recorder.flush()
    assert [(r.reason, r.channel) for r in recorder.store.list()] == [("bot_error", "unit")]


async def test_one_conversations_messages_are_handled_in_arrival_order_others_meanwhile() -> None:
    channel = _Webhook(":memory:", "k")
    first_may_finish = asyncio.Event()
    handled: list[str] = []

    other_done = asyncio.Event()

    async def job(name: str, wait: asyncio.Event | None = None) -> None:
        if wait is not None:
            await wait.wait()  # a slow typing indicator, say
        handled.append(name)
        if name == "b1":
            other_done.set()

    channel.schedule_for("telegram:1", lambda: job("a1", first_may_finish))
    channel.schedule_for("telegram:1", lambda: job("a2"))
    channel.schedule_for("telegram:2", lambda: job("b1"))
    await asyncio.wait_for(other_done.wait(), 5)  # another conversation is not held up
    assert handled == ["b1"]  # a2 waits for a1, however long a1 takes
    first_may_finish.set()
    assert await channel.drain(5)
    assert handled == ["b1", "a1", "a2"]


async def test_a_failing_job_does_not_stop_the_conversations_next_messages(
    caplog: pytest.LogCaptureFixture,
) -> None:
    channel = _Webhook(":memory:", "k")
    handled: list[str] = []

    async def broken() -> None:
        raise RuntimeError("boom")

    async def fine() -> None:
        handled.append("next")

    channel.schedule_for("messenger:9", broken)
    channel.schedule_for("messenger:9", fine)
    assert await channel.drain(5)
    assert handled == ["next"] and "event failed" in caplog.text


async def test_the_number_of_waiting_events_is_bounded() -> None:
    channel = _Webhook(":memory:", "k")
    channel.max_pending = 2
    release = asyncio.Event()

    async def job() -> None:
        await release.wait()

    channel.schedule_for("telegram:1", job)
    assert not channel.overloaded()
    channel.schedule_for("telegram:2", job)
    assert channel.overloaded()  # the webhook now answers 503 with Retry-After
    assert channel.busy().status == 503 and channel.busy().headers["Retry-After"] == "5"
    release.set()
    assert await channel.drain(5)
    assert not channel.overloaded()
