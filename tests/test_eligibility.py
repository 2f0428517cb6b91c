"""Eligibility checks, contribution calculator and rules loader. Every expected amount is worked
out by hand in the table (riel at 4,000 per dollar), never by calling the module."""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from bot.eligibility import checks
from bot.eligibility.contributions import payroll, worker_contribution
from bot.eligibility.model import (
    UNKNOWN,
    Decision,
    HealthCareInput,
    InjuryInput,
    MaternityInput,
    Money,
    PensionInput,
    RegistrationInput,
    SicknessInput,
)
from bot.eligibility.rules import MissingRule, RulesError, get_rules, load_rules

# Hypothesis keeps no example database (settings below) and its caches go to a temporary
# directory, so the tests write nothing into the repository.
set_hypothesis_home_dir(tempfile.mkdtemp(prefix="nssf-hypothesis-"))

RATE = Decimal(4000)
JUNE_2025 = dt.date(2025, 6, 1)
E, N, C = Decision.ELIGIBLE, Decision.NOT_ELIGIBLE, Decision.CANNOT_TELL


@pytest.fixture(scope="module")
def book():
    return load_rules()


def usd(amount: int | str) -> Money:
    return Money(Decimal(amount), "USD")


def khr(amount: int) -> Money:
    return Money(Decimal(amount), "KHR")


def shares(c) -> dict[str, tuple[int, int]]:
    return {s.scheme: (int(s.employer), int(s.worker)) for s in c.shares}


# --- health care: 2 consecutive months or 6 of the last 12 -----------------------------------
@pytest.mark.parametrize(
    ("months", "run", "decision", "missing"),
    [
        (1, None, N, ()),  # one month cannot hold two in a row
        (2, None, C, ("consecutive_months",)),
        (2, 1, N, ()),
        (2, 2, E, ()),
        (None, 1, C, ("months_in_window",)),
        (None, 2, E, ()),
        (5, 1, N, ()),
        (6, None, E, ()),
        (6, 0, E, ()),
        (UNKNOWN, None, C, ("months_in_window",)),
    ],
)
def test_health_care_needs_two_consecutive_or_six_of_twelve_months(
    book, months, run, decision, missing
):
    result = checks.health_care(HealthCareInput(JUNE_2025, months, run), book)
    assert (result.decision, result.missing) == (decision, missing)


def test_health_care_cites_prakas_109(book):
    result = checks.health_care(HealthCareInput(JUNE_2025, 6), book)
    assert {b.source for b in result.basis} == {"Prakas 109"}
    assert result.next_steps == ("step_health_care",)


def test_health_care_before_the_scheme_cannot_tell(book):
    result = checks.health_care(HealthCareInput(dt.date(2015, 12, 31), 12), book)
    assert (result.decision, result.reason) == (C, "no_rule")


# --- maternity -------------------------------------------------------------------------------
@pytest.mark.parametrize(("months", "decision"), [(8, N), (9, E), (12, E), (0, N)])
def test_maternity_needs_nine_of_twelve_months(book, months, decision):
    result = checks.maternity(MaternityInput(JUNE_2025, months), book, RATE)
    assert result.decision == decision


def test_maternity_for_a_250_dollar_wage(book):
    # NSSF: 70 % × 1,000,000 ÷ 30 × 90 = 2,100,000 riel = $525.00
    # employer (1 year of service): 50 % × 1,000,000 ÷ 30 × 90 = 1,500,000 riel = $375.00
    # birth cash: 400,000 riel = $100.00
    result = checks.maternity(MaternityInput(JUNE_2025, 10, usd(250), True), book, RATE)
    assert result.decision == E
    assert [(a.key, int(a.riel), a.usd) for a in result.amounts] == [
        ("amount_maternity_nssf", 2_100_000, Decimal("525.00")),
        ("amount_birth_cash", 400_000, Decimal("100.00")),
        ("amount_maternity_employer", 1_500_000, Decimal("375.00")),
    ]
    assert result.amounts[0].formula == "70 % × $250.00 ÷ 30 × 90 = $525.00"
    assert result.wanted == ()


def test_maternity_without_a_year_of_service_has_no_employer_share(book):
    result = checks.maternity(MaternityInput(JUNE_2025, 10, usd(250), False), book, RATE)
    assert [a.key for a in result.amounts] == ["amount_maternity_nssf", "amount_birth_cash"]


