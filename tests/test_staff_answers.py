"""Staff answers without the web: publishing, versions and use counts in the database, what
users see (source and date, buttons, each channel's limits), the live refresh that makes an answer
used within seconds, and the actions that use it only where the bot would record a gap."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from rasa_sdk import Tracker
from sqlalchemy.exc import OperationalError

import actions.staff
from actions.answers import ActionAnswer
from actions.unresolved import ActionUnresolved
from bot.gaps.capture import GapRecorder
from bot.gaps.store import GapStore
from bot.knowledge import configured_knowledge
from bot.staff_answers.live import LiveAnswers, refresh_seconds
from bot.staff_answers.matching import Matcher
from bot.staff_answers.model import PUBLISHED, Draft, Question, StaffAnswer
from bot.staff_answers.replies import first_sentence, offer_reply, preview, staff_reply
from bot.staff_answers.store import AnswerStore, UnknownAnswer
from tests.factories import bot_event, conversation, run_action, tracker, user_event
from tests.gaps_support import gap, logged

KB = configured_knowledge()
GLASSES = "does nssf pay for my glasses"
DRAFT = Draft(
    en="NSSF health care does not pay for glasses. Eye injuries at work are covered.",
    km="ការថែទាំសុខភាពរបស់ ប.ស.ស. មិនចេញថ្លៃវ៉ែនតាទេ។",
    source_name="NSSF communication team",
    source_date=dt.date(2026, 11, 30),
)


def answer_for(question: str, answer_id: int = 1) -> StaffAnswer:
    """A published answer (DRAFT) written for ``question``, as the store returns it."""
    now = dt.datetime(2026, 12, 1)
    questions = (Question(question, "en"),)
    return StaffAnswer(
        answer_id, PUBLISHED, 1, DRAFT, now, "dara", now, "dara", questions=questions
    )


@pytest.fixture
def answers(sqlite_store: GapStore) -> AnswerStore:
    return AnswerStore(sqlite_store)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_publishing_keeps_the_questions_and_marks_their_gaps_answered(
    answers: AnswerStore, sqlite_store: GapStore
) -> None:
    sqlite_store.add(gap(GLASSES))
    sqlite_store.add(gap("lottery numbers today"))
    record = next(r for r in sqlite_store.list() if r.text == GLASSES)
    answer_id = answers.publish(DRAFT, [Question(record.text, "en", record.id)], "dara")
    stored = answers.get(answer_id)
    assert stored is not None and stored.published and stored.version == 1
    assert stored.draft == DRAFT and stored.created_by == "dara"
    assert stored.questions == (Question(GLASSES, "en", record.id),)
    statuses = {r.text: (r.status, r.note) for r in sqlite_store.list()}
    assert statuses[GLASSES] == ("answered", f"Staff answer #{answer_id}")
    assert statuses["lottery numbers today"] == ("new", "")


def test_editing_adds_a_version_and_unpublishing_hides_the_answer(answers: AnswerStore) -> None:
    answer_id = answers.publish(DRAFT, [Question(GLASSES, "en")], "dara")
    changed = Draft(
        DRAFT.en + " Ask your employer.", DRAFT.km, DRAFT.source_name, DRAFT.source_date
    )
    assert answers.update(answer_id, changed, "sophea") == 2
    versions = answers.versions(answer_id)
    assert [(v.version, v.author) for v in versions] == [(2, "sophea"), (1, "dara")]
    assert versions[1].draft == DRAFT  # nothing is overwritten
    current = answers.get(answer_id)
    assert current is not None and current.draft == changed and current.updated_by == "sophea"
    answers.set_published(answer_id, False, "sophea")
    assert answers.published() == []
    answers.set_published(answer_id, True, "dara")
    assert [a.id for a in answers.published()] == [answer_id]
    with pytest.raises(UnknownAnswer):
        answers.update(answer_id + 1, changed, "x")
    with pytest.raises(UnknownAnswer):
        answers.set_published(answer_id + 1, False, "x")


def test_uses_are_counted(answers: AnswerStore) -> None:
    answer_id = answers.publish(DRAFT, [Question(GLASSES, "en")], "dara")
    answers.record_use(answer_id)
    answers.record_use(answer_id)
    used = answers.get(answer_id)
    assert used is not None and used.uses == 2 and used.last_used_at is not None


@pytest.mark.parametrize(
    ("draft", "problems"),
    [
        (Draft("", "x", "s", dt.date(2026, 1, 1)), {"answer.en": "missing"}),
        (Draft("x", " ", "s", dt.date(2026, 1, 1)), {"answer.km": "missing"}),
        (Draft("x", "x", "", None), {"source.name": "missing", "source.date": "missing"}),
        (Draft("x" * 2001, "x", "s", dt.date(2026, 1, 1)), {"answer.en": "too_long"}),
        (Draft("x", "x", "s", dt.date.today() + dt.timedelta(days=5)), {"source.date": "future"}),
        (Draft("x", "x", "s", dt.date(2026, 1, 1), "weddings"), {"topic": "unknown"}),
        (Draft("x", "x", "s", dt.date(2026, 1, 1), "health_care"), {}),
    ],
)
def test_a_draft_needs_both_languages_a_source_and_its_date(
    draft: Draft, problems: dict[str, str]
) -> None:
    assert draft.problems(tuple(KB.topics)) == problems


def test_users_see_the_answer_with_its_source_and_date_and_the_related_topic() -> None:
    draft = Draft(DRAFT.en, DRAFT.km, DRAFT.source_name, DRAFT.source_date, "health_care")
    reply = staff_reply(draft, "km", KB)
    assert reply.text == (
        f"{DRAFT.km}\n\n{KB.text('source_label', 'km')}: NSSF communication team (2026-11-30)"
    )
    assert [b.title for b in reply.buttons] == [
        KB.title("health_care", "km"),
        KB.text("menu_button", "km"),
    ]


def test_the_preview_shows_each_channels_limits() -> None:
    short = {v.channel: v for v in preview(DRAFT, KB)["en"]}
    assert short["messenger"].notes == () and len(short["messenger"].messages) == 1
    assert short["messenger"].messages[0][1] == (KB.text("menu_button", "en"),)
    long_text = "\n\n".join(["This sentence is about the glasses rule." * 4] * 14)
    assert 2000 < len(long_text) <= 4096 - 100
    long = {v.channel: v for v in preview(Draft(long_text, "ក", "s", DRAFT.source_date), KB)["en"]}
    assert long["messenger"].notes[0] == "preview_split"
    assert len(long["messenger"].messages) == 2
    assert all(len(text) <= 2000 for text, _ in long["messenger"].messages)
    assert long["telegram"].notes == () and len(long["telegram"].messages) == 1
    medium = Draft("word " * 150, "ក", "s", DRAFT.source_date)  # over a button template's 640
    notes = {v.channel: v.notes for v in preview(medium, KB)["en"]}
    assert notes["messenger"] == ("preview_quick_replies",)


def test_the_matcher_finds_a_close_question_and_leaves_unrelated_ones(
    answers: AnswerStore,
) -> None:
    answers.publish(DRAFT, [Question(GLASSES, "en"), Question("nssf glasses refund", "en")], "d")
    matcher = Matcher(answers.published())
    found = matcher.match("Does NSSF pay for glasses?")
    assert found is not None and found.question == GLASSES
    assert matcher.match("what is the weather in Phnom Penh today") is None
    assert matcher.match("") is None and matcher.match("👍") is None


def test_live_answers_see_a_new_or_unpublished_answer_after_the_refresh_period(
    answers: AnswerStore,
) -> None:
    clock = Clock()
    live = LiveAnswers(answers, refresh_s=5, clock=clock)
    assert live.match(GLASSES) is None
    answer_id = answers.publish(DRAFT, [Question(GLASSES, "en")], "dara")
    clock.now = 4.9
    assert live.match(GLASSES) is None  # read less than 5 s ago
    clock.now = 5.0
    found = live.match(GLASSES)
    assert found is not None and found.answer.id == answer_id
    answers.set_published(answer_id, False, "dara")
    clock.now = 10.0
    assert live.match(GLASSES) is None


def test_live_answers_keep_the_last_answers_when_the_database_fails(
    answers: AnswerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    live = LiveAnswers(answers, refresh_s=5, clock=clock)
    answers.publish(DRAFT, [Question(GLASSES, "en")], "dara")
    assert live.match(GLASSES) is not None

    def down() -> None:
        raise OperationalError("SELECT", {}, Exception("database is down"))

    monkeypatch.setattr(answers, "published", down)
    clock.now = 60.0
    assert live.match(GLASSES) is not None


def test_the_refresh_period_is_configurable_and_bounded() -> None:
    assert refresh_seconds({}) == 5.0
    assert refresh_seconds({"STAFF_ANSWERS_REFRESH_SECONDS": "1.5"}) == 1.5
    assert refresh_seconds({"STAFF_ANSWERS_REFRESH_SECONDS": "600"}) == 60.0
    assert refresh_seconds({"STAFF_ANSWERS_REFRESH_SECONDS": "soon"}) == 5.0


@pytest.fixture
def live(answers: AnswerStore, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveAnswers]:
    """The actions' live answers, on a fresh store, refreshed at every message."""
    current = LiveAnswers(answers, refresh_s=0)
    monkeypatch.setattr(actions.staff, "configured_live_answers", lambda: current)
    yield current
    current._writer.shutdown(wait=True)


