"""Which gap records belong together: the group number of each record, for
:func:`bot.gaps.clustering.cluster`, fast enough for the Clusters page with 10,000 open gaps.

- **Average linkage** (UPGMA, cosine distance, cut at a distance threshold) over every record,
  with the distances from one sparse product and SciPy's linkage: up to :data:`EXACT_MAX`
  records (the same groups as scikit-learn's ``AgglomerativeClustering``, measured in
  ``scripts/bench_gaps.py``, in a fraction of its time).
- **More records**: near-duplicates are grouped first (leader clustering, looser and looser
  until at most :data:`EXACT_MAX` groups are left) and the groups' centroids are joined by the
  same linkage. The distances of all pairs of 10,000 records would take gigabytes.
- **Kept and updated**: the last groupings are kept in memory with their feature space. When a
  page asks for almost the same records again (a few new gaps, a few answered), the new ones
  join the group whose members are on average closest, if that is within the threshold (the
  average-linkage distance of a new question to a group), else start their own; the others keep
  their group. Once the records added since the last full grouping exceed
  :data:`REFIT_SHARE`, or for small sets (up to :data:`INCREMENTAL_FROM`, where a full
  grouping takes well under a second and tests expect the same groups from the same records),
  everything is grouped again.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.preprocessing import normalize

from bot.gaps.clustering import FeatureModel, record_inputs
from bot.gaps.model import GapRecord

EXACT_MAX = 3000  # up to this many records (or small groups), average linkage over all of them
MICRO_DISTANCES = (0.3, 0.45, 0.6)  # above EXACT_MAX: near-duplicates first, looser and looser
INCREMENTAL_FROM = 2000  # from this many records, a kept grouping is updated instead of redone
REFIT_SHARE = 0.2  # ... until the records added since its full grouping exceed this share
_BLOCK = 256
_KEPT = 4  # groupings kept in memory (the Clusters page, the Topics page, filters)

Key = tuple[int | None, str, str]  # id, uid, text


@dataclass(frozen=True)
class Grouping:
    """Records (by key) with their group, their rows in the feature space ``model``."""

    keys: tuple[Key, ...]
    labels: np.ndarray
    rows: sparse.csr_matrix  # L2-normalised, one per key
    model: FeatureModel
    threshold: float
    added: int  # records placed in it without a full grouping


_kept: list[Grouping] = []
_lock = threading.Lock()


def average_linkage(rows: sparse.csr_matrix, threshold: float) -> np.ndarray:
    """Average linkage of L2-normalised rows, cut at cosine distance ``threshold`` (a
    featureless row is at distance 1 from all)."""
    if rows.shape[0] == 1:
        return np.zeros(1, dtype=int)
    distance = 1.0 - (rows @ rows.T).toarray()
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(np.clip(distance, 0.0, 2.0), checks=False), method="average")
    return np.asarray(fcluster(tree, t=threshold, criterion="distance")) - 1


def leaders(rows: sparse.csr_matrix, min_similarity: float) -> np.ndarray:
    """Leader clustering of L2-normalised rows, in order: each row joins the most similar
    earlier leader if that is at least ``min_similarity``, else leads a group of its own.
    Rows are compared in blocks: rows × leaders sparse products."""
    n = rows.shape[0]
    labels = np.empty(n, dtype=int)
    found: list[int] = []  # row index of each group's leader
    for start in range(0, n, _BLOCK):
        block = rows[start : start + _BLOCK]
        if found:
            to_old = (block @ rows[found].T).toarray()
            best_old, sim_old = to_old.argmax(axis=1), to_old.max(axis=1)
        within = (block @ block.T).toarray()
        new_here: list[int] = []  # block positions of the leaders found in this block
        for i in range(block.shape[0]):
            if found and sim_old[i] >= min_similarity:
                labels[start + i] = best_old[i]
                continue
            if new_here:
                sims = within[i, new_here]
                j = int(sims.argmax())
                if sims[j] >= min_similarity:
                    labels[start + i] = labels[start + new_here[j]]
                    continue
            labels[start + i] = len(found) + len(new_here)
            new_here.append(i)
        found.extend(start + i for i in new_here)
    return labels


def _members(labels: np.ndarray, count: int | None = None) -> sparse.csr_matrix:
    """Groups × records, 1 where the record is in the group."""
    count = int(labels.max()) + 1 if count is None else count
    ones = np.ones(len(labels))
    return sparse.csr_matrix((ones, (labels, np.arange(len(labels)))), shape=(count, len(labels)))


def large_labels(rows: sparse.csr_matrix, threshold: float) -> np.ndarray:
    """Near-duplicates grouped first until at most :data:`EXACT_MAX` groups are left, then
    the groups' centroids joined by average linkage at ``threshold``."""
    labels = np.arange(rows.shape[0])
    points = rows
    for micro_distance in MICRO_DISTANCES:
        step = leaders(points, 1.0 - micro_distance)
        points = normalize(_members(step) @ points)
        labels = step[labels]
        if points.shape[0] <= EXACT_MAX:
            break
    if points.shape[0] > EXACT_MAX:  # very varied questions: the small groups are the clusters
        return labels
    return np.asarray(average_linkage(points, threshold)[labels])


