"""bot.nlu.segmentation: Khmer/English word segmentation with offsets into the original text."""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.language import normalise
from bot.nlu import segmentation
from bot.nlu.segmentation import ZERO_WIDTH, segment

ROOT = Path(__file__).resolve().parents[1]

MATERNITY_KM = "តើខ្ញុំអាចទទួលបានប្រាក់ឧបត្ថម្ភលំហែមាតុភាពប៉ុន្មាន?"
MIXED = "ខ្ញុំចង់ដឹងពី maternity leave"
WORKED_8_MONTHS = "ខ្ញុំធ្វើការបាន៨ខែ"
WORKED_8_MONTHS_ZWSP = "ខ្ញុំ\u200bធ្វើ\u200bការ\u200bបាន\u200b៨\u200bខែ\u200b"
CONTRIBUTION_EN = "hi bong, how much is NSSF contribution for 10 workers $250?"
ONE_MILLION_RIEL = "១ ០០០ ០០០ រៀល"

REAL_MESSAGES = [
    MATERNITY_KM,
    MIXED,
    WORKED_8_MONTHS,
    WORKED_8_MONTHS_ZWSP,
    CONTRIBUTION_EN,
    ONE_MILLION_RIEL,
    "👍",
    "",
    "???",
    "សួស្តីបង! ខ្ញុំចង់សួរអំពីប្រាក់សោធននិវត្តន៍។",
    "បង\u200b ខ្ញុំ\u200bឈឺ\u200b តើ NSSF ជួយ\u200bទេ?",
    "rate is 2.6% of wages up to 1,200,000 riel, ok 👍",
    "ប្រាក់ខែ ១ ២០០ ០០០៛ ក្នុង១ខែ",
    "ok bong 🙏🏽 thanks!!",
    "e\u0301te\u0301 cafe\u0301",  # decomposed accents: spans keep the combining marks
]


def words(text: str) -> list[str]:
    return [token for token, _, _ in segment(text)]


def spans(text: str) -> list[tuple[int, int]]:
    return [(start, end) for _, start, end in segment(text)]


def assert_offsets_map_back(text: str) -> None:
    """Every token is the normalised text of its span; spans are ordered and trimmed."""
    previous_end = 0
    for token, start, end in segment(text):
        assert previous_end <= start < end <= len(text)
        assert normalise(text[start:end]) == token
        assert token and token.strip() == token
        assert not ZERO_WIDTH.intersection(token)
        for edge in (text[start], text[end - 1]):
            assert not edge.isspace() and edge not in ZERO_WIDTH
        previous_end = end


@pytest.fixture
def fresh_khmer_cache() -> Iterator[None]:
    segmentation._khmer_words.cache_clear()
    yield
    segmentation._khmer_words.cache_clear()


def test_khmer_question_is_segmented_into_words_without_the_question_mark() -> None:
    assert words(MATERNITY_KM) == [
        "តើ",
        "ខ្ញុំ",
        "អាច",
        "ទទួលបាន",
        "ប្រាក់",
        "ឧបត្ថម្ភ",
        "លំហែ",
        "មាតុភាព",
        "ប៉ុន្មាន",
    ]
    assert spans(MATERNITY_KM)[-1] == (42, 50)  # the "?" at 50 is no token


def test_mixed_khmer_english_message_is_split_both_ways() -> None:
    assert segment(MIXED) == [
        ("ខ្ញុំ", 0, 5),
        ("ចង់", 5, 8),
        ("ដឹង", 8, 11),
        ("ពី", 11, 13),
        ("maternity", 14, 23),
        ("leave", 24, 29),
    ]


def test_khmer_digits_become_ascii_numbers() -> None:
    assert segment(WORKED_8_MONTHS) == [
        ("ខ្ញុំ", 0, 5),
        ("ធ្វើការ", 5, 12),
        ("បាន", 12, 15),
        ("8", 15, 16),
        ("ខែ", 16, 18),
    ]


def test_zero_width_spaces_are_ignored_not_read_as_word_boundaries() -> None:
    assert words(WORKED_8_MONTHS_ZWSP) == words(WORKED_8_MONTHS)
    # "ធ្វើ\u200bការ" is one word whose span holds the zero-width space; its text does not.
    assert segment(WORKED_8_MONTHS_ZWSP)[1] == ("ធ្វើការ", 6, 14)
    assert_offsets_map_back(WORKED_8_MONTHS_ZWSP)


def test_english_sentence_drops_punctuation_and_splits_currency_from_amount() -> None:
    assert segment(CONTRIBUTION_EN) == [
        ("hi", 0, 2),
        ("bong", 3, 7),
        ("how", 9, 12),
        ("much", 13, 17),
        ("is", 18, 20),
        ("NSSF", 21, 25),
        ("contribution", 26, 38),
        ("for", 39, 42),
        ("10", 43, 45),
        ("workers", 46, 53),
        ("$", 54, 55),
        ("250", 55, 58),
    ]


