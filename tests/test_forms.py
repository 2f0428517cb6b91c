"""Eligibility and calculator conversations: the form validators and actions, with exact
messages and events for trackers built in the test (texts from data/eligibility/texts.yml)."""

from __future__ import annotations

import datetime as dt

import pytest
from rasa_sdk.events import ActiveLoop, SlotSet

from actions.eligibility import (
    ASK_ACTIONS,
    FORM_SLOTS,
    ActionCalculateContributions,
    ActionCheckEligibility,
    ActionExplainWhy,
    ActionReadMessage,
    ActionStopForm,
)
from actions.forms import ValidateContributionForm, ValidateEligibilityForm
from bot.eligibility import config
from bot.eligibility.texts import load_texts
from tests.factories import run_action, tracker

TODAY = dt.date(2025, 6, 15)
T = load_texts()
RESET = [SlotSet(s, None) for s in FORM_SLOTS]


@pytest.fixture(autouse=True)
def fixed_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "_current", config.EligibilityConfig(clock=lambda: TODAY))


# --- one-shot answers and activation -------------------------------------------------------
async def test_a_maternity_question_with_the_months_is_answered_without_questions():
    t = tracker("I worked 8 months, can I get maternity pay?", "maternity")
    messages, events = await run_action(ValidateEligibilityForm(), t)
    assert messages == []
    assert events == [
        SlotSet("scheme", "maternity"),
        SlotSet("months_in_window", 8),
        SlotSet("requested_slot", None),
        SlotSet("last_language", "en"),
    ]


async def test_a_payroll_question_with_the_numbers_is_calculated_without_questions():
    t = tracker("10 workers earning $250, how much do I pay?", "contribution_rates")
    _, events = await run_action(ValidateContributionForm(), t)
    assert events == [
        SlotSet("wage", "250 USD"),
        SlotSet("workers", 10),
        SlotSet("requested_slot", None),
        SlotSet("last_language", "en"),
    ]


async def test_a_pension_question_with_the_years_worked_first_says_what_it_read():
    t = tracker("I have worked 15 years, how much pension will I get?", "pension")
    messages, events = await run_action(ValidateEligibilityForm(), t)
    assert messages == [("What I understood: 180 month(s) of contributions.", [])]
    assert SlotSet("pension_months", 180) in events
    assert SlotSet("requested_slot", "pension_age") in events  # then the age is asked


async def test_a_khmer_pension_question_echoes_in_khmer():
    t = tracker("ខ្ញុំបង់ភាគទាន ១០ ឆ្នាំហើយ តើបានសោធនប៉ុន្មាន", "pension")
    messages, events = await run_action(ValidateEligibilityForm(), t)
    assert messages == [("អ្វីដែលខ្ញុំយល់៖ បានបង់ភាគទាន 120 ខែ។", [])]
    assert SlotSet("requested_slot", "pension_age") in events


async def test_a_form_opened_without_numbers_echoes_nothing():
    t = tracker("i had an accident on the way to work", "commuting_accident")
    messages, _ = await run_action(ValidateEligibilityForm(), t)
    assert messages == []  # "on the way to work" is the topic, not a number read


async def test_am_i_eligible_asks_which_check_first():
    _, events = await run_action(
        ValidateEligibilityForm(), tracker("am i eligible", "check_eligibility")
    )
    assert events == [SlotSet("requested_slot", "scheme"), SlotSet("last_language", "en")]


async def test_a_commuting_accident_question_asks_about_the_direct_route():
    t = tracker("i had an accident on the way to work", "commuting_accident")
    _, events = await run_action(ValidateEligibilityForm(), t)
    assert events == [
        SlotSet("commuting", True),
        SlotSet("scheme", "injury"),
        SlotSet("requested_slot", "event_date"),  # the rules in force on the accident's date
        SlotSet("last_language", "en"),
    ]


