"""A number fills a check's input only with a cue for that role; a number without one is asked
back, never guessed; questions about documents get the knowledge, not a verdict. English, Khmer
and romanized Khmer, including every misreading found by the held-out set."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.eligibility.opening import check_to_start
from bot.eligibility.prefill import from_buttons, prefill
from bot.numbers import read, roles

TODAY = dt.date(2025, 6, 15)


@pytest.mark.parametrize(
    ("scheme", "text", "expected"),
    [
        # years worked are contributions, never an age ("❌ No, not yet" at age 10)
        (
            "pension",
            "I have worked 10 years, how much pension will I get?",
            {"pension_months": 120},
        ),
        ("pension", "ខ្ញុំធ្វើការបាន១០ឆ្នាំ តើខ្ញុំទទួលបានសោធនប៉ុន្មាន", {"pension_months": 120}),
        ("pension", "knhom tver kar ban 10 chnam, ban sothun ponman", {"pension_months": 120}),
        (
            "pension",
            "I am 45 and worked 20 years, what pension?",
            {"pension_age": 45, "pension_months": 240},
        ),
        ("pension", "អាយុ៥៥ឆ្នាំ បង់ភាគទាន៨ឆ្នាំហើយ", {"pension_age": 55, "pension_months": 96}),
        ("pension", "knhom ayu 58 chnam", {"pension_age": 58}),
        # a number with no role fills nothing
        ("pension", "35 years, how much pension?", {}),
        ("pension", "kamkor trov bang pension 2% men te?", {}),
        # thresholds and rules are not the user's own figures
        ("pension", "do workers over 60 still pay for pension?", {}),
        ("pension", "កម្មករអាយុលើស៦០ នៅតែបង់ភាគទានសោធនទៀតអត់", {}),
        ("maternity", "do I need at least 9 months of contributions?", {}),
        ("sickness", "បើខកខានមិនបានបង់ភាគទាន២ខែ ត្រូវពិន័យប៉ុន្មាន", {}),
        # how far along a pregnancy is, not months of contributions
        ("maternity", "I'm 8 months pregnant, how much maternity pay?", {}),
        ("maternity", "ខ្ញុំមានផ្ទៃពោះ៧ខែ ទទួលបានប៉ុន្មាន", {}),
        # a Khmer word that holds a number word is not a number (ដើម្បី holds បី, three)
        ("maternity", "ត្រូវការឯកសារអ្វីខ្លះ ដើម្បីទាមទារប្រាក់មាតុភាព", {}),
        # months of contributions with their cue, and a wage with its currency
        (
            "maternity",
            "I worked 8 months, my salary is $250",
            {"months_in_window": 8, "wage": "250 USD"},
        ),
        ("maternity", "ខ្ញុំបង់ភាគទានបាន១០ខែ", {"months_in_window": 10}),
        (
            "maternity",
            "knhom tver kar ban 8 khe, luy khe 250 dolla",
            {"months_in_window": 8, "wage": "250 USD"},
        ),
        ("sickness", "sick for 10 days, wage $300", {"sick_days": 10, "wage": "300 USD"}),
    ],
)
def test_a_number_fills_a_check_only_with_a_cue_for_its_role(
    scheme: str, text: str, expected: dict
) -> None:
    assert prefill(scheme, text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "I have 10 staff at $250, what do I owe NSSF each month?",
            {"workers": 10, "wage": "250 USD"},
        ),
        ("ខ្ញុំមានបុគ្គលិក ១០ នាក់ ប្រាក់ខែ $250 ត្រូវបង់ ប.ស.ស ប៉ុន្មាន", {"workers": 10, "wage": "250 USD"}),
        (
            "nak tver kar 10 nak, luy khe 250 dolla, trov bong bsos ponman",
            {"workers": 10, "wage": "250 USD"},
        ),
        ("12 workers paid 1,200,000 riel", {"workers": 12, "wage": "1200000 KHR"}),
    ],
)
def test_a_payroll_is_read_from_the_employers_words(text: str, expected: dict) -> None:
    assert prefill("contributions", text, TODAY) == expected


def test_a_number_without_a_role_is_unclear_and_one_with_a_cue_is_not() -> None:
    unclear = roles.unclear(read("35 years, how much pension?", TODAY))
    assert [(f.kind, f.value) for f in unclear] == [("duration", (420, 0))]
    assert roles.unclear(read("I worked 35 years", TODAY)) == []
    assert roles.unclear(read("I am 8 months pregnant", TODAY)) == []
    assert roles.unclear(read("pension 2%", TODAY)) == []


def test_the_buttons_that_ask_a_role_back_fill_that_role() -> None:
    assert from_buttons({"pension_age": "35"}) == {"pension_age": 35}
    assert from_buttons({"pension_months": "420"}) == {"pension_months": 420}
    assert from_buttons({"pension_age": "200", "months_in_window": "x"}) == {}


@pytest.mark.parametrize(
    ("intent", "text", "aspects", "expected"),
    [
        # what documents / how to claim: the knowledge answers, never a verdict
        ("maternity", "ត្រូវការឯកសារអ្វីខ្លះ ដើម្បីទាមទារប្រាក់មាតុភាព", ("documents",), None),
        ("maternity", "I worked 8 months, what documents do I need?", ("documents",), None),
        # "am I eligible for X?" without numbers: the answer first, with an offer
        ("check_eligibility", "am I eligible for maternity pay?", (), None),
        ("check_eligibility", "do I get anything when I give birth?", (), None),
        # no benefit named, the offer's button, or the user's numbers: the check
        ("check_eligibility", "can you check if I qualify?", (), "eligibility"),
        ("check_eligibility", '/check_eligibility{"scheme":"maternity"}', (), "eligibility"),
        ("maternity", "I worked 8 months, can I get maternity pay?", (), "eligibility"),
        # the pension misreading: years worked start the check with the months, not an age
        (
            "pension",
            "I have worked 10 years, how much pension will I get?",
            ("amount",),
            "eligibility",
        ),
        ("pension", "35 years, how much pension?", ("amount",), None),
        # an employer's payroll question reaches the calculator
        (
            "register_enterprise",
            "I run a shop with 7 staff at $230, how much do I pay?",
            (),
            "contributions",
        ),
        ("contribution_rates", "10 workers earning $250, what do I owe?", (), "contributions"),
        ("calculate_contributions", "calculate my contributions", (), None),
    ],
)
def test_what_a_first_message_starts(
    intent: str, text: str, aspects: tuple[str, ...], expected: str | None
) -> None:
    entities = {"scheme": "maternity"} if text.startswith("/") else {}
    assert check_to_start(intent, text, TODAY, entities, aspects) == expected


def test_calculate_in_an_employers_words_opens_the_calculator() -> None:
    topics = ("calculate_contributions",)
    assert check_to_start(
        "calculate_contributions", "calculate my contributions", TODAY, {}, (), topics
    ) == ("contributions")
