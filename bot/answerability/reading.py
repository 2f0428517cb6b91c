"""What a question asks (its aspects) and what it shows about its topic, read with the lexicons.

:func:`read_question` looks only at the part of the message that decides the topic
(:mod:`bot.answerability.focus`): a greeting or the name of the sender's province in their
introduction is not a question about that province.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.answerability.focus import focus, question_sentences
from bot.answerability.lexicon import Lexicon, configured_lexicon
from bot.answerability.terms import Text


@dataclass(frozen=True)
class QuestionReading:
    focus: str
    aspects: tuple[str, ...]  # asked aspects, in the lexicon's order
    topics: dict[str, int]  # topic → how many of its words the question holds
    nssf: bool  # names NSSF (or social security) itself
    elsewhere: bool  # names another service (IDPoor card, number plates, passports ...)
    questions: tuple[str, ...]  # the sentences that ask something

    @property
    def about_nssf(self) -> bool:
        """Names NSSF, or holds words of some topic."""
        return self.nssf or bool(self.topics)

    def evidence(self, topic: str) -> int:
        return self.topics.get(topic, 0)


def topic_words(text: str, lex: Lexicon) -> dict[str, int]:
    prepared = Text(text)
    scores = {topic: len(terms.found(prepared)) for topic, terms in lex.topics.items()}
    return {topic: n for topic, n in scores.items() if n}


def read_question(text: str, lex: Lexicon | None = None) -> QuestionReading:
    lex = lex or configured_lexicon()
    focused = focus(text, lex)
    prepared = Text(focused)
    return QuestionReading(
        focus=focused,
        aspects=tuple(name for name, a in lex.aspects.items() if a.asked(prepared)),
        topics=topic_words(focused, lex),
        nssf=lex.nssf.any_in(prepared),
        elsewhere=lex.elsewhere.any_in(prepared),
        questions=tuple(question_sentences(text, lex)),
    )
