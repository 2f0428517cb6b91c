"""bot.nlu.tokenizer.KhmerAwareTokenizer run through Rasa's own Message/TrainingData API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.nlu.utils.bilou_utils import bilou_tags_from_offsets
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import segmentation
from bot.nlu import tokenizer as tokenizer_module
from bot.nlu.tokenizer import KhmerAwareTokenizer


def make_tokenizer(tmp_path: Path, **config: Any) -> KhmerAwareTokenizer:
    return KhmerAwareTokenizer.create(
        {**KhmerAwareTokenizer.get_default_config(), **config},
        LocalModelStorage(tmp_path),
        Resource("tokenizer"),
        ExecutionContext(GraphSchema({}), "test"),
    )


@pytest.fixture
def tokenizer(tmp_path: Path) -> KhmerAwareTokenizer:
    return make_tokenizer(tmp_path)


def token_triples(message: Message, attribute: str = TEXT) -> list[tuple[str, int, int]]:
    return [(t.text, t.start, t.end) for t in message.get(TOKENS_NAMES[attribute])]


def test_component_is_registered_as_a_non_trainable_message_tokenizer() -> None:
    # The name config.yml uses, resolved the way Rasa resolves pipeline names.
    registered = DefaultV1Recipe._from_registry("bot.nlu.tokenizer.KhmerAwareTokenizer")
    assert registered.clazz is KhmerAwareTokenizer
    assert registered.types == {DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER}
    assert registered.is_trainable is False


def test_default_config_has_the_whitespace_tokenizer_options() -> None:
    config = KhmerAwareTokenizer.get_default_config()
    config.pop("segmentation_fingerprint")
    assert config == WhitespaceTokenizer.get_default_config()


def test_rasa_training_cache_key_covers_the_segmentation_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Rasa fingerprints a component by class source + config: the rules in segmentation.py and
    # language.py reach that key only through this derived config value.
    before = KhmerAwareTokenizer.get_default_config()["segmentation_fingerprint"]
    real_getsource = tokenizer_module.inspect.getsource

    def edited_getsource(obj: object) -> str:
        source = real_getsource(obj)
        return source + "# edited" if obj is segmentation else source

    monkeypatch.setattr(tokenizer_module.inspect, "getsource", edited_getsource)
    tokenizer_module.segmentation_fingerprint.cache_clear()
    try:
        after = KhmerAwareTokenizer.get_default_config()["segmentation_fingerprint"]
    finally:
        monkeypatch.undo()
        tokenizer_module.segmentation_fingerprint.cache_clear()
    assert len(before) == 16 and after != before


def test_process_sets_khmer_word_tokens_with_ascii_digits(tokenizer: KhmerAwareTokenizer) -> None:
    message = Message(data={TEXT: "ខ្ញុំធ្វើការបាន៨ខែ"})
    tokenizer.process([message])
    assert token_triples(message) == [
        ("ខ្ញុំ", 0, 5),
        ("ធ្វើការ", 5, 12),
        ("បាន", 12, 15),
        ("8", 15, 16),
        ("ខែ", 16, 18),
    ]


def test_process_tokenizes_mixed_and_english_messages(tokenizer: KhmerAwareTokenizer) -> None:
    mixed = Message(data={TEXT: "ខ្ញុំចង់ដឹងពី maternity leave"})
    english = Message(data={TEXT: "hi bong, how much is NSSF contribution for 10 workers $250?"})
    tokenizer.process([mixed, english])
    assert [t for t, _, _ in token_triples(mixed)] == [
        "ខ្ញុំ",
        "ចង់",
        "ដឹង",
        "ពី",
        "maternity",
        "leave",
    ]
    assert token_triples(english)[-3:] == [("workers", 46, 53), ("$", 54, 55), ("250", 55, 58)]


def test_zero_width_spaces_give_the_same_tokens_with_spans_in_the_typed_text(
    tokenizer: KhmerAwareTokenizer,
) -> None:
    plain = Message(data={TEXT: "តើខ្ញុំអាចទទួលបានប្រាក់ឧបត្ថម្ភលំហែមាតុភាពប៉ុន្មាន?"})
    zwsp_text = (
        "តើ\u200bខ្ញុំ\u200bអាច\u200bទទួល\u200bបាន\u200bប្រាក់"
        "\u200bឧបត្ថម្ភ\u200bលំហែ\u200bមាតុភាព\u200bប៉ុន្មាន?"
    )
    pasted = Message(data={TEXT: zwsp_text})
    tokenizer.process([plain, pasted])
    assert [t for t, _, _ in token_triples(pasted)] == [t for t, _, _ in token_triples(plain)]
    for text, start, end in token_triples(pasted):
        assert zwsp_text[start:end].replace("\u200b", "") == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("👍", [("👍", 0, 1)]),
        ("???", [("???", 0, 3)]),
        (" ? ", [("?", 1, 2)]),
        ("\u200b៕\u200b", [("៕", 1, 2)]),
        ("", [("", 0, 0)]),
        (" \u200b ", [("", 0, 0)]),
    ],
)
def test_message_without_words_becomes_one_whole_message_token(
    tokenizer: KhmerAwareTokenizer, text: str, expected: list[tuple[str, int, int]]
) -> None:
    # Like Rasa's WhitespaceTokenizer ("👍" -> ["👍"]): the featurizers need one token.
    message = Message(data={TEXT: text})
    tokenizer.process([message])
    assert token_triples(message) == expected


def test_process_training_data_tokenizes_text_and_keeps_intent_whole(
    tokenizer: KhmerAwareTokenizer,
) -> None:
    example = Message(data={TEXT: "១ ០០០ ០០០ រៀល", INTENT: "contribution_amount"})
    tokenizer.process_training_data(TrainingData([example]))
    assert token_triples(example) == [("1", 0, 1), ("000", 2, 5), ("000", 6, 9), ("រៀល", 10, 13)]
    assert [t for t, _, _ in token_triples(example, INTENT)] == ["contribution_amount"]


def test_intent_is_split_on_the_split_symbol_when_asked(tmp_path: Path) -> None:
    tokenizer = make_tokenizer(tmp_path, intent_tokenization_flag=True, intent_split_symbol="_")
    example = Message(data={TEXT: "ខ្ញុំចង់ដឹងពី maternity leave", INTENT: "maternity_leave"})
    tokenizer.process_training_data(TrainingData([example]))
    assert token_triples(example, INTENT) == [("maternity", 0, 9), ("leave", 10, 15)]


def test_token_offsets_line_up_with_entity_annotations(tokenizer: KhmerAwareTokenizer) -> None:
    text = "ខ្ញុំ\u200bធ្វើការ\u200bបាន ៨ ខែ"
    message = Message(data={TEXT: text})
    tokenizer.process([message])
    tokens: list[Token] = message.get(TOKENS_NAMES[TEXT])
    start = text.index("៨")
    tags = bilou_tags_from_offsets(tokens, [(start, start + 1, "months")])
    assert [t.text for t in tokens] == ["ខ្ញុំ", "ធ្វើការ", "បាន", "8", "ខែ"]
    assert tags == ["O", "O", "O", "U-months", "O"]


def test_token_pattern_sub_tokens_keep_offsets_in_the_typed_text(tmp_path: Path) -> None:
    tokenizer = make_tokenizer(tmp_path, token_pattern=r"\d+|ប្រាក់|ខែ")
    text = "ប្រាក់\u200bខែ 1,000,000"
    message = Message(data={TEXT: text})
    tokenizer.process([message])
    triples = token_triples(message)
    # khmer-nltk reads "ប្រាក់ខែ" (salary) as one word; the pattern splits it around the
    # zero-width space, which the offsets skip.
    assert triples == [
        ("ប្រាក់", 0, 6),
        ("ខែ", 7, 9),
        ("1", 10, 11),
        ("000", 12, 15),
        ("000", 16, 19),
    ]
    for token, start, end in triples:
        assert text[start:end] == token


def test_featurizers_of_the_pipeline_accept_messages_without_words(tmp_path: Path) -> None:
    """The config.yml featurizers train and featurize "👍", "???" and "" without crashing."""
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
        CountVectorsFeaturizer,
    )
    from rasa.nlu.featurizers.sparse_featurizer.lexical_syntactic_featurizer import (
        LexicalSyntacticFeaturizer,
    )

    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = make_tokenizer(tmp_path)
    featurizers = [
        CountVectorsFeaturizer.create(
            {**CountVectorsFeaturizer.get_default_config(), "max_ngram": 2},
            storage,
            Resource("words"),
            context,
        ),
        CountVectorsFeaturizer.create(
            {
                **CountVectorsFeaturizer.get_default_config(),
                "analyzer": "char_wb",
                "min_ngram": 2,
                "max_ngram": 5,
            },
            storage,
            Resource("chars"),
            context,
        ),
        LexicalSyntacticFeaturizer.create(
            LexicalSyntacticFeaturizer.get_default_config(), storage, Resource("lex"), context
        ),
    ]
    training_data = TrainingData(
        [
            Message(data={TEXT: "ខ្ញុំចង់ដឹងពី maternity leave", INTENT: "maternity"}),
            Message(data={TEXT: "ខ្ញុំធ្វើការបាន៨ខែ", INTENT: "eligibility"}),
            Message(data={TEXT: "👍", INTENT: "affirm"}),
            Message(data={TEXT: "???", INTENT: "out_of_scope"}),
        ]
    )
    tokenizer.process_training_data(training_data)
    for featurizer in featurizers:
        featurizer.train(training_data)
        featurizer.process_training_data(training_data)

    messages = [Message(data={TEXT: text}) for text in ["👍", "?", "", "១ ០០០ ០០០ រៀល 🙏"]]
    tokenizer.process(messages)
    for featurizer in featurizers:
        featurizer.process(messages)
    for message in messages:
        sequence, sentence = message.get_sparse_features(TEXT)
        assert sequence is not None and sentence is not None
        assert sequence.features.shape[0] == len(message.get(TOKENS_NAMES[TEXT]))
