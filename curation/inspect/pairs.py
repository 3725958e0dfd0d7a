"""Removed documents next to their twins: galleries, similarity bands, duplicate groups.

The selection is made on the id/score columns only (ledgers and ``similarity`` files without
text); the texts of the few chosen documents are then fetched by id (:func:`lookup.texts`).
SemDedup's ``duplicate_of`` (``max_id``) is the most similar *farther* document, which may have
been removed by the same stage too: the chain is followed to the document kept in its place.
"""

from __future__ import annotations

import json
import logging
import re

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from curation import schema as S
from curation.inspect import lookup
from curation.inspect import readers as R
from curation.run_layout import DATASET_2, DATASET_3

log = logging.getLogger(__name__)

BANDS = (0.80, 0.85, 0.90, 0.95, 1.0)
"""Default similarity band edges for :func:`band_pairs`."""
_LEDGER_META = [S.ID, S.DOMAIN, S.STAGE, S.REASON, S.SCORE, S.DUPLICATE_OF, S.CLUSTER]


def shorten(text: str | None, limit: int = 200, *, one_line: bool = True) -> str:
    """``text`` cut to ``limit`` characters (with an ellipsis); whitespace runs folded if asked."""
    if text is None:
        return ""
    if one_line:
        text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _spread(frame: pd.DataFrame, n: int, column: str = S.SCORE) -> pd.DataFrame:
    """``n`` rows spread evenly over ``column``'s order (highest first), or all if fewer."""
    frame = frame.sort_values([column, S.ID], ascending=[False, True], na_position="last")
    if len(frame) <= n:
        return frame
    return frame.iloc[np.unique(np.linspace(0, len(frame) - 1, n).round().astype(int))]


def _status(run: str, ids: set[str], stage: str) -> dict[str, str]:
    """For ids: ``removed (<stage>: <reason>)`` where the dataset's ledger has them, else
    ``kept by <stage>`` (the stage kept it; a later one may still remove it)."""
    dataset = {S.STAGE_SEMDEDUP_KMEANS: DATASET_2, S.STAGE_SEMDEDUP_HDBSCAN: DATASET_3}.get(
        stage, "dataset-1"
    )
    found = lookup.find_rows(R.ledger(run, dataset), ids, [S.ID, S.STAGE, S.REASON])
    out = {i: f"kept by {stage}" for i in ids}
    for i, s, reason in R.rows(found):
        out[i] = f"removed ({s}: {reason})"
    return out


def ledger_pairs(run: str, dataset: str, n: int = 8, *, stage: str | None = None) -> pd.DataFrame:
    """Up to ``n`` removed documents of ``dataset``'s ledger that name a twin, with both texts.

    Chosen over the whole range of similarity (highest, middle, closest to the threshold); rows
    without a score (exact copies) by id. Columns: id, domain, stage, reason, score (similarity),
    cluster, duplicate_of, twin_status, survivor (end of the chain), text, twin_text."""
    table = R.ledger(run, dataset)
    expr = pc.is_valid(pc.field(S.DUPLICATE_OF))
    if stage is not None:
        expr = expr & (pc.field(S.STAGE) == stage)
    meta = R.read_columns(table, R.columns_of(table, _LEDGER_META), expr).to_pandas()
    if meta.empty:
        return meta
    chosen = _spread(meta, n)
    return _with_texts(run, chosen, dataset)


def _with_texts(run: str, chosen: pd.DataFrame, dataset: str) -> pd.DataFrame:
    ledger = R.ledger(run, dataset)
    survivor = lookup.chain_ends(ledger, chosen[S.ID])
    twins = set(chosen[S.DUPLICATE_OF])
    stage = chosen[S.STAGE].iloc[0] if S.STAGE in chosen and len(chosen) else ""
    status = _status(run, twins, stage)
    text = lookup.texts(run, set(chosen[S.ID]) | twins | set(survivor.values()))
    return chosen.assign(
        twin_status=[status.get(t, "") for t in chosen[S.DUPLICATE_OF]],
        survivor=[survivor[i] for i in chosen[S.ID]],
        text=[text.get(i) for i in chosen[S.ID]],
        twin_text=[text.get(t) for t in chosen[S.DUPLICATE_OF]],
    ).reset_index(drop=True)