async def test_after_the_accident_date_it_asks_about_the_direct_route():
    slots = {"scheme": "injury", "commuting": True}
    t = tracker("yesterday", "inform", slots=slots, form="eligibility_form", requested="event_date")
    _, events = await run_action(ValidateEligibilityForm(), t)
    assert events == [
        SlotSet("event_date", "2025-06-14"),
        SlotSet("form_failures", 0),
        SlotSet("requested_slot", "direct_route"),
        SlotSet("last_language", "en"),
    ]


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("I worked 8 months, can I get maternity pay?", "maternity", "eligibility"),
        ("ធ្វើការបាន៨ខែ អាចទទួលប្រាក់មាតុភាពបានទេ", "maternity", "eligibility"),
        ("10 workers earning $250, how much do I pay?", "contribution_rates", "contributions"),
        ("how much maternity allowance do I get?", "maternity", None),
        ("i opened a restaurant with 10 staff do i need to register", "register_enterprise", None),
    ],
)
async def test_read_message_marks_topic_questions_that_hold_the_numbers(text, intent, expected):
    _, events = await run_action(
        ActionReadMessage(), tracker(text, intent, slots={"numbers_for": "x"})
    )
    assert events == [SlotSet("numbers_for", expected)]


# --- answers inside the form ---------------------------------------------------------------
BIRTH = "2025-09-01"  # the expected birth, already answered
MATERNITY = {"scheme": "maternity", "event_date": BIRTH, "months_in_window": 10}


async def test_a_readable_answer_fills_the_slot_and_asks_the_next_one():
    t = tracker("$250", "inform", slots=MATERNITY, form="eligibility_form", requested="wage")
    messages, events = await run_action(ValidateEligibilityForm(), t)
    assert messages == []
    assert events == [
        SlotSet("wage", "250 USD"),
        SlotSet("form_failures", 0),
        SlotSet("requested_slot", "year_of_service"),
    ]


async def test_a_khmer_answer_with_khmer_digits_is_read():
    t = tracker(
        "១០ខែ",
        "inform",
        slots={"scheme": "maternity", "event_date": BIRTH},
        form="eligibility_form",
        requested="months_in_window",
    )
    _, events = await run_action(ValidateEligibilityForm(), t)
    assert events[0] == SlotSet("months_in_window", 10)


async def test_a_button_after_an_english_message_keeps_english():
    t = tracker(
        '/inform{"scheme":"maternity"}',
        "inform",
        slots={"last_language": "en"},
        form="eligibility_form",
        requested="scheme",
        entities=[{"entity": "scheme", "value": "maternity"}],
    )
    _, events = await run_action(ValidateEligibilityForm(), t)
    assert events == [
        SlotSet("scheme", "maternity"),
        SlotSet("form_failures", 0),
        SlotSet("requested_slot", "event_date"),
    ]
    asked = tracker("/inform", "inform", slots={"last_language": "en", "scheme": "maternity"})
    messages, _ = await run_action(ASK_ACTIONS["event_date"](), asked)
    assert messages == [
        (
            'When is the baby due, or when was it born? (e.g. "in 3 months" or 15 March 2026)',
            [
                {"title": "Today", "payload": "Today"},
                {"title": "I don't know", "payload": "I don't know"},
            ],
        )
    ]


async def test_the_yes_button_answers_a_yes_no_question():
    slots = {**MATERNITY, "wage": "250 USD"}
    t = tracker(
        "/affirm", "affirm", slots=slots, form="eligibility_form", requested="year_of_service"
    )
    _, events = await run_action(ValidateEligibilityForm(), t)
    assert events == [
        SlotSet("year_of_service", True),
        SlotSet("form_failures", 0),
        SlotSet("requested_slot", None),
    ]


async def test_a_wage_without_currency_is_asked_back_with_buttons():
    slots = {**MATERNITY, "last_language": "en"}  # digits only: the conversation's language
    t = tracker("250", "inform", slots=slots, form="eligibility_form", requested="wage")
    messages, events = await run_action(ValidateEligibilityForm(), t)
    assert messages == [
        (
            "Is that 250 US dollars or 250 riel?",
            [{"title": "$250", "payload": "$250"}, {"title": "250 riel", "payload": "250 riel"}],
        )
    ]
    assert events == [SlotSet("wage", None), SlotSet("requested_slot", "wage")]


