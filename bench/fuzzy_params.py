"""How fuzzy dedup's defaults were chosen: shingles and bands x rows measured on the shared
corpus's cc domain (22k real documents, 401 planted near-exact variants), in one process.

For each setting: the planted variants' true Jaccard with their original (recall after
verification), the LSH's recall of brute force's pairs (every pair at or above the threshold,
all pairs compared), the candidate pairs the bands produce (verification work) and the time of
shingles + MinHash + band keys. Prints a Markdown table; not a test.

    .venv/bin/python bench/fuzzy_params.py [--threshold 0.8]
"""

from __future__ import annotations

import argparse
import gzip
import json
import time

import pyarrow as pa
from machine_load import machine_busy_s, own_cpu_s, shared_data_dir

from curation import schema as S
from curation.config import FuzzyDedupConfig
from curation.stages import fuzzy_dedup as FD
from curation.stages import fuzzy_reference as R
from curation.stages import minhash


def _cc() -> tuple[pa.Table, list[dict]]:
    root = shared_data_dir() / "corpus"
    rows = []
    for path in sorted((root / "cc").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            rows += [json.loads(line) for line in fh]
    table = pa.table(
        {
            S.ID: [r["id"] for r in rows],
            S.DOMAIN: ["cc"] * len(rows),
            S.TEXT: [r["text"] for r in rows],
        }
    )
    with gzip.open(root / "GROUND_TRUTH.jsonl.gz", "rt") as fh:
        truth = [json.loads(line) for line in fh]
    return table, [t for t in truth if t["kind"] == "near-exact"]


def _pairs(removals: pa.Table, ids: list[str]) -> set[tuple[str, str]]:
    """Same-component pairs (member, survivor)."""
    return set(zip(removals[S.ID].to_pylist(), removals[S.DUPLICATE_OF].to_pylist(), strict=True))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument(
        "--settings",
        default="word:5:20:5,word:5:14:8,word:5:9:13,word:3:20:5,char:5:20:5,char:24:20:13",
        help="shingle:ngram:bands:rows, comma-separated",
    )
    args = ap.parse_args()
    table, near = _cc()
    text = dict(zip(table[S.ID].to_pylist(), table[S.TEXT].to_pylist(), strict=True))
    long_enough = [i for i, t in text.items() if len(t) >= 150]
    docs = table.filter(pa.array([len(t) >= 150 for t in table[S.TEXT].to_pylist()]))
    print(
        f"cc: {table.num_rows} documents, {docs.num_rows} of >= 150 characters; "
        f"{len(near)} planted near-exact variants"
    )
    settings = [
        (k, int(n), int(b), int(r))
        for k, n, b, r in (item.split(":") for item in args.settings.split(","))
    ]
    print(
        "| shingles | bands x rows | P(cand) at t | variants J>=t | variants J>=t (>=150 ch) "
        "| LSH / brute pairs | candidate pairs | hash s | load |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for shingle, n, b, r in settings:
        cfg = FuzzyDedupConfig(enabled=True, shingle=shingle, ngram=n, bands=b, rows=r,
                               threshold=args.threshold)  # fmt: skip
        jac = minhash.jaccard_pairs([text[t["id"]] for t in near],
                                    [text[t["copy_of"]] for t in near], cfg)  # fmt: skip
        ok = sum(j >= args.threshold for j in jac)
        ok_long = sum(j >= args.threshold for j, t in zip(jac, near, strict=True)
                      if len(text[t["id"]]) >= 150 and len(text[t["copy_of"]]) >= 150)  # fmt: skip
        n_long = sum(len(text[t["id"]]) >= 150 and len(text[t["copy_of"]]) >= 150 for t in near)
        busy0, own0, t0 = machine_busy_s(), own_cpu_s(), time.perf_counter()
        bands = FD.band_rows(docs, cfg)
        wall = time.perf_counter() - t0
        load = (machine_busy_s() - busy0 - (own_cpu_s() - own0)) / wall
        candidates = FD.candidate_edges(bands, cfg.all_pairs_up_to).num_rows
        brute = R.brute_force(docs, cfg)
        lsh = R.lsh_reference(docs, cfg)
        found = len(_pairs(lsh, long_enough) & _pairs(brute, long_enough))
        p = minhash.candidate_probability(args.threshold, b, r)
        print(
            f"| {shingle} {n} | {b} x {r} | {p:.4f} | {ok}/{len(near)} | {ok_long}/{n_long} "
            f"| {found}/{len(brute)} | {candidates} | {wall:.2f} | {load:.1f} |"
        )


if __name__ == "__main__":
    main()
