"""On one machine the same training data gives the same model: the CI gates measure one number.

A small model is trained with the project's pipeline and the Makefile's kernel setting twice, with
one and with four TensorFlow threads, and both give every intent's confidence for every message
bit for bit. Across CPUs the rounding differs (docs/benchmarks.md, "Training noise"): that is what
the eval gates' margins are for (the Rasa image trains with the same setting: test_deployment).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

FILES = ("maternity_sickness.yml", "pension.yml", "registration.yml", "not_covered.yml")
PER_INTENT = 12
MESSAGES = (
    "how much is the maternity allowance?",
    "ខ្ញុំចង់ដឹងពី maternity leave",
    "when can I get my pension?",
    "how do I register my workers with NSSF?",
    "does nssf pay for my glasses",
)
PARSE = """
import asyncio, json, sys
from rasa.core.agent import Agent
async def main():
    agent = Agent.load(sys.argv[1])
    out = []
    for text in json.loads(sys.argv[2]):
        parsed = await agent.parse_message(text)
        out.append([(r["name"], r["confidence"]) for r in parsed["intent_ranking"]])
    print(json.dumps(out))
asyncio.run(main())
"""


def makefile_setting(name: str) -> str:
    match = re.search(rf"^export {name} := (\S+)$", (ROOT / "Makefile").read_text("utf-8"), re.M)
    assert match, f"the Makefile does not export {name}"
    return match.group(1)


def small_training_data(out: Path) -> Path:
    """A few examples of a few intents from the real training data."""
    blocks = []
    for name in FILES:
        for block in yaml.safe_load((ROOT / "data" / "nlu" / name).read_text("utf-8"))["nlu"]:
            if "intent" in block:
                lines = [x for x in block["examples"].splitlines() if x.startswith("- ")]
                examples = "\n".join(lines[:PER_INTENT]) + "\n"
                blocks.append({"intent": block["intent"], "examples": examples})
    path = out / "nlu.yml"
    path.write_text(yaml.safe_dump({"version": "3.1", "nlu": blocks}, allow_unicode=True), "utf-8")
    return path


def small_config(out: Path) -> Path:
    text = re.sub(r"epochs: \d+", "epochs: 3", (ROOT / "config.yml").read_text("utf-8"))
    path = out / "config.yml"
    path.write_text(text, "utf-8")
    return path


def confidences(tmp: Path, name: str, extra: Mapping[str, str]) -> list:
    """Train the small model with ``extra`` in the environment, then parse MESSAGES with it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", **extra}
    env["RASA_CACHE_DIRECTORY"] = str(tmp / f"cache-{name}")  # never a part trained elsewhere
    rasa = Path(sys.executable).parent / "rasa"
    train = [str(rasa), "train", "nlu", "--config", str(tmp / "config.yml")]
    train += ["--nlu", str(tmp / "nlu.yml"), "--out", str(tmp), "--fixed-model-name", name]
    done = subprocess.run(train, cwd=tmp, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    parse = [sys.executable, "-c", PARSE, str(tmp / f"{name}.tar.gz"), json.dumps(MESSAGES)]
    done = subprocess.run(parse, cwd=tmp, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("reproducible")
    small_training_data(tmp)
    small_config(tmp)
    return tmp


def test_training_twice_gives_the_same_model_whatever_the_thread_count(workdir: Path) -> None:
    setting = {"TF_ENABLE_ONEDNN_OPTS": makefile_setting("TF_ENABLE_ONEDNN_OPTS")}
    threads = ("TF_INTRA_OP_PARALLELISM_THREADS", "TF_INTER_OP_PARALLELISM_THREADS")
    one = confidences(workdir, "one-thread", {**setting, **dict.fromkeys(threads, "1")})
    four = confidences(workdir, "four-threads", {**setting, **dict.fromkeys(threads, "4")})
    assert len(one) == len(MESSAGES) and all(one)
    assert one == four  # bit for bit: every intent's confidence for every message
