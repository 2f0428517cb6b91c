"""The number reader: English, Khmer and mixed messages, Khmer digits, and the inputs it must
refuse or ask back about instead of guessing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bot.numbers import Ambiguous, read, read_as

TODAY = dt.date(2025, 6, 15)
D = Decimal

CASES = [
    # durations in months
    ("months", "8 months", 8),
    ("months", "I worked 8 months, can I get maternity pay?", 8),
    ("months", "a year and 2 months", 14),
    ("months", "1 year 2 months", 14),
    ("months", "one year", 12),
    ("months", "nine months", 9),
    ("months", "half a year", 6),
    ("months", "since March", 3),
    ("months", "since november", 7),
    ("months", "since March 2025", 3),  # today is 15 June 2025
    ("months", "since March 2024", 15),
    ("months", "I worked since January 2025 and earn $250", 5),
    ("months", "ចាប់ពីខែមីនា ឆ្នាំ២០២៤", 15),
    ("date", "in March 2025", dt.date(2025, 3, 1)),
    ("months", "12", 12),
    ("months", "៨ខែ", 8),
    ("months", "១ឆ្នាំ", 12),
    ("months", "១ឆ្នាំ២ខែ", 14),
    ("months", "ធ្វើការបាន៨ខែ", 8),
    ("months", "ប្រាំបួនខែ", 9),
    ("months", "តាំងពីខែមីនា", 3),
    ("months", "បង់បាន 10 ខែ", 10),
    ("months", "paid 7 ខែ already", 7),
    ("months", "១ឆ្នាំកន្លះ", 18),
    # days
    ("days", "10 days", 10),
    ("days", "2 weeks", 14),
    ("days", "១០ថ្ងៃ", 10),
    ("days", "ឈប់ ៣ សប្តាហ៍", 21),
    ("days", "5", 5),
    # money
    ("money", "$250", (D(250), "USD")),
    ("money", "250$", (D(250), "USD")),
    ("money", "250 dollars", (D(250), "USD")),
    ("money", "USD 250.50", (D("250.50"), "USD")),
    ("money", "1,000,000 riel", (D(1_000_000), "KHR")),
    ("money", "1.2m riel", (D(1_200_000), "KHR")),
    ("money", "1000000៛", (D(1_000_000), "KHR")),
    ("money", "១ ០០០ ០០០ រៀល", (D(1_000_000), "KHR")),
    ("money", "១លាន៥សែនរៀល", (D(1_500_000), "KHR")),
    ("money", "៨សែនរៀល", (D(800_000), "KHR")),
    ("money", "២៥០ដុល្លារ", (D(250), "USD")),
    ("money", "ប្រាក់ខែ ៣០០ ដុល្លារ", (D(300), "USD")),
    ("money", "my salary is 280 usd per month", (D(280), "USD")),
    ("money", "10 workers earning $250, how much do I pay?", (D(250), "USD")),
    ("money", "250k riel", (D(250_000), "KHR")),
    # counts
    ("count", "10 workers", 10),
    ("count", "25 employees at $300", 25),
    ("count", "១០នាក់", 10),
    ("count", "កម្មករ ២៥ នាក់", 25),
    ("count", "a worker earning $250", 1),
    ("count", "3", 3),
    # ages
    ("age", "I am 61", 61),
    ("age", "61 years old", 61),
    ("age", "អាយុ៦១ឆ្នាំ", 61),
    ("age", "age 58", 58),
    ("age", "60", 60),
    # dates
    ("date", "2024-03-05", dt.date(2024, 3, 5)),
    ("date", "25/3/2024", dt.date(2024, 3, 25)),
    ("date", "5 March 2024", dt.date(2024, 3, 5)),
    ("date", "March 5, 2024", dt.date(2024, 3, 5)),
    ("date", "ថ្ងៃទី ២៥ ខែ មីនា ឆ្នាំ ២០២៤", dt.date(2024, 3, 25)),
    ("date", "៥/៥/២០២៥", dt.date(2025, 5, 5)),
    # relative dates, counted from TODAY (15 June 2025)
    ("date", "today", dt.date(2025, 6, 15)),
    ("date", "it happened yesterday", dt.date(2025, 6, 14)),
    ("date", "3 days ago", dt.date(2025, 6, 12)),
    ("date", "two weeks ago", dt.date(2025, 6, 1)),
    ("date", "the baby is due in 3 months", dt.date(2025, 9, 15)),
    ("date", "next week", dt.date(2025, 6, 22)),
    ("date", "last month", dt.date(2025, 5, 15)),
    ("date", "ថ្ងៃនេះ", dt.date(2025, 6, 15)),
    ("date", "ម្សិលមិញ", dt.date(2025, 6, 14)),
    ("date", "៣ថ្ងៃមុន", dt.date(2025, 6, 12)),
    ("date", "២ខែទៀត", dt.date(2025, 8, 15)),
    ("date", "ខែមុន", dt.date(2025, 5, 15)),
    ("date", "accident ម្សិលមិញ", dt.date(2025, 6, 14)),
    # "9 months before giving birth" is a duration, not "9 months ago"
    ("months", "៩ខែមុនពេលសម្រាល", 9),
    # yes / no
    ("yes_no", "yes", True),
    ("yes_no", "yes, more than a year", True),
    ("yes_no", "ចាស", True),
    ("yes_no", "បាទ ត្រូវហើយ", True),
    ("yes_no", "no", False),
    ("yes_no", "nope", False),
    ("yes_no", "អត់ទេ", False),
    ("yes_no", "ទេ", False),
    ("yes_no", "មិនមែនទេ", False),
    # "I don't know" is an answer, not a failure
    ("months", "i don't know", "unknown"),
    ("money", "មិនដឹងទេ", "unknown"),
]

REFUSED = [
    # nothing to read
    ("months", "hello"),
    ("months", ""),
    ("months", "can I get maternity pay?"),
    ("money", "how much do I pay?"),
    ("yes_no", "maybe"),
    ("yes_no", "តើខ្ញុំអាចទទួលបានទេ"),  # "ទេ" here is a question particle, not "no"
    ("date", "when I was young"),
    ("date", "6 months in 12 months"),  # a duration in a window, not a date "in 12 months"
    ("date", "since March 2024"),  # a duration, not the date of an event
    ("months", "since December 2025"),  # a month still to come
    ("date", "may I ask something"),  # "may" the verb is not the month
    ("count", "many workers"),
    ("months", "x" * 3000),
]

ASKED_BACK = [
    ("money", "250", "currency"),  # dollars or riel?
    ("money", "1.2m", "currency"),
    ("money", "២៥០", "currency"),
    ("months", "8 or 9 months", "range"),
    ("months", "៨ ឬ ៩ ខែ", "range"),
    ("date", "5/3/2024", "ambiguous_date"),  # 5 March or May 3?
    ("date", "31/02/2024", "bad_date"),
    ("yes_no", "yes and no", "yes_and_no"),
    ("money", "$250 or $300", "range"),
    ("money", "$250 and 1,000,000 riel", "several"),
    ("months", "10 days", "unit_months"),
    ("days", "2 months", "unit_days"),
    ("months", "1.5 years", "fraction"),
    ("date", "in March", "month_only"),  # which day and year?
    ("date", "ខែមីនា", "month_only"),
]


@pytest.mark.parametrize(("kind", "text", "expected"), CASES)
def test_reads_the_value(kind, text, expected):
    assert read_as(kind, text, TODAY) == expected


@pytest.mark.parametrize(("kind", "text"), REFUSED)
def test_refuses_what_it_cannot_read(kind, text):
    assert read_as(kind, text, TODAY) is None


@pytest.mark.parametrize(("kind", "text", "reason"), ASKED_BACK)
def test_asks_back_instead_of_guessing(kind, text, reason):
    value = read_as(kind, text, TODAY)
    assert isinstance(value, Ambiguous) and value.reason == reason


def test_there_are_at_least_60_parser_cases():
    assert len(CASES) + len(REFUSED) + len(ASKED_BACK) >= 60


def test_one_message_can_hold_count_and_money():
    r = read("10 workers earning $250, how much do I pay?", TODAY)
    assert (r.counts, r.money) == ([10], [(D(250), "USD")])


def test_khmer_digits_are_read_as_ascii_digits():
    assert read("០១២៣៤៥៦៧៨៩ខែ", TODAY).months == [123456789]


def test_zero_width_spaces_do_not_split_numbers():
    assert read_as("months", "៨\u200bខែ", TODAY) == 8


def test_a_message_is_parsed_once_for_the_action_and_the_form_that_read_it() -> None:
    from bot.eligibility.opening import check_to_start
    from bot.eligibility.prefill import prefill
    from bot.numbers import parser

    parser._read.cache_clear()
    text, today = "I worked 8 months, can I get maternity pay?", dt.date(2025, 6, 15)
    assert check_to_start("maternity", text, today, {}, frozenset(), ()) == "eligibility"
    assert prefill("maternity", text, today) == {"months_in_window": 8}
    info = parser._read.cache_info()
    assert info.misses == 1 and info.hits >= 1


def test_a_kept_reading_is_not_changed_by_its_callers() -> None:
    first = read("8 months and $250", dt.date(2025, 6, 15))
    first.months.append(99)
    first.money.clear()
    again = read("8 months and $250", dt.date(2025, 6, 15))
    assert again.months == [8] and again.money
