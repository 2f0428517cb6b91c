"""The aiohttp application of the web chat: the chat page, a JSON proxy to Rasa, and a health check.

Routes:

- ``GET /`` redirects to ``/chat``.
- ``GET /chat`` serves the chat page; its CSS and JS are under ``/chat/static/``.
- ``POST /chat/api/message`` validates ``{"sender", "message"}`` and forwards it to Rasa's REST
  channel (``{RASA_URL}/webhooks/rest/webhook``); Rasa's list of messages is returned unchanged,
  except that no reply at all becomes the "please send it again" apology, and no reply within
  ``WEB_RASA_TIMEOUT`` (8 s) a 502 with a bilingual error; both are recorded as gaps with reason
  ``bot_error`` (:mod:`bot.web.failures`).
  More than ``WEB_RATE_PER_CONVERSATION`` messages a minute from one conversation, or
  ``WEB_RATE_PER_ADDRESS`` from one address, get a 429 with ``Retry-After``
  (:mod:`bot.web.rate_limit`).
- ``POST /chat/api/notifications`` ``{"sender"}``: the answers kept for this conversation (it
  asked to be told; :mod:`bot.web.notify`), as Rasa messages; the page asks at each visit.
- ``GET /healthz`` answers ``{"status": "ok"}``; with ``?deep=1`` it also asks Rasa.
- ``/staff/...`` and ``GET /api/gaps``: the staff dashboard of knowledge gaps and its JSON API, when
  a gap store is given (see :mod:`bot.web.staff`).

Errors of the API are JSON ``{"error": "<English> / <Khmer>"}``, never a traceback. One log line is
written per request; it never contains what the user wrote.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.gaps.capture import hmac_key
from bot.gaps.store import GapStore
from bot.knowledge import configured_knowledge
from bot.language import reply_language
from bot.web import chat_identity, notify
from bot.web import staff as staff_dashboard
from bot.web.failures import FailureLog
from bot.web.rate_limit import RateLimiter
from bot.web.settings import WebSettings

log = logging.getLogger("bot.web")

STATIC_DIR = Path(__file__).resolve().parent / "static"
API_PREFIX = "/chat/api/"

SETTINGS_KEY = web.AppKey("settings", WebSettings)
SESSION_KEY = web.AppKey("rasa_session", aiohttp.ClientSession)
LIMITS_KEY = web.AppKey("rate_limits", tuple)  # (per conversation, per address)
CHAT_SECRET_KEY = web.AppKey("chat_secret", bytes)
FAILURES_KEY = web.AppKey("failures", FailureLog)
# Per-request notes (sizes, Rasa's outcome) appended to the request's log line; never user text.
_LOG_NOTES = "bot.web.log_notes"

SENDER_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
DEEP_HEALTH_TIMEOUT_S = 5.0

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

# Every error a user may see is bilingual: English first, then Khmer.
ERR_NOT_JSON = "The request body is not valid JSON. / ខ្លឹមសារនៃសំណើមិនមែនជា JSON ត្រឹមត្រូវទេ។"
ERR_NOT_OBJECT = "The request must be a JSON object. / សំណើត្រូវតែជាវត្ថុ JSON។"
ERR_FIELD = (
    "The field '{name}' is required and must be text. / ត្រូវការវាល '{name}' ហើយវាត្រូវតែជាអត្ថបទ។"
)
ERR_SENDER = (
    "The sender id must be 1 to 64 letters, digits, '_' or '-'. Please reload the page. / "
    "លេខសម្គាល់អ្នកផ្ញើត្រូវមានពី 1 ដល់ 64 តួ (អក្សរ លេខ '_' ឬ '-')។ សូមផ្ទុកទំព័រឡើងវិញ។"
)
ERR_EMPTY = "Please type a message before sending. / សូមវាយសារមុននឹងផ្ញើ។"
ERR_TOO_LONG = (
    "Your message is too long. Please keep it to {limit} characters or fewer. / "
    "សាររបស់អ្នកវែងពេក។ សូមសរសេរមិនឲ្យលើសពី {limit} តួអក្សរ។"
)
ERR_UNAVAILABLE = (
    "The assistant is not available right now. Please try again in a minute. / "
    "ជំនួយការមិនអាចឆ្លើយតបបាននៅពេលនេះទេ។ សូមព្យាយាមម្តងទៀតក្នុងរយៈពេលមួយនាទីទៀត។"
)
ERR_TOO_MANY = (
    "Too many messages at once. Please wait {seconds} seconds and send it again. / "
    "សារច្រើនពេកក្នុងពេលតែមួយ។ សូមរង់ចាំ {seconds} វិនាទី ហើយផ្ញើម្តងទៀត។"
)
ERR_INTERNAL = (
    "Something went wrong on our side. Please try again. / មានបញ្ហាកើតឡើងនៅខាងយើង។ សូមព្យាយាមម្តងទៀត។"
)


class RasaUnavailable(Exception):
    """Rasa could not give a usable answer; the message is a short reason safe to log."""


def _dumps(obj: object) -> str:
    # Keep Khmer readable in responses (UTF-8) instead of \uXXXX escapes.
    return json.dumps(obj, ensure_ascii=False)


def _json(obj: object, status: int = 200) -> web.Response:
    return web.json_response(
        obj, status=status, dumps=_dumps, headers={"Cache-Control": "no-store"}
    )


def _error(status: int, message: str) -> web.Response:
    return _json({"error": message}, status=status)


def _note(request: web.Request, **notes: object) -> None:
    request.setdefault(_LOG_NOTES, {}).update(notes)


# --- middlewares and signals -------------------------------------------------------------------


@web.middleware
async def _log_requests(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Write one line per request: method, path (no query), status, duration and safe notes."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        elapsed_ms = (time.perf_counter() - started) * 1000
        # raw_path keeps percent-escapes, so no control characters can reach the log.
        path = request.raw_path.split("?", 1)[0][:200]
        notes = " ".join(f"{k}={v}" for k, v in request.get(_LOG_NOTES, {}).items())
        level = logging.WARNING if status >= 500 else logging.INFO
        line = f"{request.method} {path} {status} {elapsed_ms:.0f}ms {notes}".rstrip()
        log.log(level, "%s", line)


@web.middleware
async def _handle_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Turn every failure into a clean response: JSON under the API, never a traceback."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if request.path.startswith(API_PREFIX) and exc.status >= 400:
            response = _error(exc.status, exc.reason)
            if "Allow" in exc.headers:
                response.headers["Allow"] = exc.headers["Allow"]
            return response
        raise
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        # Only the exception type and code locations are logged: exception messages may quote data.
        frames = "".join(traceback.format_tb(exc.__traceback__)).rstrip()
        log.error(
            "unhandled %s on %s %s\n%s",
            type(exc).__name__,
            request.method,
            request.raw_path,
            frames,
        )
        if request.path.startswith(API_PREFIX):
            return _error(500, ERR_INTERNAL)
        return web.Response(status=500, text=ERR_INTERNAL)


async def _add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


async def _rasa_session(app: web.Application) -> AsyncIterator[None]:
    """Own the HTTP client used to talk to Rasa for the lifetime of the app."""
    settings = app[SETTINGS_KEY]
    timeout = aiohttp.ClientTimeout(total=settings.rasa_timeout_s)
    async with aiohttp.ClientSession(timeout=timeout, raise_for_status=False) as session:
        app[SESSION_KEY] = session
        yield


# --- handlers ----------------------------------------------------------------------------------


async def index(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/chat")


async def chat_page(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(
        STATIC_DIR / "index.html",
        headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache"},
    )


async def _read_payload(request: web.Request) -> tuple[str, str] | web.Response:
    """Return ``(sender, message)`` or the error response explaining what is wrong."""
    settings = request.app[SETTINGS_KEY]
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _error(413, ERR_TOO_LONG.format(limit=settings.max_message_chars))
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: nested too deep
        return _error(400, ERR_NOT_JSON)
    if not isinstance(data, dict):
        return _error(400, ERR_NOT_OBJECT)
    for name in ("sender", "message"):
        if not isinstance(data.get(name), str):
            return _error(400, ERR_FIELD.format(name=name))
    sender, message = data["sender"], data["message"]
    _note(request, chars=len(message))
    if not SENDER_RE.fullmatch(sender):
        return _error(400, ERR_SENDER)
    if not message.strip():
        return _error(400, ERR_EMPTY)
    if len(message) > settings.max_message_chars:
        return _error(413, ERR_TOO_LONG.format(limit=settings.max_message_chars))
    return sender, message


async def _ask_rasa(app: web.Application, conversation: str, message: str) -> list[Any]:
    """Send one user message to Rasa's REST channel and return its list of bot messages."""
    url = f"{app[SETTINGS_KEY].rasa_url}/webhooks/rest/webhook"
    try:
        async with app[SESSION_KEY].post(
            url, json={"sender": conversation, "message": message}
        ) as resp:
            if resp.status != 200:
                raise RasaUnavailable(f"status-{resp.status}")
            body = await resp.read()
    except asyncio.TimeoutError:
        raise RasaUnavailable("timeout") from None
    except aiohttp.ClientError as exc:
        raise RasaUnavailable(type(exc).__name__) from None
    try:
        replies = json.loads(body)
    except ValueError:
        raise RasaUnavailable("not-json") from None
    if not isinstance(replies, list):
        raise RasaUnavailable("not-a-list")
    return replies


