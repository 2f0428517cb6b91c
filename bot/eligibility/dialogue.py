"""What the eligibility and contribution conversations ask, in which order, and how an answer
becomes a slot value. Pure: the Rasa form validators in ``actions/forms.py`` call these.

Slot values are plain (int, bool, str): money is ``"250 USD"`` (a payroll list joins them with
``;``), dates are ISO strings, and ``"unknown"`` records "I don't know" (the slot is not asked
again and the check answers "cannot tell").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.eligibility import checks
from bot.eligibility.model import (
    UNKNOWN,
    HealthCareInput,
    InjuryInput,
    MaternityInput,
    Money,
    PensionInput,
    RegistrationInput,
    Result,
    SicknessInput,
    Unknown,
    Wage,
)
from bot.eligibility.rules import RuleBook
from bot.numbers.parser import Ambiguous, read, read_as

SCHEMES = ("health_care", "maternity", "sickness", "injury", "pension", "registration")
# slot → what kind of answer it takes (bot.numbers.parser kinds, plus choices)
SLOT_KINDS: dict[str, str] = {
    "scheme": "scheme",
    "months_in_window": "months",
    "consecutive_months": "months",
    "wage": "money",
    "year_of_service": "yes_no",
    "sick_days": "days",
    "sick_days_used": "days",
    "commuting": "yes_no",
    "direct_route": "yes_no",
    "pension_age": "age",
    "pension_months": "months",
    "registrant": "registrant",
    "start_date": "date",
    "workers": "count",
    "event_date": "date",
}
ELIGIBILITY_SLOTS = tuple(s for s in SLOT_KINDS if s != "workers")
CONTRIBUTION_SLOTS = ("workers", "wage")
# check input name → slot
_INPUT_SLOT = {"days": "sick_days", "days_used": "sick_days_used", "registrant": "registrant"}
# Readable ranges: an answer outside them is asked again.
RANGES: dict[str, tuple[int, int]] = {
    "months_in_window": (0, 12),
    "consecutive_months": (0, 12),
    "sick_days": (1, 366),
    "sick_days_used": (0, 366),
    "pension_age": (15, 110),
    "pension_months": (0, 720),
    "workers": (1, 100_000),
}
_MAX_WAGE_MONTHS = 12  # a longer list is not a wage history; the rules use the last months only
_MAX_WAGE = {"USD": Decimal(100_000), "KHR": Decimal(400_000_000)}
# Checks whose rules are taken at the date of an event (birth, sickness, accident, care): the
# form asks that date first whenever it asks anything; a one-shot answer uses today, and says so.
EVENT_SCHEMES = ("health_care", "maternity", "sickness", "injury")
# How far ahead the event may be: a birth or a treatment can be planned, an accident cannot.
_EVENT_AHEAD = {"maternity": dt.timedelta(days=300), "health_care": dt.timedelta(days=90)}
_EARLIEST_EVENT = dt.date(2000, 1, 1)
# a topic intent → the check it asks for and what it already says
TOPIC_CHECKS: dict[str, tuple[str, dict[str, Any]]] = {
    "health_care": ("health_care", {}),
    "maternity": ("maternity", {}),
    "sickness": ("sickness", {}),
    "work_injury": ("injury", {"commuting": False}),
    "commuting_accident": ("injury", {"commuting": True}),
    "pension": ("pension", {}),
    "register_enterprise": ("registration", {"registrant": "enterprise"}),
    "register_worker": ("registration", {"registrant": "worker"}),
}
_SCHEME_WORDS = {
    "maternity": r"maternity|pregnan|birth|baby|មាតុភាព|ផ្ទៃពោះ|សម្រាល|កូន",
    "sickness": r"\bsick|illness|ill\b|ឈឺ|ជំងឺ",
    "injury": r"accident|injur|hurt|គ្រោះថ្នាក់|របួស",
    "pension": r"pension|retire|សោធន|និវត្តន៍",
    "registration": r"regist|ចុះឈ្មោះ",
    "health_care": r"health|hospital|doctor|treatment|សុខភាព|មន្ទីរពេទ្យ|ព្យាបាល",
}
_REGISTRANT_WORDS = {
    "enterprise": (
        r"enterprise|company|business|employer|shop|factory|សហគ្រាស|ក្រុមហ៊ុន|និយោជក|ហាង|រោងចក្រ"
    ),
    "worker": r"worker|employee|staff|new hire|កម្មករ|បុគ្គលិក|និយោជិត",
}


@dataclass(frozen=True)
class Invalid:
    """An answer that was read but is not acceptable (``reason`` is a text key)."""

    reason: str


def scheme_in_text(text: str) -> str | None:
    """The check a free-text message names ("am I eligible for maternity pay?"), if exactly one."""
    found = [s for s, pattern in _SCHEME_WORDS.items() if re.search(pattern, text.casefold())]
    if "sickness" in found and "health_care" in found:
        found.remove("health_care")
    return found[0] if len(found) == 1 else None


def _registrant(text: str) -> str | Ambiguous | None:
    found = [r for r, p in _REGISTRANT_WORDS.items() if re.search(p, text.casefold())]
    if len(found) > 1:
        return Ambiguous("several", tuple(found))
    return found[0] if found else None


def money_slot(money: list[tuple[Decimal, str]]) -> str:
    return ";".join(f"{amount.normalize():f} {currency}" for amount, currency in money)


def parse_money_slot(value: str) -> list[Money]:
    out = []
    for part in value.split(";"):
        amount, currency = part.split()
        out.append(Money(Decimal(amount), "USD" if currency == "USD" else "KHR"))
    return out


def answer(slot: str, text: str, today: dt.date, entities: Mapping[str, str] | None = None) -> Any:
    """Read the answer to ``slot`` from a message: a slot value, ``"unknown"``, ``Ambiguous``,
    ``Invalid`` or ``None`` (nothing readable)."""
    entities = entities or {}
    kind = SLOT_KINDS[slot]
    if slot in entities:
        return entities[slot]
    if kind == "scheme":
        return scheme_in_text(text)
    if kind == "registrant":
        return _registrant(text)
    value = read_as(kind, text, today)  # type: ignore[arg-type]
    if value is None or value == "unknown" or isinstance(value, Ambiguous):
        return value
    return validate(slot, value)


# "none yet", "never", "not yet", "មិនទាន់", "អត់មាន", "គ្មាន": no day used
_NONE_USED = re.compile(r"\b(none|nothing|zero|never|not yet)\b|មិនទាន់|អត់|គ្មាន|មិនដែល")


def days_used(text: str, today: dt.date) -> Any:
    """Days of sick pay already received: a number of days, or 0 for "none" / "no"."""
    value = answer("sick_days_used", text, today)
    if value is None and (
        read_as("yes_no", text, today) is False or _NONE_USED.search(text.casefold())
    ):
        return 0
    return value


def wage_history(text: str, today: dt.date, limit: int | None = None) -> Any:
    """One wage, or a list of wages kept in the order given: each month's wage when it changed
    ("$240, $250 and $260"), or each worker's for a payroll; otherwise as :func:`answer` reads it.
    ``limit``: the longest list accepted (default: a year of monthly wages)."""
    r = read(text, today)
    listed = [(a, c) for a, c in r.money if c is not None]
    if r.dont_know or r.ambiguous or len(listed) < 2 or len(listed) != len(r.money):
        return answer("wage", text, today)
    if len(listed) > (limit or _MAX_WAGE_MONTHS):
        return Invalid("too_many_wages")
    values = [validate("wage", m) for m in listed]
    bad = next((v for v in values if isinstance(v, Invalid)), None)
    return bad or ";".join(values)


def payroll_wages(text: str, today: dt.date) -> Any:
    """The payroll's wage: one wage for every worker, or a list with one wage per worker."""
    return wage_history(text, today, limit=RANGES["workers"][1])


