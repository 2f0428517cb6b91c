"""The eligibility checks: each takes a typed input and returns a typed ``Result``.

Every figure comes from the rule book at the date of the event (birth, sickness, accident,
start of work); a figure not in force on that date makes the check answer "cannot tell".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from bot.eligibility.arithmetic import (
    Rules,
    average_wage,
    daily_wage,
    is_wage,
    per_day,
)
from bot.eligibility.model import (
    UNKNOWN,
    Amount,
    Decision,
    HealthCareInput,
    InjuryInput,
    MaternityInput,
    PensionInput,
    RegistrationInput,
    Result,
    SicknessInput,
    Unknown,
    Wage,
    riel,
    usd,
)
from bot.eligibility.rules import MissingRule, RuleBook
from bot.eligibility.text_format import fmt_money, fmt_number


def _int(n: Decimal) -> int:
    return int(n)


def _cannot_tell(
    check: str, on: dt.date, reason: str, missing: tuple[str, ...] = (), **params: str
) -> Result:
    return Result(
        check=check,
        decision=Decision.CANNOT_TELL,
        reason=reason,
        on=on,
        params=dict(params),
        missing=missing,
    )


def _missing(
    check: str, value: object, on: dt.date, slot: str, params: dict[str, str], r: Rules
) -> Result:
    """ "Cannot tell" because input ``slot`` is missing (``None``) or the user does not know it."""
    reason = "missing_input" if value is None else "unknown_input"
    return Result(
        check=check,
        decision=Decision.CANNOT_TELL,
        reason=reason,
        on=on,
        params=params,
        missing=(slot,),
        basis=r.basis(),
    )


def _no_rule(check: str, exc: MissingRule) -> Result:
    return _cannot_tell(check, exc.day, "no_rule", date=exc.day.isoformat(), rule=exc.ref)


def _qualifying(r: Rules, months: int | Unknown | None, consecutive: int | Unknown | None):
    """The health-insurance qualifying rule: (decision, reason, params, missing)."""
    need_run = r("health_care.consecutive_months")
    need_in_window = r("health_care.months_in_window")
    window = r("health_care.window_months")
    params = {
        "need_run": fmt_number(need_run),
        "need_months": fmt_number(need_in_window),
        "window": fmt_number(window),
    }
    if isinstance(consecutive, int) and consecutive >= need_run:
        return Decision.ELIGIBLE, "health_consecutive", {**params, "run": str(consecutive)}, ()
    if months is None:
        return Decision.CANNOT_TELL, "missing_input", params, ("months_in_window",)
    if months is UNKNOWN:
        return Decision.CANNOT_TELL, "unknown_input", params, ("months_in_window",)
    assert isinstance(months, int)
    params["months"] = str(months)
    if months >= need_in_window:
        return Decision.ELIGIBLE, "health_months", params, ()
    if months < need_run or isinstance(consecutive, int):
        return Decision.NOT_ELIGIBLE, "health_not_enough", params, ()
    if consecutive is UNKNOWN:
        return Decision.CANNOT_TELL, "unknown_input", params, ("consecutive_months",)
    return Decision.CANNOT_TELL, "missing_input", params, ("consecutive_months",)


def health_care(inp: HealthCareInput, book: RuleBook) -> Result:
    """Health care: contributions for 2 consecutive months or 6 of the last 12."""
    r = Rules(book, inp.on)
    try:
        decision, reason, params, missing = _qualifying(
            r, inp.months_in_window, inp.consecutive_months
        )
        params["care_days"] = fmt_number(r("health_care.max_care_days"))
    except MissingRule as exc:
        return _no_rule("health_care", exc)
    steps = (
        ("step_health_care",) if decision == Decision.ELIGIBLE else ("step_check_contributions",)
    )
    return Result(
        check="health_care",
        decision=decision,
        reason=reason,
        on=inp.on,
        params=params,
        missing=missing,
        basis=r.basis(),
        next_steps=steps,
    )


def maternity(inp: MaternityInput, book: RuleBook, rate: Decimal) -> Result:
    """Maternity allowance (9 of 12 months; 70 % × daily wage × 90 days) and the employer's 50 %."""
    r = Rules(book, inp.birth_date)
    try:
        need = r("maternity.qualifying_months")
        params = {
            "need_months": fmt_number(need),
            "window": fmt_number(r("maternity.window_months")),
            "notify_weeks": fmt_number(r("maternity.notify_from_weeks")),
        }
        months = inp.months_in_window
        if months is None or months is UNKNOWN:
            return _missing("maternity", months, inp.birth_date, "months_in_window", params, r)
        assert isinstance(months, int)
        params["months"] = str(months)
        decision = Decision.ELIGIBLE if months >= need else Decision.NOT_ELIGIBLE
        reason = "maternity_ok" if decision == Decision.ELIGIBLE else "maternity_short"
        amounts: list[Amount] = []
        wanted: list[str] = []
        wage = inp.wage
        if is_wage(wage):
            amounts.extend(_maternity_amounts(r, inp, wage, rate, decision))
        elif wage is None and decision == Decision.ELIGIBLE:
            wanted.append("wage")
        if inp.year_of_service is None and decision == Decision.ELIGIBLE:
            wanted.append("year_of_service")
    except MissingRule as exc:
        return _no_rule("maternity", exc)
    steps = ("step_maternity_notify",) if decision == Decision.ELIGIBLE else ("step_hotline",)
    return Result(
        check="maternity",
        decision=decision,
        reason=reason,
        on=inp.birth_date,
        params=params,
        wanted=tuple(wanted),
        amounts=tuple(amounts),
        basis=r.basis(),
        next_steps=steps,
        rate=rate,
    )


