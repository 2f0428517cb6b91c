"""Rasa custom actions: thin glue that reads the tracker, calls ``bot`` and renders its replies."""
