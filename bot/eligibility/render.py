"""Rendering results as replies: the decision, the arithmetic in one or two lines, the legal
basis with its date and the next step, in the reply language. No figures are written here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from bot.eligibility.model import Basis, Contribution, Decision, Result, usd
from bot.eligibility.rules import RuleBook
from bot.eligibility.text_format import fmt_money, fmt_number
from bot.eligibility.texts import Texts
from bot.language import Lang
from bot.replies import Button, Reply, intent_payload


def _local(text: str, lang: Lang) -> str:
    return text.replace(" riel", " រៀល") if lang == "km" else text


def _basis_line(result_basis: Iterable[Basis], texts: Texts, lang: Lang, hotline: str) -> str:
    """The documents the result rests on, each once, in ``lang``, with its newest date."""
    latest: dict[str, dt.date] = {}
    unconfirmed: set[str] = set()
    for b in result_basis:
        for document in texts.documents(b.source, lang):
            if document not in latest or b.source_date > latest[document]:
                latest[document] = b.source_date
            if not b.confirmed:
                unconfirmed.add(document)
    mark = f" [{texts('unconfirmed', lang, hotline=hotline)}]"
    cited = [
        f"{document} ({day.isoformat()})" + (mark if document in unconfirmed else "")
        for document, day in latest.items()
    ]
    return f"{texts('basis_label', lang)}: " + "; ".join(cited)


# the answers a result shows it understood, in this order
_UNDERSTOOD = (
    "months_in_window",
    "consecutive_months",
    "wage",
    "year_of_service",
    "sick_days",
    "sick_days_used",
    "commuting",
    "direct_route",
    "pension_age",
    "pension_months",
    "start_date",
    "event_date",
)


def _money(value: str) -> str:
    parts = [p.split() for p in value.split(";")]
    return ", ".join(f"${a}" if c == "USD" else f"{a} riel" for a, c in parts)


def understood_line(
    answers: dict[str, Any], texts: Texts, lang: Lang, params: Mapping[str, str] | None = None
) -> str | None:
    """ "What I understood: 8 month(s) of contributions ..., wage $250." from the answers
    (``params``: the figures the texts mention, such as ``window``)."""
    params = params or {}
    items = []
    for slot in _UNDERSTOOD:
        value = answers.get(slot)
        if value is None or f"understood_{slot}" not in texts and not isinstance(value, bool):
            continue
        if value == "unknown":
            label = texts(f"understood_{slot}", lang, **params, value="?")
            label = label.replace("?", "").strip()
            items.append(texts("understood_unknown", lang, label=label))
        elif isinstance(value, bool):
            items.append(texts(f"understood_{slot}_{'yes' if value else 'no'}", lang))
        else:
            shown = _money(value) if slot == "wage" else value
            items.append(texts(f"understood_{slot}", lang, **params, value=shown))
    if not items:
        return None
    return _local(texts("understood", lang, items="; ".join(items)), lang)


def render_result(
    result: Result,
    texts: Texts,
    lang: Lang,
    hotline: str,
    date_assumed: bool = False,
    answers: dict[str, Any] | None = None,
    defaults: Mapping[str, str] | None = None,
) -> Reply:
    """One message: what was understood (``answers``: the check's slots), decision + reason,
    amounts with arithmetic, basis with dates, next step. ``date_assumed``: the user gave no
    date for the event, so the rules are today's: say so. ``defaults``: figures the texts mention
    that the result does not set (``window``...)."""
    params = {**(defaults or {}), **result.params, "hotline": hotline}
    understood = understood_line(answers or {}, texts, lang, params)
    lines = [understood] if understood else []
    lines.append(
        f"{texts(f'decision_{result.decision.value}', lang)} {texts(result.reason, lang, **params)}"
    )
    for amount in result.amounts:
        lines.append(_local(f"{texts(amount.key, lang)}: {amount.formula}", lang))
    if result.rate is not None and result.amounts:
        lines.append(texts("rate_note", lang, rate=fmt_number(result.rate)))
    if result.basis:
        lines.append(
            texts("rules_on", lang, date=result.on.isoformat())
            + " "
            + _basis_line(result.basis, texts, lang, hotline)
        )
    if date_assumed:
        lines.append(texts("date_assumed", lang, date=result.on.isoformat()))
    for step in result.next_steps:
        lines.append(f"{texts('next_label', lang)}: {texts(step, lang, **params)}")
    return Reply("\n".join(lines))


def render_contribution(
    c: Contribution, book: RuleBook, texts: Texts, lang: Lang, hotline: str
) -> Reply:
    """The payroll result: who pays what in riel and USD, the per-scheme arithmetic, the base
    limits, the exchange rate, the basis and the payment deadline."""
    month = c.month.strftime("%Y-%m")
    lines = [
        _local(
            texts(
                "contrib_result",
                lang,
                workers=c.workers,
                month=month,
                employer=fmt_money(c.employer, "KHR"),
                worker=fmt_money(c.worker, "KHR"),
                total=fmt_money(c.total, "KHR"),
                total_usd=fmt_money(usd(c.total, c.rate), "USD"),
            ),
            lang,
        )
    ]
    parts = []
    for share in c.shares:
        employer_rate = book.get(f"{share.scheme}.employer_rate", c.month).value
        worker_rate = book.get(f"{share.scheme}.worker_rate", c.month).value
        parts.append(
            f"{texts(f'scheme_label_{share.scheme}', lang)} ({fmt_number(employer_rate)} % + "
            f"{fmt_number(worker_rate)} %) × {fmt_money(share.base, 'KHR')} = "
            f"{fmt_money(share.employer, 'KHR')} + {fmt_money(share.worker, 'KHR')}"
        )
    lines.append(_local(texts("contrib_breakdown", lang, lines="; ".join(parts)), lang))
    if not any(s.scheme == "pension" for s in c.shares):
        lines.append(texts("contrib_no_pension", lang))
    lines.append(texts("rate_note", lang, rate=fmt_number(c.rate)))
    lines.append(
        texts("rules_on", lang, date=c.month.isoformat())
        + " "
        + _basis_line(c.basis, texts, lang, hotline)
    )
    due = book.get("general.contribution_due_day", c.month).value
    lines.append(
        f"{texts('next_label', lang)}: {texts('step_contributions', lang, due_day=fmt_number(due))}"
    )
    return Reply("\n".join(lines))


def ask_buttons(slot: str, texts: Texts, lang: Lang) -> tuple[Button, ...]:
    """Buttons offered with a question."""
    if slot == "scheme":
        from bot.eligibility.dialogue import SCHEMES

        return tuple(
            Button(texts(f"scheme_{s}", lang), intent_payload("inform", scheme=s)) for s in SCHEMES
        )
    # a typed-text button's payload is its label: the reader reads it in either language, and
    # the reply stays in the user's language
    dont_know = texts("dont_know_button", lang)
    if slot in ("year_of_service", "commuting", "direct_route"):
        return (
            Button(texts("yes_button", lang), intent_payload("affirm")),
            Button(texts("no_button", lang), intent_payload("deny")),
            Button(dont_know, dont_know),
        )
    if slot == "event_date":
        today = texts("today_button", lang)
        return (Button(today, today), Button(dont_know, dont_know))
    if slot == "sick_days_used":
        none = texts("none_yet_button", lang)
        return (Button(none, none), Button(dont_know, dont_know))
    if slot == "registrant":
        return (
            Button(
                texts("enterprise_button", lang), intent_payload("inform", registrant="enterprise")
            ),
            Button(texts("worker_button", lang), intent_payload("inform", registrant="worker")),
        )
    return ()


def decision_is_final(result: Result) -> bool:
    return result.decision != Decision.CANNOT_TELL