async def test_an_ambiguous_answer_is_asked_back_in_khmer():
    t = tracker(
        "៨ ឬ ៩ ខែ",
        "inform",
        slots={"scheme": "maternity", "event_date": BIRTH},
        form="eligibility_form",
        requested="months_in_window",
    )
    messages, _ = await run_action(ValidateEligibilityForm(), t)
    assert messages == [("សូមផ្តល់លេខតែមួយ មិនមែនចន្លោះលេខទេ។", [])]


async def test_first_unreadable_answer_says_so():
    t = tracker(
        "lots",
        "inform",
        slots={"scheme": "maternity", "event_date": BIRTH},
        form="eligibility_form",
        requested="months_in_window",
    )
    messages, events = await run_action(ValidateEligibilityForm(), t)
    assert messages == [("Sorry, I couldn't read that as an answer.", [])]
    assert events == [
        SlotSet("months_in_window", None),
        SlotSet("form_failures", 1),
        SlotSet("requested_slot", "months_in_window"),
        SlotSet("last_language", "en"),
    ]


async def test_second_unreadable_answer_explains_and_offers_to_stop():
    t = tracker(
        "lots",
        "inform",
        slots={"scheme": "maternity", "event_date": BIRTH, "form_failures": 1},
        form="eligibility_form",
        requested="months_in_window",
    )
    messages, events = await run_action(ValidateEligibilityForm(), t)
    assert messages == [
        (T("why_months_in_window", "en", window="12"), []),
        (T("two_failures", "en", hotline="1286"), [{"title": "Stop", "payload": "/stop"}]),
    ]
    assert SlotSet("form_failures", 2) in events


async def test_an_impossible_number_is_refused():
    t = tracker(
        "15 months",
        "inform",
        slots={"scheme": "maternity", "event_date": BIRTH},
        form="eligibility_form",
        requested="months_in_window",
    )
    messages, events = await run_action(ValidateEligibilityForm(), t)
    assert messages == [("That number doesn't look possible here; please check it.", [])]
    assert events[0] == SlotSet("months_in_window", None)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("stop", "stop"),
        ("why do you ask", "ask_why"),
        ("what is the nssf hotline number", "contact"),
    ],
)
async def test_stop_why_and_other_questions_are_left_to_the_rules(text, intent):
    t = tracker(
        text,
        intent,
        slots={"scheme": "maternity", "event_date": BIRTH},
        form="eligibility_form",
        requested="months_in_window",
    )
    assert await run_action(ValidateEligibilityForm(), t) == ([], [])


async def test_the_form_resumes_after_why_without_reading_the_message_again():
    t = tracker(
        "why do you ask",
        "ask_why",
        slots={"scheme": "maternity", "event_date": BIRTH},
        form="eligibility_form",
        requested="months_in_window",
        after="action_explain_why",
    )
    assert await run_action(ValidateEligibilityForm(), t) == (
        [],
        [SlotSet("requested_slot", "months_in_window")],
    )


# --- questions, why, stop ------------------------------------------------------------------
async def test_the_question_is_asked_in_khmer_with_yes_no_buttons():
    t = tracker("ចាស", "affirm", slots={"last_language": "km"})
    messages, _ = await run_action(ASK_ACTIONS["direct_route"](), t)
    assert messages == [
        (
            T("ask_direct_route", "km"),
            [
                {"title": "បាទ/ចាស", "payload": "/affirm"},
                {"title": "ទេ", "payload": "/deny"},
                {"title": "មិនដឹង", "payload": "មិនដឹង"},  # keeps the reply in Khmer
            ],
        )
    ]


async def test_every_form_slot_has_an_ask_action_named_after_it():
    assert {a().name() for a in ASK_ACTIONS.values()} == {f"action_ask_{s}" for s in ASK_ACTIONS}
    assert ASK_ACTIONS["wage"].__name__ == "ActionAskWage"