def test_maternity_allowance_uses_the_wage_capped_at_the_ceiling(book):
    # $400 = 1,600,000 riel, capped at 1,200,000: 70 % × 1,200,000 ÷ 30 × 90 = 2,520,000 riel
    result = checks.maternity(MaternityInput(JUNE_2025, 9, usd(400), False), book, RATE)
    assert int(result.amounts[0].riel) == 2_520_000


@pytest.mark.parametrize(
    ("wages", "nssf_riel", "formula"),
    [
        # (960,000 + 1,000,000 + 1,040,000) ÷ 3 = 1,000,000 → 70 % ÷ 30 × 90 = 2,100,000 riel
        (
            (usd(240), usd(250), usd(260)),
            2_100_000,
            "70 % × ($240.00 + $250.00 + $260.00) ÷ 3 ÷ 30 × 90 = $525.00",
        ),
        # seven months given: only the last six count, (6 × 1,000,000) ÷ 6 = 1,000,000
        ((usd(100),) + (usd(250),) * 6, 2_100_000, None),
        # each month capped at 1,200,000 first: (1,200,000 + 800,000) ÷ 2 = 1,000,000
        ((usd(400), usd(200)), 2_100_000, "70 % × ($300.00 + $200.00) ÷ 2 ÷ 30 × 90 = $525.00"),
        # riel wages stay in riel: (900,000 + 1,100,000) ÷ 2 = 1,000,000
        (
            (khr(900_000), khr(1_100_000)),
            2_100_000,
            "70 % × (900,000 riel + 1,100,000 riel) ÷ 2 ÷ 30 × 90 = 2,100,000 riel",
        ),
        # mixed currencies are shown in riel: (1,000,000 + 600,000) ÷ 2 = 800,000 → 1,680,000
        ((usd(250), khr(600_000)), 1_680_000, None),
    ],
)
def test_daily_average_wage_is_the_average_of_up_to_six_months(book, wages, nssf_riel, formula):
    result = checks.maternity(MaternityInput(JUNE_2025, 10, wages, False), book, RATE)
    nssf = result.amounts[0]
    assert (nssf.key, int(nssf.riel)) == ("amount_maternity_nssf", nssf_riel)
    if formula:
        assert nssf.formula == formula


def test_sickness_allowance_from_a_wage_history(book):
    # ($200 + $300) ÷ 2 = $250 = 1,000,000 riel; 70 % × 1,000,000 ÷ 30 × 12 = 280,000 riel
    inp = SicknessInput(JUNE_2025, 6, None, (usd(200), usd(300)), 12)
    result = checks.sickness(inp, book, RATE)
    assert [(a.key, int(a.riel)) for a in result.amounts] == [("amount_sickness", 280_000)]


def test_maternity_not_eligible_asks_for_nothing_more(book):
    result = checks.maternity(MaternityInput(JUNE_2025, 8), book, RATE)
    assert (result.reason, result.wanted, result.next_steps) == (
        "maternity_short",
        (),
        ("step_hotline",),
    )


def test_maternity_eligible_wants_wage_and_service_for_the_amounts(book):
    result = checks.maternity(MaternityInput(JUNE_2025, 9), book, RATE)
    assert result.wanted == ("wage", "year_of_service")


@pytest.mark.parametrize(
    ("birth", "decision", "n_amounts"),
    [
        (dt.date(2017, 12, 31), C, 0),  # before the maternity figures we hold
        (dt.date(2018, 1, 1), E, 0),  # decision, but the daily-wage rule starts 2023-03-20
        (dt.date(2023, 3, 19), E, 0),
        (dt.date(2023, 3, 20), E, 2),
    ],
)
def test_maternity_on_both_sides_of_rule_changes(book, birth, decision, n_amounts):
    result = checks.maternity(MaternityInput(birth, 10, usd(250), False), book, RATE)
    assert (result.decision, len(result.amounts)) == (decision, n_amounts)


@pytest.mark.parametrize(
    ("birth", "confirmed"), [(dt.date(2023, 7, 31), True), (dt.date(2023, 8, 1), False)]
)
def test_birth_cash_after_august_2023_is_marked_unconfirmed(book, birth, confirmed):
    result = checks.maternity(MaternityInput(birth, 10, usd(250), False), book, RATE)
    cash = [b for b in result.basis if b.ref == "maternity.birth_cash"]
    assert [b.confirmed for b in cash] == [confirmed]


