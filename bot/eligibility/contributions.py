"""Employer contribution calculator: employment injury, health insurance and pension for one
worker or a payroll, with the contribution base clamped to each scheme's floor and ceiling.

Wages in USD are converted to riel at ``rate`` (the answer states it). Amounts are rounded to whole
riel per worker and share, so employer + worker = total exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from bot.eligibility.model import Basis, Contribution, Money, SchemeShare, riel
from bot.eligibility.rules import Figure, MissingRule, RuleBook

HUNDRED = Decimal(100)
# scheme → whether its base uses the 50,000-riel wage bands (pension: plain clamping)
SCHEMES: tuple[tuple[str, bool], ...] = (
    ("employment_injury", True),
    ("health_care", True),
    ("pension", False),
)


def banded(wage: Decimal, width: Decimal) -> Decimal:
    """The assumed wage of the band holding ``wage``: bands of ``width`` centred on multiples of
    ``width`` (a wage exactly half-way goes to the upper band)."""
    return ((wage + width / 2) // width) * width


def contribution_base(
    book: RuleBook, scheme: str, wage_riel: Decimal, month: dt.date
) -> tuple[Decimal, list[Figure]]:
    """The wage a scheme's contribution is computed on, and the figures used."""
    floor = book.get(f"{scheme}.base_floor", month)
    ceiling = book.get(f"{scheme}.base_ceiling", month)
    used = [floor, ceiling]
    base = wage_riel
    if dict(SCHEMES)[scheme]:
        width = book.get(f"{scheme}.band_width", month)
        used.append(width)
        base = banded(base, width.value)
    return min(max(base, floor.value), ceiling.value), used


def _pension_applies(book: RuleBook, month: dt.date, age: int | None) -> tuple[bool, list[Figure]]:
    try:
        max_age = book.get("pension.max_contribution_age", month)
    except MissingRule:
        if month < min(book.changes("pension.employer_rate")):
            return False, []  # no pension contributions before the scheme started
        raise
    return age is None or age < max_age.value, [max_age]


def worker_contribution(
    book: RuleBook, wage: Money, month: dt.date, rate: Decimal, age: int | None = None
) -> Contribution:
    """One worker's monthly contributions (raises ``MissingRule`` for a month without rules)."""
    if wage.amount < 0:
        raise ValueError("a wage cannot be negative")
    wage_riel = wage.to_riel(rate)
    shares = []
    used: dict[str, Figure] = {}
    for scheme, _ in SCHEMES:
        if scheme == "pension":
            applies, figures = _pension_applies(book, month, age)
            used.update((f.ref, f) for f in figures)
            if not applies:
                continue
        base, figures = contribution_base(book, scheme, wage_riel, month)
        employer = book.get(f"{scheme}.employer_rate", month)
        worker = book.get(f"{scheme}.worker_rate", month)
        used.update((f.ref, f) for f in (*figures, employer, worker))
        shares.append(
            SchemeShare(
                scheme,
                base,
                riel(base * employer.value / HUNDRED),
                riel(base * worker.value / HUNDRED),
            )
        )
    basis = tuple(Basis.of(f) for f in used.values())
    return Contribution(month, riel(wage_riel), tuple(shares), basis, rate)


def payroll(book: RuleBook, wages: Sequence[Money], month: dt.date, rate: Decimal) -> Contribution:
    """A payroll's monthly contributions: the sum of each worker's (count × wage or a list)."""
    if not wages:
        raise ValueError("a payroll needs at least one wage")
    each = [worker_contribution(book, w, month, rate) for w in wages]
    shares = []
    for scheme, _ in SCHEMES:
        parts = [s for c in each for s in c.shares if s.scheme == scheme]
        if parts:
            shares.append(
                SchemeShare(
                    scheme,
                    sum((p.base for p in parts), Decimal(0)),
                    sum((p.employer for p in parts), Decimal(0)),
                    sum((p.worker for p in parts), Decimal(0)),
                )
            )
    basis = {b.ref: b for c in each for b in c.basis}
    wage_total = sum((c.wage_riel for c in each), Decimal(0))
    return Contribution(month, wage_total, tuple(shares), tuple(basis.values()), rate, len(each))