def _maternity_amounts(
    r: Rules, inp: MaternityInput, wage: Wage, rate: Decimal, decision: Decision
) -> list[Amount]:
    out = []
    try:
        days = r("maternity.allowance_days")
        if decision == Decision.ELIGIBLE:
            pct = r("maternity.allowance_rate")
            daily = daily_wage(r, wage, rate)
            out.append(per_day("amount_maternity_nssf", r, pct, daily, days, rate))
            cash = r.figure("maternity.birth_cash")
            total_cash = cash.value * inp.babies
            out.append(
                Amount(
                    "amount_birth_cash",
                    riel(total_cash),
                    usd(total_cash, rate),
                    f"{fmt_money(cash.value, 'KHR')} × {inp.babies}"
                    f" = {fmt_money(total_cash, 'KHR')}",
                )
            )
        if inp.year_of_service is True:
            share = r("maternity.employer_rate")
            # the employer pays on the whole wage: the average is not capped at the ceiling
            monthly, average, like = average_wage(r, wage, rate, None)
            uncapped = (monthly / r("general.daily_wage_divisor"), average, like)
            out.append(per_day("amount_maternity_employer", r, share, uncapped, days, rate))
    except MissingRule:
        return out  # the amount rule is not known on that date: decision only
    return out


def sickness(inp: SicknessInput, book: RuleBook, rate: Decimal) -> Result:
    """Sickness allowance: health-care qualifying rule; 70 % × daily wage for the days off, at
    most 180 days in 12 months (days already paid in them count; unknown: the most is shown)."""
    r = Rules(book, inp.on)
    try:
        decision, reason, params, missing = _qualifying(
            r, inp.months_in_window, inp.consecutive_months
        )
        pct = r("sickness.allowance_rate")
        max_days = r("sickness.max_days")
        params.update(max_days=fmt_number(max_days), window=fmt_number(r("sickness.window_months")))
        amounts: list[Amount] = []
        wanted = []
        steps: tuple[str, ...] = ("step_check_contributions",)
        if decision == Decision.ELIGIBLE:
            used = inp.days_used if isinstance(inp.days_used, int) else 0
            left = max(max_days - used, Decimal(0))
            params.update(days_used=fmt_number(Decimal(used)), days_left=fmt_number(left))
            if not left:
                decision, reason = Decision.NOT_ELIGIBLE, "sickness_used_up"
                steps = ("step_hotline",)
            else:
                reason = "sickness_ok_left" if used else "sickness_ok"
                if inp.days_used is UNKNOWN:
                    reason = "sickness_ok_used_unknown"
                steps = ("step_sickness",)
                if is_wage(inp.wage) and isinstance(inp.days, int):
                    days = min(Decimal(inp.days), left)
                    daily = daily_wage(r, inp.wage, rate)
                    amounts.append(per_day("amount_sickness", r, pct, daily, days, rate))
                asked = {"wage": inp.wage, "days": inp.days, "days_used": inp.days_used}
                wanted = [name for name, value in asked.items() if value is None]
    except MissingRule as exc:
        return _no_rule("sickness", exc)
    return Result(
        check="sickness",
        decision=decision,
        reason=reason,
        on=inp.on,
        params=params,
        missing=missing,
        wanted=tuple(wanted),
        amounts=tuple(amounts),
        basis=r.basis(),
        next_steps=steps,
        rate=rate,
    )


