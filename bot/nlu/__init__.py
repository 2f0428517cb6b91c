"""NLU components of the NSSF assistant (with ``bot.channels``, the only part of ``bot`` that
imports Rasa).

* :mod:`bot.nlu.segmentation` - pure-Python Khmer/English word segmentation with offsets.
* :mod:`bot.nlu.tokenizer` - ``KhmerAwareTokenizer``, the Rasa tokenizer built on it
  (``- name: bot.nlu.tokenizer.KhmerAwareTokenizer`` in ``config.yml``).
"""
