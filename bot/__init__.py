"""NSSF benefits assistant: pure domain logic (language, knowledge, later eligibility and gaps).

Nothing in this package imports Rasa except ``bot.nlu`` and ``bot.channels``.
"""
