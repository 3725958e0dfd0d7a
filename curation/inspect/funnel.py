"""Documents and characters per domain through every stage, removal reasons, languages, lengths.

Document counts come from the manifests only (:func:`curation.summary.pipeline_rows`, plus the
token stage when ``tokens/_MANIFEST.json`` exists). Character counts, languages and length
histograms are aggregated from the run's Parquet files batch by batch: kept documents contribute
their ``n_chars`` column, ledger rows the length of their text, one batch at a time.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from curation import schema as S
from curation.inspect import readers as R
from curation.run_layout import DATASET_1, TOKENS
from curation.summary import FUNNEL, pipeline_rows

log = logging.getLogger(__name__)

COUNT_COLUMNS = ("raw", "D1", "D2", "D3", "tokens")
"""Funnel columns that count documents present (the others count documents removed)."""
STAGE_COLUMN = {source[1]: column for column, source in FUNNEL if isinstance(source, tuple)}
"""Ledger stage -> funnel column (``exact_dedup`` -> ``exact`` ...)."""
DATASET_COLUMN = {source: column for column, source in FUNNEL if isinstance(source, str)}
"""Dataset folder -> funnel column (``dataset-1`` -> ``D1`` ...)."""
LENGTH_EDGES = np.unique(np.round(np.logspace(0, 7, 57)).astype(np.int64))
"""Histogram bins for document lengths in characters (log-spaced, 1 to 10 million)."""


def document_funnel(manifests: dict[str, dict]) -> pd.DataFrame:
    """Documents per domain (rows, plus ``TOTAL``) through the stages (columns), from manifests.

    Columns as :data:`curation.summary.FUNNEL` for the finished datasets, and ``tokens`` (the
    documents in the token shards) when the token stage has finished."""
    datasets = {k: m for k, m in manifests.items() if k in R.DATASETS}
    if DATASET_1 not in datasets:
        return pd.DataFrame()
    frame = pd.DataFrame.from_dict(pipeline_rows(datasets), orient="index")
    tokens = manifests.get(TOKENS)
    if tokens:
        per = tokens.get("per_domain", {})
        frame["tokens"] = [
            int(tokens.get("documents", 0))
            if d == "TOTAL"
            else int(per.get(d, {}).get("documents", 0))
            for d in frame.index
        ]
    frame.index.name = "domain"
    return frame


def token_table(manifests: dict[str, dict]) -> pd.DataFrame:
    """Per domain: documents, tokens, sequences and mixture weight of the token stage (or empty)."""
    tokens = manifests.get(TOKENS)
    if not tokens:
        return pd.DataFrame()
    keys = ("documents", "tokens", "sequences", "padding_fraction", "weight")
    rows = {
        d: {k: m.get(k) for k in keys if k in m} for d, m in tokens.get("per_domain", {}).items()
    }
    rows["TOTAL"] = {k: tokens.get(k) for k in keys if k in tokens}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("domain")


def character_funnel(run: str) -> pd.DataFrame:
    """Characters per domain through the stages, with the columns of :func:`document_funnel`.

    Removed characters come from the ledgers (keyed by the domain a row was removed in, as the
    document funnel is), kept characters from each dataset's ``n_chars``."""
    cells: dict[str, dict[str, int]] = {}

    def add(domain: str, column: str, value: int) -> None:
        row = cells.setdefault(domain, {})
        row[column] = row.get(column, 0) + int(value)

    for dataset in R.DATASETS:
        if not R.finished(run, dataset):
            break
        kept = R.kept(run, dataset)
        value = S.N_CHARS if S.N_CHARS in R.columns_of(kept, [S.N_CHARS]) else "len(text)"
        for domain, total in R.rows(R.sum_by(kept, [S.DOMAIN], value)):
            add(domain, DATASET_COLUMN[dataset], total)
        removed = R.sum_by(R.ledger(run, dataset), [S.DOMAIN, S.STAGE], "len(text)")
        for domain, stage, total in R.rows(removed):
            add(domain, STAGE_COLUMN.get(stage, stage), total)
            if dataset == DATASET_1:
                add(domain, "raw", total)
        if dataset == DATASET_1:
            for row in cells.values():
                row["raw"] = row.get("raw", 0) + row.get("D1", 0)
    if not cells:
        return pd.DataFrame()
    order = [c for c, _ in FUNNEL]
    frame = pd.DataFrame.from_dict(cells, orient="index").fillna(0).astype("int64")
    frame = frame[[c for c in order if c in frame.columns]].sort_index()
    frame.loc["TOTAL"] = frame.sum()
    frame.index.name = "domain"
    return frame