def recorded(recorder: GapRecorder) -> list[str]:
    recorder.flush()
    return [r.text for r in recorder.store.list()]


async def test_a_question_no_answer_covers_gets_the_staff_answer_and_no_gap(
    live: LiveAnswers, answers: AnswerStore, recorder: GapRecorder
) -> None:
    t = tracker(GLASSES, "not_covered", ranking=[("not_covered", 0.8), ("health_care", 0.1)])
    before, _ = await run_action(ActionUnresolved(), t)
    assert before[0][0] != staff_reply(DRAFT, "en", KB).text
    assert recorded(recorder) == [GLASSES]
    answer_id = answers.publish(DRAFT, [Question(GLASSES, "en")], "dara")
    after, _ = await run_action(ActionUnresolved(), t)
    assert after[0][0] == staff_reply(DRAFT, "en", KB).text
    assert recorded(recorder) == [GLASSES]  # no second gap
    live._writer.shutdown(wait=True)
    used = answers.get(answer_id)
    assert used is not None and used.uses == 1


async def test_an_off_topic_or_unsure_question_gets_the_staff_answer_in_khmer(
    live: LiveAnswers, answers: AnswerStore, recorder: GapRecorder
) -> None:
    question = "តើ ប.ស.ស. ចេញថ្លៃវ៉ែនតាឱ្យខ្ញុំទេ"
    answers.publish(DRAFT, [Question(question, "km")], "dara")
    for intent in ("out_of_scope", "nlu_fallback"):
        messages, _ = await run_action(ActionUnresolved(), tracker(question, intent))
        assert messages[0][0] == staff_reply(DRAFT, "km", KB).text
    assert recorded(recorder) == []


