"""Clustering of unanswered questions: paraphrases in Khmer and English together, unrelated
questions apart, the same clusters for the same data."""

from __future__ import annotations

import datetime as dt
import random

import yaml

from bot.gaps.clustering import cluster, concepts
from bot.gaps.model import GapRecord
from tests.conftest import ROOT

GROUPS = yaml.safe_load((ROOT / "tests/data/gap_paraphrases.yml").read_text("utf-8"))


def corpus() -> tuple[list[GapRecord], dict[int, str]]:
    records, truth = [], {}
    for number, (group, (lang, text, intents)) in enumerate(
        ((g, item) for g, items in GROUPS.items() for item in items), start=1
    ):
        ranking = tuple(
            {"name": n, "confidence": round(0.6 - 0.2 * i, 2)} for i, n in enumerate(intents)
        )
        records.append(
            GapRecord(
                id=number,
                text=text,
                reason="low_confidence",
                language=lang,
                channel="web",
                conversation=f"c{number}",
                intents=ranking,
                created_at=dt.datetime(2025, 1, 1) + dt.timedelta(hours=number),
            )
        )
        truth[number] = group
    return records, truth


def test_every_group_mixes_khmer_and_english() -> None:
    for items in GROUPS.values():
        assert {lang for lang, _, _ in items} == {"en", "km"}


def test_paraphrases_in_both_languages_land_together_and_unrelated_ones_apart() -> None:
    records, truth = corpus()
    clusters = cluster(records)
    found = sorted(sorted({truth[i] for i in c.ids}) for c in clusters)
    assert found == sorted([g] for g in GROUPS)
    for c in clusters:
        assert len(c.languages) == 2


def test_clusters_are_the_same_for_the_same_data_in_any_order() -> None:
    records, _ = corpus()
    first = [(c.key, c.ids, c.suggested_intent) for c in cluster(records)]
    shuffled = records[:]
    random.Random(7).shuffle(shuffled)
    assert [(c.key, c.ids, c.suggested_intent) for c in cluster(shuffled)] == first


def test_a_cluster_reports_size_examples_dates_and_suggested_topic() -> None:
    records, truth = corpus()
    dental = next(c for c in cluster(records) if truth[c.ids[0]] == "dental")
    assert dental.size == 4
    assert dental.suggested_intent == "health_care"
    assert dental.first_seen < dental.last_seen
    assert dental.examples[0] == dental.records[0].text  # newest first
    assert dental.key == f"c{min(dental.ids)}"


def test_khmer_and_english_words_share_concepts() -> None:
    assert concepts("ខ្ញុំនឹងរៀបការ") == concepts("getting married") == ["wedding"]


def test_questions_without_words_stay_alone() -> None:
    records = [
        GapRecord(
            id=1,
            text="👍👍",
            reason="low_confidence",
            language="en",
            channel="web",
            conversation="a",
        ),
        GapRecord(
            id=2,
            text="<PHONE>",
            reason="low_confidence",
            language="en",
            channel="web",
            conversation="b",
        ),
        GapRecord(
            id=3,
            text="wedding money",
            reason="out_of_scope",
            language="en",
            channel="web",
            conversation="c",
        ),
    ]
    assert sorted(c.ids for c in cluster(records)) == [(1,), (2,), (3,)]
    assert cluster([]) == []
