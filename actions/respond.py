"""Replies to a question whose fate :func:`bot.answerability.decide.decide` has decided: the
answer (and a second question's answer), an honest partial answer, or "I can't answer that yet",
each with the knowledge gap it records; plus the offers that go with an answer (work out your own
case, what a number without a role is, the switch to English after romanized Khmer).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import knowledge, language_of, remember_language, send, user_text
from actions.feedback import offer_feedback
from actions.notify import offer
from actions.recording import log_question, record_gap
from actions.staff import answer_from_staff
from bot import replies
from bot.answerability.decide import Verdict, decide
from bot.answerability.lexicon import configured_lexicon
from bot.eligibility.dialogue import TOPIC_CHECKS
from bot.gaps.model import REASON_NOT_COVERED
from bot.knowledge import Knowledge
from bot.language import Lang, is_romanized_khmer
from bot.numbers import read, roles
from bot.questions.model import ANSWERED
from bot.replies import Button, Reply, intent_payload


def ranking_of(tracker: Tracker) -> list[tuple[str, float]]:
    """The latest message's intents with their confidences, best first."""
    ranking = tracker.latest_message.get("intent_ranking") or []
    pairs = [(i["name"], float(i.get("confidence") or 0.0)) for i in ranking if "name" in i]
    if not pairs and (tracker.latest_message.get("intent") or {}).get("name"):
        intent = tracker.latest_message["intent"]
        pairs = [(intent["name"], float(intent.get("confidence") or 0.0))]
    return pairs


def verdict_of(
    tracker: Tracker, kb: Knowledge, ranking: list[tuple[str, float]] | None = None
) -> Verdict:
    """What to do with the latest message (``ranking``: instead of the NLU's)."""
    answers = {key: topic.answers for key, topic in kb.topics.items()}
    return decide(user_text(tracker), ranking or ranking_of(tracker), answers)


def aspect_label(aspect: str | None, lang: Lang) -> str | None:
    lexicon = configured_lexicon()
    if aspect is None or aspect not in lexicon.aspects:
        return None
    return lexicon.aspects[aspect].label[lang]


def english_button(tracker: Tracker, kb: Knowledge) -> tuple[Button, ...]:
    """After a romanized-Khmer message (answered in Khmer script), a way to switch to English."""
    if tracker.get_slot("language") or not is_romanized_khmer(user_text(tracker)):
        return ()
    return (Button(kb.text("english_button", "en"), intent_payload("language", language="en")),)


def check_offer(topic: str, kb: Knowledge, lang: Lang) -> Button | None:
    """ "Check my case" for a topic the eligibility check covers."""
    if topic not in TOPIC_CHECKS:
        return None
    scheme = TOPIC_CHECKS[topic][0]
    return Button(kb.text("check_offer", lang), intent_payload("check_eligibility", scheme=scheme))


def role_question(topic: str, text: str, kb: Knowledge, lang: Lang) -> Reply | None:
    """A number the message holds without saying what it is: ask which it is, as buttons that
    start the check with that answer ("You wrote 35. Is that your age, or the years you
    worked?")."""
    if topic not in TOPIC_CHECKS or text.startswith("/"):
        return None
    scheme = TOPIC_CHECKS[topic][0]
    reading = read(text)
    unclear = roles.unclear(reading)
    if len(unclear) != 1:
        return None
    found = unclear[0]
    if scheme == "pension":
        years = found.value[0] // 12 if found.kind == "duration" else int(found.value)
        if found.kind == "duration" and found.value[0] % 12:
            return None
        number = str(years)
        age = intent_payload("check_eligibility", scheme=scheme, pension_age=number)
        worked = intent_payload("check_eligibility", scheme=scheme, pension_months=str(years * 12))
        buttons = (
            Button(kb.text("role_age_button", lang, number=number), age),
            Button(kb.text("role_years_button", lang, number=number), worked),
        )
        return Reply(kb.text("role_age_or_years", lang, number=number), buttons)
    if scheme in ("maternity", "sickness", "health_care") and found.kind == "duration":
        months = found.value[0]
        if not 1 <= months <= 12:
            return None
        number = str(months)
        paid = intent_payload("check_eligibility", scheme=scheme, months_in_window=number)
        button = Button(kb.text("role_months_button", lang, number=number), paid)
        return Reply(kb.text("role_months", lang, number=number), (button,))
    return None


