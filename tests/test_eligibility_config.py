"""The eligibility check's configuration: read once from the environment, checked at start-up,
with the clock injected; and the form glue's interruption list kept equal to the dialogue rules."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal

import pytest
import yaml

from actions.forms import INTERRUPTIONS
from bot.eligibility import config
from tests.conftest import ROOT


def test_an_empty_rate_means_the_rules_data_default():
    cfg = config.from_env({"NSSF_USD_RIEL_RATE": " "})
    assert cfg.usd_riel_rate is None
    assert cfg.usd_rate(dt.date(2025, 1, 1)) == Decimal(4000)


def test_a_configured_rate_is_used():
    cfg = config.from_env({"NSSF_USD_RIEL_RATE": "4100"})
    assert cfg.usd_rate(dt.date(2025, 1, 1)) == Decimal(4100)


@pytest.mark.parametrize("raw", ["abc", "0", "-4000", "NaN", "Infinity", "4,100"])
def test_an_unusable_rate_is_refused_naming_the_variable(raw):
    with pytest.raises(config.ConfigError, match="NSSF_USD_RIEL_RATE"):
        config.from_env({"NSSF_USD_RIEL_RATE": raw})


def test_the_action_server_refuses_to_start_with_an_unusable_rate():
    env = {"PATH": "/usr/bin:/bin", "NSSF_USD_RIEL_RATE": "four thousand"}
    # the real server: were the rate accepted, it would serve until the timeout fails the test
    server = [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", "0"]
    done = subprocess.run(server, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "NSSF_USD_RIEL_RATE must be a number" in done.stderr


def test_the_clock_is_injected():
    cfg = config.EligibilityConfig(clock=lambda: dt.date(2030, 1, 2))
    assert cfg.today() == dt.date(2030, 1, 2)


def test_use_replaces_the_configuration_and_none_reads_the_environment_again(monkeypatch):
    monkeypatch.setattr(config, "_current", None)
    monkeypatch.setenv("NSSF_USD_RIEL_RATE", "4050")
    assert config.configured().usd_riel_rate == Decimal(4050)
    config.use(config.EligibilityConfig(usd_riel_rate=Decimal(3999)))
    assert config.configured().usd_riel_rate == Decimal(3999)
    config.use(None)
    assert config.configured().usd_riel_rate == Decimal(4050)


def _intents(step: dict) -> list[str]:
    if "intent" in step:
        return [step["intent"]]
    return [s["intent"] for s in step.get("or", []) if "intent" in s]


def test_the_forms_interruptions_are_the_intents_the_rules_answer_inside_a_form():
    rules = yaml.safe_load((ROOT / "data/rules/forms.yml").read_text(encoding="utf-8"))["rules"]
    answered_inside: set[str] = set()
    for rule in rules:
        loops = [c.get("active_loop") for c in rule.get("condition", []) if "active_loop" in c]
        if not loops or loops[0] is None:
            continue
        first, second = rule["steps"][0], rule["steps"][1]
        if second.get("action") != loops[0]:  # something other than the form answers it
            answered_inside.update(_intents(first))
    assert answered_inside == set(INTERRUPTIONS)
