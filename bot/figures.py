"""Figures in answer texts, taken from the rules data: each figure is written once, in data/schemes.

A text in ``data/knowledge/`` names a figure instead of writing it:

* ``{maternity.allowance_rate}`` — the value in force today: ``70``, ``1,200,000`` (a phone number,
  form number or year is written without a thousands separator);
* ``{pension.worker_rate:date}`` — the day the value in force took effect, in the text's language
  (``1 Oct 2022`` / ``1 តុលា 2022``); ``:day``, ``:month`` and ``:year`` give one part of it;
  ``:next`` is the value already decided for the period after it (``4`` for a rate rising to 4 %),
  ``:next_date`` the day that period starts; ``:khmer`` is the value in Khmer digits (១២);
* ``{pension.worker_rate@1}`` — the value of the first period whatever today is (``@2`` the second),
  for a text that tells a schedule ("2 % from 1 Oct 2022, then 4 %"); parts apply to it too;
* ``{= maternity.allowance_rate * examples.monthly_wage_usd / general.daily_wage_divisor}`` —
  arithmetic over figures (``+ - * /``, brackets; a percent counts as a fraction), rounded to
  cents; ``whole(...)`` rounds to a whole number. Numbers may not be written in an expression;
* ``{hotline}`` — short for ``{general.hotline}``.

``bare_figures`` finds any digit a text writes outside a placeholder: the knowledge loader refuses
such a text, so a rate change is made in one place and every answer follows it.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from bot.eligibility.rules import Figure, MissingRule, RuleBook
from bot.eligibility.text_format import fmt_number
from bot.language import Lang
from bot.numbers.lexicon import MONTH_NAMES

ALIASES = {"hotline": "general.hotline"}
_PLAIN_UNITS = frozenset({"phone", "form", "year"})  # written as they are: 1286, 1.01, 2017


# month names as the texts write them: English "Oct", Khmer "តុលា" (the number reader's words)
def _month_names(keep: Callable[[str], bool]) -> tuple[str, ...]:
    words = MONTH_NAMES.items()
    return tuple(next(w for w, m in words if m == n and keep(w)) for n in range(1, 13))


_MONTHS = {
    "en": tuple(w.title() for w in _month_names(lambda w: w.isascii() and len(w) == 3)),
    "km": _month_names(lambda w: not w.isascii()),
}
_PARTS = ("date", "day", "month", "year", "next", "next_date", "khmer")
_TO_KHMER = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")
# a placeholder: {scheme.key}, {scheme.key:part}, {= expression} or a short name such as {hotline}
PLACEHOLDER = re.compile(r"\{(=[^{}]+|[a-z_]+(?:\.[a-z0-9_]+)?(?:@[1-9])?(?::[a-z_]+)?)\}")
_LEFT_OVER = re.compile(r"\{[^{}]*[.:=][^{}]*\}")  # a figure placeholder the pattern cannot read
_DIGIT = re.compile(r"[0-9០-៩]")
_CENT = Decimal("0.01")


class FigureError(ValueError):
    """A placeholder names no figure, a figure not in force, or an expression not allowed."""


def bare_figures(text: str) -> list[str]:
    """The words of ``text`` that write a digit outside a placeholder (empty: none)."""
    rest = PLACEHOLDER.sub(" ", text)
    return [word for word in rest.split() if _DIGIT.search(word)]


def _figure(book: RuleBook, ref: str, day: dt.date) -> Figure:
    ref = ALIASES.get(ref, ref)
    if ref not in book.figures:
        raise FigureError(f"no figure '{ref}' in the rules data")
    try:
        return book.get(ref, day)
    except MissingRule as exc:
        raise FigureError(f"figure '{ref}' has no value in force on {day.isoformat()}") from exc


def _period(book: RuleBook, ref: str, number: int) -> Figure:
    periods = book.figures.get(ALIASES.get(ref, ref), ())
    if len(periods) < number:
        raise FigureError(f"figure '{ref}' has no period {number}")
    return periods[number - 1]


def _following(book: RuleBook, figure: Figure) -> Figure:
    later = [f for f in book.figures[figure.ref] if f.valid_from > figure.valid_from]
    if not later:
        raise FigureError(f"figure '{figure.ref}' has no later period")
    return later[0]


def value_text(figure: Figure) -> str:
    """A figure's value as the texts write it: ``70``, ``1,200,000``; a phone, form or year
    plain."""
    if figure.unit in _PLAIN_UNITS:
        return str(figure.value.normalize()) if figure.unit == "form" else str(int(figure.value))
    return fmt_number(figure.value)


def _date_part(figure: Figure, part: str, lang: Lang) -> str:
    day = figure.valid_from
    month = _MONTHS[lang][day.month - 1]
    return {
        "date": f"{day.day} {month} {day.year}",
        "day": str(day.day),
        "month": month,
        "year": str(day.year),
    }[part]


def _evaluate(node: ast.AST, book: RuleBook, day: dt.date) -> Decimal:
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        left, right = _evaluate(node.left, book, day), _evaluate(node.right, book, day)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if right == 0:
            raise FigureError("division by a figure that is zero")
        return left / right
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "whole"
        and len(node.args) == 1
        and not node.keywords
    ):
        return _evaluate(node.args[0], book, day).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        figure = _figure(book, f"{node.value.id}.{node.attr}", day)
        return figure.value / 100 if figure.unit == "percent" else figure.value
    if isinstance(node, ast.Name) and node.id in ALIASES:
        return _figure(book, node.id, day).value
    raise FigureError(
        f"'{ast.unparse(node)}' is not allowed: only figures, + - * /, brackets and whole()"
    )


def expression(source: str, book: RuleBook, day: dt.date) -> str:
    """The value of an arithmetic expression over figures, rounded to cents, as text."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise FigureError(f"expression '{source.strip()}' cannot be read") from exc
    value = _evaluate(tree.body, book, day)
    return fmt_number(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def render(
    text: str,
    book: RuleBook,
    day: dt.date,
    lang: Lang,
    keep: frozenset[str] = frozenset(),
    *,
    keep_plain: bool = False,
) -> str:
    """``text`` with every figure placeholder filled from ``book`` as in force on ``day``.

    Placeholders named in ``keep`` (filled when the text is said, e.g. ``{aspect}``) stay; with
    ``keep_plain``, every placeholder without a dot stays (``{value}``, ``{hotline}``).
    """

    def fill(match: re.Match[str]) -> str:
        inner = match.group(1)
        if inner in keep or (keep_plain and "." not in inner and not inner.startswith("=")):
            return match.group(0)
        if inner.startswith("="):
            return expression(inner[1:], book, day)
        ref, _, part = inner.partition(":")
        ref, _, period = ref.partition("@")
        if "." not in ref and ref not in ALIASES:
            raise FigureError(f"unknown placeholder '{{{inner}}}'")
        figure = _period(book, ref, int(period)) if period else _figure(book, ref, day)
        if not part:
            return value_text(figure)
        if part not in _PARTS:
            raise FigureError(f"'{part}' in '{{{inner}}}' is not one of {', '.join(_PARTS)}")
        if part == "khmer":
            return value_text(figure).translate(_TO_KHMER)
        if part.startswith("next"):
            figure = _following(book, figure)
            return value_text(figure) if part == "next" else _date_part(figure, "date", lang)
        return _date_part(figure, part, lang)

    rendered = PLACEHOLDER.sub(fill, text)
    unread = _LEFT_OVER.search(PLACEHOLDER.sub("", text))
    if unread:
        raise FigureError(f"placeholder '{unread.group(0)}' cannot be read")
    return rendered
