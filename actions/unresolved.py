"""The one action for every question the bot cannot answer (low confidence, out of scope,
rejected suggestions, dialogue fallback): it asks back or says so honestly, with the hotline."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    intent_ranking,
    knowledge,
    language_of,
    latest_intent,
    remember_language,
    send,
)
from bot import replies


class ActionUnresolved(Action):
    """Asks back with the two likeliest topics, or admits it cannot answer and gives the hotline."""

    def name(self) -> str:
        return "action_unresolved"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        reason = replies.unresolved_reason(latest_intent(tracker))
        lang = language_of(tracker)
        send(dispatcher, replies.unresolved(knowledge(), reason, intent_ranking(tracker), lang))
        return remember_language(tracker)
