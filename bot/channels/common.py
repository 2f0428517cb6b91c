"""What the Messenger and Telegram channels share: splitting long texts (with the buttons on the
last part), the language of replies the channel writes itself, pseudonymous ids for logs, and
sending with retries (the schedule, and the loop that follows it).

Nothing here logs or stores user text.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import unicodedata
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bot.language import Lang, detect_language, reply_language

T = TypeVar("T")
B = TypeVar("B")

# Longest user message passed to the bot; longer ones are cut (platforms allow 2000-4096).
MAX_INPUT_CHARS = 2000
# Seconds to wait before each retry of a failed send (5xx, 429, network error).
RETRY_DELAYS_S = (0.5, 1.0, 2.0)
# Longest time one reply's sends may take, retries included: a reply that has not gone out by
# then waits in the outbox (bot/channels/store.py), so that a turn ends well within the drain
# at shutdown (webhook.DRAIN_TIMEOUT_S, 20 s).
SEND_BUDGET_S = 16.0
# Longest wait a platform may ask for (429 Retry-After / retry_after) that we honour.
MAX_RETRY_AFTER_S = 10.0
# Where a text may be cut, best first: paragraph, line, sentence end, space.
_SENTENCE_END = re.compile(r"[.!?។៕](?:[\"')\]]*)(?=\s|$)")
_COENG = "\u17d2"  # Khmer sign that joins the next consonant: never cut after it


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as Telegram (and JavaScript platforms) count characters."""
    return len(text.encode("utf-16-le")) // 2


def _fits(text: str, limit: int, length: Callable[[str], int]) -> int:
    """The longest prefix length (in code points) of ``text`` whose ``length`` is <= limit."""
    if length(text) <= limit:
        return len(text)
    lo, hi = 0, min(len(text), limit)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if length(text[:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _safe_cut(text: str, cut: int) -> int:
    """Move a hard cut back so that it never splits a Khmer cluster or a combining mark."""
    while cut > 1 and (unicodedata.category(text[cut]) in ("Mn", "Mc") or text[cut - 1] == _COENG):
        cut -= 1
    return cut


def _cut_position(window: str) -> int:
    """Where to cut ``window`` (the longest allowed prefix): the best boundary in its second half
    if there is one, else the last space, else its end."""
    floor = len(window) // 2
    for separator in ("\n\n", "\n"):
        pos = window.rfind(separator)
        if pos >= floor:
            return pos + len(separator)
    ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() >= floor]
    if ends:
        return ends[-1]
    pos = window.rfind(" ")
    if pos >= floor:
        return pos + 1
    return len(window)


def split_text(text: str, limit: int, length: Callable[[str], int] = utf16_len) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` (measured by ``length``), cutting at
    paragraph, line or sentence boundaries (``.!?`` and Khmer ``។ ៕``) where possible.

    Joined with single spaces/newlines the parts give back the text's words in order; no part is
    empty and no part starts or ends with whitespace.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    parts: list[str] = []
    rest = text.strip()
    while rest:
        fit = _fits(rest, limit, length)
        if fit >= len(rest):
            parts.append(rest)
            break
        cut = _cut_position(rest[:fit])
        if cut == fit:
            cut = _safe_cut(rest, fit)
        part = rest[:cut].rstrip()
        if not part:  # only whitespace before the cut: take a hard cut instead
            part = rest[: _safe_cut(rest, fit)]
        parts.append(part)
        rest = rest[len(part) :].lstrip()
    return parts


def parts_with_buttons(text: str, limit: int, buttons: B | None) -> list[tuple[str, B | None]]:
    """``text`` split under ``limit`` (as ``split_text``), each part with what to attach to it:
    ``buttons`` on the last part only. Buttons with no text to carry them get a lone "…"."""
    parts = split_text(text or "", limit)
    if buttons is None:
        return [(part, None) for part in parts]
    if not parts:
        parts = ["…"]
    return [(part, None) for part in parts[:-1]] + [(parts[-1], buttons)]


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when it was cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: _safe_cut(text, limit - 1)].rstrip() + "…"


def pseudonym(value: str, key: str) -> str:
    """A keyed hash of an id (sender, chat), short enough for logs and useless without the key."""
    digest = hmac.new(key.encode("utf-8"), value.encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:12]


class LanguageMemory:
    """The language of each sender's last message with letters, for the replies a channel writes
    itself (the "text only" reply to a sticker). Bounded: the oldest senders are forgotten."""

    def __init__(self, max_senders: int = 10_000) -> None:
        self._max = max_senders
        self._langs: OrderedDict[str, Lang] = OrderedDict()

    def note(self, sender: str, text: str | None) -> None:
        lang = detect_language(text)
        if lang is None:
            return
        self._langs[sender] = lang
        self._langs.move_to_end(sender)
        while len(self._langs) > self._max:
            self._langs.popitem(last=False)

    def language(self, sender: str, text: str | None = None, hint: str | None = None) -> Lang:
        """The reply language: the message's own script, else this sender's last language, else
        the platform's hint (Telegram's ``language_code``), else Khmer."""
        previous = self._langs.get(sender)
        if previous is None and hint:
            previous = "km" if hint.lower().startswith("km") else "en"
        return reply_language(text, previous=previous)


def clip_input(text: str) -> str:
    """A user message cut to ``MAX_INPUT_CHARS`` (platforms allow longer ones)."""
    return text[:MAX_INPUT_CHARS]


@dataclass(frozen=True)
class Retry:
    """An attempt failed in a way that may pass (429, 5xx, network error): try again after the
    backoff delay, or after ``after`` seconds if the platform asked for longer."""

    after: float | None = None


def retry_wait(delay: float, asked: float | None = None) -> float:
    """Seconds to wait before the next attempt: the backoff ``delay``, or what the platform asked
    for (429 Retry-After / retry_after, honoured up to ``MAX_RETRY_AFTER_S``) if that is longer."""
    if asked is None:
        return delay
    return max(delay, min(asked, MAX_RETRY_AFTER_S))


async def with_retries(
    attempt: Callable[[], Awaitable[T]],
    retry: Callable[[T], Retry | None],
    delays: Sequence[float] = RETRY_DELAYS_S,
    budget_s: float | None = None,
    attempt_s: float = 0.0,
    clock: Callable[[], float] | None = None,
) -> tuple[T, int]:
    """Run ``attempt`` until ``retry`` judges its outcome final (``None``: a success, or a failure
    that trying again would not fix) or the delays are used up, waiting ``retry_wait`` between
    attempts; with ``budget_s``, no retry starts that could end (an attempt may take
    ``attempt_s``) after the budget. Returns the last outcome and the number of attempts (at most
    ``len(delays) + 1``). ``clock``: the event loop's by default."""
    now = clock or asyncio.get_running_loop().time
    start = now()
    outcome = await attempt()
    attempts = 1
    for delay in delays:
        again = retry(outcome)
        if again is None:
            break
        wait = retry_wait(delay, again.after)
        if budget_s is not None and now() - start + wait + attempt_s > budget_s:
            break
        await asyncio.sleep(wait)
        outcome = await attempt()
        attempts += 1
    return outcome, attempts
