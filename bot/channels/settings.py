"""Settings of the Messenger and Telegram channels, and the credentials file that enables them.

A channel is enabled when any of its secrets is set in the environment and refused when only some
are: a half-configured channel would either not start or run unauthenticated. The credentials file
Rasa reads (``var/credentials.yml``, written by ``scripts/credentials.py``) holds ``${VAR}``
references, never the secrets themselves; Rasa expands them when it starts.

Environment variables (all documented in ``.env.example``):

- ``MESSENGER_PAGE_ACCESS_TOKEN``, ``MESSENGER_APP_SECRET``, ``MESSENGER_VERIFY_TOKEN``: secrets of
  the Facebook app and page; ``MESSENGER_GRAPH_URL``: Graph API base including the version.
- ``TELEGRAM_BOT_TOKEN``, ``TELEGRAM_WEBHOOK_SECRET``: the bot's token and the webhook secret;
  ``TELEGRAM_API_URL``: Bot API base; ``TELEGRAM_WEBHOOK_URL``: the webhook's public URL (setup).
- ``CHANNELS_DB_PATH``: SQLite file remembering deliveries and holding the inbox of accepted
  messages (default ``var/channels.db``); ``CHANNELS_DB_URL``, when set, a database URL used
  instead (deployments: PostgreSQL, so that accepted messages outlive the container).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

DEFAULT_GRAPH_URL = "https://graph.facebook.com/v21.0"
DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"
DEFAULT_DB_PATH = "var/channels.db"
MESSENGER_CLASS = "bot.channels.messenger.MessengerInput"
TELEGRAM_CLASS = "bot.channels.telegram.TelegramInput"
# Telegram accepts 1-256 characters A-Z, a-z, 0-9, _ and - as the webhook secret token.
_TELEGRAM_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class ChannelConfigError(ValueError):
    """A channel is configured only in part, or a setting is invalid; the message names it."""


def _clean(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _url(name: str, value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ChannelConfigError(f"{name} must start with http:// or https://, got {value!r}")
    return value.rstrip("/")


def _require_secrets(settings: Any, label: str) -> None:
    """Refuse ``settings`` whose ``SECRETS`` are not all set, naming the missing variables."""
    missing = [env for key, env in settings.SECRETS.items() if not getattr(settings, key)]
    if missing:
        raise ChannelConfigError(
            f"the {label} channel refuses to start without its secrets; set " + ", ".join(missing)
        )


def _section(names: Mapping[str, str], environ: Mapping[str, str] | None) -> dict[str, Any]:
    """A channel's credentials section read from the environment (credentials key -> value)."""
    env = os.environ if environ is None else environ
    return {key: env.get(name) for key, name in names.items()}


@dataclass(frozen=True)
class MessengerSettings:
    page_access_token: str
    app_secret: str
    verify_token: str
    graph_url: str = DEFAULT_GRAPH_URL
    db_path: str = DEFAULT_DB_PATH
    db_url: str = field(default="", repr=False)  # holds a password in deployments

    SECRETS: ClassVar[dict[str, str]] = {
        "page_access_token": "MESSENGER_PAGE_ACCESS_TOKEN",
        "app_secret": "MESSENGER_APP_SECRET",
        "verify_token": "MESSENGER_VERIFY_TOKEN",
    }

    def __post_init__(self) -> None:
        _require_secrets(self, "Messenger")
        object.__setattr__(self, "graph_url", _url("MESSENGER_GRAPH_URL", self.graph_url))

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any] | None) -> MessengerSettings:
        """Settings from the channel's section of the credentials file (keys as the fields)."""
        creds = credentials or {}
        return cls(
            page_access_token=_clean(creds.get("page_access_token")),
            app_secret=_clean(creds.get("app_secret")),
            verify_token=_clean(creds.get("verify_token")),
            graph_url=_clean(creds.get("graph_url")) or DEFAULT_GRAPH_URL,
            db_path=_clean(creds.get("db_path")) or DEFAULT_DB_PATH,
            db_url=_clean(creds.get("db_url")),
        )

    @property
    def db_location(self) -> str:
        return self.db_url or self.db_path

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MessengerSettings:
        return cls.from_credentials(_section(_MESSENGER_ENV, environ))


