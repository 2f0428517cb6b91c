"""The eligibility check's configuration: where its rules and texts are, the riel rate, the clock.

Read from the environment once, by :func:`configured` (the ``actions`` package calls it when the
action server imports it, so a bad ``NSSF_USD_RIEL_RATE`` stops the server at start-up instead of
failing in the middle of a conversation). Nothing is read from disk here: the rules and texts are
loaded (and checked) on first use and then kept. Tests pass their own :class:`EligibilityConfig`
(a fixed clock, another rate) to :func:`use`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from bot.eligibility.rules import DEFAULT_DIR, RuleBook, get_rules
from bot.eligibility.text_format import fmt_number
from bot.eligibility.texts import DEFAULT_FILE, Texts, get_texts
from bot.figures import value_text


class ConfigError(ValueError):
    """A setting of the eligibility check is unusable; the message names the variable."""


def _today() -> dt.date:
    return dt.date.today()


@dataclass(frozen=True)
class EligibilityConfig:
    rules_dir: str = str(DEFAULT_DIR)  # RULES_DIR
    texts_file: str = str(DEFAULT_FILE)  # ELIGIBILITY_TEXTS
    usd_riel_rate: Decimal | None = None  # NSSF_USD_RIEL_RATE; None: the rules data's default
    clock: Callable[[], dt.date] = field(default=_today, compare=False)

    def rules(self) -> RuleBook:
        return get_rules(self.rules_dir)

    def texts(self) -> Texts:
        return get_texts(self.texts_file, self.rules_dir)

    def today(self) -> dt.date:
        return self.clock()

    def usd_rate(self, on: dt.date) -> Decimal:
        """Riel per US dollar: the configured rate, else the rules data's rate on ``on``."""
        if self.usd_riel_rate is not None:
            return self.usd_riel_rate
        return self.rules().get("general.usd_riel_rate", on).value

    def hotline(self) -> str:
        return value_text(self.rules().get("general.hotline", self.today()))

    def params(self, scheme: str | None = None) -> dict[str, str]:
        """Figures some questions and explanations mention, from the rules in force today;
        ``window``: the months ``scheme`` counts contributions in (sick pay's by default)."""
        book, day = self.rules(), self.today()
        window = f"{scheme}.window_months"
        return {
            "hotline": self.hotline(),
            "need_run": fmt_number(book.get("health_care.consecutive_months", day).value),
            "wage_months": fmt_number(book.get("general.daily_wage_months", day).value),
            "window": fmt_number(
                book.get(window if window in book.figures else "sickness.window_months", day).value
            ),
            "max_days": fmt_number(book.get("sickness.max_days", day).value),
        }


def parse_rate(raw: str | None) -> Decimal | None:
    """``NSSF_USD_RIEL_RATE``: empty → ``None``; otherwise a positive number of riel per dollar."""
    if raw is None or not raw.strip():
        return None
    try:
        rate = Decimal(raw.strip())
    except InvalidOperation as exc:
        raise ConfigError(
            f"NSSF_USD_RIEL_RATE must be a number of riel per dollar, not {raw!r}"
        ) from exc
    if not rate.is_finite() or rate <= 0:
        raise ConfigError(f"NSSF_USD_RIEL_RATE must be more than 0, not {raw!r}")
    return rate


def from_env(environ: Mapping[str, str]) -> EligibilityConfig:
    """The configuration the environment sets (``RULES_DIR``, ``ELIGIBILITY_TEXTS``,
    ``NSSF_USD_RIEL_RATE``); ``ConfigError`` when a value is unusable."""
    return EligibilityConfig(
        rules_dir=environ.get("RULES_DIR") or str(DEFAULT_DIR),
        texts_file=environ.get("ELIGIBILITY_TEXTS") or str(DEFAULT_FILE),
        usd_riel_rate=parse_rate(environ.get("NSSF_USD_RIEL_RATE")),
    )


_current: EligibilityConfig | None = None


def configured() -> EligibilityConfig:
    """The configuration in use: read from the environment on the first call, then kept."""
    global _current
    if _current is None:
        _current = from_env(os.environ)
    return _current


def use(config: EligibilityConfig | None) -> None:
    """Use ``config`` from now on (``None``: read the environment again on the next call)."""
    global _current
    _current = config
