"""The overview's trend chart as data for an inline SVG (drawn server-side, no script, no CDN)."""

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
