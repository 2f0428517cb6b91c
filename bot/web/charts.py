"""Charts of the dashboard as data for inline SVGs (drawn server-side, no script, no CDN): the
overview's weekly trend, the Topics page's and the report's answered / unanswered weeks and
their most asked topics."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

WIDTH, HEIGHT = 720, 220
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 40, 30, 10


def week_start(day: dt.date) -> dt.date:
    """The Monday of the ISO week ``day`` falls in."""
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    label: str


@dataclass(frozen=True)
class Chart:
    bars: tuple[Bar, ...]
    max_count: int
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = HEIGHT - MARGIN_BOTTOM
    left: float = MARGIN_LEFT


def weekly_counts(
    per_day: Mapping[dt.date, int], weeks: int, today: dt.date
) -> list[tuple[dt.date, int]]:
    """Records per week for the last ``weeks`` weeks (oldest first), zeros included, from the
    number of records of each day."""
    counts: Counter[dt.date] = Counter()
    for day, n in per_day.items():
        counts[week_start(day)] += n
    last = week_start(today)
    return [
        (week, counts.get(week, 0))
        for week in (last - dt.timedelta(weeks=n) for n in range(weeks - 1, -1, -1))
    ]


def trend_chart(series: list[tuple[dt.date, int]]) -> Chart:
    """Bar positions for the weekly series, scaled to the chart's size."""
    top = max((c for _, c in series), default=0)
    scale = max(top, 1)
    plot_w = WIDTH - MARGIN_LEFT - 10
    plot_h = HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    step = plot_w / max(len(series), 1)
    bars = []
    for i, (week, count) in enumerate(series):
        h = plot_h * count / scale
        bars.append(
            Bar(
                x=round(MARGIN_LEFT + i * step + step * 0.1, 1),
                y=round(HEIGHT - MARGIN_BOTTOM - h, 1),
                width=round(step * 0.8, 1),
                height=round(h, 1),
                count=count,
                label=week.strftime("%d %b"),
            )
        )
    return Chart(tuple(bars), top)


@dataclass(frozen=True)
class StackedBar:
    """One week: the answered part (bottom) and the unanswered part (on top)."""

    x: float
    width: float
    answered_y: float
    answered_h: float
    unanswered_y: float
    unanswered_h: float
    answered: int
    unanswered: int
    label: str


@dataclass(frozen=True)
class StackedChart:
    bars: tuple[StackedBar, ...]
    max_count: int
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = HEIGHT - MARGIN_BOTTOM
    left: float = MARGIN_LEFT


def stacked_chart(series: list[tuple[dt.date, int, int]]) -> StackedChart:
    """Bars of answered + unanswered questions per week (``(week, answered, unanswered)``)."""
    top = max((a + u for _, a, u in series), default=0)
    scale = max(top, 1)
    plot_w = WIDTH - MARGIN_LEFT - 10
    plot_h = HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    step = plot_w / max(len(series), 1)
    bars = []
    for i, (week, answered, unanswered) in enumerate(series):
        ah, uh = plot_h * answered / scale, plot_h * unanswered / scale
        base = HEIGHT - MARGIN_BOTTOM
        bars.append(
            StackedBar(
                x=round(MARGIN_LEFT + i * step + step * 0.1, 1),
                width=round(step * 0.8, 1),
                answered_y=round(base - ah, 1),
                answered_h=round(ah, 1),
                unanswered_y=round(base - ah - uh, 1),
                unanswered_h=round(uh, 1),
                answered=answered,
                unanswered=unanswered,
                label=week.strftime("%d %b"),
            )
        )
    return StackedChart(tuple(bars), top)


@dataclass(frozen=True)
class Row:
    """One horizontal bar: a label and its count."""

    y: float
    width: float
    count: int
    label: str


HBAR_LEFT, HBAR_ROW = 230, 24


def hbar_chart(items: list[tuple[str, int]]) -> tuple[tuple[Row, ...], int]:
    """Horizontal bars for labelled counts (most first, as given) and the chart's height."""
    top = max((n for _, n in items), default=0)
    plot_w = WIDTH - HBAR_LEFT - 50
    rows = tuple(
        Row(
            y=float(8 + i * HBAR_ROW),
            width=round(plot_w * n / max(top, 1), 1),
            count=n,
            label=label,
        )
        for i, (label, n) in enumerate(items)
    )
    return rows, 16 + HBAR_ROW * max(len(items), 1)
