"""Number formatting shared by the calculators and the renderer (language-neutral)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def fmt_number(value: Decimal | int) -> str:
    """``Decimal('2.60')`` → ``2.6``; ``1200000`` → ``1,200,000``."""
    d = Decimal(value)
    if d == d.to_integral_value():
        return f"{int(d):,}"
    return f"{d.normalize():,f}"


def fmt_money(value: Decimal, currency: str) -> str:
    """``$525.00`` or ``2,100,000 riel``."""
    if currency == "USD":
        return f"${value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"
    return f"{int(value.quantize(Decimal('1'), rounding=ROUND_HALF_UP)):,} riel"
