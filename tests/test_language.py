"""Script detection, Khmer digits and the choice of reply language."""

import pytest

from bot.language import (
    detect_language,
    is_romanized_khmer,
    khmer_digits_to_ascii,
    normalise,
    reply_language,
    requested_language,
    romanized_spelling,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("how much maternity allowance do I get?", "en"),
        ("តើខ្ញុំអាចទទួលបានប្រាក់ឧបត្ថម្ភលំហែមាតុភាពប៉ុន្មាន?", "km"),
        ("ខ្ញុំចង់ដឹងពី maternity leave", "km"),
        ("bong, ខ្ញុំមានផ្ទៃពោះ", "km"),
        ("👍", None),
        ("", None),
        ("123 ?", None),
        ("/maternity", None),
        ('/language{"language":"en"}', None),
    ],
)
def test_detect_language_by_script(text: str, expected: str | None) -> None:
    assert detect_language(text) == expected


def test_khmer_digits_become_ascii_digits() -> None:
    assert (
        khmer_digits_to_ascii("ធ្វើការ៨ខែ ប្រាក់ខែ ១ ២០០ ០០០ រៀល") == "ធ្វើការ8ខែ ប្រាក់ខែ 1 200 000 រៀល"
    )


def test_normalise_strips_zero_width_spaces() -> None:
    assert normalise("ប្រាក់\u200bបំណាច់\u200c មាតុភាព\ufeff ៩") == "ប្រាក់បំណាច់ មាតុភាព 9"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("English please", "en"),
        ("can u speak english", "en"),
        ("ភាសាអង់គ្លេស", "en"),
        ("ខ្មែរ", "km"),
        ("speak khmer pls", "km"),
        ("និយាយភាសាខ្មែរ", "km"),
        ("change language", None),
        ("english or khmer?", None),
    ],
)
def test_requested_language(text: str, expected: str | None) -> None:
    assert requested_language(text) == expected


def test_explicit_choice_wins_over_script() -> None:
    assert reply_language("ខ្ញុំចង់ដឹងពី maternity", preferred="en") == "en"
    assert reply_language("what about pension", preferred="km") == "km"


def test_message_without_letters_keeps_previous_language() -> None:
    assert reply_language("👍", previous="en") == "en"
    assert reply_language("/maternity", previous="km") == "km"


def test_default_language_is_khmer() -> None:
    assert reply_language("🙏") == "km"


def test_unknown_preference_is_ignored() -> None:
    assert reply_language("hello", preferred="fr") == "en"


@pytest.mark.parametrize(
    "text",
    [
        "knhom chong deng pi prak samrak chhoeu",
        "luy maternity ban ponman?",
        "bong sour pi nssf",
        "tver kar ban 8 khe hz",
        "suasdey bong",
    ],
)
def test_romanized_khmer_is_khmer(text: str) -> None:
    assert is_romanized_khmer(text)
    assert detect_language(text) == "km"
    assert reply_language(text) == "km"


@pytest.mark.parametrize(
    "text",
    [
        "how much maternity pay do I get",
        "hi bong",  # an English greeting with the Khmer "bong": English
        "my boss did not register me at nssf",
        "can I get a loan",
    ],
)
def test_english_with_a_khmer_word_is_english(text: str) -> None:
    assert not is_romanized_khmer(text)
    assert detect_language(text) == "en"


def test_romanized_spellings_share_one_form_and_english_words_keep_theirs() -> None:
    assert {romanized_spelling(w) for w in ("chnam", "chhnam", "chhnum")} == {"year"}
    assert romanized_spelling("hospital") == "hospital"
