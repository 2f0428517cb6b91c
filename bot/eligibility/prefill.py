"""Slot values a first message already holds ("I worked 8 months, my wage is $250", "10 staff at
$250"), for the one-shot check and the calculator, and the values the buttons that ask a number's
role back give. A number fills a slot only with a cue for its role (:mod:`bot.numbers.roles`):
"I worked 10 years" is contributions, never an age; a number without a cue fills nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from bot.eligibility.dialogue import (
    RANGES,
    Invalid,
    check_event_date,
    check_wage_count,
    money_slot,
    validate,
    wage_history,
)
from bot.numbers import roles
from bot.numbers.parser import Ambiguous, Reading, read

# how a first message's numbers fill a check's inputs: only with a cue for that role
_ROLE_READERS = {
    "months_in_window": roles.contribution_months,
    "pension_months": roles.contribution_months,
    "pension_age": roles.ages,
    "sick_days": roles.day_counts,
}
_WANTED = {
    "health_care": ("months_in_window",),
    "maternity": ("months_in_window", "wage"),
    "sickness": ("months_in_window", "wage", "sick_days"),
    "injury": ("wage", "sick_days"),
    "pension": ("pension_age", "pension_months"),
    "registration": (),
}


def _own_value(slot: str, r: Reading) -> Any:
    values = list(dict.fromkeys(_ROLE_READERS[slot](r)))
    return validate(slot, values[0]) if len(values) == 1 else None


def prefill(scheme: str | None, text: str, today: dt.date) -> dict[str, Any]:
    """Slot values a first message already holds ("I worked 8 months, wage $250"): each number
    only with a cue for its role (:mod:`bot.numbers.roles`), never a guess."""
    out: dict[str, Any] = {}
    r = read(text, today)
    if r.ambiguous:
        return out
    if len(r.dates) == 1 and isinstance(
        check_event_date(scheme, r.dates[0].isoformat(), today), str
    ):
        out["event_date"] = r.dates[0].isoformat()
    own_money = roles.amounts(r)
    if len(own_money) != len(r.money):
        own_money = []  # "over $300" is a rule, not the wage
    if scheme == "contributions":
        money = list(dict.fromkeys(f.value for f in own_money if f.value[1] is not None))
        counts = roles.head_counts(r)
        if len(money) == 1 or (len(money) > 1 and not counts):
            out["wage"] = money_slot(money)
        if len(counts) == 1:
            out["workers"] = counts[0]
        elif len(money) > 1 and not counts:
            out["workers"] = len(money)
        if isinstance(check_wage_count(out.get("wage"), out.get("workers")), Invalid):
            del out["wage"]
        return {k: v for k, v in out.items() if not isinstance(validate_any(k, v), Invalid)}
    for slot in _WANTED.get(scheme or "", ()):
        if slot == "wage":
            value = wage_history(text, today) if own_money else None
        else:
            value = _own_value(slot, r)
        if value is not None and value != "unknown" and not isinstance(value, (Ambiguous, Invalid)):
            out[slot] = value
    if scheme == "registration" and len(r.dates) == 1:
        out["start_date"] = r.dates[0].isoformat()
    return out


# what a number is, as the buttons that ask it back say (entities of the button's payload)
BUTTON_SLOTS = ("pension_age", "pension_months", "months_in_window")


def from_buttons(entities: Mapping[str, Any]) -> dict[str, Any]:
    """Slot values a button gave (``/check_eligibility{"pension_age":"35"}``), when valid."""
    out: dict[str, Any] = {}
    for slot in BUTTON_SLOTS:
        raw = str(entities.get(slot) or "")
        if raw.isdigit() and not isinstance(value := validate(slot, int(raw)), Invalid):
            out[slot] = value
    return out


def validate_any(slot: str, value: Any) -> Any:
    if slot == "wage":
        return value
    if slot in RANGES and isinstance(value, int):
        return validate(slot, value)
    return value
