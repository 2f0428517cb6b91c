"""Masking of personal data before anything is stored or logged, and pseudonymous senders."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.unresolved import ActionUnresolved
from bot.gaps.capture import GapRecorder
from bot.gaps.redaction import conversation_key, mask
from bot.gaps.store import GapStore
from bot.language import khmer_digits_to_ascii
from tests.conftest import ROOT
from tests.factories import tracker
from tests.gaps_support import TEST_KEY

CORPUS = yaml.safe_load((ROOT / "tests/data/pii_corpus.yml").read_text("utf-8"))


def _digits(text: str) -> str:
    return re.sub(r"\D", "", khmer_digits_to_ascii(text))


# What the store itself writes: timestamps and hex ids (uids, keyed hashes). Their digits are
# random; read together with their neighbours' they once formed a phone number's digits by chance.
_GENERATED = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}:\d{2})?|\b[0-9a-f]{12,}\b"
)
# One number as a person writes it: digits with the separators people put between them.
_NUMBER = re.compile(r"\d(?:[\d \t().,/_\-\u00a0\u2009\u202f]*\d)?")


def leaks(entry: dict, text: str) -> list[str]:
    """The secrets of a corpus entry found in ``text``: as typed, or as the same digits within
    one written number (not across unrelated numbers, nor in timestamps and hex ids)."""
    found = [s for s in entry["secrets"] if s in text]
    numbers = [_digits(m.group()) for m in _NUMBER.finditer(_GENERATED.sub(" ", text))]
    digits = {s: _digits(s) for s in entry["secrets"]}
    found += [
        s
        for s, d in digits.items()
        if s not in found and len(d) >= 6 and any(d in n for n in numbers)
    ]
    return found


def test_the_leak_check_finds_a_number_however_written_but_not_in_generated_values() -> None:
    entry = {"secrets": ["012 888 999"]}
    for text in ("call 012 888 999", "(012) 888-999", "0128 88999", "០១២ ៨៨៨ ៩៩៩", "012.888.999"):
        assert leaks(entry, text) == ["012 888 999"], text
    generated = "2026-12-04 21:38:48.012888 | 9f012888999e0b7c | 2026-12-04T21:38:49.999000"
    assert leaks(entry, generated) == []
    assert leaks(entry, "12, 888 | 999") == []  # separate values


def test_the_corpus_has_at_least_50_messages_in_english_khmer_and_mixed() -> None:
    khmer = [e for e in CORPUS if re.search("[\u1780-\u17ff]", e["text"])]
    mixed = [e for e in khmer if re.search("[A-Za-z]", e["text"])]
    assert len(CORPUS) >= 50
    assert len(CORPUS) - len(khmer) >= 20 and len(khmer) >= 12 and len(mixed) >= 6


@pytest.mark.parametrize("entry", CORPUS, ids=[e["text"][:40] for e in CORPUS])
def test_personal_data_is_replaced_by_typed_placeholders(entry: dict) -> None:
    masked = mask(entry["text"])
    assert leaks(entry, masked) == []
    for placeholder in entry["placeholders"]:
        assert f"<{placeholder}>" in masked
    for kept in entry.get("keep", []):
        assert kept in masked


@pytest.mark.parametrize(
    "text",
    [
        "how much maternity pay do i get",
        "call 1286 for help",
        "I paid 50000 riel in 2024",
        "ខ្ញុំមានផ្ទៃពោះ ៧ ខែ តើបានប្រាក់ប៉ុន្មាន",
        "my wife is 7 months pregnant",
        "contribution rate 2.6% from 1 October 2024",
        "my health card expired 2 days ago",
        "I am pregnant and I am 25 years old",
        "I'm a garment worker, I am not registered",
        "ខ្ញុំជាកម្មករ ធ្វើការនៅរោងចក្រ",
        "ខ្ញុំជាម្ចាស់ហាង មានបុគ្គលិក ១០ នាក់",
        "I was born in 1990, when can I retire?",
        "the salary is 1,000,000 riel, 2,000,000 riel next year",
        "Instruction 015/25 and form 1.01",
    ],
)
def test_text_without_personal_data_is_unchanged(text: str) -> None:
    assert mask(text) == text


async def test_nothing_personal_reaches_the_store_the_spool_or_the_logs(
    recorder: GapRecorder,
    sqlite_store: GapStore,
    caplog: pytest.LogCaptureFixture,
    small_kb: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    for number, entry in enumerate(CORPUS):
        t = tracker(entry["text"], "out_of_scope", sender=f"+85512{number:06d}")
        await ActionUnresolved().run(CollectingDispatcher(), t, {})
    recorder.flush()
    records = sqlite_store.list()
    assert len(records) == len(CORPUS)
    stored = {r.text: r for r in records}
    for entry in CORPUS:
        masked = mask(entry["text"])
        assert masked in stored
        assert leaks(entry, masked) == []
    with sqlite_store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM gaps"))
        dump = "\n".join(" | ".join(map(str, row)) for row in rows)
    logs = "\n".join(r.getMessage() for r in caplog.records)
    spool = sqlite_store.spool.path.read_text("utf-8") if sqlite_store.spool.pending() else ""
    for entry in CORPUS:
        assert leaks(entry, dump) == [], entry["text"]
        assert leaks(entry, logs) == [], entry["text"]
        assert leaks(entry, spool) == []
    assert "+85512" not in dump and "+85512" not in logs  # raw sender ids never stored


def test_pseudonyms_are_stable_for_one_key_and_differ_across_keys() -> None:
    one = conversation_key("+85512345678", b"key-one")
    assert one == conversation_key("+85512345678", b"key-one")
    assert one != conversation_key("+85512345678", b"key-two")
    assert one != conversation_key("+85512345679", b"key-one")
    assert "85512345678" not in one and len(one) == 32


def test_recorded_conversation_keys_are_the_hmac_of_the_sender(
    recorder: GapRecorder,
) -> None:
    record = recorder.build(
        sender_id="telegram-998877", text="hi", reason="out_of_scope", language="en", channel="x"
    )
    assert record.conversation == conversation_key("telegram-998877", TEST_KEY)


def test_a_conversation_key_needs_a_secret() -> None:
    with pytest.raises(ValueError):
        conversation_key("someone", b"")