# --- sickness --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("wage", "days", "riel", "dollars"),
    [
        (usd(250), 10, 233_333, "58.33"),  # 70 % × 1,000,000 ÷ 30 × 10
        (usd(250), 200, 4_200_000, "1050.00"),  # capped at 180 days
        (usd(250), 180, 4_200_000, "1050.00"),
        (usd(400), 10, 280_000, "70.00"),  # wage capped at 1,200,000 riel
        (khr(600_000), 30, 420_000, "105.00"),  # 70 % × 600,000 ÷ 30 × 30
    ],
)
def test_sickness_allowance_is_70_percent_of_daily_wage_for_at_most_180_days(
    book, wage, days, riel, dollars
):
    result = checks.sickness(SicknessInput(JUNE_2025, 6, None, wage, days), book, RATE)
    assert result.decision == E
    assert (int(result.amounts[0].riel), result.amounts[0].usd) == (riel, Decimal(dollars))


@pytest.mark.parametrize(
    ("days", "used", "paid_days", "riel", "reason"),
    [
        (10, 0, 10, 233_333, "sickness_ok"),  # 70 % × 1,000,000 ÷ 30 × 10
        (100, 150, 30, 700_000, "sickness_ok_left"),  # 180 − 150 = 30 days left
        (10, 175, 5, 116_667, "sickness_ok_left"),  # 5 left: 70 % × 1,000,000 ÷ 30 × 5
        (10, 170, 10, 233_333, "sickness_ok_left"),  # exactly 10 left
        (200, UNKNOWN, 180, 4_200_000, "sickness_ok_used_unknown"),  # the most possible
    ],
)
def test_days_already_paid_in_the_12_months_count_toward_the_180(
    book, days, used, paid_days, riel, reason
):
    result = checks.sickness(SicknessInput(JUNE_2025, 6, None, usd(250), days, used), book, RATE)
    assert (result.decision, result.reason) == (E, reason)
    (amount,) = result.amounts
    assert int(amount.riel) == riel
    assert amount.formula.startswith(f"70 % × $250.00 ÷ 30 × {paid_days} = ")
    assert result.wanted == ()


@pytest.mark.parametrize("used", [180, 181, 366])
def test_no_sick_pay_once_180_days_are_paid_in_the_12_months(book, used):
    result = checks.sickness(SicknessInput(JUNE_2025, 6, None, usd(250), 5, used), book, RATE)
    assert (result.decision, result.reason, result.amounts) == (N, "sickness_used_up", ())
    assert result.params["days_used"] == str(used) and result.next_steps == ("step_hotline",)
    assert result.wanted == ()  # nothing more to ask


def test_sickness_asks_for_days_already_paid_after_wage_and_days(book):
    assert checks.sickness(SicknessInput(JUNE_2025, 6), book, RATE).wanted == (
        "wage",
        "days",
        "days_used",
    )
    given_all = SicknessInput(JUNE_2025, 6, None, usd(250), 5, 0)
    assert checks.sickness(given_all, book, RATE).wanted == ()


def test_sickness_follows_the_health_care_qualifying_rule(book):
    assert checks.sickness(SicknessInput(JUNE_2025, 1), book, RATE).decision == N
    assert checks.sickness(SicknessInput(JUNE_2025, 3, 2), book, RATE).decision == E


# --- employment injury -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("commuting", "direct", "decision", "reason"),
    [
        (False, None, E, "injury_work"),
        (True, True, E, "injury_commuting"),
        (True, False, N, "injury_detour"),
        (True, None, C, "missing_input"),
        (None, None, C, "missing_input"),
        (UNKNOWN, None, C, "unknown_input"),
    ],
)
def test_commuting_accident_needs_the_direct_route(book, commuting, direct, decision, reason):
    result = checks.injury(InjuryInput(JUNE_2025, commuting, direct), book, RATE)
    assert (result.decision, result.reason) == (decision, reason)


@pytest.mark.parametrize(("days", "riel"), [(1, 0), (2, 28_000), (5, 112_000)])
def test_injury_allowance_from_day_two_employer_pays_day_one(book, days, riel):
    # $300 = 1,200,000 riel: 70 % × 1,200,000 ÷ 30 = 28,000 riel per day from day 2
    result = checks.injury(InjuryInput(JUNE_2025, False, None, usd(300), days), book, RATE)
    assert int(result.amounts[0].riel) == riel


def test_injury_report_deadline_is_unconfirmed(book):
    result = checks.injury(InjuryInput(JUNE_2025, False), book, RATE)
    assert [b.confirmed for b in result.basis if b.ref == "employment_injury.report_hours"] == [
        False
    ]
    assert result.params["report_hours"] == "48"


