"""Fault injection on a real stack: ``make faults`` (``python -m scripts.faults``).

Each fault runs against a real Rasa server with the trained model, the real action server and
the Messenger and Telegram channels talking to fake Graph API / Bot API servers on 127.0.0.1
(``tests/fakes``); the fuzz run also drives the web chat (``python -m bot.web``). Per fault it
counts the user messages sent and how each ended: **answered** (the user got a reply other than
the apology), **apologised** (the "please send it again" apology, in time), **lost** (nothing
after the deadline: must be 0), and the webhook or chat responses with a **5xx** status (must be
0; the 503 with ``Retry-After`` of back-pressure is not provoked here). ``--write`` puts the table
in ``docs/reliability.md``.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bot.knowledge import get_knowledge
from tests.fakes import payloads as p
from tests.fakes.rasa import ROOT, RasaStack, free_port, rasa_stack, wait_until_healthy
from tests.fakes.servers import FakeBotAPI, FakeGraph, HungServer

KB = get_knowledge()
APOLOGIES = {KB.text("handling_failed", "en"), KB.text("handling_failed", "km")}
APP_SECRET, VERIFY, PAGE_TOKEN = "faults-app-secret", "faults-verify", "faults-page-token"
BOT_TOKEN, TG_SECRET = "555:faults-bot-token", "faults_webhook_secret"
MESSAGES = (
    "hello",
    "សួស្តី",
    "how much is maternity benefit",
    "តើប្រាក់មាតុភាពប៉ុន្មាន",
    "ខ្ញុំចង់ដឹងពី maternity leave",
    "sok sabay te",
    "does nssf pay for my glasses",
    "what documents to register my company",
    "thank you",
    "I had an accident on the way to work",
)
DEADLINE_S = 90.0
MARK = ("<!-- faults:start -->", "<!-- faults:end -->")


@dataclass
class Tally:
    fault: str
    sent: int = 0
    answered: int = 0
    apologised: int = 0
    lost: int = 0
    server_errors: int = 0
    note: str = ""

    def row(self) -> str:
        return (
            f"| {self.fault} | {self.sent} | {self.answered} | {self.apologised} | "
            f"{self.lost} | {self.server_errors} | {self.note} |"
        )


class Platforms:
    """Both fake platforms, and what each user was sent."""

    def __init__(self) -> None:
        self.graph, self.botapi = FakeGraph(PAGE_TOKEN), FakeBotAPI(BOT_TOKEN)
        self.graph.start()
        self.botapi.start()

    def env(self) -> dict[str, str]:
        return {
            "MESSENGER_PAGE_ACCESS_TOKEN": PAGE_TOKEN,
            "MESSENGER_APP_SECRET": APP_SECRET,
            "MESSENGER_VERIFY_TOKEN": VERIFY,
            "MESSENGER_GRAPH_URL": self.graph.url,
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
            "TELEGRAM_API_URL": self.botapi.base,
        }

    def texts(self, user: str) -> list[str]:
        if user.startswith("tg"):
            calls = self.botapi.calls_of("sendMessage", int(user[2:]))
            return [str(c.body.get("text")) for c in calls]
        return [str(m.get("text")) for m in self.graph.messages_to(user)]

    def stop(self) -> None:
        self.graph.stop()
        self.botapi.stop()


def post(stack: RasaStack, user: str, text: str, tally: Tally, mid: str | None = None) -> None:
    """One user message through the user's channel (``tg<id>``: Telegram, else Messenger)."""
    if user.startswith("tg"):
        uid = int(user[2:])
        update = p.update(p.tg_message(p.private_chat(uid), p.user(uid), text))
        response = requests.post(
            f"{stack.url}/webhooks/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
            timeout=30,
        )
    else:
        body = p.messenger_body([p.text_event(user, text, mid=mid or p.unique("mid-"))])
        headers = {"X-Hub-Signature-256": p.sign(APP_SECRET, body)}
        headers["Content-Type"] = "application/json"
        response = requests.post(
            f"{stack.url}/webhooks/messenger/webhook", data=body, headers=headers, timeout=30
        )
    tally.sent += 1
    tally.server_errors += response.status_code >= 500


def users(n: int) -> list[str]:
    return [p.unique("psid-f-") if i % 2 else f"tg{p.unique_id(800_000)}" for i in range(n)]