async def post_message(request: web.Request) -> web.Response:
    payload = await _read_payload(request)
    if isinstance(payload, web.Response):
        return payload
    sender, message = payload
    # the conversation is the server's: its cookie token with the page's tab id (chat_identity)
    token = request.cookies.get(chat_identity.CHAT_COOKIE, "")
    new_token = "" if chat_identity.valid(token) else chat_identity.issue()
    secret = request.app[CHAT_SECRET_KEY]
    conversation = chat_identity.conversation(secret, new_token or token, sender)
    per_conversation, per_address = request.app[LIMITS_KEY]
    wait = max(
        per_address.wait_s(request.remote or "unknown"), per_conversation.wait_s(conversation)
    )
    if wait:
        _note(request, rate_limited=wait)
        refused = _error(429, ERR_TOO_MANY.format(seconds=wait))
        refused.headers["Retry-After"] = str(wait)
        return refused
    try:
        replies = await _ask_rasa(request.app, conversation, message)
    except RasaUnavailable as exc:
        _note(request, rasa=str(exc))
        _record_failure(request.app, conversation, message)
        return _error(502, ERR_UNAVAILABLE)
    if not replies:  # the bot said nothing (its action server down): never silence
        _note(request, rasa="empty")
        _record_failure(request.app, conversation, message)
        lang = reply_language(message)
        replies = [
            {
                "recipient_id": conversation,
                "text": configured_knowledge().text("handling_failed", lang),
            }
        ]
    _note(request, rasa="ok", replies=len(replies))
    response = _json(replies)
    if new_token:
        response.set_cookie(
            chat_identity.CHAT_COOKIE,
            new_token,
            httponly=True,
            samesite="Strict",
            secure=request.app[SETTINGS_KEY].secure_cookie,
            path="/chat",
            max_age=chat_identity.COOKIE_DAYS * 24 * 3600,
        )
    return response