async def test_a_staff_answer_never_replaces_a_topic_answer_with_its_figures(
    live: LiveAnswers, answers: AnswerStore, recorder: GapRecorder
) -> None:
    question = "How much is the maternity allowance?"
    answers.publish(DRAFT, [Question(question, "en")], "dara")
    messages, _ = await run_action(ActionAnswer(), tracker(question, "maternity"))
    assert messages[0][0] == KB.answer("maternity", "en")
    assert all(m[0] != staff_reply(DRAFT, "en", KB).text for m in messages)


async def test_a_button_payload_or_a_human_request_never_gets_a_staff_answer(
    live: LiveAnswers, answers: AnswerStore, recorder: GapRecorder
) -> None:
    answers.publish(DRAFT, [Question("I want to talk to a person", "en")], "dara")
    messages, _ = await run_action(
        ActionUnresolved(), tracker("I want to talk to a person", "request_human")
    )
    assert messages[0][0] != staff_reply(DRAFT, "en", KB).text


# --- a close answer is offered first -----------------------------------------------------------

OFFER_QUESTION = "my eyes are weak, can nssf help me buy spectacles or glasses"


def test_a_close_match_is_offered_first_and_a_weak_one_not_at_all() -> None:
    answer = answer_for(GLASSES)
    score = Matcher([answer]).scores(OFFER_QUESTION)[0][1]
    assert 0.0 < score < 1.0
    sure = Matcher([answer], threshold=score - 0.01, ask_threshold=score - 0.02)
    offered = Matcher([answer], threshold=score + 0.01, ask_threshold=score - 0.01)
    nothing = Matcher([answer], threshold=score + 0.02, ask_threshold=score + 0.01)
    assert (m := sure.match(OFFER_QUESTION)) is not None and m.sure
    assert (m := offered.match(OFFER_QUESTION)) is not None and not m.sure
    assert nothing.match(OFFER_QUESTION) is None


