"""NSSF benefits assistant: its domain logic, usable without Rasa.

Language detection, the answers and their figures (``knowledge``, ``figures``), what a question asks
(``answerability``), numbers and their roles (``numbers``), eligibility checks and the calculator
(``eligibility``), knowledge gaps (``gaps``), the replies, the web app (``web``).

Nothing in this package imports Rasa except ``bot.nlu`` and ``bot.channels``.
"""
