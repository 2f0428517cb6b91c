"""Small web chat for the NSSF assistant: one HTML page and a JSON proxy to Rasa's REST channel.

``create_app(settings)`` in :mod:`bot.web.app` builds the aiohttp application; ``python -m bot.web``
runs it with settings read from the environment (see :mod:`bot.web.settings`).
"""