def test_the_offer_shows_the_answers_first_sentence_cut_at_a_word_or_a_khmer_cluster() -> None:
    first = first_sentence("Glasses are not covered. Eye injuries are.")
    assert first == "Glasses are not covered."
    assert first_sentence("ប.ស.ស. មិនចេញថ្លៃវ៉ែនតាទេ។ របួសភ្នែកធានា។") == "ប.ស.ស. មិនចេញថ្លៃវ៉ែនតាទេ។"
    assert first_sentence("The U.S. way differs. Not here.") == "The U.S. way differs."
    long = "NSSF " + "pays for many things at the hospital " * 5
    cut = first_sentence(long, limit=40)
    assert cut.endswith("…") and len(cut) <= 41 and long.startswith(cut[:-1])
    assert cut[:-1] == cut[:-1].rstrip() and " ".join(long.split()).startswith(cut[:-1] + " ")
    khmer = "ការថែទាំសុខភាពរបស់ប.ស.ស.មិនចេញថ្លៃវ៉ែនតាទេ" * 4
    cut = first_sentence(khmer, limit=30)
    assert khmer.startswith(cut[:-1]) and khmer[len(cut) - 1] not in "ាិីឹឺុូួើឿៀេែៃោៅំះ៉៊់៌៍៎៏័្"
    assert first_sentence("") == ""


@pytest.fixture
def offering(answers: AnswerStore, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveAnswers]:
    """Live answers that offer every match first (answer at once only an exact question)."""
    current = LiveAnswers(answers, refresh_s=0, thresholds=(0.99, 0.05))
    monkeypatch.setattr(actions.staff, "configured_live_answers", lambda: current)
    yield current
    current._writer.shutdown(wait=True)


def offer_conversation(answer_id: int, tap: dict[str, object]) -> Tracker:
    question = user_event(OFFER_QUESTION, "not_covered", [("not_covered", 0.8)])
    offer = offer_reply(answer_for(GLASSES, answer_id), "en", KB)
    buttons = [{"title": b.title, "payload": b.payload} for b in offer.buttons]
    return conversation(question, bot_event(offer.text, buttons), tap)


def yes_button(answer_id: int) -> dict[str, object]:
    payload = f'/affirm{{"staff_answer":"{answer_id}"}}'
    entities = [{"entity": "staff_answer", "value": str(answer_id)}]
    return user_event(payload, "affirm", entities=entities)


async def test_a_close_answer_is_offered_and_a_yes_gets_it_for_the_question(
    offering: LiveAnswers, answers: AnswerStore, recorder: GapRecorder, sqlite_store: GapStore
) -> None:
    answer_id = answers.publish(DRAFT, [Question(GLASSES, "en")], "dara")
    t = tracker(OFFER_QUESTION, "not_covered", ranking=[("not_covered", 0.8)])
    messages, _ = await run_action(ActionUnresolved(), t)
    assert messages[0][0] == offer_reply(answer_for(GLASSES, answer_id), "en", KB).text
    assert "NSSF health care does not pay for glasses." in messages[0][0]
    payloads = [b["payload"] for b in messages[0][1]]
    assert payloads == [f'/affirm{{"staff_answer":"{answer_id}"}}', "/none_of_these"]
    assert recorded(recorder) == []  # offered, not a gap (yet)
    for tap in (yes_button(answer_id), user_event("yes", "affirm")):
        messages, _ = await run_action(ActionUnresolved(), offer_conversation(answer_id, tap))
        assert messages[0][0] == staff_reply(DRAFT, "en", KB).text
        assert len(messages) == 2  # the answer, then "did this answer your question?"
    assert recorded(recorder) == []
    offering._writer.shutdown(wait=True)
    used = answers.get(answer_id)
    assert used is not None and used.uses == 2
    assert logged(sqlite_store, recorder)[OFFER_QUESTION] == ("staff_answer", "", "after_yes")


async def test_a_no_to_the_offer_or_an_unpublished_answer_is_a_gap_for_the_question(
    offering: LiveAnswers, answers: AnswerStore, recorder: GapRecorder
) -> None:
    answer_id = answers.publish(DRAFT, [Question(GLASSES, "en")], "dara")
    taps = [
        user_event("/none_of_these", "none_of_these"),
        user_event("no", "deny"),
        yes_button(answer_id + 1),  # not an answer
    ]
    for tap in taps:
        messages, _ = await run_action(ActionUnresolved(), offer_conversation(answer_id, tap))
        assert messages[0][0] != staff_reply(DRAFT, "en", KB).text
        assert "1286" in messages[0][0]
    answers.set_published(answer_id, False, "dara")
    await run_action(ActionUnresolved(), offer_conversation(answer_id, yes_button(answer_id)))
    assert recorded(recorder) == [OFFER_QUESTION] * 4
