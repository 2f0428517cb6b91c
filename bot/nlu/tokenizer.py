"""``KhmerAwareTokenizer``: Rasa tokenizer for Khmer/English messages.

Referenced in ``config.yml`` as ``- name: bot.nlu.tokenizer.KhmerAwareTokenizer``. Khmer script is
segmented into words with khmer-nltk, other text is split on whitespace and punctuation, Khmer
digits become ASCII digits and zero-width characters are ignored; see
:mod:`bot.nlu.segmentation` for the rules. Token offsets point into the message as typed, so
entity spans stay right even when a token's text is normalised.

In a romanized-Khmer message each word is given one spelling ("chnam", "chhnum" → ``year``;
``data/lexicon/romanized.yml``), so that the model learns one word, not ten.

In a long message only the parts that decide the topic are tokenized: greetings, the sender's
introduction and polite closings are left out (:mod:`bot.answerability.focus`), so that "Hello,
my name is Dara, I work at a factory in Kandal. Can my wife use my card?" is read by its question.

A message that has no words at all ("👍", "???") becomes one token holding the whole message,
and a blank message one empty token, as with Rasa's ``WhitespaceTokenizer``: the featurizers and
classifiers after it expect at least one token.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import inspect
from functools import lru_cache
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from bot import language
from bot.answerability import focus
from bot.answerability.lexicon import configured_lexicon
from bot.language import normalise
from bot.nlu import segmentation
from bot.nlu.segmentation import ZERO_WIDTH, load_segmenter, segment


@lru_cache(maxsize=1)
def segmentation_fingerprint() -> str:
    """A hash of everything that decides the tokens: our segmentation and normalisation code
    and the khmer-nltk version.

    Rasa's training cache fingerprints a component by its class source, its config and the
    versions of its ``required_packages``. The segmentation rules live outside the class and
    ``required_packages`` cannot name khmer-nltk (Rasa imports the names it lists *and* looks
    them up as distributions: ``khmernltk`` vs ``khmer-nltk``). Without this value in the
    config, changing the rules would let ``rasa train`` reuse featurizers and classifiers
    trained on the old tokens.
    """
    try:
        khmer_nltk = importlib.metadata.version("khmer-nltk")
    except importlib.metadata.PackageNotFoundError:
        khmer_nltk = "missing"
    sources = inspect.getsource(segmentation) + inspect.getsource(language) + khmer_nltk
    sources += inspect.getsource(focus) + repr(configured_lexicon().fingerprint)
    sources += repr(sorted(language.romanized_spellings().items()))
    return hashlib.sha256(sources.encode("utf-8")).hexdigest()[:16]


def _is_blank(char: str) -> bool:
    return char.isspace() or char in ZERO_WIDTH


def _start_in(span: str, index: int) -> int:
    """Where, in ``span``, the character at ``index`` of ``normalise(span)`` starts."""
    for k in range(len(span)):
        if span[k] not in ZERO_WIDTH and len(normalise(span[: k + 1])) > index:
            return k
    return len(span)


def _end_in(span: str, index: int) -> int:
    """Where, in ``span``, the first ``index`` characters of ``normalise(span)`` end."""
    end = 0
    for k in range(1, len(span) + 1):
        if len(normalise(span[:k])) > index:
            break
        end = k
    while end > 0 and span[end - 1] in ZERO_WIDTH:
        end -= 1
    return end


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class KhmerAwareTokenizer(Tokenizer):
    """Tokenizes Khmer (khmer-nltk word segmentation), English and mixed messages.

    No ``required_packages``: Rasa would both import and look up as a distribution each name
    listed, and khmer-nltk's names differ (``khmernltk``/``khmer-nltk``). A missing khmer-nltk
    fails in ``create`` instead, with an ImportError.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The component's default config, the same options as ``WhitespaceTokenizer``'s."""
        return {
            # Flag to check whether to split intents
            "intent_tokenization_flag": False,
            # Symbol on which intent should be split
            "intent_split_symbol": "_",
            # Regular expression to further split tokens (None: keep them whole)
            "token_pattern": None,
            # Symbol on which prefix should be split
            "prefix_separator_symbol": None,
            # Derived, not to be set: see ``segmentation_fingerprint``.
            "segmentation_fingerprint": segmentation_fingerprint(),
        }

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KhmerAwareTokenizer:
        """Creates the component and loads khmer-nltk's model, so that the first message
        parsed is not slowed down by it."""
        load_segmenter()
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """Tokenizes the text of the provided attribute of the incoming message (of the user's
        text, only the parts that decide the topic)."""
        text: str = message.get(attribute) or ""
        kept = focus.focus_spans(text) if attribute == "text" else [(0, len(text))]
        romanized = attribute == "text" and language.is_romanized_khmer(text)
        tokens = [
            Token(language.romanized_spelling(word) if romanized else word, start, end)
            for word, start, end in segment(text)
            if any(a <= start < b for a, b in kept)
        ]
        if not tokens:
            tokens = [self._whole_message_token(text)]
        return self._split_on_token_pattern(tokens, text)

    @staticmethod
    def _whole_message_token(text: str) -> Token:
        """The only token of a message without words: the message minus surrounding blanks."""
        start, end = 0, len(text)
        while start < end and _is_blank(text[start]):
            start += 1
        while end > start and _is_blank(text[end - 1]):
            end -= 1
        if start == end:
            return Token("", 0, 0)
        return Token(normalise(text[start:end]), start, end)

    def _split_on_token_pattern(self, tokens: list[Token], text: str) -> list[Token]:
        """``Tokenizer._apply_token_pattern``, with offsets mapped back to the original text.

        The base class adds a sub-token's position in ``token.text`` to ``token.start``, which
        is wrong when normalisation changed the token's length (zero-width characters removed).
        """
        if not self.token_pattern_regex:
            return tokens
        final_tokens: list[Token] = []
        for token in tokens:
            parts = [p for p in self.token_pattern_regex.findall(token.text) if p]
            if not parts:
                final_tokens.append(token)
                continue
            span = text[token.start : token.end]
            running_offset = 0
            for part in parts:
                offset = token.text.index(part, running_offset)
                running_offset = offset + len(part)
                start = token.start + _start_in(span, offset)
                end = token.start + _end_in(span, running_offset)
                final_tokens.append(Token(part, start, end, data=token.data, lemma=token.lemma))
        return final_tokens
