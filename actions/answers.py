"""Actions that answer: topic answers, greeting, small talk, the menu and the language choice."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    knowledge,
    language_of,
    latest_intent,
    remember_language,
    send,
    user_text,
)
from actions.feedback import offer_feedback
from actions.unresolved import ActionUnresolved
from bot import replies
from bot.language import LANGUAGES, requested_language


class ActionAnswer(Action):
    """Answers a topic question from data/knowledge in the user's language."""

    def name(self) -> str:
        return "action_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        kb = knowledge()
        topic = latest_intent(tracker)
        if topic not in kb.topics:
            return await ActionUnresolved().run(dispatcher, tracker, domain)
        lang = language_of(tracker)
        send(dispatcher, replies.answer(kb, topic, lang))
        offer_feedback(dispatcher, tracker, lang)
        return remember_language(tracker)


class ActionGreet(Action):
    """Greets the user and shows the topic menu."""

    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        send(dispatcher, replies.greeting(knowledge(), language_of(tracker)))
        return remember_language(tracker)


class ActionSmalltalk(Action):
    """Answers thanks, goodbye and "are you a bot?"."""

    def name(self) -> str:
        return "action_smalltalk"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = latest_intent(tracker)
        kb = knowledge()
        if intent not in replies.SMALLTALK_TEXTS:
            return await ActionUnresolved().run(dispatcher, tracker, domain)
        send(dispatcher, replies.smalltalk(kb, intent, language_of(tracker)))
        return remember_language(tracker)


class ActionShowMenu(Action):
    """Shows the main menu of topics as buttons."""

    def name(self) -> str:
        return "action_show_menu"

    async def run(
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
        chosen = next(tracker.get_latest_entity_values("language"), None)
        if chosen not in LANGUAGES:
            chosen = requested_language(user_text(tracker))
        if chosen is None:
            send(dispatcher, replies.language_choice(kb, language_of(tracker)))
            return remember_language(tracker)
        send(dispatcher, replies.language_set(kb, chosen))
        return [SlotSet("language", chosen), SlotSet("last_language", chosen)]
