"""The demand figures of the Topics page and the monthly report, from the question log's counts
(:meth:`bot.questions.store.QuestionLog.counts`) and the gap clusters. Pure: no database, no web.

A *question* is a message whose outcome is not small talk; it is *answered* when it got a topic's
answer, a staff answer or a step of a check (:data:`bot.questions.model.ANSWERED_OUTCOMES`), and
*unanswered* when it became a gap or was asked back.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.gaps.clustering import Cluster
from bot.questions.model import ANSWERED_OUTCOMES, CHAT, UNANSWERED_OUTCOMES, week_of
from bot.questions.store import Count

NO_TOPIC = ""  # a question no topic was found for (most gaps)


@dataclass(frozen=True)
class Share:
    """Answered and unanswered questions of one group (a week, a language, a channel, a topic)."""

    key: str
    answered: int = 0
    unanswered: int = 0
    chat: int = 0

    @property
    def questions(self) -> int:
        return self.answered + self.unanswered

    @property
    def answered_pct(self) -> int:
        """The answered share in whole per cent (0 without questions)."""
        return round(100 * self.answered / self.questions) if self.questions else 0


@dataclass(frozen=True)
class TopicRow:
    """One topic's questions in each week (oldest first), and how many were answered."""

    topic: str
    per_week: tuple[int, ...]
    answered: int
    unanswered: int

    @property
    def total(self) -> int:
        return sum(self.per_week)


@dataclass(frozen=True)
class Growth:
    """A gap cluster with its questions in the recent period and in the one before."""

    cluster: Cluster
    recent: int
    before: int

    @property
    def growth(self) -> int:
        return self.recent - self.before


def weeks_back(today: dt.date, weeks: int) -> list[dt.date]:
    """The Mondays of the last ``weeks`` weeks, oldest first (this week last)."""
    last = week_of(today)
    return [last - dt.timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def _side(outcome: str) -> str:
    if outcome in ANSWERED_OUTCOMES:
        return "answered"
    if outcome in UNANSWERED_OUTCOMES:
        return "unanswered"
    return "chat"


def shares(counts: Iterable[Count], by: str) -> list[Share]:
    """Answered / unanswered / small talk per ``by`` (``week``, ``language``, ``channel``,
    ``topic`` or ``reason``), most questions first (weeks: in order)."""
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    for c in counts:
        key = c.week.isoformat() if by == "week" else str(getattr(c, by))
        tally[key][_side(c.outcome)] += c.n
    out = [Share(k, v["answered"], v["unanswered"], v["chat"]) for k, v in tally.items()]
    if by == "week":
        return sorted(out, key=lambda s: s.key)
    return sorted(out, key=lambda s: (-s.questions, s.key))


def weekly_shares(counts: Iterable[Count], weeks: Sequence[dt.date]) -> list[Share]:
    """:func:`shares` per week for exactly ``weeks`` (zeros included)."""
    found = {s.key: s for s in shares(counts, "week")}
    return [found.get(w.isoformat(), Share(w.isoformat())) for w in weeks]


def topic_rows(counts: Iterable[Count], weeks: Sequence[dt.date]) -> list[TopicRow]:
    """Questions per topic per week (small talk left out), most asked topic first."""
    index = {w: i for i, w in enumerate(weeks)}
    per_week: dict[str, list[int]] = defaultdict(lambda: [0] * len(weeks))
    sides: dict[str, Counter[str]] = defaultdict(Counter)
    for c in counts:
        if c.outcome == CHAT or c.week not in index:
            continue
        per_week[c.topic][index[c.week]] += c.n
        sides[c.topic][_side(c.outcome)] += c.n
    rows = [
        TopicRow(t, tuple(v), sides[t]["answered"], sides[t]["unanswered"])
        for t, v in per_week.items()
    ]
    return sorted(rows, key=lambda r: (-r.total, r.topic))


def gap_reasons(counts: Iterable[Count]) -> list[tuple[str, int]]:
    """Unanswered questions per reason, most first."""
    tally: Counter[str] = Counter()
    for c in counts:
        if c.outcome in UNANSWERED_OUTCOMES:
            tally[c.reason or c.outcome] += c.n
    return sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))


def growing(
    clusters: Iterable[Cluster], now: dt.datetime, days: int = 14, limit: int = 10
) -> list[Growth]:
    """The gap clusters that grew most: questions in the last ``days`` against the ``days``
    before; only clusters with more questions recently than before."""
    recent_from = now - dt.timedelta(days=days)
    before_from = recent_from - dt.timedelta(days=days)
    out = []
    for group in clusters:
        recent = sum(1 for r in group.records if r.created_at >= recent_from)
        before = sum(1 for r in group.records if before_from <= r.created_at < recent_from)
        if recent > before:
            out.append(Growth(group, recent, before))
    out.sort(key=lambda g: (-g.growth, -g.recent, g.cluster.key))
    return out[:limit]