def similarity_values(run: str, clustering: str, sample_size: int = 200_000) -> np.ndarray:
    """A sample of M (each document's largest similarity to a farther one; -1: none)."""
    similarity = R.part(run, f"{clustering}/similarity/data")
    table = R.sample(similarity, [S.M], sample_size, filter=pc.field(S.M) > -1)
    return np.asarray(table.column(S.M).to_numpy(zero_copy_only=False), dtype=np.float64)


def band_pairs(
    run: str,
    clustering: str = R.KMEANS,
    edges: tuple[float, ...] = BANDS,
    per_band: int = 3,
    *,
    seed: int = 0,
) -> pd.DataFrame:
    """Sample document pairs per similarity band, read from ``<clustering>/similarity``.

    Every document with a farther neighbour has M (the largest similarity to one) and max_id; a
    band ``[a, b)`` shows what an eps of ``1 - a`` would remove that ``1 - b`` would keep. Columns:
    band, id, domain, cluster, M, max_id, text, twin_text."""
    similarity = R.part(run, f"{clustering}/similarity/data")
    columns = R.columns_of(similarity, [S.ID, S.DOMAIN, S.CLUSTER, S.M, S.MAX_ID])
    rng = np.random.default_rng(seed)
    picked = []
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        expr = (pc.field(S.M) >= low) & (pc.field(S.M) < high)
        if high >= 1.0:
            expr = pc.field(S.M) >= low
        rows = R.read_columns(similarity, columns, expr).to_pandas()
        if rows.empty:
            continue
        rows = rows.sort_values(S.ID)
        take = rng.choice(len(rows), size=min(per_band, len(rows)), replace=False)
        picked.append(rows.iloc[np.sort(take)].assign(band=f"{low:.2f}-{high:.2f}"))
    if not picked:
        return pd.DataFrame(columns=["band", *columns, "text", "twin_text"])
    frame = pd.concat(picked, ignore_index=True)
    text = lookup.texts(run, set(frame[S.ID]) | set(frame[S.MAX_ID]))
    return frame.assign(
        text=[text.get(i) for i in frame[S.ID]], twin_text=[text.get(t) for t in frame[S.MAX_ID]]
    )[["band", *columns, "text", "twin_text"]]


def cluster_sizes(run: str, clustering: str) -> pd.DataFrame:
    """Documents per cluster (``cluster``, ``size``; HDBSCAN noise is cluster -1)."""
    source = "assignments" if clustering == R.KMEANS else "points.parquet"
    table = R.count_by(R.part(run, f"{clustering}/{source}"), [S.CLUSTER])
    return table.to_pandas().rename(columns={"count": "size"})


def clusters_by_removals(run: str, dataset: str) -> pd.DataFrame:
    """Per cluster of the dataset's clustering: size, documents removed, removed share.

    Sorted by documents removed (most first); for Dataset-3 noise (-1) is listed too."""
    sizes = cluster_sizes(run, R.CLUSTERING_OF[dataset]).set_index(S.CLUSTER)["size"]
    removed = R.count_by(R.ledger(run, dataset), [S.CLUSTER]).to_pandas()
    removed = removed.dropna().astype({S.CLUSTER: "int64"}).set_index(S.CLUSTER)["count"]
    frame = pd.DataFrame({"size": sizes, "removed": removed}).fillna(0).astype("int64")
    frame["removed_share"] = (frame["removed"] / frame["size"].where(frame["size"] > 0)).round(3)
    frame.index.name = S.CLUSTER
    return frame.sort_values(["removed", "size"], ascending=False)


