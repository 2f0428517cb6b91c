"""What a question asks and whether the bot's answer answers it: the focus of long messages, the
aspect reader (English, Khmer, romanized), and the decision to answer, answer in part, ask back
or say it cannot answer yet."""

from __future__ import annotations

import pytest

from bot.answerability.decide import Verdict, decide
from bot.answerability.focus import focus, question_sentences
from bot.answerability.lexicon import LexiconError, load_lexicon
from bot.answerability.reading import read_question
from bot.knowledge import load_knowledge
from bot.lexicon_files import DEFAULT_DIR

KB = load_knowledge()
ANSWERS = {key: topic.answers for key, topic in KB.topics.items()}


@pytest.mark.parametrize(
    ("text", "aspect"),
    [
        ("which hospitals in Kampot accept the nssf card", "local_facility"),
        ("ខ្ញុំនៅខេត្តកំពត មន្ទីរពេទ្យណាខ្លះទទួលកាត ប.ស.ស.", "local_facility"),
        ("mnti pet na klah nov siem reap tuol kat nssf", "local_facility"),
        ("is the nssf office open on saturday", "opening_hours"),
        ("ការិយាល័យ ប.ស.ស. បើកថ្ងៃអាទិត្យទេ", "opening_hours"),
        ("I paid at the health centre myself, can I get a refund?", "refund"),
        ("ខ្ញុំចេញលុយខ្លួនឯងនៅពេទ្យ តើ ប.ស.ស. សងលុយវិញទេ", "refund"),
        ("how do I update my phone number on my nssf card", "change_details"),
        ("ឈ្មោះលើកាតសរសេរខុស ត្រូវធ្វើយ៉ាងម៉េច", "change_details"),
        ("are foreigners covered by nssf", "coverage_group"),
        ("can public school teachers join nssf", "coverage_group"),
        ("I resigned last month, can I still use my nssf card?", "coverage_group"),
        ("can I borrow money from nssf", "loan"),
        ("is there unemployment money from nssf after I was dismissed", "unemployment"),
        ("I go to work in Thailand, can I keep my nssf", "abroad"),
        ("does nssf pay for glasses", "item_not_listed"),
        ("what documents do I need for the maternity claim", "documents"),
        ("ត្រូវការឯកសារអ្វីខ្លះ ដើម្បីទាមទារប្រាក់មាតុភាព", "documents"),
    ],
)
def test_the_aspect_reader_finds_what_is_asked(text: str, aspect: str) -> None:
    assert aspect in read_question(text).aspects


@pytest.mark.parametrize(
    "text",
    [
        "which hospitals accept the nssf card",  # partner facilities in general: answered
        "where is the nssf head office",
        "is the hotline open on sunday",  # the hotline answers 24 hours
        "how much maternity pay do I get",
        "ទីស្នាក់ការកណ្តាលបសសនៅឯណា",  # "central" is not Kandal province
        "my employer did not register me, can I complain",
    ],
)
def test_questions_the_answers_cover_ask_no_uncovered_aspect(text: str) -> None:
    specific = [a for a in read_question(text).aspects if not load_lexicon().aspects[a].facet]
    assert specific == []


def test_greetings_names_and_introductions_do_not_decide_the_topic() -> None:
    text = (
        "Hello, my name is Sreyneang, I work at a shoe factory in Kandal. "
        "My wife is pregnant but she does not work, can she use my card at the hospital?"
    )
    assert focus(text) == (
        "My wife is pregnant but she does not work, can she use my card at the hospital?"
    )
    assert focus("សួស្តីបង ខ្ញុំឈ្មោះដារា តើប្រពន្ធខ្ញុំប្រើកាតបានទេ") == "តើប្រពន្ធខ្ញុំប្រើកាតបានទេ"
    assert focus("Hello!") == "Hello!"  # nothing else: everything stays


def test_the_province_in_an_introduction_is_not_a_question_about_it() -> None:
    text = "Hi, I live in Kampot. Can my wife use my card at the hospital?"
    assert "local_facility" not in read_question(text).aspects


