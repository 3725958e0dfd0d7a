"""Helpers for the token-stage tests: small dataset folders written as a finished stage."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from curation.run_layout import StageDir
from curation.storage import LocalStorage, local_path, normalize_uri


def write_dataset(
    run: Path,
    docs: dict[str, list[str]],
    name: str = "dataset-1",
    files_per_domain: int = 2,
    row_group_rows: int | None = None,
) -> None:
    """``<run>/<name>`` as a finished dataset: ``docs`` = domain -> texts (ids ``<domain>-<i>``),
    each file in row groups of ``row_group_rows`` (one row group when None).

    An empty list still writes the domain's folder (with an empty Parquet file)."""
    stage = StageDir(LocalStorage(), normalize_uri(run), name)
    out = local_path(stage.begin())
    for domain, texts in docs.items():
        folder = out / "data" / f"domain={domain}"
        folder.mkdir(parents=True)
        for k in range(files_per_domain):
            part = texts[k::files_per_domain]
            ids = [f"{domain}-{i}" for i in range(k, len(texts), files_per_domain)]
            table = pa.table(
                {"id": ids, "domain": [domain] * len(part), "text": part},
                schema=pa.schema(
                    [("id", pa.string()), ("domain", pa.string()), ("text", pa.string())]
                ),
            )
            pq.write_table(table, folder / f"part-{k:05d}.parquet", row_group_size=row_group_rows)
    n = sum(len(t) for t in docs.values())
    stage.commit({"stage": name, "rows_in": n, "rows_out": n, "removed": {}}, f"fp-{name}-{n}")
