"""Writing a dataset derived from another one, in this process (pyarrow, local paths).

A later stage decides per document (a *verdict* table: id, removed, score, duplicate_of, cluster)
and :func:`write_dataset` turns the parent dataset into the child one: the kept rows, shard by
shard under the same file names, with the new ``cluster`` annotation; the removed rows as ledger
rows with their text; and the counts its manifest is built from.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from curation import schema as S
from curation.manifest import Count, build_manifest
from curation.run_layout import DATA, REMOVED
from curation.runner import MissingStageError
from curation.storage import join, local_path


def write_table(table: pa.Table, folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / name, compression="zstd")


def read_folder(folder: Path, columns: list[str] | None = None) -> pa.Table:
    """Every Parquet file under ``folder`` (hidden and ``_`` files ignored)."""
    return ds.dataset(folder, format="parquet").to_table(columns=columns)


def parent_shards(run_uri: str, parent: str) -> list[Path]:
    root = local_path(join(run_uri, parent, DATA))
    return sorted(root.glob("domain=*/*.parquet"))


def write_dataset(
    run_uri: str,
    parent: str,
    out: Path,
    verdicts: pa.Table,
    *,
    stage: str,
    reason: str,
    detail: str | Callable[[str], str] | None = None,
    every_row_judged: bool = True,
    cluster_column: str = S.CLUSTER,
    cross_reason: str | None = None,
) -> list[Count]:
    """Write ``out/data`` and ``out/removed`` from ``<run>/<parent>`` and the ``verdicts``.

    ``verdicts`` (:data:`~curation.schema.VERDICT_SCHEMA`) has ``id``, ``removed``, ``M`` (the
    score), ``max_id`` (duplicate of) and ``cluster``; the verdict's cluster is written to the kept rows' ``cluster_column`` and to the
    ledger's ``cluster``. Rows of the parent without a verdict are an error if
    ``every_row_judged``, else they pass through unchanged (``cluster_column`` null unless the
    parent had it). ``detail`` may depend on the domain (e.g. a per-domain eps).
    ``cross_reason``: the reason of a removed row whose verdict has ``cross`` true (its twin in
    another cluster), else ``reason``.
    """
    v_ids = verdicts.column(S.ID)
    removed_all = np.asarray(verdicts.column(S.REMOVED), dtype=bool)
    crossed = (
        np.asarray(verdicts.column(S.CROSS).fill_null(False), dtype=bool)
        if cross_reason is not None and S.CROSS in verdicts.column_names
        else np.zeros(len(removed_all), bool)
    )
    counts: dict[tuple[str, str | None], int] = {}
    ledger_parts = []
    for shard in parent_shards(run_uri, parent):
        table = pq.read_table(shard)
        at = pc.index_in(table.column(S.ID), value_set=v_ids)
        judged = pc.is_valid(at).to_numpy(zero_copy_only=False)
        if every_row_judged and not judged.all():
            missing = table.column(S.ID).filter(pa.array(~judged))[:3].to_pylist()
            raise MissingStageError(f"{shard}: documents without a verdict, e.g. {missing}")
        idx = np.asarray(pc.fill_null(at, 0))
        if len(v_ids):
            removed = judged & removed_all[idx]
            clusters = np.asarray(verdicts.column(S.CLUSTER))[idx]
        else:  # nothing judged (e.g. no document of a clustered domain): all pass through
            removed, clusters = np.zeros(len(idx), bool), idx
        cluster = pa.array(clusters, pa.int64(), mask=~judged)
        if cluster_column in table.column_names:
            cluster = pc.if_else(pa.array(judged), cluster, table.column(cluster_column))
        table = _set(table, cluster_column, cluster.cast(pa.int64()))
        keep = pa.array(~removed)
        kept = table.filter(keep)
        domain = shard.parent.name.removeprefix("domain=")
        write_table(kept, out / DATA / shard.parent.name, shard.name)
        counts[(domain, None)] = counts.get((domain, None), 0) + kept.num_rows
        if removed.any():
            gone = table.filter(pa.array(removed))
            sel = idx[removed]
            reasons = np.where(crossed[sel], cross_reason or reason, reason)
            ledger = pa.table(
                {
                    S.ID: gone.column(S.ID),
                    S.DOMAIN: gone.column(S.DOMAIN),
                    S.STAGE: pa.array([stage] * gone.num_rows, pa.string()),
                    S.REASON: pa.array(reasons.tolist(), pa.string()),
                    S.SCORE: verdicts.column(S.M).take(pa.array(sel)),
                    S.DUPLICATE_OF: verdicts.column(S.MAX_ID).take(pa.array(sel)),
                    S.CLUSTER: verdicts.column(S.CLUSTER).take(pa.array(sel)),
                    S.DETAIL: pa.array(
                        [detail(domain) if callable(detail) else detail] * gone.num_rows,
                        pa.string(),
                    ),
                    S.SRC_DOMAIN: gone.column(S.SRC_DOMAIN),
                    S.SRC_FILE: gone.column(S.SRC_FILE),
                    S.SRC_LINE: gone.column(S.SRC_LINE),
                    S.TEXT: gone.column(S.TEXT),
                }
            )
            ledger_parts.append(S.conform(ledger, S.LEDGER_SCHEMA))
            for r in sorted(set(reasons.tolist())):
                counts[(domain, r)] = counts.get((domain, r), 0) + int((reasons == r).sum())
    ledger = pa.concat_tables(ledger_parts) if ledger_parts else S.LEDGER_SCHEMA.empty_table()
    write_table(ledger.sort_by(S.ID), out / REMOVED, "part-00000.parquet")
    return [
        Count(d, d, None if r is None else stage, r, n)
        for (d, r), n in sorted(counts.items(), key=str)
    ]


def manifest_of(counts: list[Count], *, stage: str, **extra) -> dict:
    return build_manifest(counts, stage=stage, per_domain_key=S.DOMAIN, **extra)


def _set(table: pa.Table, name: str, values) -> pa.Table:
    idx = table.schema.get_field_index(name)
    return table.set_column(idx, name, values) if idx >= 0 else table.append_column(name, values)