# --- pension ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("age", "months", "decision", "reason"),
    [
        (59, 100, N, "pension_too_young"),
        (60, 12, E, "pension_ok"),
        (60, 11, N, "pension_lump_sum"),
        (65, 240, E, "pension_ok"),
        (None, 12, C, "missing_input"),
    ],
)
def test_pension_needs_age_60_and_12_months(book, age, months, decision, reason):
    result = checks.pension(PensionInput(JUNE_2025, age, months), book)
    assert (result.decision, result.reason) == (decision, reason)


@pytest.mark.parametrize(("on", "decision"), [(dt.date(2022, 9, 30), C), (dt.date(2022, 10, 1), E)])
def test_pension_rules_start_in_october_2022(book, on, decision):
    assert checks.pension(PensionInput(on, 60, 12), book).decision == decision


# --- registration deadlines ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "start", "on", "decision", "deadline"),
    [
        ("enterprise", dt.date(2016, 12, 31), dt.date(2017, 2, 14), E, "2017-02-14"),  # 45 days
        ("enterprise", dt.date(2016, 12, 31), dt.date(2017, 2, 15), N, "2017-02-14"),
        ("enterprise", dt.date(2017, 1, 1), dt.date(2017, 1, 31), E, "2017-01-31"),  # 30 days
        ("enterprise", dt.date(2025, 6, 1), dt.date(2025, 7, 2), N, "2025-07-01"),
        ("worker", dt.date(2022, 7, 5), dt.date(2022, 7, 8), E, "2022-07-08"),  # 3 days
        ("worker", dt.date(2025, 6, 1), dt.date(2025, 6, 5), N, "2025-06-04"),
    ],
)
def test_registration_deadlines(book, who, start, on, decision, deadline):
    result = checks.registration(RegistrationInput(on, who, start), book)
    assert (result.decision, result.params["deadline"]) == (decision, deadline)


def test_worker_registration_before_prakas_168_cannot_tell(book):
    result = checks.registration(RegistrationInput(JUNE_2025, "worker", dt.date(2022, 7, 4)), book)
    assert (result.decision, result.reason) == (C, "no_rule")


# --- contributions ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("wage_riel", "eii", "shi", "pension"),
    [
        (1_200_000, 9_600, 31_200, 24_000),  # exactly at the ceiling
        (1_300_000, 9_600, 31_200, 24_000),  # above: clamped to the ceiling
        (
            1_190_000,
            9_600,
            31_200,
            23_800,
        ),  # band 1,175,000–1,224,999 → 1,200,000; pension not banded
        (1_150_000, 9_200, 29_900, 23_000),
        (1_000_000, 8_000, 26_000, 20_000),
        (410_000, 3_200, 10_400, 8_200),  # band → 400,000
        (400_000, 3_200, 10_400, 8_000),  # exactly at the pension floor
        (390_000, 3_200, 10_400, 8_000),  # below: pension base 400,000
        (200_000, 1_600, 5_200, 8_000),  # exactly at the EII/SHI floor
        (150_000, 1_600, 5_200, 8_000),  # below: clamped to 200,000
    ],
)
def test_contribution_base_floor_ceiling_and_bands(book, wage_riel, eii, shi, pension):
    c = worker_contribution(book, khr(wage_riel), JUNE_2025, RATE)
    assert shares(c) == {
        "employment_injury": (eii, 0),
        "health_care": (shi, 0),
        "pension": (pension, pension),
    }
    assert c.employer == eii + shi + pension and c.worker == pension


def test_payroll_of_10_workers_at_250_dollars(book):
    # per worker (1,000,000 riel): employer 8,000 + 26,000 + 20,000 = 54,000, worker 20,000
    c = payroll(book, [usd(250)] * 10, JUNE_2025, RATE)
    assert (int(c.employer), int(c.worker), int(c.total), c.workers) == (
        540_000,
        200_000,
        740_000,
        10,
    )


def test_payroll_of_25_workers_at_300_dollars(book):
    # per worker (1,200,000 riel, at the ceiling): employer 9,600 + 31,200 + 24,000 = 64,800,
    # worker 24,000 → × 25
    c = payroll(book, [usd(300)] * 25, JUNE_2025, RATE)
    assert (int(c.employer), int(c.worker), int(c.total)) == (1_620_000, 600_000, 2_220_000)


def test_payroll_from_a_list_of_wages(book):
    # $250 → 74,000 riel in total; 600,000 riel → employer 4,800 + 15,600 + 12,000, worker 12,000
    c = payroll(book, [usd(250), khr(600_000)], JUNE_2025, RATE)
    assert (int(c.employer), int(c.worker)) == (54_000 + 32_400, 20_000 + 12_000)


