"""The public read API of a run (notebooks, reports, checks and later stages read through it).

Only finished stages (with ``_SUCCESS``) are read unless ``allow_incomplete`` is set:
:func:`open_kept` / :func:`open_ledger` give lazy ``pyarrow.dataset`` views (filter and pick
columns while reading), :func:`read_kept` / :func:`read_ledger` / :func:`read_manifest` whole
tables; :func:`finished` says whether a stage is there to read. Any run URI works (local,
``hdfs://``, ``s3a://``: :func:`curation.storage.arrow_filesystem`). The ``domain`` column lives
inside the Parquet files as well as in the ``domain=<name>`` folder names, so a single part file
is self-describing; read folders with these helpers, with ``pyarrow.dataset.dataset(path)``, or
with ``pandas.read_parquet(path, partitioning=None)``.
"""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from curation.errors import CurationError
from curation.run_layout import DATA, MANIFEST, REMOVED, SUCCESS
from curation.storage import arrow_filesystem, join, normalize_uri


class IncompleteDatasetError(CurationError, RuntimeError):
    """The dataset folder has no ``_SUCCESS``: it is unfinished and must not be read as a result."""


def exists(uri: str) -> bool:
    """Whether a file or folder exists at ``uri``."""
    fs, path = arrow_filesystem(uri)
    return fs.get_file_info(path).type != pafs.FileType.NotFound


def finished(run: str, stage: str) -> bool:
    """Whether ``<run>/<stage>`` is a finished stage (it holds ``_SUCCESS``)."""
    return exists(join(normalize_uri(run), stage, SUCCESS))


def _check(run: str, stage: str, allow_incomplete: bool) -> str:
    root = join(normalize_uri(run), stage)
    if not allow_incomplete and not finished(run, stage):
        raise IncompleteDatasetError(f"{root} has no {SUCCESS}: it is not a finished dataset")
    return root


def open_parquet(uri: str) -> ds.Dataset | None:
    """A Parquet file or folder (partition folders not parsed), None when absent."""
    fs, path = arrow_filesystem(uri)
    if fs.get_file_info(path).type == pafs.FileType.NotFound:
        return None
    return ds.dataset(path, filesystem=fs, format="parquet", exclude_invalid_files=False)


def open_kept(
    run: str, dataset: str, *, domain: str | None = None, allow_incomplete: bool = False
) -> ds.Dataset | None:
    """The kept documents of ``<run>/<dataset>`` (optionally one domain), lazily; None when the
    dataset kept nothing (no ``data`` folder)."""
    root = _check(run, dataset, allow_incomplete)
    return open_parquet(join(root, DATA, f"domain={domain}") if domain else join(root, DATA))


def open_ledger(run: str, dataset: str, *, allow_incomplete: bool = False) -> ds.Dataset | None:
    """The removal ledger of ``<run>/<dataset>``, lazily; None when it removed nothing."""
    return open_parquet(join(_check(run, dataset, allow_incomplete), REMOVED))


def _table(dataset: ds.Dataset | None, columns: list[str] | None) -> pa.Table:
    return pa.table({}) if dataset is None else dataset.to_table(columns=columns)


def read_kept(
    run: str,
    dataset: str,
    columns: list[str] | None = None,
    *,
    domain: str | None = None,
    allow_incomplete: bool = False,
) -> pa.Table:
    """The kept documents of ``<run>/<dataset>`` (optionally one domain)."""
    view = open_kept(run, dataset, domain=domain, allow_incomplete=allow_incomplete)
    return _table(view, columns)


def read_ledger(
    run: str, dataset: str, columns: list[str] | None = None, *, allow_incomplete: bool = False
) -> pa.Table:
    """The removal ledger of ``<run>/<dataset>``: one row per document its stages removed."""
    return _table(open_ledger(run, dataset, allow_incomplete=allow_incomplete), columns)


def read_json(uri: str) -> dict | list | None:
    """A JSON file of a run, or None when it does not exist."""
    fs, path = arrow_filesystem(uri)
    if fs.get_file_info(path).type == pafs.FileType.NotFound:
        return None
    with fs.open_input_stream(path) as f:
        return json.loads(f.read().decode("utf-8"))


def read_manifest(run: str, stage: str, *, allow_incomplete: bool = False) -> dict:
    """The ``_MANIFEST.json`` of a finished stage."""
    manifest = read_json(join(_check(run, stage, allow_incomplete), MANIFEST))
    if not isinstance(manifest, dict):
        raise IncompleteDatasetError(f"{join(normalize_uri(run), stage)} has no {MANIFEST}")
    return manifest
