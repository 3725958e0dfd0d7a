"""Where a run's inspection inputs live, and small readers for them.

Paths follow the run layout: ``dataset-N/{data,removed,_MANIFEST.json,eps_curve.json}``,
``clusters/kmeans/{assignments,similarity/data}``, ``clusters/hdbscan/{points,clusters,
sample_points}.parquet``, ``clusters/hdbscan/similarity/data``, ``tokens/_MANIFEST.json``. A stage
counts as present only when its folder holds ``_SUCCESS``. Finished stages are read through the
run's public read API (:mod:`curation.datasets`); here an absent stage is ``None``, not an error.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from curation import datasets
from curation import run_layout as RL
from curation.run_layout import (
    DATA,
    DATASET_1,
    DATASET_2,
    DATASET_3,
    EMBEDDINGS,
    HDBSCAN,
    KMEANS,
    MANIFEST,
    TOKENS,
)
from curation.storage import arrow_filesystem, join, normalize_uri

log = logging.getLogger(__name__)

DATASETS = (DATASET_1, DATASET_2, DATASET_3)
KMEANS_SIMILARITY = f"{RL.KMEANS_SIMILARITY}/{DATA}"
HDBSCAN_SIMILARITY = f"{RL.HDBSCAN_SIMILARITY}/{DATA}"
STAGE_FOLDERS = (DATASET_1, EMBEDDINGS, KMEANS, DATASET_2, HDBSCAN, DATASET_3, TOKENS)
"""Every stage folder with a manifest, in pipeline order."""
CLUSTERING_OF = {DATASET_2: KMEANS, DATASET_3: HDBSCAN}
"""The clustering each SemDedup dataset was computed on."""


def run_uri(run: str) -> str:
    """The run folder as an absolute URI (local paths become ``file://``)."""
    return normalize_uri(run)


exists = datasets.exists
finished = datasets.finished
read_json = datasets.read_json
open_dataset = datasets.open_parquet


def stage_manifests(run: str) -> dict[str, dict]:
    """The manifest of every finished stage of the run, in pipeline order."""
    out = {}
    for stage in STAGE_FOLDERS:
        if finished(run, stage):
            manifest = read_json(join(run_uri(run), stage, MANIFEST))
            if isinstance(manifest, dict):
                out[stage] = manifest
    return out


def eps_curve(run: str, dataset: str) -> dict | None:
    """``<run>/<dataset>/eps_curve.json`` (eps, overall, per_domain, documents), or None."""
    if not finished(run, dataset):
        return None
    curve = read_json(join(run_uri(run), dataset, "eps_curve.json"))
    return curve if isinstance(curve, dict) else None


def kept(run: str, dataset: str) -> ds.Dataset | None:
    """The kept documents of a finished dataset (None when unfinished or empty)."""
    return datasets.open_kept(run, dataset) if finished(run, dataset) else None


def ledger(run: str, dataset: str) -> ds.Dataset | None:
    """The removal ledger of a finished dataset (None when it removed nothing or is unfinished)."""
    return datasets.open_ledger(run, dataset) if finished(run, dataset) else None


def part(run: str, relative: str) -> ds.Dataset | None:
    """Any other Parquet file or folder of the run (e.g. ``clusters/hdbscan/points.parquet``)."""
    stage = next((s for s in (KMEANS, HDBSCAN, TOKENS) if relative.startswith(s)), None)
    if stage is not None and not finished(run, stage):
        return None
    return open_dataset(join(run_uri(run), relative))


def columns_of(dataset: ds.Dataset | None, wanted: list[str]) -> list[str]:
    """The wanted columns the dataset actually has (older runs may lack annotations)."""
    if dataset is None:
        return []
    names = set(dataset.schema.names)
    return [c for c in wanted if c in names]


def batches(
    dataset: ds.Dataset | None, columns: list[str], filter: ds.Expression | None = None
) -> Iterator[pa.RecordBatch]:
    """The dataset's rows batch by batch, only ``columns`` read (nothing when absent)."""
    if dataset is None:
        return iter(())
    return dataset.to_batches(columns=columns, filter=filter, batch_size=65536)


def read_columns(
    dataset: ds.Dataset | None, columns: list[str], filter: ds.Expression | None = None
) -> pa.Table:
    """Only ``columns`` of the dataset (never ``text``: use :mod:`curation.inspect.lookup`)."""
    if dataset is None:
        return pa.table({c: pa.array([], pa.string()) for c in columns})
    return dataset.to_table(columns=columns, filter=filter)


def count_by(
    dataset: ds.Dataset | None, keys: list[str], filter: ds.Expression | None = None
) -> pa.Table:
    """Rows per combination of ``keys``, aggregated batch by batch (memory: the groups only)."""
    parts = [
        pa.Table.from_batches([b]).group_by(keys).aggregate([([], "count_all")])
        for b in batches(dataset, keys, filter)
        if b.num_rows
    ]
    if not parts:
        return pa.table(
            {**{k: pa.array([], pa.string()) for k in keys}, "count": pa.array([], pa.int64())}
        )
    total = pa.concat_tables(parts).group_by(keys).aggregate([("count_all", "sum")])
    total = total.rename_columns({"count_all_sum": "count"}).select([*keys, "count"])
    return total.sort_by([(k, "ascending") for k in keys])


def sample(
    dataset: ds.Dataset | None,
    columns: list[str],
    n: int,
    *,
    seed: int = 0,
    filter: ds.Expression | None = None,
) -> pa.Table:
    """About ``n`` rows drawn uniformly, batch by batch (the same rows for the same files)."""
    if dataset is None:
        return pa.table({c: pa.array([], pa.float64()) for c in columns})
    total = dataset.count_rows(filter=filter)
    keep = 1.0 if total <= n else n / total
    rng = np.random.default_rng(seed)
    parts = []
    for b in batches(dataset, columns, filter):
        mask = rng.random(b.num_rows) < keep
        if mask.any():
            parts.append(pa.Table.from_batches([b]).filter(pa.array(mask)))
    if not parts:
        return dataset.schema.empty_table().select(columns)
    return pa.concat_tables(parts)


def sum_by(
    dataset: ds.Dataset | None,
    keys: list[str],
    value: str,
    filter: ds.Expression | None = None,
) -> pa.Table:
    """The sum of ``value`` per combination of ``keys``, batch by batch.

    ``value`` is a numeric column, or ``"len(text)"``: the length of ``text`` in Unicode
    characters (for ledgers, which carry no ``n_chars``; read one batch of texts at a time)."""
    column = "text" if value == "len(text)" else value
    parts = []
    for b in batches(dataset, [*keys, column], filter):
        if not b.num_rows:
            continue
        values = b.column(column)
        if value == "len(text)":
            values = pc.fill_null(pc.utf8_length(values), 0)
        table = pa.table({**{k: b.column(k) for k in keys}, "v": pc.cast(values, pa.int64())})
        parts.append(table.group_by(keys).aggregate([("v", "sum")]))
    if not parts:
        return pa.table(
            {**{k: pa.array([], pa.string()) for k in keys}, "sum": pa.array([], pa.int64())}
        )
    total = pa.concat_tables(parts).group_by(keys).aggregate([("v_sum", "sum")])
    total = total.rename_columns({"v_sum_sum": "sum"}).select([*keys, "sum"])
    return total.sort_by([(k, "ascending") for k in keys])


def rows(table: pa.Table) -> list[tuple]:
    """The table's rows as tuples, in column order."""
    return list(zip(*(table.column(c).to_pylist() for c in table.column_names), strict=True))


def find_files(uri: str, name: str) -> list[str]:
    """URIs of the files called ``name`` anywhere under ``uri`` (sorted)."""
    fs, root = arrow_filesystem(uri)
    if fs.get_file_info(root).type == pafs.FileType.NotFound:
        return []
    infos = fs.get_file_info(pafs.FileSelector(root, recursive=True))
    found = [i.path for i in infos if i.type == pafs.FileType.File and i.base_name == name]
    return [f"{uri.rstrip('/')}/{p[len(root) :].strip('/')}" for p in sorted(found)]
