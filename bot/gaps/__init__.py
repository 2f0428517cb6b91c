"""Knowledge-gap signals: every question the bot could not answer, masked, stored and grouped.

- :mod:`bot.gaps.redaction` masks personal data and pseudonymises senders (keyed HMAC);
- :mod:`bot.gaps.model` holds the record, its reasons and statuses, and the database table;
- :mod:`bot.gaps.store` writes and reads records (SQLAlchemy; a spool file when the database fails);
- :mod:`bot.gaps.capture` turns a signal into a record off the reply's path;
- :mod:`bot.gaps.clustering` groups similar questions across Khmer and English.

``python -m bot.gaps migrate`` applies the schema migrations and replays the spool.
"""