def representatives(run: str, clustering: str, cluster: int, k: int = 3) -> pd.DataFrame:
    """The ``k`` documents nearest the cluster's centroid, with their texts.

    HDBSCAN: the ``representatives`` stored in ``clusters.parquet``; k-means: the smallest
    ``distance`` in ``assignments``."""
    if clustering == R.HDBSCAN:
        table = R.read_columns(
            R.part(run, f"{R.HDBSCAN}/clusters.parquet"),
            [S.CLUSTER, "representatives"],
            pc.field(S.CLUSTER) == cluster,
        )
        ids = table.column("representatives")[0].as_py()[:k] if table.num_rows else []
    else:
        table = R.read_columns(
            R.part(run, f"{R.KMEANS}/assignments"),
            [S.ID, S.DISTANCE],
            pc.field(S.CLUSTER) == cluster,
        ).to_pandas()
        ids = table.sort_values([S.DISTANCE, S.ID]).head(k)[S.ID].tolist()
    text = lookup.texts(run, ids)
    return pd.DataFrame({S.ID: ids, "text": [text.get(i) for i in ids]})


def duplicate_groups(
    run: str, dataset: str, cluster: int, max_groups: int = 5, per_group: int = 4
) -> list[dict]:
    """The cluster's duplicate groups: the document kept, and the ones removed in its place.

    A group is every removed document whose ``duplicate_of`` chain ends at the same kept
    document; largest groups first. Each: ``{"kept": id, "kept_text", "removed": [{"id",
    "score", "twin", "text"}, ...], "size"}`` (similarity ``score`` is to the direct twin)."""
    ledger = R.ledger(run, dataset)
    meta = R.read_columns(
        ledger, R.columns_of(ledger, _LEDGER_META), pc.field(S.CLUSTER) == cluster
    ).to_pandas()
    if meta.empty:
        return []
    twin = dict(zip(meta[S.ID], meta[S.DUPLICATE_OF], strict=True))
    meta["survivor"] = meta[S.ID].map(lookup.survivors(twin, meta[S.ID]))
    order = meta.groupby("survivor").size().sort_values(ascending=False, kind="stable")
    chosen = order.head(max_groups).index.tolist()
    members = meta[meta["survivor"].isin(chosen)].sort_values(
        [S.SCORE, S.ID], ascending=[False, True]
    )
    members = members.groupby("survivor", sort=False).head(per_group)
    text = lookup.texts(run, set(chosen) | set(members[S.ID]))
    groups = []
    for kept in chosen:
        rows = members[members["survivor"] == kept]
        groups.append(
            {
                "kept": kept,
                "kept_text": text.get(kept),
                "size": int(order[kept]),
                "removed": [
                    {
                        "id": r[S.ID],
                        "score": r[S.SCORE],
                        "twin": r[S.DUPLICATE_OF],
                        "text": text.get(r[S.ID]),
                    }
                    for _, r in rows.iterrows()
                ],
            }  # fmt: skip
        )
    return groups


def hdbscan_cluster_table(run: str) -> pd.DataFrame:
    """``clusters.parquet`` with domains decoded and duplicates removed per cluster joined."""
    clusters = R.read_columns(
        R.part(run, f"{R.HDBSCAN}/clusters.parquet"), [S.CLUSTER, "size", "domains"]
    ).to_pandas()
    if clusters.empty:
        return clusters
    clusters["domains"] = clusters["domains"].map(lambda s: json.loads(s) if s else {})
    dups = R.read_columns(
        R.open_dataset(f"{R.run_uri(run)}/{DATASET_3}/cluster_duplicates.parquet"),
        [S.CLUSTER, "duplicates_removed"],
    ).to_pandas()
    if not dups.empty:
        clusters = clusters.merge(dups, on=S.CLUSTER, how="left")
    return clusters.set_index(S.CLUSTER)