async def kept_notifications(request: web.Request) -> web.Response:
    """What is kept for this browser tab's conversation (answers to questions it asked to be
    told about); nothing without the chat cookie."""
    try:
        body = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        return _error(400, ERR_NOT_JSON)
    sender = body.get("sender") if isinstance(body, dict) else None
    token = request.cookies.get(chat_identity.CHAT_COOKIE, "")
    if not isinstance(sender, str) or not SENDER_RE.fullmatch(sender):
        return _error(400, ERR_SENDER)
    if not chat_identity.valid(token):
        return _json([])
    conversation = chat_identity.conversation(request.app[CHAT_SECRET_KEY], token, sender)
    messages = await notify.kept_for(request.app, conversation)
    _note(request, notifications=len(messages))
    return _json(messages)


async def _load_chat_secret(app: web.Application) -> None:
    """The web chat's secret, derived from the gap store's key when the app starts."""
    app[CHAT_SECRET_KEY] = chat_identity.chat_secret(hmac_key())


def _record_failure(app: web.Application, conversation: str, message: str) -> None:
    if FAILURES_KEY in app:
        app[FAILURES_KEY].record(conversation, message)


async def healthz(request: web.Request) -> web.Response:
    """Liveness; with ``?deep=1`` also readiness of Rasa (``GET {RASA_URL}/``), else 503."""
    if request.query.get("deep", "").lower() not in {"1", "true", "yes"}:
        return _json({"status": "ok"})
    settings = request.app[SETTINGS_KEY]
    timeout = aiohttp.ClientTimeout(total=min(DEEP_HEALTH_TIMEOUT_S, settings.rasa_timeout_s))
    try:
        async with request.app[SESSION_KEY].get(f"{settings.rasa_url}/", timeout=timeout) as resp:
            text = (await resp.text(errors="replace")).strip()[:100]
            if resp.status == 200 and text.startswith("Hello from Rasa"):
                return _json({"status": "ok", "rasa": text})
            reason = f"Rasa answered {resp.status} {text!r}"
    except asyncio.TimeoutError:
        reason = "Rasa did not answer in time"
    except aiohttp.ClientError as exc:
        reason = f"Rasa unreachable ({type(exc).__name__})"
    _note(request, rasa="unavailable")
    return _json({"status": "unavailable", "reason": reason}, status=503)


# --- factory -----------------------------------------------------------------------------------


def create_app(
    settings: WebSettings,
    gaps: GapStore | None = None,
    staff: staff_dashboard.StaffSettings | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> web.Application:
    """Build the web chat application (with the staff dashboard when ``gaps`` is given);
    nothing is opened until the app starts."""
    # Enough for a maximal message even if every character is JSON-escaped (\\uXXXX), plus slack;
    # bigger bodies get the same friendly 413 as a too-long message.
    max_body = max(64 * 1024, settings.max_message_chars * 12 + 4096)
    app = web.Application(middlewares=[_log_requests, _handle_errors], client_max_size=max_body)
    app[SETTINGS_KEY] = settings
    app[LIMITS_KEY] = (
        RateLimiter(settings.rate_per_conversation, clock),
        RateLimiter(settings.rate_per_address, clock),
    )
    app.cleanup_ctx.append(_rasa_session)
    app.on_startup.append(_load_chat_secret)  # type: ignore[arg-type]  # aiohttp 3.9 stub
    app.on_response_prepare.append(_add_security_headers)  # type: ignore[arg-type]  # aiohttp 3.9 stub
    app.router.add_get("/", index)
    app.router.add_get("/chat", chat_page)
    app.router.add_static("/chat/static", STATIC_DIR)
    app.router.add_post("/chat/api/message", post_message)
    app.router.add_get("/healthz", healthz)
    if gaps is not None:
        app[FAILURES_KEY] = FailureLog(gaps)
        staff_dashboard.mount(app, gaps, staff or staff_dashboard.StaffSettings.from_env())
        notify.mount(app, gaps)
        app.router.add_post("/chat/api/notifications", kept_notifications)
    return app