async def test_why_explains_the_pending_question():
    t = tracker("why do you need that", "ask_why", requested="wage")
    messages, _ = await run_action(ActionExplainWhy(), t)
    assert messages == [(T("why_wage", "en"), [])]


async def test_stop_leaves_the_form_and_forgets_the_answers():
    messages, events = await run_action(
        ActionStopForm(), tracker("ឈប់", "stop", form="eligibility_form")
    )
    assert messages == [("យល់ព្រម ខ្ញុំបានឈប់ហើយ។ អ្នកអាចសួរសំណួរផ្សេង ឬជ្រើសរើសប្រធានបទ។", [])]
    assert events == [
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        *RESET,
        SlotSet("last_language", "km"),
    ]


# --- results -------------------------------------------------------------------------------
def body(result: str) -> str:
    """A result without its first line, "What I understood: ..." (tested on its own)."""
    first, _, rest = result.partition("\n")
    assert first.startswith(("What I understood: ", "អ្វីដែលខ្ញុំយល់៖ ")), first
    return rest


async def test_a_result_first_says_what_it_understood_in_english_and_khmer():
    slots = {"scheme": "maternity", "months_in_window": 8, "wage": "250 USD"}
    messages, _ = await run_action(
        ActionCheckEligibility(), tracker("8 months", "inform", slots=slots)
    )
    assert messages[0][0].split("\n")[0] == (
        "What I understood: 8 month(s) of contributions in the last 12 months; wage $250."
    )
    messages, _ = await run_action(ActionCheckEligibility(), tracker("៨ខែ", "inform", slots=slots))
    assert messages[0][0].split("\n")[0] == (
        "អ្វីដែលខ្ញុំយល់៖ បានបង់ភាគទាន 8 ខែ ក្នុង 12 ខែចុងក្រោយ; ប្រាក់ឈ្នួល $250។"
    )


async def test_not_eligible_result_has_decision_basis_and_next_step():
    t = tracker("8 months", "inform", slots={"scheme": "maternity", "months_in_window": 8})
    messages, events = await run_action(ActionCheckEligibility(), t)
    assert [(body(text), buttons) for text, buttons in messages] == [
        (
            "❌ No. Not from NSSF: the allowance needs 9 months of contributions in the 12 months "
            "before the birth, and you have 8.\n"
            "Rules in force on 2025-06-15. Basis: NSSF website (2025-12-01); WageIndicator "
            "(2025-12-01)\n"
            "I used today's date, 2025-06-15. If it happened (or will happen) on another date, "
            "ask again with that date.\n"
            "Next: To check your case, call NSSF on 1286.",
            [],
        )
    ]
    assert events == [*RESET, SlotSet("last_language", "en")]


async def test_maternity_result_for_250_dollars_shows_the_arithmetic():
    slots = {
        "scheme": "maternity",
        "months_in_window": 10,
        "wage": "250 USD",
        "year_of_service": True,
    }
    messages, _ = await run_action(ActionCheckEligibility(), tracker("yes", "affirm", slots=slots))
    lines = body(messages[0][0]).split("\n")
    assert lines[1:5] == [
        "NSSF allowance: 70 % × $250.00 ÷ 30 × 90 = $525.00",
        "Birth cash: 400,000 riel × 1 = 400,000 riel",
        "Employer's share: 50 % × $250.00 ÷ 30 × 90 = $375.00",
        "Dollars converted at 4,000 riel per $ (assumed; NSSF notifies the official rate).",
    ]


async def test_cannot_tell_goes_through_the_unresolved_action():
    slots = {"scheme": "maternity", "months_in_window": "unknown"}
    messages, _ = await run_action(
        ActionCheckEligibility(), tracker("i don't know", "inform", slots=slots)
    )
    assert body(messages[0][0]).startswith(
        "❔ I can't tell yet. Without that answer I can't decide."
    )
    assert messages[1][0].startswith("Sorry, I can't answer that yet.")


