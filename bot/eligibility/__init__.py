"""Eligibility checks and the contribution calculator over effective-dated rules data.

Pure Python (no Rasa): ``rules`` loads ``data/schemes/*.yml``; ``checks`` and
``contributions`` compute typed results at the date of the event; ``dialogue`` says what the
conversations ask; ``render`` and ``texts`` turn results into bilingual replies.
"""
