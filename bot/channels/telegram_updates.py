"""Reading Telegram updates: which ones the bot answers, and as what text.

Private chats: every text message, command and button tap. Groups: only commands, mentions of the
bot and replies to its messages, with one conversation per (chat, user). Commands become intent
payloads (``/start`` greets, ``/menu`` and ``/help`` show the topics, ``/language en`` picks the
language); a non-text message (sticker, photo, voice) becomes ``text=None`` (the "text only" reply);
edits, channel posts, other bots and service messages are ignored.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass

from telegram import CallbackQuery, Chat, Message, MessageEntity, Update, User

from bot.channels.common import clip_input
from bot.conversations import TELEGRAM, conversation_id
from bot.language import LANGUAGES

# Commands -> Rasa intent payloads. /start greets; /menu and /help show the topics.
COMMANDS = {"start": "/greet", "help": "/help", "menu": "/help", "language": "/language"}
# What setMyCommands registers, per language (``None``: the default, English).
COMMAND_DESCRIPTIONS: dict[str | None, list[tuple[str, str]]] = {
    None: [
        ("start", "Start: greeting and topics"),
        ("menu", "Show the topics"),
        ("help", "What I can answer"),
        ("language", "Choose English or Khmer"),
    ],
    "km": [
        ("start", "ចាប់ផ្ដើម៖ ស្វាគមន៍ និងប្រធានបទ"),
        ("menu", "បង្ហាញប្រធានបទ"),
        ("help", "អ្វីដែលខ្ញុំអាចឆ្លើយបាន"),
        ("language", "ជ្រើសរើសភាសាខ្មែរ ឬអង់គ្លេស"),
    ],
}
_GROUPS = (Chat.GROUP, Chat.SUPERGROUP)


@dataclass(frozen=True)
class Incoming:
    """One update to handle. ``text`` goes to the bot; ``None`` means a non-text message."""

    sender: str  # the conversation: the chat in private, (chat, user) in groups
    chat_id: int
    text: str | None
    visible_text: str | None = None  # what the user wrote (for the reply language)
    reply_to: int | None = None  # in groups, the message the answer replies to
    callback_id: str | None = None  # a callback query to answer
    language_hint: str | None = None  # the user's Telegram language_code


def secret_is_valid(expected: str, header: str | None) -> bool:
    return header is not None and hmac.compare_digest(
        header.encode("utf-8"), expected.encode("utf-8")
    )


def sender_id(chat: Chat, user: User | None) -> str:
    """Private chats: the chat. Groups: chat and user, so colleagues don't share a conversation.
    Either bound to the channel (``telegram:…``, :mod:`bot.conversations`)."""
    if chat.type in _GROUPS and user is not None:
        return conversation_id(TELEGRAM, chat.id, user.id)
    return conversation_id(TELEGRAM, chat.id)


def _command(message: Message, bot_username: str) -> tuple[str, str] | None:
    """``(command, argument)`` if the message starts with a command meant for this bot."""
    text = message.text or ""
    entity = next(
        (e for e in message.entities if e.type == MessageEntity.BOT_COMMAND and e.offset == 0),
        None,
    )
    if entity is None:
        return None
    word = text[1 : entity.length]
    name, _, addressee = word.partition("@")
    if addressee and addressee.lower() != bot_username.lower():
        return None
    return name.lower(), text[entity.length :].strip()


def _mentions(message: Message, bot_username: str) -> bool:
    mention = f"@{bot_username}".lower()
    for entity in message.entities:
        if entity.type == MessageEntity.MENTION:
            if message.parse_entity(entity).lower() == mention:
                return True
    return False


def _without_mention(text: str, bot_username: str) -> str:
    mention = f"@{bot_username}"
    lowered = text.lower()
    at = lowered.find(mention.lower())
    while at >= 0:
        text = text[:at] + text[at + len(mention) :]
        lowered = text.lower()
        at = lowered.find(mention.lower())
    return " ".join(text.split())


def command_payload(name: str, argument: str) -> str:
    """The bot payload for a command; ``/language en`` picks the language directly."""
    if name == "language" and argument.lower() in LANGUAGES:
        return f'/language{{"language":"{argument.lower()}"}}'
    return COMMANDS.get(name, "/help")


def classify(update: Update, me: User, resolve: Callable[[str], str | None]) -> Incoming | None:
    """What to do with an update, or ``None`` to ignore it (edits, channel posts, group chatter
    not addressed to the bot, service messages). ``resolve`` maps stored callback keys."""
    if update.callback_query is not None:
        return _classify_callback(update.callback_query, resolve)
    message = update.message
    if message is None or message.chat.type == Chat.CHANNEL:
        return None
    chat, user = message.chat, message.from_user
    if user is not None and user.is_bot:
        return None
    username = me.username or ""
    in_group = chat.type in _GROUPS
    command = _command(message, username) if message.text else None
    replied = message.reply_to_message
    to_me = replied is not None and replied.from_user is not None and replied.from_user.id == me.id
    if in_group and not (command or to_me or (message.text and _mentions(message, username))):
        return None

    def incoming(text: str | None, visible: str | None = None) -> Incoming:
        return Incoming(
            sender=sender_id(chat, user),
            chat_id=chat.id,
            text=text,
            visible_text=visible,
            reply_to=message.message_id if in_group else None,
            language_hint=user.language_code if user else None,
        )

    if command is not None:
        return incoming(command_payload(*command))
    if message.text and message.text.strip():
        text = _without_mention(message.text, username) if in_group else message.text
        if not text:
            return incoming("/help")  # only "@bot": show what it can do
        return incoming(clip_input(text), text)
    if message.effective_attachment is not None:
        return incoming(None, message.caption)
    return None  # service messages: members joining, pinned messages, ...


def _classify_callback(
    query: CallbackQuery, resolve: Callable[[str], str | None]
) -> Incoming | None:
    message = query.message
    if message is None:  # a button on an inline-mode message: not ours
        return None
    chat = message.chat
    data = query.data or ""
    payload = resolve(data) if data.startswith("p:") else data
    return Incoming(
        sender=sender_id(chat, query.from_user),
        chat_id=chat.id,
        text=payload or "/help",  # a key that expired shows the menu again
        callback_id=query.id,
        reply_to=message.message_id if chat.type in _GROUPS else None,
        language_hint=query.from_user.language_code,
    )
