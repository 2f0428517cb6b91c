"""Reply latency through the Messenger and Telegram channels, with a real Rasa server.

    python -m scripts.bench_channels --model models/nssf-<hash>.tar.gz [--messages 20]

Starts the action server and ``rasa run`` on 127.0.0.1 (as the integration tests do) with the
channels pointed at the fake Graph API and Bot API servers, then sends messages one at a time and
measures, per message, the time from the webhook POST to the last reply arriving at the fake
platform, and the webhook's own response time. Prints median, p95 and max.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import requests

from tests.fakes import payloads as p
from tests.fakes.rasa import rasa_stack
from tests.fakes.servers import FakeBotAPI, FakeGraph, message_to

SECRET, PAGE, BOT, TG_SECRET = "bench-secret", "bench-page-token", "1:bench", "bench_secret"


def _summary(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (
        f"{name:<28} median {statistics.median(ordered) * 1000:7.0f} ms   "
        f"p95 {p95 * 1000:7.0f} ms   max {ordered[-1] * 1000:7.0f} ms   (n={len(ordered)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--messages", type=int, default=20)
    args = parser.parse_args()
    graph, botapi = FakeGraph(PAGE).start(), FakeBotAPI(BOT).start()
    env = {
        "MESSENGER_PAGE_ACCESS_TOKEN": PAGE,
        "MESSENGER_APP_SECRET": SECRET,
        "MESSENGER_VERIFY_TOKEN": "v",
        "MESSENGER_GRAPH_URL": graph.url,
        "TELEGRAM_BOT_TOKEN": BOT,
        "TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
        "TELEGRAM_API_URL": botapi.base,
    }
    texts = ["hello", "how much maternity pay can i receive", "សួស្តី", "thank you"]
    fb_reply, fb_ack, tg_reply, tg_ack = [], [], [], []
    with (
        tempfile.TemporaryDirectory() as tmp,
        rasa_stack(args.model.resolve(), Path(tmp), env) as s,
    ):
        for i in range(args.messages):
            text = texts[i % len(texts)]
            psid = f"bench-{i}"
            body = p.messenger_body([p.text_event(psid, text)])
            start = time.monotonic()
            resp = requests.post(
                f"{s.url}/webhooks/messenger/webhook",
                data=body,
                headers={"X-Hub-Signature-256": p.sign(SECRET, body)},
            )
            fb_ack.append(time.monotonic() - start)
            resp.raise_for_status()
            graph.wait_for(message_to(psid), 1)
            time.sleep(0.3)  # let the remaining messages of the reply arrive
            fb_reply.append(graph.where(message_to(psid))[-1].at - start)

            uid = 10_000 + i
            upd = p.update(p.tg_message(p.private_chat(uid), p.user(uid), text))
            start = time.monotonic()
            resp = requests.post(
                f"{s.url}/webhooks/telegram/webhook",
                json=upd,
                headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
            )
            tg_ack.append(time.monotonic() - start)
            resp.raise_for_status()
            botapi.wait_for(
                lambda c, u=uid: (
                    str(c.body.get("chat_id")) == str(u) and botapi.method(c) == "sendMessage"
                )
            )
            time.sleep(0.3)
            tg_reply.append(botapi.calls_of("sendMessage", uid)[-1].at - start)
    print(_summary("messenger webhook answer", fb_ack))
    print(_summary("messenger last reply sent", fb_reply))
    print(_summary("telegram webhook answer", tg_ack))
    print(_summary("telegram last reply sent", tg_reply))
    graph.stop()
    botapi.stop()


if __name__ == "__main__":
    main()
