"""Figures in answer texts come from the rules data (data/schemes), each written once: the
placeholders, the check that no answer writes a figure itself, and a rate change that reaches every
answer, check text and worked example."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from bot import figures
from bot.eligibility.rules import load_rules
from bot.eligibility.texts import load_texts, source_parts
from bot.knowledge import load_knowledge
from tests.conftest import ROOT

DAY = dt.date(2026, 12, 2)


@pytest.fixture(scope="module")
def book():
    return load_rules(ROOT / "data/schemes")


def render(text: str, book, lang: str = "en", day: dt.date = DAY) -> str:
    return figures.render(text, book, day, lang)  # type: ignore[arg-type]


def test_a_figure_is_its_value_in_force(book) -> None:
    assert render("{maternity.allowance_rate}% for {maternity.allowance_days} days", book) == (
        "70% for 90 days"
    )
    assert render("{maternity.birth_cash} riel, call {hotline}", book) == "400,000 riel, call 1286"
    assert render("{health_care.window_months:khmer} ខែ", book, "km") == "១២ ខែ"


def test_dates_and_the_next_period_in_the_reply_language(book) -> None:
    assert render("since {pension.worker_rate:date}", book) == "since 1 Oct 2022"
    assert render("ចាប់ពី {pension.worker_rate:date}", book, "km") == "ចាប់ពី 1 តុលា 2022"
    assert render("{pension.worker_rate}% then {pension.worker_rate:next}%", book) == "2% then 4%"
    assert render("from {pension.worker_rate:next_date}", book) == "from 1 Oct 2027"
    # after the step the value in force is the higher one
    later = dt.date(2028, 1, 1)
    assert render("{pension.worker_rate}%", book, day=later) == "4%"


def test_worked_examples_are_computed_from_the_figures(book) -> None:
    text = (
        "{= maternity.allowance_rate * examples.monthly_wage_usd"
        " / general.daily_wage_divisor * maternity.allowance_days}"
    )
    assert render(text, book) == "525"
    daily = "sickness.allowance_rate * examples.monthly_wage_usd / general.daily_wage_divisor"
    assert render(f"{{= {daily}}}", book) == "5.83"
    assert render(f"{{= whole({daily} * examples.sick_days)}}", book) == "58"


@pytest.mark.parametrize(
    "text",
    ["{= maternity.allowance_rate * 2}", "{= __import__('os')}", "{= open}", "{= a.b ** c.d}"],
)
def test_an_expression_may_use_only_figures_and_arithmetic(book, text: str) -> None:
    with pytest.raises(figures.FigureError):
        render(text, book)


def test_bare_figures_are_found_outside_placeholders() -> None:
    assert figures.bare_figures("{maternity.allowance_rate}% of {= a.b * c.d}") == []
    assert figures.bare_figures("pay 70% by the 15th, ១២ ខែ") == ["70%", "15th,", "១២"]


def _answer_texts(directory: Path):
    for path in sorted(directory.glob("*.yml")):
        doc = yaml.safe_load(path.read_text("utf-8"))
        for lang, text in (doc.get("answer") or {}).items():
            yield path.name, lang, text
        for lang, text in (doc.get("title") or {}).items():
            yield path.name, lang, text
        for key, pair in (doc.get("texts") or {}).items():
            for lang, text in pair.items():
                yield f"{path.name}:{key}", lang, text


def test_no_answer_or_ui_text_writes_a_figure_itself() -> None:
    written = [
        (where, lang, figures.bare_figures(text))
        for where, lang, text in _answer_texts(ROOT / "data/knowledge")
        if figures.bare_figures(text)
    ]
    assert written == []


def changed_rules(tmp_path: Path, ref: str, value: int):
    """The shipped rules with the first period of ``ref`` (scheme.key) set to ``value``."""
    schemes = tmp_path / "schemes"
    shutil.copytree(ROOT / "data/schemes", schemes)
    scheme, key = ref.split(".")
    path = schemes / f"{scheme}.yml"
    doc = yaml.safe_load(path.read_text("utf-8"))
    doc["figures"][key][0]["value"] = value
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    return load_rules(schemes)


def test_a_rate_changed_in_the_rules_data_changes_every_answer_and_example(tmp_path: Path) -> None:
    changed = changed_rules(tmp_path, "maternity.allowance_rate", 80)
    before = load_knowledge(ROOT / "data/knowledge", load_rules(ROOT / "data/schemes"), DAY)
    after = load_knowledge(ROOT / "data/knowledge", changed, DAY)
    for lang in ("en", "km"):
        assert "70%" in before.answer("maternity", lang)
        assert "80%" in after.answer("maternity", lang)
        assert "70%" not in after.answer("maternity", lang)
        # the worked example follows: 0.8 × 250 ÷ 30 × 90 = 600
        assert "$525" in before.answer("maternity", lang)
        assert "$600" in after.answer("maternity", lang)


def test_the_check_texts_take_their_figures_from_the_rules_data(tmp_path: Path) -> None:
    changed = changed_rules(tmp_path, "health_care.max_care_window_months", 24)
    texts = load_texts(rules=changed, today=DAY)
    assert texts("health_months", "en").endswith("days in 24 months.")
    assert "ក្នុង ២៤ ខែ។" in texts("health_months", "km")
    assert load_texts(today=DAY)("health_months", "en").endswith("days in 12 months.")


def test_a_schedule_names_its_periods_whatever_today_is(book) -> None:
    text = (
        "{pension.worker_rate@1}% from {pension.worker_rate@1:date}, then {pension.worker_rate@2}%"
    )
    for day in (DAY, dt.date(2028, 1, 1)):
        assert render(text, book, day=day) == "2% from 1 Oct 2022, then 4%"
    with pytest.raises(figures.FigureError, match="no period 9"):
        render("{pension.worker_rate@9}", book)


def test_every_answer_loads_on_each_day_a_shipped_figure_changes(book) -> None:
    days = sorted({f.valid_from for periods in book.figures.values() for f in periods})
    for day in [d for d in days if DAY <= d <= dt.date(2032, 9, 30)] + [DAY]:
        load_knowledge(ROOT / "data/knowledge", book, day)


def test_every_figure_source_names_a_document_the_basis_line_can_cite_in_khmer(book) -> None:
    texts = load_texts(today=DAY)
    for periods in book.figures.values():
        for figure in periods:
            for part in source_parts(figure.source):
                assert any(e.match.search(part) for e in texts.sources), (figure.ref, part)


def test_the_basis_line_cites_each_document_once_in_the_reply_language(book) -> None:
    from bot.eligibility import dialogue
    from bot.eligibility.contributions import payroll
    from bot.eligibility.render import render_contribution

    texts = load_texts(today=DAY)
    wages = dialogue.wages({"workers": 10, "wage": "250 USD"})
    assert wages is not None
    result = payroll(book, wages, DAY, book.get("general.usd_riel_rate", DAY).value)
    for lang, label in (("en", "Basis: "), ("km", "មូលដ្ឋានច្បាប់: ")):
        text = render_contribution(result, book, texts, lang, "1286").text
        (line,) = [line for line in text.splitlines() if label in line]
        cited = line.split(label)[1].split("; ")
        names = [c.rsplit(" (", 1)[0] for c in cited]
        assert len(names) == len(set(names)) <= 5, names
        if lang == "km":
            assert "គេហទំព័រ ប.ស.ស." in names and "nssf.gov.kh" not in line
