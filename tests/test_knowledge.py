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


def test_an_answer_names_its_first_source_and_the_sources_button_lists_them_all(kb) -> None:
    sources = kb.topics["maternity"].sources
    assert len(sources) > 1
    for lang, more in (("en", "and {n} more"), ("km", "និង {n} ទៀត")):
        last = kb.answer("maternity", lang).splitlines()[-1]
        first = sources[0]
        assert last.startswith(
            f"{kb.text('source_label', lang)}: {first.name[lang]} ({first.date.isoformat()})"
        )
        assert more.format(n=len(sources) - 1) in last
        listed = kb.sources("maternity", lang).splitlines()
        assert listed[0] == kb.text("sources_title", lang, topic=kb.title("maternity", lang))
        assert sorted(listed[1:]) == sorted(
            f"• {s.name[lang]} ({s.date.isoformat()})" for s in sources
        )


def test_every_source_has_a_khmer_name_and_none_is_listed_twice(kb) -> None:
    for topic in kb.topics.values():
        names = [s.name["en"].casefold() for s in topic.sources]
        assert len(names) == len(set(names)), topic.key
        for source in topic.sources:
            assert source.name["km"] != source.name["en"], (topic.key, source.name["en"])
            assert re.search("[\u1780-\u17ff]", source.name["km"]), source.name["km"]


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


def test_answer_too_long_with_its_source_line_is_refused(tmp_path: Path) -> None:
    write_knowledge(tmp_path, [topic_doc("maternity", answer={"en": "x" * 1980, "km": "ក"})])
    with pytest.raises(KnowledgeError, match="answer in 'en' with its source line is"):
        load_knowledge(tmp_path)


def test_a_source_listed_twice_is_refused(tmp_path: Path) -> None:
    twice = [
        {"name": "Prakas 109", "date": "2016-02-01"},
        {"name": "prakas 109", "date": "2017-01-01"},
    ]
    write_knowledge(tmp_path, [topic_doc("maternity", sources=twice)])
    with pytest.raises(KnowledgeError, match="source 'prakas 109' is listed twice"):
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


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("NSSF pays 70% for 90 days.", "writes '70%', '90' itself"),
        ("ប.ស.ស. បើក ៧០%", "writes '៧០%' itself"),
        ("Rate: {maternity.no_such_rate}%", "no figure 'maternity.no_such_rate'"),
        ("{= maternity.allowance_rate * 2}", "'2' is not allowed"),
        ("{maternity.allowance_rate:weekday}", "'weekday' in '{maternity.allowance_rate:weekday}'"),
    ],
)
def test_an_answer_that_writes_a_figure_itself_or_names_an_unknown_one_is_refused(
    tmp_path: Path, answer: str, message: str
) -> None:
    write_knowledge(tmp_path, [topic_doc("maternity", answer={"en": answer, "km": answer})])
    with pytest.raises(KnowledgeError, match=re.escape(message)):
        load_knowledge(tmp_path)


def test_menu_naming_an_unknown_topic_is_refused(tmp_path: Path) -> None:
    write_knowledge(tmp_path, [topic_doc("maternity")], menu=["maternity", "lottery"])
    with pytest.raises(KnowledgeError, match="menu topic 'lottery' has no knowledge file"):
        load_knowledge(tmp_path)
