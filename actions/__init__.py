"""Rasa custom actions: thin glue that reads the tracker, calls ``bot`` and renders its replies.

The action server imports this package when it starts: the eligibility settings are read from the
environment here (no file is read), so an unusable one stops the server at once, with its name;
and from here on no log line holds a configured secret (:mod:`bot.log_safety`).
"""

from bot import log_safety
from bot.eligibility.config import configured

configured()
log_safety.install()
