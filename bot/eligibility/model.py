"""Typed inputs and results of the eligibility checks and the contribution calculator."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Literal

from bot.eligibility.rules import Figure

Currency = Literal["USD", "KHR"]
CENT = Decimal("0.01")
RIEL = Decimal("1")


class Decision(str, Enum):
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    CANNOT_TELL = "cannot_tell"


class Unknown(Enum):
    """The user said they do not know: the input is not asked again and the check cannot tell."""

    VALUE = "unknown"


UNKNOWN = Unknown.VALUE


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: Currency

    def to_riel(self, rate: Decimal) -> Decimal:
        return self.amount if self.currency == "KHR" else self.amount * rate


# A monthly wage, or the wages of the last months (oldest first) when they changed: the daily
# average wage is taken over up to the number of months the rules say.
Wage = Money | tuple[Money, ...]


def wage_months(wage: Wage) -> tuple[Money, ...]:
    return (wage,) if isinstance(wage, Money) else wage


def riel(value: Decimal) -> Decimal:
    return value.quantize(RIEL, rounding=ROUND_HALF_UP)


def usd(value_riel: Decimal, rate: Decimal) -> Decimal:
    return (value_riel / rate).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Basis:
    """A rule an answer used: which figure, its source and the source's date."""

    ref: str
    source: str
    source_date: dt.date
    confirmed: bool = True

    @classmethod
    def of(cls, figure: Figure) -> Basis:
        return cls(figure.ref, figure.source, figure.source_date, figure.confirmed)


@dataclass(frozen=True)
class Amount:
    """An amount in riel and USD with the arithmetic that produced it."""

    key: str
    riel: Decimal
    usd: Decimal
    formula: str


@dataclass(frozen=True)
class Result:
    """The outcome of one check.

    ``reason`` and ``next_steps`` are text keys (see ``bot.eligibility.texts``) filled with
    ``params``; ``missing`` names the inputs the decision needs, ``wanted`` those that would add
    the amounts.
    """

    check: str
    decision: Decision
    reason: str
    on: dt.date
    params: dict[str, str] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    wanted: tuple[str, ...] = ()
    amounts: tuple[Amount, ...] = ()
    basis: tuple[Basis, ...] = ()
    next_steps: tuple[str, ...] = ()
    rate: Decimal | None = None


@dataclass(frozen=True)
class HealthCareInput:
    on: dt.date
    months_in_window: int | Unknown | None = None
    consecutive_months: int | Unknown | None = None


@dataclass(frozen=True)
class MaternityInput:
    birth_date: dt.date
    months_in_window: int | Unknown | None = None
    wage: Wage | Unknown | None = None
    year_of_service: bool | Unknown | None = None
    babies: int = 1


@dataclass(frozen=True)
class SicknessInput:
    on: dt.date
    months_in_window: int | Unknown | None = None
    consecutive_months: int | Unknown | None = None
    wage: Wage | Unknown | None = None
    days: int | Unknown | None = None
    # days of sickness allowance NSSF already paid in the window (12 months) before ``on``
    days_used: int | Unknown | None = None


@dataclass(frozen=True)
class InjuryInput:
    on: dt.date
    commuting: bool | Unknown | None = None
    direct_route: bool | Unknown | None = None
    wage: Wage | Unknown | None = None
    days: int | Unknown | None = None


@dataclass(frozen=True)
class PensionInput:
    on: dt.date
    age: int | Unknown | None = None
    months: int | Unknown | None = None


@dataclass(frozen=True)
class RegistrationInput:
    on: dt.date
    who: Literal["enterprise", "worker"] | Unknown | None = None
    start_date: dt.date | Unknown | None = None


@dataclass(frozen=True)
class SchemeShare:
    """One scheme's contribution for one worker: base, employer and worker parts (riel)."""

    scheme: str
    base: Decimal
    employer: Decimal
    worker: Decimal

    @property
    def total(self) -> Decimal:
        return self.employer + self.worker


@dataclass(frozen=True)
class Contribution:
    """What is owed for one worker (or a whole payroll) for one month, in riel."""

    month: dt.date
    wage_riel: Decimal
    shares: tuple[SchemeShare, ...]
    basis: tuple[Basis, ...]
    rate: Decimal
    workers: int = 1

    @property
    def employer(self) -> Decimal:
        return sum((s.employer for s in self.shares), Decimal(0))

    @property
    def worker(self) -> Decimal:
        return sum((s.worker for s in self.shares), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.employer + self.worker
