"""Rasa input/output channels for Facebook Messenger and Telegram (see docs/channels.md).

``settings`` reads and checks the environment, ``store`` remembers deliveries across restarts,
``common`` holds what both channels share (splitting, language, sending with retries),
``webhook`` the base of both input channels (de-duplication, hand-off to Rasa, background
handling), and ``messenger`` and ``telegram`` are the channels Rasa loads from the generated
credentials file.
"""
