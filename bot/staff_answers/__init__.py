"""Answers written by NSSF staff in the dashboard for questions the knowledge does not cover.

``model`` the tables and the plain records, ``store`` publishing, versions and use counts,
``matching`` the similarity of a new message to the questions an answer was written for (over the
gap clustering's bilingual glossary of concepts), ``replies`` what users see and the per-channel
preview, ``live`` what the action server serves: the published answers, re-read
from the database every few seconds, so a published answer is used within seconds by every
replica, without retraining or a restart.
"""
