"""The arithmetic of the checks' amounts: figures looked up at one date (and remembered as the
legal basis), the average and the daily average wage as the rules define them, and amounts with
the formula shown to the user ("70 % × $250.00 ÷ 30 × 90 = $525.00")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TypeGuard

from bot.eligibility.model import Amount, Basis, Money, Wage, riel, usd, wage_months
from bot.eligibility.rules import Figure, RuleBook
from bot.eligibility.text_format import fmt_money, fmt_number

HUNDRED = Decimal(100)


class Rules:
    """Looks figures up on one date and remembers which ones were used (the legal basis)."""

    def __init__(self, book: RuleBook, on: dt.date) -> None:
        self.book = book
        self.on = on
        self.used: dict[str, Figure] = {}

    def __call__(self, ref: str) -> Decimal:
        return self.figure(ref).value

    def figure(self, ref: str) -> Figure:
        figure = self.book.get(ref, self.on)
        self.used.setdefault(ref, figure)
        return figure

    def cite(self, ref: str) -> None:
        """Count a figure in the legal basis although no amount uses it (a rule that holds)."""
        self.figure(ref)

    def basis(self) -> tuple[Basis, ...]:
        return tuple(Basis.of(f) for f in self.used.values())


def is_wage(value: object) -> TypeGuard[Wage]:
    return isinstance(value, Money) or (
        isinstance(value, tuple) and bool(value) and all(isinstance(v, Money) for v in value)
    )


def shown_currency(wages: tuple[Money, ...]) -> Money:
    """The currency results are shown in: the user's, or riel when they mixed currencies."""
    currencies = {w.currency for w in wages}
    return wages[0] if len(currencies) == 1 else Money(Decimal(0), "KHR")


def money_text(value_riel: Decimal, like: Money, rate: Decimal) -> str:
    if like.currency == "USD":
        return fmt_money(usd(value_riel, rate), "USD")
    return fmt_money(value_riel, "KHR")


def average_wage(
    r: Rules, wage: Wage, rate: Decimal, ceiling: Decimal | None
) -> tuple[Decimal, str, Money]:
    """The average monthly wage in riel over the last months the rules count (each month
    capped at ``ceiling`` when given), how it was computed, and the currency to show."""
    months = wage_months(wage)[-int(r("general.daily_wage_months")) :]
    like = shown_currency(months)
    values = [w.to_riel(rate) for w in months]
    if ceiling is not None:
        values = [min(v, ceiling) for v in values]
    average = sum(values, Decimal(0)) / len(values)
    if len(values) == 1:
        return average, money_text(average, like, rate), like
    listed = " + ".join(money_text(v, like, rate) for v in values)
    return average, f"({listed}) ÷ {len(values)}", like


def daily_wage(r: Rules, wage: Wage, rate: Decimal) -> tuple[Decimal, str, Money]:
    """The daily average wage as the rules define it: the contributory monthly wages (each
    capped at the health-insurance ceiling) of up to the last N months, averaged, ÷ the divisor.
    Returns (daily wage in riel, the average's arithmetic, the currency to show)."""
    average, text, like = average_wage(r, wage, rate, r("health_care.base_ceiling"))
    return average / r("general.daily_wage_divisor"), text, like


def amount(key: str, value_riel: Decimal, rate: Decimal, formula: str, wage: Money) -> Amount:
    value = riel(value_riel)
    return Amount(key, value, usd(value, rate), f"{formula} = {money_text(value, wage, rate)}")


def per_day(
    key: str,
    r: Rules,
    pct: Decimal,
    daily: tuple[Decimal, str, Money],
    days: Decimal,
    rate: Decimal,
    days_text: str | None = None,
) -> Amount:
    """An allowance of ``pct`` % of a daily wage for ``days`` days, with its formula
    "pct % × average ÷ divisor × days"; ``daily``: (daily wage in riel, the average's arithmetic,
    the currency to show), as :func:`daily_wage` gives it; ``days_text``: the days as shown."""
    value, average, like = daily
    divisor = fmt_number(r("general.daily_wage_divisor"))
    formula = f"{fmt_number(pct)} % × {average} ÷ {divisor} × {days_text or fmt_number(days)}"
    return amount(key, pct / HUNDRED * value * days, rate, formula, like)