def check_wage_count(wage: Any, workers: Any) -> Any:
    """A payroll's list of wages must have one wage per worker (one wage is for all of them)."""
    if isinstance(wage, str) and isinstance(workers, int) and wage != "unknown":
        listed = wage.count(";") + 1
        if listed > 1 and listed != workers:
            return Invalid("wage_count_mismatch")
    return wage


LATEST_DATE = dt.date(2100, 1, 1)


def validate(slot: str, value: Any) -> Any:
    """A parsed value as a slot value, or ``Invalid`` when it is out of range."""
    kind = SLOT_KINDS[slot]
    if kind == "money":
        amount, currency = value
        if amount <= 0 or amount > _MAX_WAGE[currency]:
            return Invalid("out_of_range")
        return money_slot([value])
    if kind == "date":
        # no date the checks could use lies this far ahead (and 9999-12-31 + 30 days overflows)
        return Invalid("out_of_range") if value >= LATEST_DATE else value.isoformat()
    if slot in RANGES:
        low, high = RANGES[slot]
        if not low <= value <= high:
            return Invalid("out_of_range")
    return value


def check_event_date(scheme: str | None, value: Any, today: dt.date) -> Any:
    """An event date as a slot value, or ``Invalid`` when it cannot be the date of that event
    (an accident tomorrow, a birth in two years, a date before NSSF's benefits)."""
    if not isinstance(value, str) or value == "unknown":
        return value
    day = dt.date.fromisoformat(value)
    if day > today + _EVENT_AHEAD.get(scheme or "", dt.timedelta(0)):
        return Invalid("date_future")
    if day < _EARLIEST_EVENT:
        return Invalid("out_of_range")
    return value