def test_a_different_exchange_rate_changes_the_riel_wage(book):
    # $250 at 4,100 = 1,025,000 riel → band 1,050,000 (half-way goes up): EII 8,400
    c = worker_contribution(book, usd(250), JUNE_2025, Decimal(4100))
    assert shares(c)["employment_injury"] == (8_400, 0)


@pytest.mark.parametrize(
    ("month", "expected"),
    [
        # health split 1.3 % + 1.3 % until Dec 2017, old ceiling 1,000,000
        (dt.date(2017, 12, 1), {"employment_injury": (8_000, 0), "health_care": (13_000, 13_000)}),
        (dt.date(2018, 1, 1), {"employment_injury": (8_000, 0), "health_care": (26_000, 0)}),
        # ceiling 1,200,000 from Oct 2018 (wage 1,200,000)
        (dt.date(2018, 9, 1), {"employment_injury": (8_000, 0), "health_care": (26_000, 0)}),
        (dt.date(2018, 10, 1), {"employment_injury": (9_600, 0), "health_care": (31_200, 0)}),
    ],
)
def test_contributions_on_both_sides_of_rate_and_ceiling_changes(book, month, expected):
    wage = khr(1_000_000) if month.year == 2017 or month == dt.date(2018, 1, 1) else khr(1_200_000)
    assert shares(worker_contribution(book, wage, month, RATE)) == expected


@pytest.mark.parametrize(
    ("month", "pension"),
    [
        (dt.date(2022, 9, 1), None),  # no pension contributions before Oct 2022
        (dt.date(2022, 10, 1), (20_000, 20_000)),  # 2 % + 2 % of 1,000,000
        (dt.date(2027, 9, 1), (20_000, 20_000)),
        (dt.date(2027, 10, 1), (40_000, 40_000)),  # 4 % + 4 % from year 6
    ],
)
def test_pension_contributions_on_both_sides_of_each_change(book, month, pension):
    assert shares(worker_contribution(book, khr(1_000_000), month, RATE)).get("pension") == pension


def test_no_pension_contribution_from_age_60(book):
    assert "pension" not in shares(
        worker_contribution(book, khr(1_000_000), JUNE_2025, RATE, age=60)
    )
    assert "pension" in shares(worker_contribution(book, khr(1_000_000), JUNE_2025, RATE, age=59))


def test_a_month_without_rules_raises_missing_rule(book):
    with pytest.raises(MissingRule):
        worker_contribution(book, khr(1_000_000), dt.date(2032, 10, 1), RATE)


# --- properties ------------------------------------------------------------------------------
wages_riel = st.integers(min_value=0, max_value=20_000_000)
months = st.dates(min_value=dt.date(2016, 1, 1), max_value=dt.date(2032, 9, 30))
NO_DB = settings(database=None, max_examples=150, deadline=None)


@NO_DB
@given(wage=wages_riel, month=months)
def test_amounts_are_never_negative_and_shares_add_up(wage, month):
    c = worker_contribution(get_rules(), khr(wage), month, RATE)
    for s in c.shares:
        assert s.employer >= 0 and s.worker >= 0 and s.employer + s.worker == s.total
    assert c.employer + c.worker == c.total


@NO_DB
@given(a=wages_riel, b=wages_riel, month=months)
def test_contributions_do_not_decrease_when_the_wage_rises(a, b, month):
    low, high = sorted((a, b))
    book = get_rules()
    c_low = worker_contribution(book, khr(low), month, RATE)
    c_high = worker_contribution(book, khr(high), month, RATE)
    for s_low, s_high in zip(c_low.shares, c_high.shares, strict=True):
        assert s_low.employer <= s_high.employer and s_low.worker <= s_high.worker


@NO_DB
@given(a=st.integers(1_200_000, 50_000_000), b=st.integers(1_200_000, 50_000_000), month=months)
def test_contributions_are_constant_above_the_ceiling(a, b, month):
    book = get_rules()
    assert (
        worker_contribution(book, khr(a), month, RATE).shares
        == worker_contribution(book, khr(b), month, RATE).shares
    )


