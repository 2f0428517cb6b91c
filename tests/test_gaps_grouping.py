"""Grouping many gaps fast (hardening issue, item 16): the same groups as scikit-learn's
average linkage, the many-gaps method on the paraphrase corpus, a kept grouping reused and
updated with new gaps instead of redone, and the web app keeping the Clusters page's grouping
ready."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sklearn.cluster import AgglomerativeClustering
from sklearn.preprocessing import normalize

from bot.gaps import clustering, grouping
from bot.gaps.clustering import DISTANCE_THRESHOLD, FeatureModel, cluster, record_inputs
from bot.gaps.model import GapRecord
from bot.gaps.store import GapStore
from bot.web import warm
from tests.fakes.waiting import until_async
from tests.test_dashboard import log_in, staff_app
from tests.test_gaps_clustering import GROUPS, corpus


def partition(labels: np.ndarray) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(int(label), set()).add(i)
    return {frozenset(g) for g in groups.values()}


def by_truth(clusters: list[clustering.Cluster], truth: dict[int, str]) -> list[list[str]]:
    return sorted(sorted({truth[i] for i in c.ids}) for c in clusters)


class CountingFits:
    """Counts full groupings (each fits a feature model)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = FeatureModel.fit_transform

        def counted(model: FeatureModel, *args: object) -> object:
            self.count += 1
            return original(model, *args)  # type: ignore[arg-type]

        monkeypatch.setattr(FeatureModel, "fit_transform", counted)


def test_average_linkage_gives_scikit_learns_groups() -> None:
    records, _ = corpus()
    wordy = [replace(r, id=100 + r.id, text=f"{r.text} please") for r in records]  # type: ignore[operator]
    everything = records + wordy
    matrix = FeatureModel().fit_transform(*record_inputs(everything))
    reference = AgglomerativeClustering(
        n_clusters=None, affinity="cosine", linkage="average", distance_threshold=0.8
    ).fit_predict(matrix.toarray())
    ours = grouping.average_linkage(normalize(matrix), DISTANCE_THRESHOLD)
    assert partition(ours) == partition(reference)


def test_the_many_gaps_method_finds_the_paraphrase_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    records, truth = corpus()
    monkeypatch.setattr(grouping, "EXACT_MAX", 12)  # 20 questions are "many" here

    clusters = cluster(records)

    assert by_truth(clusters, truth) == sorted([g] for g in GROUPS)


def test_the_same_records_are_grouped_once(monkeypatch: pytest.MonkeyPatch) -> None:
    records, _ = corpus()
    fits = CountingFits(monkeypatch)
    first = [c.ids for c in cluster(records)]
    answered = [replace(r, status="answered") for r in records]  # a status change: same groups
    assert [c.ids for c in cluster(list(reversed(answered)))] == first
    assert fits.count == 1
    assert {r.status for c in cluster(answered) for r in c.records} == {"answered"}


def _new(record: GapRecord, n: int, text: str) -> GapRecord:
    return replace(
        record, id=1000 + n, uid=f"new{n}", text=text, created_at=dt.datetime(2025, 2, 1)
    )


def test_new_gaps_join_the_kept_grouping_instead_of_a_new_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records, truth = corpus()
    monkeypatch.setattr(grouping, "INCREMENTAL_FROM", 10)
    monkeypatch.setattr(grouping, "REFIT_SHARE", 0.5)
    fits = CountingFits(monkeypatch)
    before = {c.key: set(c.ids) for c in cluster(records)}
    wedding = next(r for r in records if truth[r.id or 0] == "wedding_grant")
    joined = _new(wedding, 1, wedding.text + " today")
    alone = replace(_new(wedding, 2, "zzqx blorp quantum"), intents=())
    gone = records[-1]

    after = cluster([*records[:-1], joined, alone])

    assert fits.count == 1  # placed in the kept grouping, not grouped again
    wedding_cluster = next(c for c in after if joined.id in c.ids)
    assert {truth[i] for i in wedding_cluster.ids if i in truth} == {"wedding_grant"}
    assert next(c for c in after if alone.id in c.ids).ids == (alone.id,)
    assert all(gone.id not in c.ids for c in after)
    assert sum(len(ids) for ids in before.values()) == len(records)


def test_too_many_new_gaps_are_grouped_again_from_scratch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records, _ = corpus()
    monkeypatch.setattr(grouping, "INCREMENTAL_FROM", 10)
    monkeypatch.setattr(grouping, "REFIT_SHARE", 0.2)
    fits = CountingFits(monkeypatch)
    cluster(records[:12])
    cluster(records)  # 8 new of 20: more than a fifth
    assert fits.count == 2


async def test_the_web_app_keeps_the_clusters_page_grouping_ready(
    sqlite_store: GapStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    records, _ = corpus()
    for record in records:
        sqlite_store.add(replace(record, id=None))
    monkeypatch.setenv("CLUSTERS_WARM_S", "0.5")
    app = staff_app(sqlite_store)
    warm.mount(app, sqlite_store)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:

        async def prepared() -> bool:
            return bool(app[warm.RUNS_KEY])

        await until_async(prepared, "the grouping was not prepared at start")
        assert app[warm.RUNS_KEY][0] == len(GROUPS)
        fits = CountingFits(monkeypatch)
        await log_in(client)
        page = await (await client.get("/staff/clusters")).text()
    assert page.count('class="open"') == len(GROUPS)
    assert fits.count == 0  # the page found the grouping ready