def test_khmer_digit_groups_separated_by_spaces_are_separate_numbers() -> None:
    assert segment(ONE_MILLION_RIEL) == [
        ("1", 0, 1),
        ("000", 2, 5),
        ("000", 6, 9),
        ("រៀល", 10, 13),
    ]


@pytest.mark.parametrize("text", ["", "👍", "???", "។", "៕ ៖ ! ?", " \u200b\u200b ", "🙏🏽👍🇰🇭"])
def test_message_without_words_gives_no_tokens(text: str) -> None:
    assert segment(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,000,000 riel", ["1,000,000", "riel"]),
        ("rate 2.6%.", ["rate", "2.6", "%"]),
        ("$250", ["$", "250"]),
        ("250$", ["250", "$"]),
        ("១,២០០,០០០៛", ["1,200,000", "៛"]),
        ("10.", ["10"]),
        ("2-3 months", ["2", "3", "months"]),
        ("covid-19 e-mail don't", ["covid-19", "e-mail", "don't"]),
    ],
)
def test_numbers_keep_their_separators_and_currency_signs_are_own_tokens(
    text: str, expected: list[str]
) -> None:
    assert words(text) == expected


def test_khmer_punctuation_is_dropped() -> None:
    assert words("ខ្ញុំឈឺ។ ជួយខ្ញុំផង៕ ចម្លើយ៖ បាទ!") == words("ខ្ញុំឈឺ ជួយខ្ញុំផង ចម្លើយ បាទ")
    assert not {"។", "៕", "៖", "!"}.intersection(words("ខ្ញុំឈឺ។ ជួយខ្ញុំផង៕ ចម្លើយ៖ បាទ!"))


def test_emoji_inside_a_message_are_dropped() -> None:
    assert words("ok bong 🙏🏽 thanks 👍") == ["ok", "bong", "thanks"]
    assert words("1️⃣ ខែ") == ["1", "ខែ"]  # a keycap digit reads as its digit


def test_khmer_next_to_latin_or_digits_without_spaces_is_still_split() -> None:
    assert words("ពីmaternity") == ["ពី", "maternity"]
    assert words("ប្រាក់$250") == ["ប្រាក់", "$", "250"]


@pytest.mark.parametrize("text", REAL_MESSAGES)
def test_every_offset_maps_back_to_the_original_text(text: str) -> None:
    assert_offsets_map_back(text)


# Characters people actually send: Khmer letters, signs, digits and punctuation, Latin, number
# separators, zero-width characters, combining marks, emoji with modifiers, whitespace.
FUZZ_ALPHABET = (
    list("កខគងចញដណតនបពមយរលវសហឡអាិីឹឺុូួើឿៀេែៃោៅំះ្៉់ៗ។៕៖៛០១២៨៩")
    + list("abcXYZ019 .,-'?!$%_\u200b\u200c\u200d\ufeff\u0301\ufe0f\n\t")
    + ["👍", "🙏", "🏽", "é"]
)


def test_offsets_map_back_for_random_mixes_of_scripts() -> None:
    rng = random.Random(20240601)
    for _ in range(500):
        text = "".join(rng.choices(FUZZ_ALPHABET, k=rng.randint(0, 40)))
        assert_offsets_map_back(text)


def test_segmenter_failure_keeps_the_khmer_text_as_one_word(
    monkeypatch: pytest.MonkeyPatch, fresh_khmer_cache: None
) -> None:
    def broken(text: str) -> list[str]:
        raise RuntimeError("model missing")

    monkeypatch.setattr(segmentation, "_word_tokenizer", lambda: broken)
    assert segment("ខ្ញុំធ្វើការ ok") == [("ខ្ញុំធ្វើការ", 0, 12), ("ok", 13, 15)]


def test_words_the_segmenter_rewrites_are_not_lost(
    monkeypatch: pytest.MonkeyPatch, fresh_khmer_cache: None
) -> None:
    # khmer-nltk's clean-up rewrites a few known spellings; pretend it rewrote "ធ្វើ".
    monkeypatch.setattr(segmentation, "_word_tokenizer", lambda: lambda text: ["ខ្ញុំ", "ធ្វេី", "ការ"])
    assert segment("ខ្ញុំធ្វើការ") == [("ខ្ញុំ", 0, 5), ("ធ្វើ", 5, 9), ("ការ", 9, 12)]


def test_importing_segmentation_does_not_load_khmer_nltk() -> None:
    code = "import sys, bot.nlu.segmentation; print('khmernltk' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