@NO_DB
@given(
    wage=st.integers(1, 5_000),
    days=st.integers(1, 400),
    months_paid=st.integers(0, 12),
    used=st.integers(0, 400),
)
def test_benefit_amounts_are_never_negative(wage, days, months_paid, used):
    book = get_rules()
    sick = SicknessInput(JUNE_2025, months_paid, None, usd(wage), days, used)
    results = [
        checks.sickness(sick, book, RATE),
        checks.maternity(MaternityInput(JUNE_2025, months_paid, usd(wage), True), book, RATE),
        checks.injury(InjuryInput(JUNE_2025, False, None, usd(wage), days), book, RATE),
    ]
    assert all(a.riel >= 0 and a.usd >= 0 for r in results for a in r.amounts)


@NO_DB
@given(wage=st.integers(1, 5_000), days=st.integers(1, 400), used=st.integers(0, 400))
def test_sick_pay_never_covers_more_than_180_days_in_12_months_counting_days_paid(wage, days, used):
    book = get_rules()
    result = checks.sickness(SicknessInput(JUNE_2025, 6, None, usd(wage), days, used), book, RATE)
    full = checks.sickness(SicknessInput(JUNE_2025, 6, None, usd(wage), 180, 0), book, RATE)
    paid = sum((a.riel for a in result.amounts), Decimal(0))
    assert paid <= full.amounts[0].riel
    if used >= 180:
        assert result.amounts == ()


# --- the rules loader ------------------------------------------------------------------------
GOOD = {
    "value": 2,
    "unit": "percent",
    "valid_from": "2020-01-01",
    "valid_to": None,
    "source": "Prakas 1",
    "source_date": "2020-01-01",
}


def write_scheme(tmp_path: Path, periods, scheme: str = "demo", key: str = "rate") -> Path:
    (tmp_path / f"{scheme}.yml").write_text(
        yaml.safe_dump({"scheme": "demo", "figures": {key: periods}}), "utf-8"
    )
    return tmp_path


@pytest.mark.parametrize(
    ("periods", "problem"),
    [
        (
            [{**GOOD, "valid_to": "2021-12-31"}, {**GOOD, "valid_from": "2021-06-01"}],
            "periods overlap",
        ),
        ([GOOD, {**GOOD, "valid_from": "2022-01-01"}], "periods overlap"),
        ([{**GOOD, "valid_to": "2019-01-01"}], "is before valid_from"),
        ([{k: v for k, v in GOOD.items() if k != "source"}], "missing 'source'"),
        ([{k: v for k, v in GOOD.items() if k != "source_date"}], "missing 'source_date'"),
        ([{k: v for k, v in GOOD.items() if k != "valid_to"}], "missing 'valid_to'"),
        ([{**GOOD, "valid_from": "1st of May"}], "not a date"),
        ([{**GOOD, "unit": "bananas"}], "unknown unit"),
        ([{**GOOD, "value": "lots"}], "not a number"),
        ([{**GOOD, "value": -1}], "is negative"),
        ([{**GOOD, "confirmed": "maybe"}], "'confirmed' must be true or false"),
        ([{**GOOD, "colour": "red"}], "unknown field"),
        ([], "non-empty list"),
    ],
)
def test_malformed_rules_fail_naming_file_key_and_problem(tmp_path, periods, problem):
    with pytest.raises(RulesError) as err:
        load_rules(write_scheme(tmp_path, periods))
    assert str(err.value).startswith("demo.yml, key 'rate': ")
    assert problem in str(err.value)


def test_scheme_name_must_match_the_file_name(tmp_path):
    with pytest.raises(RulesError, match=r"other\.yml: 'scheme' is 'demo'"):
        load_rules(write_scheme(tmp_path, [GOOD], scheme="other"))


def test_invalid_yaml_is_refused(tmp_path):
    (tmp_path / "demo.yml").write_text("scheme: [demo", "utf-8")
    with pytest.raises(RulesError, match=r"demo\.yml: not valid YAML"):
        load_rules(tmp_path)


def test_older_values_are_kept_and_looked_up_by_date(tmp_path):
    book = load_rules(
        write_scheme(
            tmp_path,
            [{**GOOD, "valid_to": "2020-12-31"}, {**GOOD, "value": 3, "valid_from": "2021-01-01"}],
        )
    )
    assert book.get("demo.rate", dt.date(2020, 12, 31)).value == 2
    assert book.get("demo.rate", dt.date(2021, 1, 1)).value == 3
    with pytest.raises(MissingRule):
        book.get("demo.rate", dt.date(2019, 12, 31))


def test_every_shipped_figure_has_a_source_and_a_date(book):
    assert book.figures
    for periods in book.figures.values():
        for f in periods:
            assert f.source and f.source_date <= dt.date(2026, 1, 1)
