"""Fake Graph API and Bot API: threaded HTTP servers on 127.0.0.1 recording every call.

Each fake answers like the real API for the calls the channels make, and can be told to fail
the next matching calls (``fail``), e.g. a 429 for one recipient, so tests can prove retries.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

GRAPH_VERSION = "v21.0"


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class _Fault:
    match: Callable[[Call], bool]
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int


def _decode_form(raw: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        if value[:1] in ("{", "["):
            try:
                out[key] = json.loads(value)
                continue
            except ValueError:
                pass
        out[key] = value
    return out


class FakePlatform:
    """Base of the fakes: serve, record, inject faults, wait for calls."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.base = ""

    # -- control --------------------------------------------------------------------------------
    def start(self) -> FakePlatform:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                self._serve("POST")

            def do_GET(self) -> None:  # noqa: N802
                self._serve("GET")

            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                text = raw.decode("utf-8")
                if "json" in (self.headers.get("Content-Type") or ""):
                    body = json.loads(text) if text else {}
                else:
                    body = _decode_form(text)
                call = Call(method, parts.path, dict(parse_qsl(parts.query)), body)
                status, payload, headers = fake._record_and_answer(call)
                data = json.dumps(payload).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def fail(
        self,
        match: Callable[[Call], bool],
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls matching ``match`` with this error."""
        with self._lock:
            self._faults.append(_Fault(match, status, body, headers or {}, times))

    def where(self, predicate: Callable[[Call], bool]) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if predicate(c)]

    def wait_for(
        self, predicate: Callable[[Call], bool], count: int = 1, timeout: float = 60.0
    ) -> list[Call]:
        """The matching calls once there are at least ``count``; fails after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.where(predicate)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"expected {count} matching calls, got {len(self.where(predicate))}")

    # -- serving --------------------------------------------------------------------------------
    def _record_and_answer(self, call: Call) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            self.calls.append(call)
            for fault in self._faults:
                if fault.times > 0 and fault.match(call):
                    fault.times -= 1
                    return fault.status, fault.body, fault.headers
        return self.answer(call)

    def answer(self, call: Call) -> tuple[int, dict[str, Any], dict[str, str]]:
        raise NotImplementedError


class FakeGraph(FakePlatform):
    """The Graph API: Send API (``/me/messages``) and Messenger Profile API."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self._mid = 0

    @property
    def url(self) -> str:
        return f"{self.base}/{GRAPH_VERSION}"

    def answer(self, call: Call) -> tuple[int, dict[str, Any], dict[str, str]]:
        if call.query.get("access_token") != self.token:
            error = {
                "message": "Invalid OAuth access token.",
                "type": "OAuthException",
                "code": 190,
            }
            return 400, {"error": error}, {}
        if call.path == f"/{GRAPH_VERSION}/me/messages":
            recipient = call.body.get("recipient", {}).get("id")
            if "sender_action" in call.body:
                return 200, {"recipient_id": recipient}, {}
            with self._lock:
                self._mid += 1
                mid = f"m_fake_{self._mid}"
            return 200, {"recipient_id": recipient, "message_id": mid}, {}
        if call.path == f"/{GRAPH_VERSION}/me/messenger_profile":
            return 200, {"result": "success"}, {}
        return 404, {"error": {"message": "Unknown path", "code": 803}}, {}

    # helpers for tests
    def messages_to(self, psid: str) -> list[dict[str, Any]]:
        """The ``message`` objects sent to ``psid``, typing indicators left out; every attempt is
        listed, including those the fake refused."""
        return [c.body["message"] for c in self.where(_message_to(psid))]

    def typing_to(self, psid: str) -> list[Call]:
        return self.where(
            lambda c: c.body.get("recipient", {}).get("id") == psid and "sender_action" in c.body
        )


def _message_to(psid: str) -> Callable[[Call], bool]:
    return lambda c: c.body.get("recipient", {}).get("id") == psid and "message" in c.body


def message_to(psid: str) -> Callable[[Call], bool]:
    return _message_to(psid)


BOT_USER = {
    "id": 7000001,
    "is_bot": True,
    "first_name": "NSSF assistant",
    "username": "nssf_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


class FakeBotAPI(FakePlatform):
    """The Telegram Bot API at ``/bot<token>/<method>``."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self._message_id = 1000

    def method(self, call: Call) -> str:
        return call.path.rsplit("/", 1)[-1]

    def answer(self, call: Call) -> tuple[int, dict[str, Any], dict[str, str]]:
        prefix = f"/bot{self.token}/"
        if not call.path.startswith(prefix):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}, {}
        method = self.method(call)
        if method == "getMe":
            return 200, {"ok": True, "result": BOT_USER}, {}
        if method == "sendMessage":
            with self._lock:
                self._message_id += 1
                message_id = self._message_id
            chat_id = int(call.body["chat_id"])
            result = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                "from": BOT_USER,
                "text": call.body.get("text", ""),
            }
            return 200, {"ok": True, "result": result}, {}
        if method in ("sendChatAction", "answerCallbackQuery", "setWebhook", "setMyCommands"):
            return 200, {"ok": True, "result": True}, {}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}, {}

    def calls_of(self, method: str, chat_id: int | None = None) -> list[Call]:
        return self.where(
            lambda c: (
                self.method(c) == method
                and (chat_id is None or str(c.body.get("chat_id")) == str(chat_id))
            )
        )


def too_many_requests(retry_after: int) -> dict[str, Any]:
    """The Bot API's 429 body."""
    return {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {retry_after}",
        "parameters": {"retry_after": retry_after},
    }


class HungServer:
    """An action server that accepts connections and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/webhook"
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)  # read nothing, answer nothing

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()
