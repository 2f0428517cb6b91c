"""Actions that answer: topic answers, greeting, small talk, the menu and the language choice."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    knowledge,
    language_of,
    latest_entities,
    latest_intent,
    remember_language,
    send,
    user_text,
)
from actions.recording import log_question
from actions.respond import respond, step_aside, verdict_of
from actions.unresolved import ActionUnresolved
from bot import replies
from bot.eligibility.opening import answer_topic
from bot.language import LANGUAGES, requested_language
from bot.questions.model import CHAT
from bot.replies import Reply


class ActionAnswer(Action):
    """Answers a topic question from data/knowledge in the user's language, when the question
    is one that answer answers; otherwise answers in part, asks back or says it cannot answer
    yet (:mod:`actions.respond`). "Am I eligible for X?" without numbers gets X's answer first,
    with the offer to check one's own case."""

    def name(self) -> str:
        return "action_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        kb = knowledge()
        lang = language_of(tracker)
        entities = latest_entities(tracker)
        first = answer_topic(latest_intent(tracker), user_text(tracker), entities)
        if first is not None:  # "am I eligible for X?" without numbers: X's answer first
            verdict = verdict_of(tracker, kb, ranking=[(first, 1.0)])
            if verdict.kind == "answer":
                send(dispatcher, [Reply(kb.text("check_offer_prompt", lang))])
            return await respond(verdict, dispatcher, tracker)
        verdict = verdict_of(tracker, kb)
        if verdict.kind in ("answer", "partial", "not_covered"):
            return await respond(verdict, dispatcher, tracker)
        if verdict.kind == "out_of_scope":
            unresolved = ActionUnresolved(replies.REASON_OUT_OF_SCOPE)
        else:  # ask back with the verdict's topics
            unresolved = ActionUnresolved(
                replies.REASON_LOW_CONFIDENCE, suggestions=verdict.suggestions
            )
        return await unresolved.run(dispatcher, tracker, domain)


class StepsAsideAction(Action, ABC):
    """Base of the actions that reply without a knowledge answer (greeting, small talk, menu): a
    message they get that really asks what no answer covers ("thanks, and can foreigners join?")
    gets the honest "I can't answer that yet" instead (:func:`actions.respond.step_aside`)."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        stepped = await step_aside(dispatcher, tracker)
        if stepped is not None:
            return stepped
        log_question(tracker, CHAT, topic=latest_intent(tracker) or "")
        return await self.reply(dispatcher, tracker, domain)

    @abstractmethod
    async def reply(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The action's own reply."""


class ActionGreet(StepsAsideAction):
    """Greets the user and shows the topic menu."""

    def name(self) -> str:
        return "action_greet"

    async def reply(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        send(dispatcher, replies.greeting(knowledge(), language_of(tracker)))
        return remember_language(tracker)


class ActionSmalltalk(StepsAsideAction):
    """Answers thanks, goodbye and "are you a bot?"."""

    def name(self) -> str:
        return "action_smalltalk"

    async def reply(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = latest_intent(tracker)
        kb = knowledge()
        if intent not in replies.SMALLTALK_TEXTS:
            return await ActionUnresolved().run(dispatcher, tracker, domain)
        send(dispatcher, replies.smalltalk(kb, intent, language_of(tracker)))
        return remember_language(tracker)


class ActionShowMenu(StepsAsideAction):
    """Shows the main menu of topics as buttons."""

    def name(self) -> str:
        return "action_show_menu"

    async def reply(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        send(dispatcher, [replies.menu(knowledge(), language_of(tracker))])
        return remember_language(tracker)


class ActionSetLanguage(Action):
    """Sets the reply language the user asked for, or asks which one with buttons."""

    def name(self) -> str:
        return "action_set_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        kb = knowledge()
        log_question(tracker, CHAT, topic="language")
        chosen = next(tracker.get_latest_entity_values("language"), None)
        if chosen not in LANGUAGES:
            chosen = requested_language(user_text(tracker))
        if chosen is None:
            send(dispatcher, replies.language_choice(kb, language_of(tracker)))
            return remember_language(tracker)
        send(dispatcher, replies.language_set(kb, chosen))
        return [SlotSet("language", chosen), SlotSet("last_language", chosen)]


SOURCES_INTENT = "show_sources"
_SOURCES_PAYLOAD = re.compile(r'^/show_sources\{"source_topic":"([a-z_]+)"\}$')


def last_answered_topic(tracker: Tracker) -> str | None:
    """The topic of the bot's latest answer: the one its "Sources" button names."""
    for event in reversed(tracker.events):
        if event.get("event") != "bot":
            continue
        for button in (event.get("data") or {}).get("buttons") or []:
            match = _SOURCES_PAYLOAD.match(str(button.get("payload") or ""))
            if match:
                return match.group(1)
    return None


class ActionShowSources(Action):
    """Lists every source of an answer with its date: the topic the "Sources" button names, or,
    for a typed "what is your source?", the bot's latest answer."""

    def name(self) -> str:
        return "action_show_sources"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        kb = knowledge()
        log_question(tracker, CHAT, topic=SOURCES_INTENT)
        entities = latest_entities(tracker)
        topic = entities.get("source_topic")
        if topic not in kb.topics:
            topic = last_answered_topic(tracker)
        send(dispatcher, replies.sources(kb, topic, language_of(tracker)))
        return remember_language(tracker)
