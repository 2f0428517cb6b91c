"""Set up the NSSF page's Messenger profile: Get Started button, greeting and persistent menu.

    python -m scripts.messenger_setup        (make messenger-setup)

Uses MESSENGER_PAGE_ACCESS_TOKEN (and the channel's other secrets, which must be set too) and
MESSENGER_GRAPH_URL through the Messenger Profile API (``POST <graph>/me/messenger_profile``).
The greeting and menu titles come from data/knowledge, in English (Facebook's default locale) and
Khmer (``km_KH``). Every button sends a Rasa intent payload, understood exactly by the bot.
Exits 1 when the Graph API refuses the profile.
"""

from __future__ import annotations

import sys
from typing import Any

from bot.channels.common import shorten, split_text
from bot.channels.messenger import GraphClient
from bot.channels.settings import ChannelConfigError, MessengerSettings
from bot.knowledge import Knowledge, get_knowledge
from bot.language import Lang
from bot.replies import intent_payload

GET_STARTED_PAYLOAD = intent_payload("greet")
GREETING_MAX = 160  # Messenger's limit for the welcome-screen greeting
MENU_TITLE_MAX = 30  # Messenger's limit for a persistent-menu title
LOCALES: dict[str, Lang] = {"default": "en", "km_KH": "km"}


def greeting_text(kb: Knowledge, lang: Lang) -> str:
    """The opening sentences of the bot's greeting that fit the welcome screen."""
    return split_text(kb.text("greet", lang), GREETING_MAX, len)[0]


def menu_items(kb: Knowledge, lang: Lang) -> list[dict[str, str]]:
    items = [
        (kb.text("menu_button", lang), intent_payload("help")),
        (kb.title("contact", lang), intent_payload("contact")),
        ("English / ខ្មែរ", intent_payload("language")),
    ]
    return [
        {"type": "postback", "title": shorten(title, MENU_TITLE_MAX), "payload": payload}
        for title, payload in items
    ]


def profile(kb: Knowledge) -> dict[str, Any]:
    """The Messenger Profile API body: get_started, greeting and persistent_menu per locale."""
    return {
        "get_started": {"payload": GET_STARTED_PAYLOAD},
        "greeting": [
            {"locale": locale, "text": greeting_text(kb, lang)} for locale, lang in LOCALES.items()
        ],
        "persistent_menu": [
            {
                "locale": locale,
                "composer_input_disabled": False,
                "call_to_actions": menu_items(kb, lang),
            }
            for locale, lang in LOCALES.items()
        ],
    }


def main() -> int:
    try:
        settings = MessengerSettings.from_env()
    except ChannelConfigError as exc:
        print(f"messenger-setup: {exc}", file=sys.stderr)
        return 2
    client = GraphClient(settings.graph_url, settings.page_access_token)
    result = client.post_sync("me/messenger_profile", profile(get_knowledge()))
    if not result.ok:
        print(
            f"messenger-setup: the Graph API refused the profile (status {result.status}, "
            f"{result.error})",
            file=sys.stderr,
        )
        return 1
    print("messenger-setup: Get Started button, greeting (en, km) and persistent menu set")
    return 0


if __name__ == "__main__":
    sys.exit(main())
