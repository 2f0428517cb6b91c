"""What people ask, from the question log: the Topics page and the monthly report.

- ``GET /staff/topics`` questions per topic per week (the last 4 to 26 weeks), by language and
  channel, the share answered vs unanswered each week, and the gap clusters growing fastest
  (the last 14 days against the 14 before); filters ``weeks``, ``language``, ``channel``;
- ``GET /staff/report?month=YYYY-MM`` a printable page for management (server-rendered SVG
  charts, in the staff member's language): what people asked, what the bot could not answer,
  what was answered during the month; ``GET /staff/report.csv?month=…`` the same figures as CSV.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from bot.gaps.clustering import Cluster, cluster
from bot.gaps.model import OPEN_STATUSES
from bot.gaps.store import GapFilters
from bot.knowledge import configured_knowledge
from bot.language import Lang
from bot.questions import figures
from bot.questions.model import week_of
from bot.questions.store import Count
from bot.staff_answers.model import StaffAnswer
from bot.web.charts import hbar_chart, stacked_chart
from bot.web.exports import safe_cell
from bot.web.staff.core import dashboard, in_thread, language, render, staff_only
from bot.web.staff.filters import LANGUAGES, OPEN, query_string

WEEK_CHOICES = (4, 8, 12, 26)
DEFAULT_WEEKS = 8
GROWTH_DAYS = 14
TOP_TOPICS = 10
TOP_CLUSTERS = 10
CHANNELS = ("messenger", "telegram", "web")


def topic_namer(request: web.Request) -> Callable[[str], str]:
    """How a logged topic is shown: the knowledge base's title, a dashboard text, or the name."""
    kb, texts, lang = configured_knowledge(), dashboard(request).texts, language(request)

    def name(topic: str) -> str:
        if topic in kb.topics:
            return kb.title(topic, lang)
        key = f"topic_{topic or 'none'}"
        return str(texts.get(key, lang)) if key in texts else topic

    return name


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


@staff_only
async def topics_page(request: web.Request) -> web.StreamResponse:
    dash = dashboard(request)
    raw_weeks = request.query.get("weeks", "")
    weeks = int(raw_weeks) if raw_weeks.isdigit() and int(raw_weeks) in WEEK_CHOICES else 0
    weeks = weeks or DEFAULT_WEEKS
    lang_filter = request.query.get("language", "")
    lang_filter = lang_filter if lang_filter in LANGUAGES else ""
    channel = request.query.get("channel", "")
    channel = channel if channel in CHANNELS else ""
    now = _now()
    week_list = figures.weeks_back(now.date(), weeks)
    since = dt.datetime.combine(week_list[0], dt.time())
    counts = await in_thread(dash.questions.counts, since, None, lang_filter, channel)
    first_day = now.date() - dt.timedelta(days=2 * GROWTH_DAYS)
    recent = GapFilters(
        since=dt.datetime.combine(first_day, dt.time()),
        statuses=OPEN_STATUSES,
        language=lang_filter or None,
        channel=channel or None,
    )
    records = await in_thread(dash.store.list, recent)
    groups = await in_thread(cluster, records)
    weekly = figures.weekly_shares(counts, week_list)
    return render(
        request,
        "topics.html",
        weeks=weeks,
        week_list=week_list,
        week_choices=WEEK_CHOICES,
        values={"language": lang_filter, "channel": channel},
        channels=CHANNELS,
        languages=LANGUAGES,
        rows=figures.topic_rows(counts, week_list),
        weekly=weekly,
        chart=stacked_chart(
            [(w, s.answered, s.unanswered) for w, s in zip(week_list, weekly, strict=True)]
        ),
        by_language=figures.shares(counts, "language"),
        by_channel=figures.shares(counts, "channel"),
        growing=figures.growing(groups, now, GROWTH_DAYS),
        growth_days=GROWTH_DAYS,
        # the cluster page with the same questions, so that it finds the same cluster
        cluster_query=query_string(
            {
                "from": first_day.isoformat(),
                "status": OPEN,
                **{"language": lang_filter, "channel": channel},
            }
        ),
        topic_name=topic_namer(request),
    )


def month_of(raw: str, today: dt.date) -> dt.date:
    """The first day of the month ``YYYY-MM`` (this month when missing or not a month)."""
    try:
        first = dt.date.fromisoformat(f"{raw.strip()[:7]}-01")
    except ValueError:
        first = today.replace(day=1)
    return first if first <= today else today.replace(day=1)


