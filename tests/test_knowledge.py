"""The knowledge loader: real data loads; malformed files are refused with a clear message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.knowledge import MAX_ANSWER_CHARS, KnowledgeError, load_knowledge
from tests.conftest import ROOT
from tests.factories import topic_doc, write_knowledge

TOPIC_INTENTS = [
    "register_worker",
    "employer_not_registered",
    "lost_card",
    "register_enterprise",
    "health_care",
    "health_dependants",
    "maternity",
    "sickness",
    "commuting_accident",
    "work_injury",
    "contribution_rates",
    "contribution_deadline",
    "pension",
    "invalidity",
    "survivors",
    "check_contributions",
    "voluntary_scheme",
    "contact",
]


@pytest.fixture(scope="module")
def kb():
    return load_knowledge(ROOT / "data" / "knowledge")


def test_every_topic_intent_has_an_answer_in_both_languages(kb) -> None:
    assert sorted(kb.topics) == sorted(TOPIC_INTENTS)
    for topic in kb.topics.values():
        assert topic.answer["en"] and topic.answer["km"]
        assert re.search(r"[\u1780-\u17ff]", topic.answer["km"]), topic.key


def test_topic_intents_are_the_domains_topic_intents() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text("utf-8"))
    assert set(TOPIC_INTENTS) <= set(domain["intents"])


def test_rendered_answers_fit_in_one_messenger_message(kb) -> None:
    for key in kb.topics:
        for lang in ("en", "km"):
            assert len(kb.answer(key, lang)) <= MAX_ANSWER_CHARS


def test_rendered_answer_names_its_sources_and_dates(kb) -> None:
    text = kb.answer("maternity", "en")
    for source in kb.topics["maternity"].sources:
        assert f"{source.name} ({source.date.isoformat()})" in text
    assert text.splitlines()[-1].startswith(kb.text("source_label", "en") + ": ")


def test_hotline_placeholder_is_filled_everywhere(kb) -> None:
    assert "1286" in kb.text("out_of_scope", "en")
    assert "1286" in kb.text("out_of_scope", "km")
    for topic in kb.topics.values():
        for text in topic.answer.values():
            assert "{" not in text and "}" not in text, topic.key


def test_maternity_answer_gives_the_rate_and_days(kb) -> None:
    en = kb.answer("maternity", "en")
    assert "70" in en and "90" in en
    km = kb.answer("maternity", "km")
    assert ("70" in km or "៧០" in km) and ("90" in km or "៩០" in km)


def test_loads_a_minimal_valid_directory(tmp_path: Path) -> None:
    kb = load_knowledge(write_knowledge(tmp_path, [topic_doc("maternity")]))
    assert kb.answer("maternity", "en") == (
        "All about maternity. Hotline 1286.\n\nsource_label en: Prakas 109 (2016-02-01)"
    )
    assert kb.text("out_of_scope", "km") == "ទូរស័ព្ទ 1286។"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"answer": {"en": "only English"}},
            "maternity.yml, topic 'maternity': 'answer' has no text in language 'km'",
        ),
        ({"answer": {"km": "ខ្មែរ", "en": "  "}}, "'answer' has no text in language 'en'"),
        ({"sources": []}, "maternity.yml, topic 'maternity': has no 'sources'"),
        ({"sources": [{"name": "Prakas 109"}]}, "source 'Prakas 109' has no 'date'"),
        (
            {"sources": [{"name": "X", "date": "last year"}]},
            "source date 'last year' is not a date",
        ),
        ({"sources": [{"date": "2020-01-01"}]}, "a source has no 'name'"),
        (
            {"title": {"en": "A title far longer than twenty", "km": "ក"}},
            "'title' in 'en' is 30 characters (max 20)",
        ),
        ({"related": ["pension"]}, "related 'pension' unknown"),
        ({"answers": None}, "'answers' must list what the answer answers"),
        ({"answer": {"en": "Call {phone}", "km": "ខ្មែរ"}}, "unknown placeholder '{phone}'"),
        (
            {"answer": {"en": "x" * 2100, "km": "ខ្មែរ"}},
            "'answer' in 'en' is 2100 characters (max 2000)",
        ),
    ],
)
def test_malformed_topic_is_refused_naming_file_and_problem(
    tmp_path: Path, overrides: dict, message: str
) -> None:
    write_knowledge(tmp_path, [topic_doc("maternity", **overrides)])
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(tmp_path)
    assert message in str(error.value)


def test_topic_must_match_its_file_name(tmp_path: Path) -> None:
    write_knowledge(tmp_path, [topic_doc("maternity")])
    (tmp_path / "maternity.yml").rename(tmp_path / "sickness.yml")
    write_knowledge(tmp_path, [], menu=[])
    with pytest.raises(KnowledgeError, match="'topic' is 'maternity' but must equal the file name"):
        load_knowledge(tmp_path)


def test_answer_too_long_with_its_sources_is_refused(tmp_path: Path) -> None:
    write_knowledge(tmp_path, [topic_doc("maternity", answer={"en": "x" * 1980, "km": "ក"})])
    with pytest.raises(KnowledgeError, match="answer in 'en' with its sources is"):
        load_knowledge(tmp_path)


def test_broken_yaml_is_refused_with_the_file_name(tmp_path: Path) -> None:
    write_knowledge(tmp_path, [topic_doc("maternity")])
    (tmp_path / "maternity.yml").write_text("topic: [unclosed", "utf-8")
    with pytest.raises(KnowledgeError, match=r"^maternity.yml: not valid YAML"):
        load_knowledge(tmp_path)


def test_missing_ui_text_is_refused(tmp_path: Path) -> None:
    write_knowledge(tmp_path, [topic_doc("maternity")], texts={"greet": {"en": "hi", "km": "សួស្តី"}})
    with pytest.raises(KnowledgeError, match="ui.yml: text 'menu_prompt' is missing"):
        load_knowledge(tmp_path)


def test_fact_without_source_is_refused(tmp_path: Path) -> None:
    write_knowledge(tmp_path, [topic_doc("maternity")], facts={"hotline": {"value": "1286"}})
    with pytest.raises(KnowledgeError, match="fact 'hotline' needs a 'source' and a 'date'"):
        load_knowledge(tmp_path)


def test_menu_naming_an_unknown_topic_is_refused(tmp_path: Path) -> None:
    write_knowledge(tmp_path, [topic_doc("maternity")], menu=["maternity", "lottery"])
    with pytest.raises(KnowledgeError, match="menu topic 'lottery' has no knowledge file"):
        load_knowledge(tmp_path)