def test_two_questions_in_one_message_are_both_found() -> None:
    text = "When must I register a new worker? And how much contribution do I pay for him?"
    assert len(question_sentences(text)) == 2
    verdict = decide(text, [("register_enterprise", 0.9)], ANSWERS)
    assert verdict == Verdict("answer", topic="register_enterprise", also="contribution_rates")


@pytest.mark.parametrize(
    ("text", "ranking", "expected"),
    [
        # the topic is right, the aspect is not answered: what it knows, plus a gap
        (
            "which hospitals in Kampot accept the nssf card",
            [("health_care", 0.92)],
            Verdict("partial", topic="health_care", aspect="local_facility"),
        ),
        (
            "what documents do I need for the voluntary scheme",
            [("voluntary_scheme", 0.9)],
            Verdict("partial", topic="voluntary_scheme", aspect="documents"),
        ),
        # an NSSF question no answer covers, whatever the model guessed
        (
            "can I get a loan from nssf",
            [("out_of_scope", 0.7), ("contribution_rates", 0.1)],
            Verdict("not_covered", aspect="loan"),
        ),
        (
            "are foreigners covered by nssf",
            [("nlu_fallback", 0.3), ("health_care", 0.25), ("register_worker", 0.2)],
            Verdict("not_covered", aspect="coverage_group"),
        ),
        # small talk that really asks something uncovered
        (
            "thanks! and is the office open on sunday?",
            [("thanks", 0.8)],
            Verdict("not_covered", aspect="opening_hours"),
        ),
        # unsure, no words for the topic: ask back
        (
            "blorp quaxx",
            [("nlu_fallback", 0.3), ("maternity", 0.2), ("sickness", 0.1)],
            Verdict("ask_back", suggestions=("maternity", "sickness")),
        ),
        # off-topic, nothing about NSSF
        ("what is the weather tomorrow", [("out_of_scope", 0.9)], Verdict("out_of_scope")),
        # sure and covered: the answer
        (
            "how much maternity pay do I get",
            [("maternity", 0.95)],
            Verdict("answer", topic="maternity"),
        ),
        # fairly sure, with the topic's words: the answer
        (
            "how much maternity pay do I get",
            [("maternity", 0.35), ("sickness", 0.2)],
            Verdict("answer", topic="maternity"),
        ),
    ],
)
def test_the_decision(text: str, ranking: list[tuple[str, float]], expected: Verdict) -> None:
    assert decide(text, ranking, ANSWERS) == expected


def test_every_declared_aspect_exists_in_the_lexicon() -> None:
    known = set(load_lexicon().aspects)
    for topic in KB.topics.values():
        assert topic.answers <= known, (topic.key, topic.answers - known)


def test_every_aspect_has_a_label_in_both_languages_that_fits_the_reply() -> None:
    for aspect in load_lexicon().aspects.values():
        for lang in ("en", "km"):
            text = KB.text("not_covered", lang, aspect=aspect.label[lang])
            assert "{" not in text and len(text) < 640


def test_a_malformed_lexicon_is_refused_naming_the_file_and_entry(tmp_path) -> None:
    for name in ("topics.yml", "focus.yml"):
        (tmp_path / name).write_text((DEFAULT_DIR / name).read_text("utf-8"), "utf-8")
    (tmp_path / "aspects.yml").write_text(
        "aspects:\n  refund:\n    label: {en: refunds}\n    any: [refund]\n", "utf-8"
    )
    with pytest.raises(LexiconError, match="aspects.yml, aspect 'refund': 'label' needs"):
        load_lexicon(tmp_path)
    (tmp_path / "aspects.yml").write_text(
        "aspects:\n  place:\n    label: {en: a, km: b}\n    all: [$nowhere]\n", "utf-8"
    )
    with pytest.raises(LexiconError, match="unknown list '\\$nowhere'"):
        load_lexicon(tmp_path)