def settle(
    platforms: Platforms, who: list[str], tally: Tally, answered: Callable[[str], bool]
) -> None:
    """Wait (at most :data:`DEADLINE_S`) until each user got an answer or the apology."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if all(platforms.texts(u) for u in who) and all(
            answered(u) or set(platforms.texts(u)) <= APOLOGIES for u in who
        ):
            break
        time.sleep(0.2)
    for user in who:
        texts = platforms.texts(user)
        if answered(user):
            tally.answered += 1
        elif texts and set(texts) <= APOLOGIES:
            tally.apologised += 1
        else:
            tally.lost += 1


def got_reply(platforms: Platforms) -> Callable[[str], bool]:
    return lambda user: any(t not in APOLOGIES for t in platforms.texts(user))


def simple(platforms: Platforms, model: Path, fault: str, n: int, **stack: Any) -> Tally:
    """``n`` users, one message each, on a stack set up with ``stack`` (see rasa_stack)."""
    tally = Tally(fault)
    before: Callable[[RasaStack], None] = stack.pop("before", lambda _: None)
    with (
        tempfile.TemporaryDirectory() as tmp,
        rasa_stack(
            model, Path(tmp), {**platforms.env(), **stack.pop("env", {})}, **stack
        ) as running,
    ):
        before(running)
        who = users(n)
        for i, user in enumerate(who):
            post(running, user, MESSAGES[i % len(MESSAGES)], tally)
        settle(platforms, who, tally, got_reply(platforms))
        if "GAPS_SPOOL_FILE" in running.env:
            gaps = Path(running.env["GAPS_SPOOL_FILE"])
            questions = gaps.with_name("questions-spool.jsonl")
            deadline = time.monotonic() + 60  # the writer thread spools them meanwhile
            while lines(questions) < tally.sent and time.monotonic() < deadline:
                time.sleep(0.2)
            tally.note = (
                f"kept in the spools: {lines(gaps)} gap record(s), "
                f"{lines(questions)} question-log entries"
            )
    return tally


def lines(path: Path) -> int:
    return len(path.read_text("utf-8").splitlines()) if path.exists() else 0


def drop_tracker_table(stack: RasaStack) -> None:
    with sqlite3.connect(stack.env["TRACKER_DB_URL"].removeprefix("sqlite:///")) as db:
        db.execute("DROP TABLE events")


def killed(platforms: Platforms, model: Path, n: int) -> Tally:
    tally = Tally("Rasa killed (SIGKILL) with messages in flight, then restarted")
    hung = HungServer()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**platforms.env(), "CHANNEL_INBOX_LEASE_S": "2"}
        who = users(n)
        with rasa_stack(model, Path(tmp), env, action_url=hung.url) as first:
            for i, user in enumerate(who):
                post(first, user, MESSAGES[i % len(MESSAGES)], tally)
            first.rasa.send_signal(signal.SIGKILL)
            first.rasa.wait(timeout=60)
        hung.close()
        with rasa_stack(model, Path(tmp), env):
            settle(platforms, who, tally, got_reply(platforms))
    return tally


def duplicates(platforms: Platforms, model: Path, n: int) -> Tally:
    tally = Tally("each delivery twice; Telegram updates out of order")
    greet = KB.text("greet", "en")
    with tempfile.TemporaryDirectory() as tmp, rasa_stack(model, Path(tmp), platforms.env()) as s:
        who = [p.unique("psid-dup-") for _ in range(n // 2)]
        for user in who:
            mid = p.unique("mid-dup-")
            post(s, user, "hello", tally, mid=mid)
            post(s, user, "hello", tally, mid=mid)  # the platform's retry
            tally.sent -= 1  # one user message
        chats = [p.unique_id(850_000) for _ in range(n - len(who))]
        for chat in chats:  # the later update first
            for offset, text in ((1, "thank you"), (0, "hello")):
                update = p.update(p.tg_message(p.private_chat(chat), p.user(chat), text))
                update["update_id"] += 1000 + offset
                response = requests.post(
                    f"{s.url}/webhooks/telegram/webhook",
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
                    timeout=30,
                )
                tally.sent += 1
                tally.server_errors += response.status_code >= 500
        tg = [f"tg{c}" for c in chats]
        expected = {greet, KB.text("thanks", "en")}
        seen = Tally("")
        settle(platforms, who + tg, seen, lambda u: greet in platforms.texts(u))
        twice = sum(platforms.texts(u).count(greet) > 1 for u in who)
        both = sum(expected <= set(platforms.texts(u)) for u in tg)
        once = sum(greet in platforms.texts(u) for u in who)
        tally.answered = once + 2 * both  # a Telegram chat sent two messages
        tally.lost = tally.sent - tally.answered
        tally.note = f"{twice} answered twice; {both}/{len(tg)} chats got both answers"
    return tally


def fuzzed_bodies(rng: random.Random) -> Iterator[tuple[str, bytes, dict[str, str]]]:
    """Endlessly: (channel, body, headers) of a fuzzed webhook or chat request."""
    while True:
        kind = rng.randrange(8)
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
        if kind == 0:
            yield "messenger", junk, {"X-Hub-Signature-256": p.sign(APP_SECRET, junk)}
        elif kind == 1:
            body = b'{"object": "page", "entry": [' * rng.randrange(1, 50)
            yield "messenger", body, {"X-Hub-Signature-256": p.sign(APP_SECRET, body)}
        elif kind == 2:
            yield "messenger", junk, {"X-Hub-Signature-256": "sha256=" + "0" * 64}
        elif kind == 3:
            yield "telegram", junk, {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
        elif kind == 4:
            yield (
                "telegram",
                b'{"update_id": "x", "message": 5}',
                {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
            )
        elif kind == 5:
            yield "chat", junk, {"Content-Type": "application/json"}
        elif kind == 6:
            body = f'{{"sender": {rng.randrange(10)}, "message": [1, {{"a": null}}]}}'.encode()
            yield "chat", body, {"Content-Type": "application/json"}
        else:
            yield (
                "telegram",
                b'{"update_id": 1, "message": {"chat": []}}',
                {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
            )


def weird_text(rng: random.Random) -> str:
    pieces = [
        "\x00",
        "👶🏽",
        "ប.ស.ស.",
        "\u200b",
        "\u202e",
        "maternity",
        "\ufeff",
        "%s%n",
        "😀" * 30,
    ]
    text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 12)))
    return text + ("x" * rng.choice((0, 0, 3000, 9990)))


@contextmanager
def web_chat(rasa_url: str, tmp: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "RASA_URL": rasa_url, "WEB_PORT": str(port), "WEB_HOST": "127.0.0.1"}
    env["DATABASE_URL"] = f"sqlite:///{tmp / 'web-gaps.db'}"
    log = tmp / "web.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.web"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}/chat", proc, log, 120)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def fuzz(platforms: Platforms, model: Path, count: int, valid: int) -> Tally:
    tally = Tally(f"{count:,} fuzzed webhook and chat requests")
    rng = random.Random(1286)
    refused = 0
    with (
        tempfile.TemporaryDirectory() as tmp,
        rasa_stack(model, Path(tmp), platforms.env()) as s,
        web_chat(s.url, Path(tmp)) as web,
    ):
        urls = {
            "messenger": f"{s.url}/webhooks/messenger/webhook",
            "telegram": f"{s.url}/webhooks/telegram/webhook",
            "chat": f"{web}/chat/api/message",
        }
        session = requests.Session()
        bodies = fuzzed_bodies(rng)
        for _ in range(count - valid):
            channel, body, headers = next(bodies)
            response = session.post(urls[channel], data=body, headers=headers, timeout=30)
            refused += 400 <= response.status_code < 500
            tally.server_errors += response.status_code >= 500
        who = users(valid)
        fuzz_tally = Tally("")
        for user in who:
            post(s, user, weird_text(rng), fuzz_tally)
        tally.server_errors += fuzz_tally.server_errors
        settle(platforms, who, tally, got_reply(platforms))
        chat_answered = 0
        for n in range(20):
            response = session.post(
                urls["chat"],
                json={"sender": f"tab{n}", "message": weird_text(rng)[:500]},
                timeout=60,
            )
            tally.server_errors += response.status_code >= 500
            chat_answered += response.ok and bool(response.json())
        tally.sent = count
        tally.note = (
            f"{refused:,} refused with a 4xx; {valid} valid odd messages on the webhooks and "
            f"20 on the web chat ({chat_answered} answered at once)"
        )
        tally.answered += chat_answered
        tally.lost += 20 - chat_answered
    return tally


def table(tallies: list[Tally]) -> str:
    head = "| fault | messages | answered | apologised | lost | 5xx | notes |\n" + "|---" * 7 + "|"
    return "\n".join([head, *(t.row() for t in tallies)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--fuzz", type=int, default=10_000)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    platforms = Platforms()
    model, n = args.model, args.users
    gap_dir = Path(tempfile.mkdtemp())
    try:
        tallies = [
            simple(platforms, model, "none (the baseline)", n),
            simple(platforms, model, "action server hung", n, action_url=HungServer().url),
            simple(
                platforms,
                model,
                "action server down",
                n,
                action_url=f"http://127.0.0.1:{free_port()}/webhook",
            ),
            simple(platforms, model, "tracker database gone", n, before=drop_tracker_table),
            simple(
                platforms,
                model,
                "gap database down",
                n,
                env={
                    "DATABASE_URL": f"postgresql://x:y@127.0.0.1:{free_port()}/gaps",
                    "GAPS_SPOOL_FILE": str(gap_dir / "spool.jsonl"),
                },
            ),
            killed(platforms, model, n),
            duplicates(platforms, model, n),
            fuzz(platforms, model, args.fuzz, valid=n * 5),
        ]
    finally:
        platforms.stop()
    out = table(tallies)
    print(out)
    if args.write:
        text = args.write.read_text("utf-8")
        start, end = text.index(MARK[0]) + len(MARK[0]), text.index(MARK[1])
        args.write.write_text(f"{text[:start]}\n{out}\n{text[end:]}", "utf-8")
    if any(t.lost or t.server_errors for t in tallies):
        sys.exit(1)


if __name__ == "__main__":
    main()