def next_month(first: dt.date) -> dt.date:
    return (first + dt.timedelta(days=32)).replace(day=1)


@dataclass(frozen=True)
class Report:
    """The figures of one month."""

    month: dt.date
    counts: list[Count]
    clusters: list[Cluster]
    answers: list[StaffAnswer]  # published or changed during the month
    answered_gaps: int  # questions staff marked answered during the month

    @property
    def total(self) -> figures.Share:
        return figures.Share(
            "all",
            sum(s.answered for s in self.by("topic")),
            sum(s.unanswered for s in self.by("topic")),
            sum(s.chat for s in self.by("topic")),
        )

    def by(self, key: str) -> list[figures.Share]:
        return figures.shares(self.counts, key)

    def topics(self) -> list[figures.Share]:
        return [s for s in self.by("topic") if s.questions][:TOP_TOPICS]


async def build_report(request: web.Request, month: dt.date) -> Report:
    dash = dashboard(request)
    start = dt.datetime.combine(month, dt.time())
    end = dt.datetime.combine(next_month(month), dt.time())
    counts = await in_thread(dash.questions.counts, start, end)
    records = await in_thread(dash.store.list, GapFilters(since=start, until=end))
    groups = sorted(await in_thread(cluster, records), key=lambda c: (-c.size, c.key))
    answers = [
        a
        for a in await in_thread(dash.answers.list)
        if start <= a.updated_at < end or (start <= a.created_at < end)
    ]
    answered = await in_thread(dash.store.list, GapFilters(statuses=("answered",)))
    marked = sum(1 for r in answered if r.updated_at is not None and start <= r.updated_at < end)
    return Report(month, counts, groups[:TOP_CLUSTERS], answers, marked)


def _months(today: dt.date, count: int = 12) -> list[dt.date]:
    first, out = today.replace(day=1), []
    for _ in range(count):
        out.append(first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return out


@staff_only
async def report_page(request: web.Request) -> web.StreamResponse:
    today = _now().date()
    month = month_of(request.query.get("month", ""), today)
    report = await build_report(request, month)
    end = next_month(month) - dt.timedelta(days=1)
    weeks = figures.weeks_back(end, (week_of(end) - week_of(month)).days // 7 + 1)
    weekly = figures.weekly_shares(report.counts, weeks)
    name = topic_namer(request)
    rows, height = hbar_chart([(name(s.key), s.questions) for s in report.topics()])
    return render(
        request,
        "report.html",
        report=report,
        month=month,
        months=_months(today),
        weekly=weekly,
        chart=stacked_chart(
            [(w, s.answered, s.unanswered) for w, s in zip(weeks, weekly, strict=True)]
        ),
        topic_bars=rows,
        topic_height=height,
        reasons=figures.gap_reasons(report.counts),
        topic_name=name,
        staff_lang=language(request),
    )


def report_csv_text(report: Report, name: Callable[[str], str], lang: Lang) -> str:
    """The report as CSV: one row per figure (section, key, name, questions, answered,
    unanswered)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["month", "section", "key", "name", "questions", "answered", "unanswered"])
    month = report.month.strftime("%Y-%m")
    for section in ("topic", "language", "channel"):
        for s in report.by(section):
            if s.questions:
                label = name(s.key) if section == "topic" else s.key
                writer.writerow(
                    [month, section, s.key, label, s.questions, s.answered, s.unanswered]
                )
    for reason, n in figures.gap_reasons(report.counts):
        writer.writerow([month, "unanswered_reason", reason, reason, n, 0, n])
    for group in report.clusters:
        example = safe_cell(group.examples[0] if group.examples else "")
        writer.writerow([month, "gap_cluster", group.key, example, group.size, 0, group.size])
    for answer in report.answers:
        text = safe_cell(answer.text(lang)[:120])
        writer.writerow([month, "staff_answer", f"#{answer.id}", text, answer.uses, answer.uses, 0])
    writer.writerow(
        [month, "marked_answered", "", "", report.answered_gaps, report.answered_gaps, 0]
    )
    return out.getvalue()


@staff_only
async def report_csv(request: web.Request) -> web.StreamResponse:
    month = month_of(request.query.get("month", ""), _now().date())
    report = await build_report(request, month)
    body = report_csv_text(report, topic_namer(request), language(request))
    return web.Response(
        body=("\ufeff" + body).encode("utf-8"),  # BOM: Excel then reads Khmer right
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="nssf-report-{month:%Y-%m}.csv"',
            "Cache-Control": "no-store",
        },
    )
