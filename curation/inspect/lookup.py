"""Find a few documents by id in a large run without scanning texts.

:func:`find_rows` works in two passes per Parquet row group: row groups whose ``id`` statistics
exclude every wanted id are skipped without reading; of the others only the ``id`` column is read,
and the requested columns (``text`` among them) are read only from the row groups that hold a
wanted id. So the cost of a look-up is the id column of the dataset, never its texts.

Every document that entered the pipeline has its text in exactly one of two places: the kept
documents of Dataset-1 or the Dataset-1 ledger (later datasets only drop documents of Dataset-1),
so :func:`texts` looks there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from curation import schema as S
from curation.inspect import readers as R
from curation.run_layout import DATASET_1

log = logging.getLogger(__name__)

MAX_CHAIN = 64
"""The longest ``duplicate_of`` chain followed before giving up (a guard against cycles)."""


def find_rows(dataset: ds.Dataset | None, ids: Iterable[str], columns: list[str]) -> pa.Table:
    """The rows of ``dataset`` whose id is in ``ids``, only ``columns`` (absent ones dropped)."""
    wanted = sorted({str(i) for i in ids})
    columns = R.columns_of(dataset, columns)
    if dataset is None or not wanted or S.ID not in dataset.schema.names:
        return pa.table({c: pa.array([], pa.string()) for c in columns})
    value_set = pa.array(wanted, pa.string())
    expr = pc.field(S.ID).isin(value_set)
    parts = []
    for fragment in dataset.get_fragments():
        for group in _row_groups(fragment, expr):
            found = group.to_table(columns=[S.ID], filter=expr)
            if found.num_rows:
                parts.append(group.to_table(columns=columns, filter=expr))
    if not parts:
        return dataset.schema.empty_table().select(columns)
    return pa.concat_tables(parts, promote_options="permissive")


def _row_groups(fragment: ds.Fragment, expr: ds.Expression) -> list[ds.Fragment]:
    """The fragment's row groups that the id statistics do not rule out."""
    if isinstance(fragment, ds.ParquetFileFragment):
        return list(fragment.split_by_row_group(filter=expr))
    return [fragment]


def texts(run: str, ids: Iterable[str]) -> dict[str, str]:
    """``{id: text}`` for the given ids (from Dataset-1's kept documents and its ledger)."""
    wanted = {i for i in ids if i is not None}
    out: dict[str, str] = {}
    for dataset in (R.kept(run, DATASET_1), R.ledger(run, DATASET_1)):
        missing = wanted - out.keys()
        if not missing:
            break
        table = find_rows(dataset, missing, [S.ID, S.TEXT])
        if table.num_rows:
            out.update(
                zip(table.column(S.ID).to_pylist(), table.column(S.TEXT).to_pylist(), strict=True)
            )
    return out


def survivors(duplicate_of: dict[str, str | None], ids: Iterable[str]) -> dict[str, str]:
    """For each id, the end of its ``duplicate_of`` chain inside one ledger.

    ``duplicate_of`` maps every id the ledger removed to its twin (SemDedup's ``max_id``: the most
    similar farther document, which may have been removed by the same stage too). Following it
    until an id the ledger did not remove gives the document that was kept in its place."""
    out = {}
    for start in ids:
        current, seen = start, {start}
        while current in duplicate_of and duplicate_of[current] is not None:
            nxt = duplicate_of[current]
            if nxt in seen or len(seen) > MAX_CHAIN:
                log.warning("duplicate_of chain from %s does not end (at %s)", start, nxt)
                break
            seen.add(nxt)
            current = nxt
        out[start] = current
    return out


def chain_ends(dataset: ds.Dataset | None, ids: Iterable[str]) -> dict[str, str]:
    """For each id the ledger ``dataset`` removed, the document kept in its place.

    Like :func:`survivors`, but reads the ledger level by level: one id look-up pass per chain
    step for all ids together, never the whole ledger."""
    twin: dict[str, str | None] = {}
    frontier = {str(i) for i in ids}
    for _ in range(MAX_CHAIN):
        frontier -= twin.keys()
        if not frontier:
            break
        rows = find_rows(dataset, frontier, [S.ID, S.DUPLICATE_OF])
        found = dict(R.rows(rows)) if rows.num_rows else {}
        for i in frontier:
            twin[i] = found.get(i)
        frontier = {t for t in found.values() if t is not None}
    return survivors(twin, ids)


def chain(dataset: ds.Dataset | None, start: str) -> list[str]:
    """``start``'s twin, the twin's twin ... until a document the ledger did not remove.

    One id look-up per step (a chain is short); the last element is the survivor."""
    out: list[str] = []
    current: str | None = start
    seen = {start}
    while current is not None and len(out) < MAX_CHAIN:
        rows = find_rows(dataset, [current], [S.ID, S.DUPLICATE_OF])
        nxt = rows.column(S.DUPLICATE_OF)[0].as_py() if rows.num_rows else None
        if nxt is None or nxt in seen:
            break
        out.append(nxt)
        seen.add(nxt)
        current = nxt
    return out
