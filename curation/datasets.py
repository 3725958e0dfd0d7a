"""Reading a run back (for notebooks, reports, checks and later stages).

Only finished datasets (with ``_SUCCESS``) are read unless ``allow_incomplete`` is set. The
``domain`` column lives inside the Parquet files as well as in the ``domain=<name>`` folder names,
so a single part file is self-describing; read folders with these helpers, with
``pyarrow.dataset.dataset(path)``, or with ``pandas.read_parquet(path, partitioning=None)``.
"""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from curation.errors import CurationError
from curation.run_layout import DATA, MANIFEST, REMOVED, SUCCESS
from curation.storage import join, normalize_uri


class IncompleteDatasetError(CurationError, RuntimeError):
    """The dataset folder has no ``_SUCCESS``: it is unfinished and must not be read as a result."""


def _fs_path(uri: str) -> tuple[pafs.FileSystem, str]:
    return pafs.FileSystem.from_uri(uri.replace("s3a://", "s3://", 1))


def _check(run: str, dataset: str, allow_incomplete: bool) -> str:
    root = join(normalize_uri(run), dataset)
    fs, path = _fs_path(root)
    if (
        not allow_incomplete
        and fs.get_file_info(f"{path}/{SUCCESS}").type == pafs.FileType.NotFound
    ):
        raise IncompleteDatasetError(f"{root} has no {SUCCESS}: it is not a finished dataset")
    return root


def _read(uri: str, columns: list[str] | None, filter=None) -> pa.Table:
    fs, path = _fs_path(uri)
    if fs.get_file_info(path).type == pafs.FileType.NotFound:
        return pa.table({})
    dataset = ds.dataset(path, filesystem=fs, format="parquet", exclude_invalid_files=False)
    return dataset.to_table(columns=columns, filter=filter)


def read_kept(
    run: str,
    dataset: str,
    columns: list[str] | None = None,
    *,
    domain: str | None = None,
    allow_incomplete: bool = False,
) -> pa.Table:
    """The kept documents of ``<run>/<dataset>`` (optionally one domain)."""
    root = _check(run, dataset, allow_incomplete)
    uri = join(root, DATA, f"domain={domain}") if domain else join(root, DATA)
    return _read(uri, columns)


def read_ledger(
    run: str, dataset: str, columns: list[str] | None = None, *, allow_incomplete: bool = False
) -> pa.Table:
    """The removal ledger of ``<run>/<dataset>``: one row per document its stages removed."""
    return _read(join(_check(run, dataset, allow_incomplete), REMOVED), columns)


def read_manifest(run: str, dataset: str, *, allow_incomplete: bool = False) -> dict:
    root = _check(run, dataset, allow_incomplete)
    fs, path = _fs_path(join(root, MANIFEST))
    with fs.open_input_stream(path) as f:
        return json.loads(f.read().decode("utf-8"))
