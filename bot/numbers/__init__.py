"""Reading the numbers people type (durations, money, counts, ages, dates, yes/no) in English,
Khmer and mixed text; see ``bot.numbers.parser``."""

from bot.numbers.parser import Ambiguous, Reading, read, read_as

__all__ = ["Ambiguous", "Reading", "read", "read_as"]
