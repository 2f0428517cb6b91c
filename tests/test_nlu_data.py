"""The NLU training data and the held-out eval set: coverage per intent and language, no overlap."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

import pytest
import yaml

from bot.language import script_of
from tests.conftest import ROOT

ACCEPTANCE = [
    "how much maternity allowance do I get?",
    "តើខ្ញុំអាចទទួលបានប្រាក់ឧបត្ថម្ភលំហែមាតុភាពប៉ុន្មាន?",
]


@cache
def examples(folder: str) -> tuple[tuple[str, str], ...]:
    out = []
    for path in sorted((ROOT / folder).rglob("*.yml")):
        for block in yaml.safe_load(path.read_text("utf-8"))["nlu"]:
            for line in block["examples"].splitlines():
                line = line.strip()
                if line.startswith("- "):
                    out.append((block["intent"], line[2:].strip()))
    return tuple(out)


def key(text: str) -> str:
    return re.sub(r"\s+", " ", text.casefold()).strip()


def domain_intents() -> list[str]:
    return yaml.safe_load((ROOT / "domain.yml").read_text("utf-8"))["intents"]


def counts(folder: str) -> Counter:
    return Counter((intent, script_of(text) or "en") for intent, text in examples(folder))


@pytest.mark.parametrize("intent", domain_intents())
def test_every_intent_has_20_training_examples_per_language(intent: str) -> None:
    c = counts("data/nlu")
    assert c[(intent, "en")] >= 20, c[(intent, "en")]
    assert c[(intent, "km")] >= 20, c[(intent, "km")]


@pytest.mark.parametrize("intent", domain_intents())
def test_every_intent_has_10_eval_examples_per_language(intent: str) -> None:
    c = counts("tests/nlu_eval")
    assert c[(intent, "en")] >= 10 and c[(intent, "km")] >= 10


def test_no_eval_message_is_in_the_training_data() -> None:
    train = {key(t) for _, t in examples("data/nlu")}
    leaked = [t for _, t in examples("tests/nlu_eval") if key(t) in train]
    assert leaked == []


def test_acceptance_questions_are_in_neither_training_nor_eval() -> None:
    seen = {key(t) for _, t in examples("data/nlu") + examples("tests/nlu_eval")}
    assert not seen & {key(a) for a in ACCEPTANCE}


def test_no_training_example_has_two_intents() -> None:
    intents_by_text: dict[str, set[str]] = {}
    for intent, text in examples("data/nlu"):
        intents_by_text.setdefault(key(text), set()).add(intent)
    assert {t: i for t, i in intents_by_text.items() if len(i) > 1} == {}


def test_data_uses_only_domain_intents() -> None:
    used = {i for i, _ in examples("data/nlu")} | {i for i, _ in examples("tests/nlu_eval")}
    assert used == set(domain_intents())


def test_out_of_scope_has_many_examples_in_both_languages() -> None:
    c = counts("data/nlu")
    assert c[("out_of_scope", "en")] >= 60 and c[("out_of_scope", "km")] >= 60
