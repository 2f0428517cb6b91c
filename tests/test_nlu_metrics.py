"""The eval scores: accuracy per language, out-of-scope recall, in-scope fallback rate."""

import pytest

from bot.nlu_metrics import Example, score


def test_scores_per_language_and_fallback_rates() -> None:
    examples = [
        Example("maternity pay", "maternity"),  # en, right
        Example("pension age", "pension"),  # en, sent to fallback
        Example("ប្រាក់មាតុភាព", "maternity"),  # km, right
        Example("ភ្លៀងទេ", "out_of_scope"),  # km, caught by fallback
        Example("weather", "out_of_scope"),  # en, wrongly answered as a topic
    ]
    s = score(examples, ["maternity", "nlu_fallback", "maternity", "nlu_fallback", "pension"])
    assert s.counts == {"en": 3, "km": 2}
    assert s.accuracy == {"en": pytest.approx(1 / 3), "km": pytest.approx(1 / 2)}
    assert s.out_of_scope_recall == pytest.approx(1 / 2)
    assert s.in_scope_fallback_rate == pytest.approx(1 / 3)
    assert s.errors == (
        ("pension age", "pension", "nlu_fallback"),
        ("ភ្លៀងទេ", "out_of_scope", "nlu_fallback"),
        ("weather", "out_of_scope", "pension"),
    )


def test_prediction_count_must_match() -> None:
    with pytest.raises(ValueError, match="2 examples but 1 predictions"):
        score([Example("a", "x"), Example("b", "y")], ["x"])