def _val(slots: Mapping[str, Any], name: str) -> Any:
    value = slots.get(name)
    return UNKNOWN if value == "unknown" else value


def _wage(slots: Mapping[str, Any]) -> Wage | Unknown | None:
    value = _val(slots, "wage")
    if isinstance(value, str):
        listed = parse_money_slot(value)
        return listed[0] if len(listed) == 1 else tuple(listed)
    return value


def event_day(slots: Mapping[str, Any], today: dt.date) -> dt.date:
    value = slots.get("event_date")
    return dt.date.fromisoformat(value) if isinstance(value, str) and _is_date(value) else today


def evaluate(
    slots: Mapping[str, Any], book: RuleBook, rate: Decimal, today: dt.date
) -> Result | None:
    """Run the check the slots describe (``None`` while the scheme is not known)."""
    scheme = slots.get("scheme")
    on = event_day(slots, today)
    if scheme == "health_care":
        return checks.health_care(
            HealthCareInput(on, _val(slots, "months_in_window"), _val(slots, "consecutive_months")),
            book,
        )
    if scheme == "maternity":
        inp = MaternityInput(
            on, _val(slots, "months_in_window"), _wage(slots), _val(slots, "year_of_service")
        )
        return checks.maternity(inp, book, rate)
    if scheme == "sickness":
        return checks.sickness(
            SicknessInput(
                on,
                _val(slots, "months_in_window"),
                _val(slots, "consecutive_months"),
                _wage(slots),
                _val(slots, "sick_days"),
                _val(slots, "sick_days_used"),
            ),
            book,
            rate,
        )
    if scheme == "injury":
        return checks.injury(
            InjuryInput(
                on,
                _val(slots, "commuting"),
                _val(slots, "direct_route"),
                _wage(slots),
                _val(slots, "sick_days"),
            ),
            book,
            rate,
        )
    if scheme == "pension":
        return checks.pension(
            PensionInput(on, _val(slots, "pension_age"), _val(slots, "pension_months")), book
        )
    if scheme == "registration":
        start = _val(slots, "start_date")
        start = dt.date.fromisoformat(start) if isinstance(start, str) else start
        return checks.registration(RegistrationInput(today, _val(slots, "registrant"), start), book)
    return None


def _slot_for(name: str) -> str:
    if name.startswith("pension_"):
        return name
    return _INPUT_SLOT.get(name, name)


def next_slot(
    slots: Mapping[str, Any], book: RuleBook, rate: Decimal, today: dt.date
) -> str | None:
    """The slot to ask next for the eligibility check, or ``None`` when it can be answered."""
    if slots.get("scheme") not in SCHEMES:
        return "scheme"
    result = evaluate(slots, book, rate, today)
    assert result is not None
    for name in (*result.missing, *result.wanted):
        slot = _slot_for(name)
        if slots.get(slot) is None:
            if slots["scheme"] in EVENT_SCHEMES and slots.get("event_date") is None:
                return "event_date"
            return slot
    return None


def date_assumed(slots: Mapping[str, Any]) -> bool:
    """Whether the check ran at today's date because the user gave no event date."""
    return slots.get("scheme") in EVENT_SCHEMES and not _is_date(slots.get("event_date"))


def _is_date(value: Any) -> bool:
    return isinstance(value, str) and value != "unknown"


def next_contribution_slot(slots: Mapping[str, Any]) -> str | None:
    for slot in CONTRIBUTION_SLOTS:
        if slots.get(slot) is None:
            return slot
    return None


def wages(slots: Mapping[str, Any]) -> list[Money] | None:
    """The payroll the contribution slots describe: count × wage, or the list of wages."""
    value, workers = slots.get("wage"), slots.get("workers")
    if not isinstance(value, str) or not isinstance(workers, int) or value == "unknown":
        return None
    listed = parse_money_slot(value)
    if len(listed) > 1:
        return listed if len(listed) == workers else None
    return listed * workers