@dataclass(frozen=True)
class TelegramSettings:
    bot_token: str
    webhook_secret: str
    api_url: str = DEFAULT_TELEGRAM_API_URL
    db_path: str = DEFAULT_DB_PATH
    db_url: str = field(default="", repr=False)  # holds a password in deployments
    webhook_url: str = field(default="", compare=False)

    SECRETS: ClassVar[dict[str, str]] = {
        "bot_token": "TELEGRAM_BOT_TOKEN",
        "webhook_secret": "TELEGRAM_WEBHOOK_SECRET",
    }

    def __post_init__(self) -> None:
        _require_secrets(self, "Telegram")
        if not _TELEGRAM_SECRET.match(self.webhook_secret):
            raise ChannelConfigError(
                "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters from A-Z, a-z, 0-9, _ and -"
            )
        object.__setattr__(self, "api_url", _url("TELEGRAM_API_URL", self.api_url))
        if self.webhook_url:
            object.__setattr__(self, "webhook_url", _url("TELEGRAM_WEBHOOK_URL", self.webhook_url))

    @property
    def bot_base_url(self) -> str:
        """python-telegram-bot's ``base_url``: the token is appended to it."""
        return f"{self.api_url}/bot"

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any] | None) -> TelegramSettings:
        creds = credentials or {}
        return cls(
            bot_token=_clean(creds.get("bot_token")),
            webhook_secret=_clean(creds.get("webhook_secret")),
            api_url=_clean(creds.get("api_url")) or DEFAULT_TELEGRAM_API_URL,
            db_path=_clean(creds.get("db_path")) or DEFAULT_DB_PATH,
            db_url=_clean(creds.get("db_url")),
            webhook_url=_clean(creds.get("webhook_url")),
        )

    @property
    def db_location(self) -> str:
        return self.db_url or self.db_path

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TelegramSettings:
        return cls.from_credentials(_section(_TELEGRAM_ENV, environ))


# Credentials key -> environment variable, per channel. Secrets first.
_MESSENGER_ENV = {
    **MessengerSettings.SECRETS,
    "graph_url": "MESSENGER_GRAPH_URL",
    "db_path": "CHANNELS_DB_PATH",
    "db_url": "CHANNELS_DB_URL",
}
_TELEGRAM_ENV = {
    **TelegramSettings.SECRETS,
    "api_url": "TELEGRAM_API_URL",
    "db_path": "CHANNELS_DB_PATH",
    "db_url": "CHANNELS_DB_URL",
    "webhook_url": "TELEGRAM_WEBHOOK_URL",
}
_CHANNELS = (
    ("Messenger", MESSENGER_CLASS, MessengerSettings, _MESSENGER_ENV),
    ("Telegram", TELEGRAM_CLASS, TelegramSettings, _TELEGRAM_ENV),
)


def enabled_channels(environ: Mapping[str, str] | None = None) -> list[str]:
    """The channel classes whose secrets are set; refuses a channel whose secrets are set in part.

    Raises ``ChannelConfigError`` naming every missing variable of a partly configured channel,
    and checks the settings of each enabled channel (URLs, the Telegram secret's characters).
    """
    env = os.environ if environ is None else environ
    enabled = []
    problems = []
    for label, class_path, settings_cls, names in _CHANNELS:
        secrets = list(settings_cls.SECRETS.values())
        present = [name for name in secrets if _clean(env.get(name))]
        if not present:
            continue
        missing = [name for name in secrets if name not in present]
        if missing:
            problems.append(
                f"{label} is configured only in part: {', '.join(present)} set but "
                f"{', '.join(missing)} missing (set it, or unset {', '.join(present)})"
            )
            continue
        try:
            settings_cls.from_credentials(_section(names, env))
        except ChannelConfigError as exc:
            problems.append(str(exc))
            continue
        enabled.append(class_path)
    if problems:
        raise ChannelConfigError("; ".join(problems))
    return enabled


def credentials_yaml(environ: Mapping[str, str] | None = None) -> str:
    """The credentials file for Rasa: the REST channel plus every enabled channel.

    Values are ``${VAR}`` references (written unquoted, so that Rasa expands them), and only for
    variables that are set, because Rasa refuses a reference to an unset variable.
    """
    env = os.environ if environ is None else environ
    enabled = enabled_channels(env)
    lines = [
        "# Generated by scripts/credentials.py from the environment; do not edit.",
        "# Values are references that Rasa expands when it starts: no secret is written here.",
        "rest:",
    ]
    for _label, class_path, _settings_cls, names in _CHANNELS:
        if class_path not in enabled:
            continue
        lines.append(f"{class_path}:")
        for key, name in names.items():
            if _clean(env.get(name)):
                lines.append(f"  {key}: ${{{name}}}")
    return "\n".join(lines) + "\n"