async def test_payroll_result_in_riel_and_dollars_states_the_rate(monkeypatch):
    slots = {"workers": 10, "wage": "250 USD", "last_language": "en"}
    messages, events = await run_action(
        ActionCalculateContributions(), tracker("$250", "inform", slots=slots)
    )
    lines = messages[0][0].split("\n")
    assert lines[0] == (
        "For 10 worker(s), 2025-06: the employer pays 540,000 riel, the workers "
        "200,000 riel; total 740,000 riel ($185.00)."
    )
    assert lines[1] == (
        "Per scheme (employer + worker): work injury (0.8 % + 0 %) × 10,000,000 riel = 80,000 riel"
        " + 0 riel; health (2.6 % + 0 %) × 10,000,000 riel = 260,000 riel + 0 riel; pension (2 % + "
        "2 %) × 10,000,000 riel = 200,000 riel + 200,000 riel."
    )
    assert (
        lines[2]
        == "Dollars converted at 4,000 riel per $ (assumed; NSSF notifies the official rate)."
    )
    assert events == RESET


async def test_the_configured_exchange_rate_is_used_and_stated(monkeypatch):
    monkeypatch.setenv("NSSF_USD_RIEL_RATE", "4100")
    monkeypatch.setattr(config, "_current", None)
    monkeypatch.setattr(config.EligibilityConfig, "today", lambda self: TODAY)
    slots = {"workers": 1, "wage": "250 USD", "last_language": "en"}
    messages, _ = await run_action(
        ActionCalculateContributions(), tracker("$250", "inform", slots=slots)
    )
    assert "4,100 riel per $" in messages[0][0]


async def test_payroll_result_in_khmer():
    slots = {"workers": 25, "wage": "300 USD"}
    messages, _ = await run_action(
        ActionCalculateContributions(), tracker("៣០០ដុល្លារ", "inform", slots=slots)
    )
    assert messages[0][0].split("\n")[0] == (
        "សម្រាប់កម្មករ 25 នាក់ ខែ 2025-06៖ និយោជកបង់ 1,620,000 រៀល កម្មករបង់ 600,000 រៀល "
        "សរុប 2,220,000 រៀល ($555.00)។"
    )


# --- the event's date, wage histories and payroll lists --------------------------------------
INJURY = {"scheme": "injury", "commuting": False}


@pytest.mark.parametrize(
    ("scheme", "text", "expected"),
    [
        ("injury", "2025-06-10", "2025-06-10"),
        ("injury", "3 days ago", "2025-06-12"),
        ("maternity", "in 3 months", "2025-09-15"),  # a birth can be expected
        ("sickness", "ម្សិលមិញ", "2025-06-14"),
    ],
)
async def test_the_event_date_is_read_in_both_languages(scheme, text, expected):
    t = tracker(text, "inform", slots={"scheme": scheme}, form="eligibility_form")
    t.slots["requested_slot"] = "event_date"
    _, events = await run_action(ValidateEligibilityForm(), t)
    assert events[:2] == [SlotSet("event_date", expected), SlotSet("form_failures", 0)]


async def test_an_accident_in_the_future_is_refused():
    t = tracker("tomorrow", "inform", slots=INJURY, form="eligibility_form", requested="event_date")
    messages, events = await run_action(ValidateEligibilityForm(), t)
    assert messages == [("That date is too far in the future for this; please check it.", [])]
    assert events[:3] == [
        SlotSet("event_date", None),
        SlotSet("form_failures", 1),
        SlotSet("requested_slot", "event_date"),
    ]


async def test_a_month_without_day_and_year_is_asked_back():
    t = tracker("in March", "inform", slots=INJURY, form="eligibility_form", requested="event_date")
    messages, events = await run_action(ValidateEligibilityForm(), t)
    assert messages == [("Which day and year? Please write the full date, e.g. 15/03/2025.", [])]
    assert events[0] == SlotSet("event_date", None)


