"""A real Rasa server and action server with the trained model reply to blind eval messages as
``bot.answerability.route`` says they do: the scorer of ``make eval`` measures the bot itself.
Also, end to end: the honest partial answer records a ``not_covered`` gap with its aspect, and a
romanized-Khmer question is answered in Khmer script with an English button."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
import requests

from bot.answerability.lexicon import configured_lexicon
from bot.answerability.route import Outcome, route
from bot.gaps.store import GapStore
from bot.knowledge import load_knowledge
from bot.language import detect_language
from scripts.answer_eval import load_messages
from tests.fakes.rasa import API_TOKEN, RasaStack

KB = load_knowledge()
ANSWERS = {key: topic.answers for key, topic in KB.topics.items()}
SAMPLE = [m for i, (m, _) in enumerate(load_messages()) if i % 12 == 0]


def parse(stack: RasaStack, text: str) -> dict:
    response = requests.post(
        f"{stack.url}/model/parse",
        params={"token": API_TOKEN},
        json={"text": text},
        timeout=60,
    )
    response.raise_for_status()
    return response.json()


def say(stack: RasaStack, sender: str, text: str) -> list[dict]:
    response = requests.post(
        f"{stack.url}/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        timeout=60,
    )
    response.raise_for_status()
    return response.json()


def kind_of(replies: list[dict], lang: str) -> tuple[str, str | None]:
    """What the bot did, read from its replies."""
    texts = [r.get("text") or "" for r in replies]
    topics = [t for t in KB.topics if KB.answer(t, lang) in texts]  # type: ignore[arg-type]
    first = texts[0] if texts else ""
    partial = KB.text("partial", lang).split("{")[0]  # type: ignore[arg-type]
    if first.startswith(partial) and topics:
        return "partial", topics[0]
    if topics:
        return "answer", topics[0]
    for key, kind in (
        ("not_covered", "not_covered"),
        ("not_covered_general", "not_covered"),
        ("ask_back", "ask_back"),
        ("not_answered", "ask_back"),
        ("out_of_scope", "out_of_scope"),
    ):
        head = KB.text(key, lang).split("{")[0]  # type: ignore[arg-type]
        if first.startswith(head):
            return kind, None
    return "other", None


def expected_kind(outcome: Outcome) -> str:
    if outcome.kind in ("check", "calculator"):
        return "other"  # a form's question or a result
    return outcome.kind


@pytest.mark.parametrize("message", SAMPLE, ids=[m.source for m in SAMPLE])
def test_the_real_bot_does_what_the_scorer_says(stack: RasaStack, message) -> None:
    parsed = parse(stack, message.text)
    ranking = [(i["name"], float(i["confidence"])) for i in parsed["intent_ranking"]]
    entities = {e["entity"]: e["value"] for e in parsed.get("entities") or []}
    outcome = route(message.text, ranking, ANSWERS, dt.date.today(), entities)
    lang = detect_language(message.text) or "km"
    kind, topic = kind_of(say(stack, f"route-{message.source}", message.text), lang)
    assert kind == expected_kind(outcome), (outcome, kind, topic)
    if outcome.kind in ("answer", "partial"):
        assert topic == outcome.topic


def test_a_province_question_gets_an_honest_reply_and_a_gap_with_its_aspect(
    stack: RasaStack, gap_db: Path
) -> None:
    replies = say(stack, "partial-1", "Which hospitals in Kampot accept the NSSF card?")
    label = configured_lexicon().aspects["local_facility"].label["en"]
    title = KB.title("health_care", "en")
    honest = {
        KB.text("partial", "en", aspect=label, topic=title),  # what it knows, said to be partial
        KB.text("not_covered", "en", aspect=label),  # or: it cannot answer that yet
    }
    assert replies[0]["text"] in honest
    if replies[0]["text"].startswith(KB.text("partial", "en").split("{")[0]):
        assert replies[1]["text"] == KB.answer("health_care", "en")
    store = GapStore(f"sqlite:///{gap_db / 'gaps.db'}", gap_db / "spool.jsonl")
    deadline = dt.datetime.now() + dt.timedelta(seconds=60)
    records = []
    while not records and dt.datetime.now() < deadline:  # the writer is off the reply's path
        records = [r for r in store.list() if "Kampot" in r.text]
        time.sleep(0.05)
    assert [(r.reason, r.aspect) for r in records] == [("not_covered", "local_facility")]


def test_romanized_khmer_is_answered_in_khmer_script_with_an_english_button(
    stack: RasaStack,
) -> None:
    replies = say(stack, "romanized-1", "knhom chong deng pi prak samrak chhoeu ban ponman")
    assert detect_language(replies[0]["text"]) == "km"
    payloads = [b["payload"] for r in replies for b in r.get("buttons") or []]
    assert '/language{"language":"en"}' in payloads
