"""Telling the people who asked: when the bot records a gap it offers "Shall I message you when NSSF
has an answer?"; those who say yes are told when staff publish an answer for their question.

``model`` the table and states, ``address`` the encryption of the channel address (kept only for
people who said yes, deleted once delivered or after 90 days), ``store`` the requests and their
delivery state, ``texts`` what the message says, ``deliver`` the sending (Telegram at once within
its rate limits, Messenger inside the 24-hour window or at the user's next message, the web chat
at the next visit).
"""
