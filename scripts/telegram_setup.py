"""Register the Telegram webhook (with its secret token) and the commands in English and Khmer.

    python -m scripts.telegram_setup        (make telegram-setup)

Uses TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET, TELEGRAM_WEBHOOK_URL (the public HTTPS URL of
``/webhooks/telegram/webhook``) and TELEGRAM_API_URL. Calls ``setWebhook`` (secret_token,
allowed_updates message + callback_query) and ``setMyCommands`` twice: the default list in English
and ``language_code=km`` in Khmer. Exits 1 when the Bot API refuses a call.
"""

from __future__ import annotations

import asyncio
import sys

from telegram import BotCommand
from telegram.error import TelegramError

from bot.channels.settings import ChannelConfigError, TelegramSettings
from bot.channels.telegram import TelegramInput
from bot.channels.telegram_updates import COMMAND_DESCRIPTIONS

ALLOWED_UPDATES = ["message", "callback_query"]


async def setup(settings: TelegramSettings) -> None:
    bot = TelegramInput(settings).bot
    async with bot:
        await bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
        )
        for language, commands in COMMAND_DESCRIPTIONS.items():
            await bot.set_my_commands(
                [BotCommand(name, description) for name, description in commands],
                language_code=language,
            )


def main() -> int:
    try:
        settings = TelegramSettings.from_env()
    except ChannelConfigError as exc:
        print(f"telegram-setup: {exc}", file=sys.stderr)
        return 2
    if not settings.webhook_url:
        print(
            "telegram-setup: set TELEGRAM_WEBHOOK_URL (public https URL of the webhook)",
            file=sys.stderr,
        )
        return 2
    try:
        asyncio.run(setup(settings))
    except TelegramError as exc:
        reason = str(exc).replace(settings.bot_token, "***")
        print(
            f"telegram-setup: the Bot API refused: {type(exc).__name__}: {reason}", file=sys.stderr
        )
        return 1
    print("telegram-setup: webhook with secret token and commands (en, km) set")
    return 0


if __name__ == "__main__":
    sys.exit(main())