def injury(inp: InjuryInput, book: RuleBook, rate: Decimal) -> Result:
    """Employment injury incl. commuting: covered from day one; a commuting accident only on the
    direct route; 70 % of the daily wage from day 2, the employer pays day 1."""
    r = Rules(book, inp.on)
    try:
        pct = r("employment_injury.temporary_rate")
        employer_days = r("employment_injury.employer_paid_days")
        report = r.figure("employment_injury.report_hours")
        params = {
            "pct": fmt_number(pct),
            "employer_days": fmt_number(employer_days),
            "threshold": fmt_number(r("employment_injury.permanent_pension_threshold")),
            "report_hours": fmt_number(report.value),
        }
        r.cite("employment_injury.qualifying_months")  # none: covered from the first day
        if inp.commuting is None or inp.commuting is UNKNOWN:
            return _missing("injury", inp.commuting, inp.on, "commuting", params, r)
        if inp.commuting is True and (inp.direct_route is None or inp.direct_route is UNKNOWN):
            return _missing("injury", inp.direct_route, inp.on, "direct_route", params, r)
        if inp.commuting is True and inp.direct_route is False:
            return Result(
                check="injury",
                decision=Decision.NOT_ELIGIBLE,
                reason="injury_detour",
                on=inp.on,
                params=params,
                basis=r.basis(),
                next_steps=("step_hotline",),
            )
        reason = "injury_commuting" if inp.commuting is True else "injury_work"
        amounts: list[Amount] = []
        if is_wage(inp.wage) and isinstance(inp.days, int):
            paid = max(Decimal(inp.days) - employer_days, Decimal(0))
            daily = daily_wage(r, inp.wage, rate)
            shown = f"({inp.days} − {fmt_number(employer_days)})"
            amounts.append(per_day("amount_injury", r, pct, daily, paid, rate, shown))
        wanted = tuple(k for k, v in (("wage", inp.wage), ("days", inp.days)) if v is None)
    except MissingRule as exc:
        return _no_rule("injury", exc)
    return Result(
        check="injury",
        decision=Decision.ELIGIBLE,
        reason=reason,
        on=inp.on,
        params=params,
        wanted=wanted,
        amounts=tuple(amounts),
        basis=r.basis(),
        next_steps=("step_injury_report",),
        rate=rate,
    )


def pension(inp: PensionInput, book: RuleBook) -> Result:
    """Old-age pension: age 60 and 12 months of contributions, otherwise a lump sum."""
    r = Rules(book, inp.on)
    try:
        age_needed = r("pension.pension_age")
        months_needed = r("pension.qualifying_months")
    except MissingRule as exc:
        return _no_rule("pension", exc)
    params = {"pension_age": fmt_number(age_needed), "need_months": fmt_number(months_needed)}
    for name, value in (("age", inp.age), ("months", inp.months)):
        if value is None or value is UNKNOWN:
            return _missing("pension", value, inp.on, f"pension_{name}", params, r)
    assert isinstance(inp.age, int) and isinstance(inp.months, int)
    params.update(age=str(inp.age), months=str(inp.months))
    if inp.age < age_needed:
        params["years_left"] = fmt_number(age_needed - inp.age)
        decision, reason = Decision.NOT_ELIGIBLE, "pension_too_young"
    elif inp.months >= months_needed:
        decision, reason = Decision.ELIGIBLE, "pension_ok"
    else:
        decision, reason = Decision.NOT_ELIGIBLE, "pension_lump_sum"
    return Result(
        check="pension",
        decision=decision,
        reason=reason,
        on=inp.on,
        params=params,
        basis=r.basis(),
        next_steps=("step_pension",),
    )


def registration(inp: RegistrationInput, book: RuleBook) -> Result:
    """Registration deadline for an enterprise (after starting operations) or a new worker
    (after starting work); "eligible" means the deadline has not passed on ``inp.on``."""
    if inp.who is None or inp.who is UNKNOWN:
        reason = "missing_input" if inp.who is None else "unknown_input"
        return _cannot_tell("registration", inp.on, reason, ("registrant",))
    if inp.start_date is None or inp.start_date is UNKNOWN:
        reason = "missing_input" if inp.start_date is None else "unknown_input"
        return _cannot_tell("registration", inp.on, reason, ("start_date",))
    assert isinstance(inp.start_date, dt.date)
    r = Rules(book, inp.start_date)
    try:
        key = "enterprise_days" if inp.who == "enterprise" else "worker_days"
        days = r(f"registration.{key}")
        min_workers = r("registration.min_workers") if inp.who == "enterprise" else None
    except MissingRule as exc:
        return _no_rule("registration", exc)
    deadline = inp.start_date + dt.timedelta(days=_int(days))
    params = {
        "days": fmt_number(days),
        "start": inp.start_date.isoformat(),
        "deadline": deadline.isoformat(),
    }
    if min_workers is not None:
        params["min_workers"] = fmt_number(min_workers)
    on_time = inp.on <= deadline
    reason = f"registration_{inp.who}_{'on_time' if on_time else 'late'}"
    decision = Decision.ELIGIBLE if on_time else Decision.NOT_ELIGIBLE
    return Result(
        check="registration",
        decision=decision,
        reason=reason,
        on=inp.on,
        params=params,
        basis=r.basis(),
        next_steps=(f"step_register_{inp.who}",),
    )


CHECKS: dict[str, Callable[..., Result]] = {
    "health_care": health_care,
    "maternity": maternity,
    "sickness": sickness,
    "injury": injury,
    "pension": pension,
    "registration": registration,
}
