"""Fake platforms for the channel tests: real HTTP servers on 127.0.0.1 that record every call
(``servers``), payload builders from the platforms' documented formats (``payloads``), and a real
Rasa server plus action server started on loopback (``rasa``)."""