async def test_an_unknown_event_date_checks_at_today_and_says_so():
    t = tracker(
        "I don't know", "inform", slots=INJURY, form="eligibility_form", requested="event_date"
    )
    _, events = await run_action(ValidateEligibilityForm(), t)
    assert events[0] == SlotSet("event_date", "unknown")
    slots = {**INJURY, "event_date": "unknown", "wage": "250 USD", "sick_days": 5}
    messages, _ = await run_action(
        ActionCheckEligibility(), tracker("5 days", "inform", slots=slots)
    )
    assert "I used today's date, 2025-06-15." in body(messages[0][0])


async def test_the_rules_of_the_event_date_are_used_not_todays():
    # a birth before the 2018 maternity rules: no figures in force on that date
    slots = {"scheme": "maternity", "event_date": "2017-05-01", "months_in_window": 10}
    messages, _ = await run_action(
        ActionCheckEligibility(), tracker("10 months", "inform", slots=slots)
    )
    assert body(messages[0][0]).startswith(
        "❔ I can't tell yet. I don't have the rules in force on 2017-05-01 for this."
    )
    assert "I used today's date" not in body(messages[0][0])


async def test_the_wage_question_offers_a_wage_history_with_the_rules_months():
    t = tracker("10 months", "inform", slots={"scheme": "maternity"}, form="eligibility_form")
    messages, _ = await run_action(ASK_ACTIONS["wage"](), t)
    assert messages[0][0] == (
        'What is your monthly wage? Say the currency, e.g. "$250". If it changed in the last 6 '
        'months, send each month\'s wage, e.g. "$240, $250, $260".'
    )


async def test_a_wage_history_fills_the_wage_and_is_averaged_in_the_result():
    t = tracker(
        "$240, $250 and $260", "inform", slots=MATERNITY, form="eligibility_form", requested="wage"
    )
    _, events = await run_action(ValidateEligibilityForm(), t)
    assert events[0] == SlotSet("wage", "240 USD;250 USD;260 USD")
    slots = {**MATERNITY, "wage": "240 USD;250 USD;260 USD", "year_of_service": False}
    messages, _ = await run_action(ActionCheckEligibility(), tracker("no", "deny", slots=slots))
    assert body(messages[0][0]).split("\n")[1] == (
        "NSSF allowance: 70 % × ($240.00 + $250.00 + $260.00) ÷ 3 ÷ 30 × 90 = $525.00"
    )


async def test_a_khmer_currency_question_has_khmer_payloads():
    slots = {**MATERNITY, "last_language": "km"}
    t = tracker("២៥០", "inform", slots=slots, form="eligibility_form", requested="wage")
    messages, _ = await run_action(ValidateEligibilityForm(), t)
    assert messages[0][1] == [
        {"title": "$250", "payload": "$250"},
        {"title": "250 រៀល", "payload": "250 រៀល"},
    ]


PAYROLL = {"workers": 3, "last_language": "en"}


async def test_a_payroll_list_with_one_wage_per_worker_is_accepted():
    t = tracker(
        "$250, $300, $280", "inform", slots=PAYROLL, form="contribution_form", requested="wage"
    )
    messages, events = await run_action(ValidateContributionForm(), t)
    assert messages == []
    assert events[:3] == [
        SlotSet("wage", "250 USD;300 USD;280 USD"),
        SlotSet("form_failures", 0),
        SlotSet("requested_slot", None),
    ]


async def test_a_payroll_list_that_does_not_match_the_workers_is_refused():
    t = tracker("$250, $300", "inform", slots=PAYROLL, form="contribution_form", requested="wage")
    messages, events = await run_action(ValidateContributionForm(), t)
    assert messages == [
        (
            "The number of wages doesn't match the number of workers. Send one wage for "
            "everyone, or one wage per worker.",
            [],
        )
    ]
    assert events[:2] == [SlotSet("wage", None), SlotSet("form_failures", 1)]


# --- sick pay already received in the last 12 months -----------------------------------------
SICKNESS = {
    "scheme": "sickness",
    "event_date": "2025-06-12",
    "months_in_window": 6,
    "wage": "250 USD",
    "sick_days": 10,
}


