"""Whether the bot can answer what was asked: the question's focus, its aspects, the evidence for
its topic, and the decision to answer, ask back or say honestly that it cannot answer yet.

Pure (no Rasa): the actions and the eval script call :func:`bot.answerability.decide.decide`.
"""