def _full(ordered: Sequence[GapRecord], keys: tuple[Key, ...], threshold: float) -> Grouping:
    model = FeatureModel()
    rows = normalize(model.fit_transform(*record_inputs(ordered)))
    if len(ordered) <= EXACT_MAX:
        labels = average_linkage(rows, threshold)
    else:
        labels = large_labels(rows, threshold)
    return Grouping(keys, labels, rows, model, threshold, 0)


def _updated(kept: Grouping, ordered: Sequence[GapRecord], keys: tuple[Key, ...]) -> Grouping:
    """``kept`` with the records that left it dropped and the new ones placed in it."""
    where = {key: i for i, key in enumerate(kept.keys)}
    old = [i for i, key in enumerate(keys) if key in where]
    new = [i for i, key in enumerate(keys) if key not in where]
    old_rows = kept.rows[[where[keys[i]] for i in old]]
    labels = np.empty(len(keys), dtype=int)
    labels[old] = kept.labels[[where[keys[i]] for i in old]]
    count = int(kept.labels.max()) + 1
    members = _members(labels[old], count)
    sums = (members @ old_rows).tocsr()  # per group: the sum of its members' rows
    sizes = np.asarray(members.sum(axis=1)).ravel()
    new_rows = normalize(kept.model.transform(*record_inputs([ordered[i] for i in new])))
    to_groups = (new_rows @ sums.T).toarray()
    started: list[sparse.csr_matrix] = []  # rows of the new ones that started a group
    started_at: list[int] = []  # their group
    for n, i in enumerate(new):
        # the average-linkage distance of the new question to each group: 1 - mean similarity
        mean = to_groups[n] / np.maximum(sizes, 1)
        best, best_sim = int(mean.argmax()), float(mean.max())
        if started:
            to_started = (new_rows[n] @ sparse.vstack(started).T).toarray().ravel()
            j = int(to_started.argmax())
            if to_started[j] > best_sim:
                best, best_sim = started_at[j], float(to_started[j])
        if 1.0 - best_sim < kept.threshold:
            labels[i] = best
        else:
            labels[i] = count + len(started)
            started.append(new_rows[n])
            started_at.append(labels[i])
    rows = sparse.vstack([old_rows, new_rows]).tocsr()
    order = np.argsort(np.array(old + new), kind="stable")
    return Grouping(keys, labels, rows[order], kept.model, kept.threshold, kept.added + len(new))


def labels(ordered: Sequence[GapRecord], threshold: float) -> np.ndarray:
    """Each record's group number (``ordered``: sorted by id)."""
    if len(ordered) == 1:
        return np.zeros(1, dtype=int)
    keys = tuple((r.id, r.uid, r.text) for r in ordered)
    with _lock:
        same = [g for g in _kept if g.threshold == threshold and g.keys == keys]
        if same:
            return same[0].labels
        candidates = [g for g in _kept if g.threshold == threshold]
    grouping = None
    if len(keys) >= INCREMENTAL_FROM and candidates:
        wanted = set(keys)
        best = max(candidates, key=lambda g: len(wanted.intersection(g.keys)))
        shared = len(wanted.intersection(best.keys))
        if shared and best.added + len(keys) - shared <= REFIT_SHARE * len(keys):
            grouping = _updated(best, ordered, keys)
    if grouping is None:
        grouping = _full(ordered, keys, threshold)
    with _lock:
        _kept.insert(0, grouping)
        del _kept[_KEPT:]
    return grouping.labels


def forget() -> None:
    """Drop every kept grouping (tests, benchmarks)."""
    with _lock:
        _kept.clear()