async def test_after_the_days_off_it_asks_for_sick_pay_already_received_with_buttons():
    t = tracker(
        "10 days",
        "inform",
        slots={**SICKNESS, "sick_days": None},
        form="eligibility_form",
        requested="sick_days",
    )
    _, events = await run_action(ValidateEligibilityForm(), t)
    assert events[:3] == [
        SlotSet("sick_days", 10),
        SlotSet("form_failures", 0),
        SlotSet("requested_slot", "sick_days_used"),
    ]
    messages, _ = await run_action(ASK_ACTIONS["sick_days_used"](), t)
    assert messages == [
        (
            "In the last 12 months, for how many days did NSSF already pay you sick pay? "
            '(e.g. "none" or "20 days")',
            [
                {"title": "None", "payload": "None"},
                {"title": "I don't know", "payload": "I don't know"},
            ],
        )
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("None", 0),
        ("no", 0),
        ("not yet", 0),
        ("0", 0),
        ("20 days", 20),
        ("មិនទាន់", 0),
        ("អត់ទេ", 0),
        ("២០ថ្ងៃ", 20),
        ("I don't know", "unknown"),
        ("មិនដឹង", "unknown"),
    ],
)
async def test_sick_pay_already_received_is_read_in_both_languages(text, expected):
    t = tracker(text, "inform", slots=SICKNESS, form="eligibility_form", requested="sick_days_used")
    _, events = await run_action(ValidateEligibilityForm(), t)
    assert events[:3] == [
        SlotSet("sick_days_used", expected),
        SlotSet("form_failures", 0),
        SlotSet("requested_slot", None),  # the check can be answered now
    ]


@pytest.mark.parametrize(
    ("text", "reason"), [("yes", "not_understood"), ("400 days", "out_of_range")]
)
async def test_an_unusable_number_of_days_already_paid_is_refused(text, reason):
    t = tracker(text, "inform", slots=SICKNESS, form="eligibility_form", requested="sick_days_used")
    messages, events = await run_action(ValidateEligibilityForm(), t)
    assert messages == [(T(reason, "en", hotline="1286"), [])]
    assert events[0] == SlotSet("sick_days_used", None)


async def test_the_result_counts_the_days_already_paid_in_english_and_khmer():
    slots = {**SICKNESS, "sick_days": 100, "sick_days_used": 150}
    messages, _ = await run_action(
        ActionCheckEligibility(), tracker("150 days", "inform", slots=slots)
    )
    lines = body(messages[0][0]).split("\n")
    assert lines[0] == (
        "✅ Yes. You can get the sickness allowance for up to 30 more days: it is paid for at most "
        "180 days in 12 months, and 150 days are already paid."
    )
    assert lines[1] == "Sickness allowance: 70 % × $250.00 ÷ 30 × 30 = $175.00"

    km = await run_action(ActionCheckEligibility(), tracker("១៥០ថ្ងៃ", "inform", slots=slots))
    assert "អ្នកអាចទទួលប្រាក់ឧបត្ថម្ភពេលឈឺបានរហូតដល់ 30 ថ្ងៃទៀត" in km[0][0][0]


async def test_with_180_days_already_paid_the_answer_is_no_for_now():
    slots = {**SICKNESS, "sick_days_used": 180}
    messages, _ = await run_action(
        ActionCheckEligibility(), tracker("180 days", "inform", slots=slots)
    )
    lines = body(messages[0][0]).split("\n")
    assert lines[0] == (
        "❌ No. Not for now: sick pay is paid for at most 180 days in 12 months, and 180 days are "
        "already paid. Days paid more than 12 months ago stop counting."
    )
    assert lines[-1] == "Next: To check your case, call NSSF on 1286."


async def test_a_registration_date_in_the_year_9999_is_refused_not_left_in_silence():
    slots = {"scheme": "registration", "registrant": "enterprise", "last_language": "en"}
    t = tracker(
        "31/12/9999", "inform", slots=slots, form="eligibility_form", requested="start_date"
    )
    messages, events = await run_action(ValidateEligibilityForm(), t)
    assert messages == [(T("out_of_range", "en", hotline="1286"), [])]
    assert events[0] == SlotSet("start_date", None)
