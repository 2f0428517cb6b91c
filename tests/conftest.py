"""Shared fixtures. Every test runs offline: a guard fails any connection beyond loopback."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# the gap store's fixtures (store, sqlite_store, recorder, small_kb) for every test module
pytest_plugins = ("tests.gaps_support",)
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_local(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    if not isinstance(address, tuple) or not address:
        return False
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded(real):
    def connect(self: socket.socket, address: object):
        if not _is_local(address):
            raise ConnectionRefusedError(
                f"test tried to reach {address!r}: tests stay on 127.0.0.1"
            )
        return real(self, address)

    return connect


# Where the code writes by default (var/gaps.db, the HMAC key file, var/channels.db): tests never
# touch a developer's data. Tests that need a store of their own pass it explicitly.
_ISOLATED = {
    "DATABASE_URL": "sqlite:///{dir}/gaps.db",
    "GAPS_SPOOL_FILE": "{dir}/gaps-spool.jsonl",
    "GAPS_HMAC_KEY": "test-only-pseudonym-key",
    "CHANNELS_DB_PATH": "{dir}/channels.db",
}


@pytest.fixture(autouse=True, scope="session")
def isolated_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point the default database, spool, key and channel store at a temporary directory."""
    state = tmp_path_factory.mktemp("state")
    saved = {name: os.environ.get(name) for name in _ISOLATED}
    os.environ.update({name: value.format(dir=state) for name, value in _ISOLATED.items()})
    yield state
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse every network connection that does not go to loopback."""
    monkeypatch.setattr(socket.socket, "connect", _guarded(_real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded(_real_connect_ex))


@pytest.fixture(autouse=True)
def fresh_groupings() -> Iterator[None]:
    """No test finds a gap grouping another test left (bot.gaps.grouping keeps the last few)."""
    from bot.gaps import grouping

    grouping.forget()
    yield
    grouping.forget()


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model `make train` built (passed as NSSF_MODEL by `make unit`/`make test`)."""
    path = os.environ.get("NSSF_MODEL")
    if not path or not (ROOT / path).is_file():
        pytest.fail("integration tests need a trained model: run `make unit` or `make test`")
    return ROOT / path


@pytest.fixture(scope="module")
def gap_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of a module's gap store (database and spool)."""
    return tmp_path_factory.mktemp("gaps")


@pytest.fixture(scope="module")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory, gap_db: Path):
    """A real action server and Rasa server with the trained model, writing gaps to ``gap_db``,
    with Rasa's HTTP API on (``tests.fakes.rasa.API_TOKEN``) for ``/model/parse``."""
    from tests.fakes.rasa import API_TOKEN, rasa_stack

    env = {
        "DATABASE_URL": f"sqlite:///{gap_db / 'gaps.db'}",
        "GAPS_SPOOL_FILE": str(gap_db / "spool.jsonl"),
        # the key of this process too: the web app and the servers pseudonymise alike, as the
        # services of one deployment do
        "GAPS_HMAC_KEY": os.environ["GAPS_HMAC_KEY"],
    }
    with rasa_stack(trained_model, tmp_path_factory.mktemp("rasa"), env, API_TOKEN) as running:
        yield running
