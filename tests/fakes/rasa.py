"""A real Rasa server (with the generated credentials file) and action server on 127.0.0.1.

Started as subprocesses, exactly as ``make run`` starts them, with the conversations in a
temporary SQLite file and the channels pointed at the fake platforms by their environment.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
# Rasa's HTTP API token of the test stacks that turn the API on (deployments keep it off)
API_TOKEN = "integration-api-token"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn_rasa(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """``rasa run <args>`` in the repository, its output into ``log``."""
    with log.open("w") as out:
        return subprocess.Popen(
            [str(BIN / "rasa"), "run", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_until_healthy(url: str, proc: subprocess.Popen, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: process exited; log:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer in {seconds} s; log:\n{log.read_text()[-3000:]}")


WARM_UP = ("hello", "how much is the maternity allowance?")  # small talk, then a topic's answer


def warm_up(url: str, log: Path, seconds: float = 180.0) -> None:
    """A greeting and a topic question through Rasa and the action server before the tests
    start: the first ones of a new stack load the models, the knowledge and the answerability
    lexicon (seconds on a loaded machine), which a test of replies and their times must not pay;
    the conversation is the warm-up's own, and neither message is a gap."""
    for message in WARM_UP:
        body = {"sender": "warm-up", "message": message}
        reply = requests.post(f"{url}/webhooks/rest/webhook", json=body, timeout=seconds)
        if reply.status_code != 200 or not reply.json():
            tail = log.read_text()[-3000:]
            raise RuntimeError(f"warm-up {message!r} got {reply.status_code}; log:\n{tail}")


def channel_env(tmp: Path, extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MESSENGER_", "TELEGRAM_"))}
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="3",
        TF_ENABLE_ONEDNN_OPTS="0",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONPATH=str(ROOT),
        CHANNELS_DB_PATH=str(tmp / "channels.db"),
        TRACKER_DB_URL=f"sqlite:///{tmp / 'tracker.db'}",
    )
    env.update(extra)
    return env


def write_credentials(env: Mapping[str, str], out: Path) -> subprocess.CompletedProcess:
    """Run the real generator (``scripts/credentials.py``) with ``env``."""
    return subprocess.run(
        [sys.executable, "-m", "scripts.credentials", "--out", str(out)],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=60,
    )


@dataclass
class RasaStack:
    url: str
    env: dict[str, str]
    rasa_log: Path
    rasa: subprocess.Popen  # the Rasa server process (to stop it in a test)


@contextmanager
def rasa_stack(
    model: Path,
    tmp: Path,
    extra_env: Mapping[str, str],
    api_token: str | None = None,
    action_url: str | None = None,
) -> Iterator[RasaStack]:
    """Action server + Rasa server with the channels configured from ``extra_env``; with
    ``api_token``, Rasa's HTTP API too (``/model/parse?token=...``), which deployments keep off;
    with ``action_url``, no action server: Rasa calls that address instead (one that hangs, or
    where nothing listens)."""
    action_port, rasa_port = free_port(), free_port()
    endpoint = action_url or f"http://127.0.0.1:{action_port}/webhook"
    env = channel_env(tmp, {**extra_env, "ACTION_ENDPOINT_URL": endpoint})
    creds = tmp / "credentials.yml"
    generated = write_credentials(env, creds)
    if generated.returncode != 0:
        raise RuntimeError(f"credentials generator failed: {generated.stderr}")
    procs: list[subprocess.Popen] = []
    try:
        actions_log, rasa_log = tmp / "actions.log", tmp / "rasa.log"
        if action_url is None:
            actions = ["actions", "--actions", "actions", "--port", str(action_port)]
            procs.append(spawn_rasa(actions, env, actions_log))
        serve = ["--model", str(model), "--port", str(rasa_port), "--interface", "127.0.0.1"]
        serve += ["--credentials", str(creds), "--endpoints", "endpoints.yml"]
        serve += ["--enable-api", "--auth-token", api_token] if api_token else []
        procs.append(spawn_rasa(serve, env, rasa_log))
        if action_url is None:
            wait_until_healthy(f"http://127.0.0.1:{action_port}/health", procs[0], actions_log, 120)
        url = f"http://127.0.0.1:{rasa_port}"
        wait_until_healthy(f"{url}/", procs[-1], rasa_log, 300)
        if action_url is None:
            warm_up(url, rasa_log)
        yield RasaStack(url, env, rasa_log, procs[-1])
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
