"""How much of a labelled set of duplicates SemDedup can find, with and without the cross-boundary
pass: the measurement any user can run on their own labelled pairs (``curation semdedup-pairs``).

Given documents (ids and embeddings) and labelled duplicate pairs among them, the documents are
clustered as Dataset-2 clusters them (spherical k-means, :mod:`curation.stages.cluster_kmeans`,
the configured cluster size) and SemDedup runs once per rule (within clusters only, and with the
cross-boundary pass, :mod:`curation.stages.semdedup_cross`). Reported per rule:

* **ceiling**: the share of labelled pairs whose two documents are ever compared (they share a
  cluster, or the pass compares them) - the best recall any eps can reach;
* **reach ceiling at eps E** (for each E of ``REACH_EPS``): the same share among the labelled
  pairs that eps <= E could remove at all, those with cosine > 1 - E (float64, unit rows). A
  labelled pair of cosine 0.5 counts against the plain ceiling although no eps a user runs
  would ever remove it, compared or not; the reach ceiling says how many of the removable ones
  the rule leaves out of reach;
* per eps, **precision** = removals whose ``max_id`` is a labelled duplicate of the removed
  document (same group of the labelled-duplicate graph) over all removals; **recall** = such
  removals, at most ``size - 1`` per group, over ``sum(size - 1)`` (for plain pairs: the share
  of pairs of which one document was removed naming the other); **F1**; the best F1 and its eps;
* the similarity step's seconds, wall and this process's CPU (the CPU seconds are the fairer
  figure on a shared machine: others' load adds wall time only): within clusters
  (:func:`curation.stages.semdedup.semdedup_all`) and with the pass
  (:func:`curation.stages.semdedup_cross.semdedup_with_cross`, which replaces it: the pass is
  folded into the per-cluster work), as the pipeline runs either; the time ratio is the second
  over the first.

A removal naming a document outside its labelled group counts against precision even where the
two are unlabelled duplicates: the labels are the truth here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from curation.config import KMeansConfig
from curation.stages import cluster_kmeans, semdedup
from curation.stages import semdedup_cross as cross

DEFAULT_EPS_GRID = tuple(round(0.005 * i, 3) for i in range(1, 41))
"""eps from 0.005 to 0.2 in steps of 0.005."""
REACH_EPS = (0.05, 0.1, 0.15, 0.2)
"""The eps bounds of the reach ceilings (module docstring)."""


@dataclass(frozen=True)
class Clustered:
    """Documents clustered as Dataset-2 clusters them, with their nearest other clusters."""

    ids: np.ndarray
    vectors: np.ndarray
    cluster: np.ndarray
    distance: np.ndarray
    near: np.ndarray
    gaps: np.ndarray


def cluster(ids: Any, vectors: np.ndarray, kmeans: KMeansConfig, device: str = "cpu") -> Clustered:
    """k-means on the hash-chosen sample (the configured cluster size), every document assigned."""
    id_arr = np.asarray([str(i) for i in ids], object)
    k = cluster_kmeans.n_clusters_for(len(id_arr), kmeans)
    sample = cluster_kmeans.training_sample(list(id_arr), kmeans.sample_size)
    centroids = cluster_kmeans.train_kmeans(
        vectors[sample], k, kmeans, device, ids=list(id_arr[sample])
    )
    got = cluster_kmeans.assign_near(vectors, centroids, device)
    return Clustered(id_arr, vectors, got.cluster, got.distance, got.near, got.gaps)


def groups_of(n: int, pairs: np.ndarray) -> np.ndarray:
    """The connected component of every document in the graph of labelled pairs (row indices;
    a document in no pair is its own component)."""
    parent = np.arange(n)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in pairs:
        ra, rb = root(int(a)), root(int(b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return np.asarray([root(i) for i in range(n)], np.int64)


def scores(
    m: np.ndarray, partner: np.ndarray, group: np.ndarray, eps_grid: Any
) -> list[dict[str, float]]:
    """Precision, recall and F1 per eps (module docstring); ``m`` and ``partner`` (row index, -1 =
    none) per document, ``group`` its labelled group."""
    sizes = np.bincount(group, minlength=len(group))
    redundant = int((sizes[sizes > 1] - 1).sum())
    named = (partner >= 0) & (group == group[np.maximum(partner, 0)]) & (sizes[group] > 1)
    out = []
    for eps in eps_grid:
        removed = semdedup.removed_mask(m, eps)
        hit = removed & named
        found = np.minimum(np.bincount(group[hit], minlength=len(group)), np.maximum(sizes - 1, 0))
        precision = float(hit.sum() / removed.sum()) if removed.any() else 1.0
        recall = float(found.sum() / redundant) if redundant else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out.append({"eps": float(eps), "removed": int(removed.sum()), "precision": precision,
                    "recall": recall, "f1": f1})  # fmt: skip
    return out


def pair_cosines(vectors: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """float64 cosine of each labelled pair (row indices ``(P, 2)``); a zero vector has cosine 0."""
    pairs = np.asarray(pairs, np.int64).reshape(-1, 2)
    a = np.asarray(vectors[pairs[:, 0]], np.float64)
    b = np.asarray(vectors[pairs[:, 1]], np.float64)
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    dot = np.einsum("pd,pd->p", a, b)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((na > 0) & (nb > 0), dot / (na * nb), 0.0)


def reach_ceilings(
    compared: np.ndarray, cosines: np.ndarray, reach_eps: Any = REACH_EPS
) -> dict[str, dict[str, float]]:
    """Per eps bound E (as a string key): the labelled pairs with cosine > 1 - E (``pairs``) and
    the share of them that are ``compared`` (``ceiling``; 1.0 when there are none)."""
    out = {}
    for e in reach_eps:
        removable = np.asarray(cosines) > 1.0 - float(e)
        n = int(removable.sum())
        share = float(np.asarray(compared)[removable].mean()) if n else 1.0
        out[f"{float(e):g}"] = {"pairs": n, "ceiling": share}
    return out


def evaluate(
    docs: Clustered,
    pairs: np.ndarray,
    rules: dict[str, cross.CrossRule],
    eps_grid: Any = DEFAULT_EPS_GRID,
    tile_size: int = 0,
    device: str = "cpu",
    target_removal: float | None = None,
    repeats: int = 1,
    reach_eps: Any = REACH_EPS,
) -> dict[str, Any]:
    """The measurement of the module docstring for every named rule (``pairs``: int (P, 2) row
    indices of labelled duplicates). The within-cluster step is timed, and each rule that is
    on the whole step with its pass, in turn in each of ``repeats`` rounds. ``target_removal`` (the reference's rule): also
    each rule's eps calibrated to remove that share, and how many documents' verdicts at it
    differ from the first rule's at its own calibrated eps. ``repeats``: each timed step runs
    that many times and the fastest counts (a shared machine's noise only ever adds time), for
    the wall and the CPU seconds apart. ``reach_eps``: the bounds of the reach ceilings."""
    pairs = np.asarray(pairs, np.int64).reshape(-1, 2)
    n = len(docs.ids)
    group = groups_of(n, pairs)
    cosines = pair_cosines(docs.vectors, pairs)
    # the within-cluster step (a rule that is off) and every rule that is on, timed in turn in
    # each round, so that all of them see the same load of a shared machine
    steps = {None: cross.CrossRule(0)} | {name: r for name, r in rules.items() if r.on}
    wall = dict.fromkeys(steps, np.inf)
    cpu = dict.fromkeys(steps, np.inf)
    got: dict[Any, tuple] = {}
    for _ in range(max(1, repeats)):
        for key, rule in steps.items():
            t0, c0 = time.perf_counter(), time.process_time()
            got[key] = cross.semdedup_with_cross(
                docs.ids, docs.cluster, docs.distance, docs.vectors, docs.near, docs.gaps, rule,
                tile_size, device,
            )  # fmt: skip
            wall[key] = min(wall[key], time.perf_counter() - t0)
            cpu[key] = min(cpu[key], time.process_time() - c0)
    within_s, within_cpu = wall[None], cpu[None]
    row_of = {k: i for i, k in enumerate(docs.ids.tolist())}
    a, b = pairs[:, 0], pairs[:, 1]
    out: dict[str, Any] = {
        "documents": n,
        "clusters": int(len(np.unique(docs.cluster))),
        "labelled_pairs": len(pairs),
        "redundant": int((np.bincount(group)[np.bincount(group) > 1] - 1).sum()),
        "within_s": within_s,
        "within_cpu_s": within_cpu,
        "rules": {},
    }
    first = None
    for name, rule in rules.items():
        key = name if rule.on else None
        table, stats = got[key]
        step_s, step_cpu = wall[key], cpu[key]
        products = None if stats is None else stats.products / max(1, stats.within_products)
        rows = np.asarray([row_of[k] for k in table.column("id").to_pylist()], np.int64)
        m = np.full(n, -1.0)
        m[rows] = np.asarray(table.column("M"), np.float64)
        partner = np.full(n, -1, np.int64)
        partner[rows] = [-1 if p is None else row_of[p] for p in table.column("max_id").to_pylist()]
        ceiling = cross.compared(
            docs.cluster[a], docs.near[a], docs.gaps[a], docs.cluster[b], docs.near[b],
            docs.gaps[b], rule,
        )  # fmt: skip
        per_eps = scores(m, partner, group, eps_grid)
        at_target = None
        if target_removal is not None:
            eps_t = semdedup.calibrate_eps(m, target_removal)
            removed_t = semdedup.removed_mask(m, eps_t)
            first = first if out["rules"] else removed_t
            at_target = scores(m, partner, group, [eps_t])[0] | {
                "verdicts_changed": int((removed_t != first).sum()),
                "removed_share": float(removed_t.mean()),
            }
        best = max(per_eps, key=lambda r: (r["f1"], -r["eps"])) if per_eps else None
        out["rules"][name] = {
            "rule": rule.as_dict(),
            "ceiling": float(ceiling.mean()) if len(ceiling) else 1.0,
            "reach": reach_ceilings(ceiling, cosines, reach_eps),
            "best": best,
            "per_eps": per_eps,
            "at_target": at_target,
            "step_s": step_s,
            "time_ratio": step_s / within_s if within_s > 0 else None,
            "step_cpu_s": step_cpu,
            "cpu_ratio": step_cpu / within_cpu if within_cpu > 0 else None,
            "products_ratio": products,
        }
    return out


def documents_from_pairs(
    files: list[tuple[str, list[str], list[str], np.ndarray]],
) -> tuple[list[str], list[str], list[str], np.ndarray]:
    """Documents and duplicate pairs from labelled pair files ``(name, s1, s2, labels)``: every
    distinct sentence of a file one document (id ``<name>:<n>``, domain ``name``); label-1 rows
    are the duplicate pairs (row indices), label-0 sentences are documents too. Returns
    ``(ids, domains, texts, pairs)``."""
    ids: list[str] = []
    domains: list[str] = []
    texts: list[str] = []
    pairs: list[tuple[int, int]] = []
    for name, s1, s2, labels in files:
        index: dict[str, int] = {}

        def doc(text: str, name: str = name, index: dict = index) -> int:
            if text not in index:
                index[text] = len(ids)
                ids.append(f"{name}:{len(index) - 1:06d}")
                domains.append(name)
                texts.append(text)
            return index[text]

        for x, y, label in zip(s1, s2, labels, strict=True):
            i, j = doc(x), doc(y)
            if int(label) == 1 and i != j:
                pairs.append((i, j))
    return ids, domains, texts, np.asarray(pairs, np.int64).reshape(-1, 2)


def to_markdown(result: dict[str, Any]) -> str:
    """One table row per rule: ceiling, best F1 (eps, precision, recall), the step's time (wall
    and CPU), the products, then the reach ceilings (the header names each bound's pairs)."""
    rules = result["rules"]
    reach = next(iter(rules.values()), {}).get("reach", {})
    cpu = result.get("within_cpu_s")
    lines = [
        f"{result['documents']} documents, {result['clusters']} clusters, "
        f"{result['labelled_pairs']} labelled duplicate pairs; within-cluster similarity "
        f"{result['within_s']:.2f} s" + ("" if cpu is None else f" ({cpu:.2f} CPU s)"),
        "",
        "| rule | ceiling | best F1 | at eps | precision | recall | time vs within "
        "| CPU vs within | products vs within |"
        + "".join(f" reach eps <= {e} ({x['pairs']} pairs) |" for e, x in reach.items()),
        "|---|---|---|---|---|---|---|---|---|" + "---|" * len(reach),
    ]

    def times(x: float | None, plus: bool = False) -> str:
        return "-" if x is None else f"+{x:.2f}x" if plus else f"{x:.2f}x"

    for name, r in rules.items():
        b = r["best"] or {}
        lines.append(
            f"| {name} | {r['ceiling']:.3f} | {b.get('f1', 0):.3f} | {b.get('eps', 0):g} | "
            f"{b.get('precision', 0):.3f} | {b.get('recall', 0):.3f} | "
            f"{times(r['time_ratio'])} | {times(r.get('cpu_ratio'))} | "
            f"{times(r['products_ratio'], plus=True)} |"
            + "".join(f" {x['ceiling']:.3f} |" for x in r.get("reach", {}).values())
        )
    return "\n".join(lines)