def topic_answer(
    topic: str, tracker: Tracker, kb: Knowledge, lang: Lang, offer: bool = True
) -> list[Reply]:
    """A topic's answer with its buttons: the offer to check one's own case (when the check
    covers the topic), related topics, the menu, and English after romanized Khmer."""
    (reply,) = replies.answer(kb, topic, lang)
    extra: tuple[Button, ...] = english_button(tracker, kb)
    offered = check_offer(topic, kb, lang) if offer else None
    if offered is not None:
        extra = (offered, *extra)
    out = [Reply(reply.text, extra + reply.buttons)]
    question = role_question(topic, user_text(tracker), kb, lang) if offer else None
    if question is not None:
        out.append(question)
    return out


async def respond(
    verdict: Verdict, dispatcher: CollectingDispatcher, tracker: Tracker
) -> list[dict[str, Any]]:
    """Send the replies for an ``answer``, ``partial`` or ``not_covered`` verdict; record its
    gap, with the offer to be told when NSSF has an answer. A question no answer covers (in full
    or in part) gets the staff answer written for it, if there is one, instead of the gap."""
    if verdict.kind in ("not_covered", "partial"):
        staff = await answer_from_staff(dispatcher, tracker, verdict.topic)
        if staff is not None:
            return staff
    kb = knowledge()
    lang = language_of(tracker)
    label = aspect_label(verdict.aspect, lang)
    if verdict.kind == "not_covered":
        text = (
            kb.text("not_covered", lang, aspect=label)
            if label
            else kb.text("not_covered_general", lang)
        )
        # what it knows nearby, one tap away; the menu; English after romanized Khmer
        nearby = replies.topic_buttons(kb, verdict.suggestions, lang)
        buttons = (*nearby, replies.menu_button(kb, lang), *english_button(tracker, kb))
        send(dispatcher, [Reply(text, buttons)])
        record = record_gap(
            tracker, REASON_NOT_COVERED, aspect=verdict.aspect or "", topic=verdict.topic or ""
        )
        return remember_language(tracker) + offer(dispatcher, tracker, record)
    assert verdict.topic is not None
    if verdict.kind == "partial":
        title = kb.title(verdict.topic, lang)
        send(dispatcher, [Reply(kb.text("partial", lang, aspect=label or "", topic=title))])
        send(dispatcher, topic_answer(verdict.topic, tracker, kb, lang, offer=False))
        record = record_gap(
            tracker, REASON_NOT_COVERED, aspect=verdict.aspect or "", topic=verdict.topic
        )
        offered = offer(dispatcher, tracker, record)
        if not offered:  # one question at a time: the offer to be told, else the 👍 / 👎
            offer_feedback(dispatcher, tracker, lang)
        return remember_language(tracker) + offered
    send(dispatcher, topic_answer(verdict.topic, tracker, kb, lang))
    log_question(tracker, ANSWERED, topic=verdict.topic)
    if verdict.also and verdict.also in kb.topics:
        heading = kb.text("also_asked", lang, topic=kb.title(verdict.also, lang))
        send(dispatcher, [Reply(heading)])
        send(dispatcher, topic_answer(verdict.also, tracker, kb, lang, offer=False))
    offer_feedback(dispatcher, tracker, lang)
    return remember_language(tracker)


async def step_aside(
    dispatcher: CollectingDispatcher, tracker: Tracker
) -> list[dict[str, Any]] | None:
    """For the actions of small talk, the menu and "stop": a message they got that really asks
    what no answer covers ("thanks, and can foreigners join?") is answered as such instead."""
    verdict = verdict_of(tracker, knowledge())
    if verdict.kind == "not_covered":
        return await respond(verdict, dispatcher, tracker)
    return None