def removal_reasons(manifests: dict[str, dict]) -> pd.DataFrame:
    """Documents removed per (dataset, reason) and domain, from the manifests."""
    rows = []
    for dataset in R.DATASETS:
        manifest = manifests.get(dataset)
        if not manifest:
            continue
        for domain, bucket in manifest.get("per_domain", {}).items():
            for reason, n in bucket.get("removed", {}).items():
                rows.append({"dataset": dataset, "reason": reason, "domain": domain, "removed": n})
    if not rows:
        return pd.DataFrame()
    frame = pd.DataFrame(rows).pivot_table(
        index=["dataset", "reason"], columns="domain", values="removed", aggfunc="sum", fill_value=0
    )
    frame["TOTAL"] = frame.sum(axis=1)
    return frame


def languages(run: str) -> pd.DataFrame:
    """Detected language per domain: documents kept by Dataset-1 and removed by language ID
    (columns ``kept`` and ``removed``, both always present; rows (domain, lang))."""
    kept = R.kept(run, DATASET_1)
    if S.LANG not in R.columns_of(kept, [S.LANG]):
        return pd.DataFrame()
    counts = R.count_by(kept, [S.DOMAIN, S.LANG]).to_pandas().assign(status="kept")
    removed = R.count_by(
        R.ledger(run, DATASET_1), [S.DOMAIN, S.DETAIL], pc.field(S.STAGE) == S.STAGE_LANGID
    ).to_pandas()
    removed = removed.rename(columns={S.DETAIL: S.LANG}).assign(status="removed")
    frame = pd.concat([counts, removed], ignore_index=True)
    frame[S.LANG] = frame[S.LANG].fillna("?")
    table = frame.pivot_table(
        index=[S.DOMAIN, S.LANG], columns="status", values="count", aggfunc="sum", fill_value=0
    )
    # both columns, also when language ID removed nothing (or nothing was kept)
    table = table.reindex(columns=["kept", "removed"], fill_value=0)
    return table.sort_values([S.DOMAIN, "kept"], ascending=[True, False])


def final_dataset(run: str) -> str | None:
    """The last finished dataset of the run (``dataset-3``, else ``dataset-2``, ...)."""
    done = [d for d in R.DATASETS if R.finished(run, d)]
    return done[-1] if done else None


def length_histograms(run: str) -> dict[str, pd.DataFrame]:
    """Histograms of document length (characters) per domain, over :data:`LENGTH_EDGES`.

    ``before``: every document Dataset-1 read (kept ones and its ledger); ``after``: the kept
    documents of the last finished dataset. Frames: one row per bin (``left`` edge), one column
    per domain, plus ``TOTAL``."""
    out = {}
    last = final_dataset(run)
    if last is None:
        return out
    sources = {
        "before": [(R.kept(run, DATASET_1), S.N_CHARS), (R.ledger(run, DATASET_1), "len(text)")],
        "after": [(R.kept(run, last), S.N_CHARS)],
    }
    for label, parts in sources.items():
        counts: dict[str, np.ndarray] = {}
        for dataset, value in parts:
            column = S.TEXT if value == "len(text)" else value
            if column not in R.columns_of(dataset, [column]):
                column, value = S.TEXT, "len(text)"
            for batch in R.batches(dataset, [S.DOMAIN, column]):
                lengths = batch.column(column)
                if value == "len(text)":
                    lengths = pc.utf8_length(lengths)
                lengths = np.asarray(pc.fill_null(lengths, 0).to_numpy(zero_copy_only=False))
                domains = np.asarray(batch.column(S.DOMAIN).to_numpy(zero_copy_only=False))
                for domain in np.unique(domains):
                    hist, _ = np.histogram(lengths[domains == domain], bins=LENGTH_EDGES)
                    counts[domain] = counts.get(domain, 0) + hist
        frame = pd.DataFrame(counts, index=pd.Index(LENGTH_EDGES[:-1], name="left"))
        frame = frame[sorted(frame.columns)]
        frame["TOTAL"] = frame.sum(axis=1)
        out[label] = frame
    return out


def min_chars(manifests: dict[str, dict]) -> int | None:
    """The length rule's threshold recorded in Dataset-1's config."""
    config = manifests.get(DATASET_1, {}).get("config", {})
    value = config.get("length", {}).get("min_chars")
    return int(value) if value is not None else None
