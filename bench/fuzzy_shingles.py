"""Character vs word shingles for fuzzy dedup (issue 14), on the shared corpus's cc domain: its
documents of at least 150 characters (what fuzzy dedup sees after the length filter) and the
planted near-exact variants (case / punctuation / whitespace changes) among them.

For each setting, the in-process rule (:func:`curation.stages.fuzzy_reference.lsh_reference`,
the same rule as the Spark stage): planted pairs at true Jaccard >= threshold under that
shingling, planted pairs found (both ends in one component), documents removed, how many of
those removals the word 5-gram setting (the default) also makes, and seconds (shingles + MinHash
+ band keys; the whole rule with verification) with the machine's load. Brute force is not run:
with character shingles every pair of documents shares some shingles. ``--docs N`` (default
1,500) keeps the planted pairs' documents and the first N others by id, so that character
shingles finish in minutes on 2 cores. Prints a Markdown table.

    .venv/bin/python bench/fuzzy_shingles.py [--settings word:5:20:5,char:5:20:5,...]
"""

from __future__ import annotations

import argparse
import time

import pyarrow as pa
from fuzzy_params import _cc
from machine_load import machine_busy_s, own_cpu_s

from curation import schema as S
from curation.config import FuzzyDedupConfig
from curation.stages import fuzzy_dedup as FD
from curation.stages import fuzzy_reference as R
from curation.stages import minhash


def _timed(fn):
    busy0, own0, t0 = machine_busy_s(), own_cpu_s(), time.perf_counter()
    out = fn()
    wall = time.perf_counter() - t0
    return out, wall, (machine_busy_s() - busy0 - (own_cpu_s() - own0)) / wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--docs", type=int, default=1500,
                    help="documents besides the planted pairs' (first by id; 0: all)")  # fmt: skip
    ap.add_argument("--settings", default="word:5:20:5,char:5:20:5,char:24:20:5,char:24:20:13",
                    help="shingle:ngram:bands:rows, comma-separated; the first is the baseline")  # fmt: skip
    args = ap.parse_args()
    table, near = _cc()
    keep = pa.array([len(t) >= 150 for t in table[S.TEXT].to_pylist()])
    docs = table.filter(keep)
    text = dict(zip(docs[S.ID].to_pylist(), docs[S.TEXT].to_pylist(), strict=True))
    pairs = [(t["id"], t["copy_of"]) for t in near if t["id"] in text and t["copy_of"] in text]
    if args.docs > 0:
        chosen = {i for p in pairs for i in p}
        chosen |= set(sorted(set(text) - chosen)[: args.docs])
        docs = docs.filter(pa.array([i in chosen for i in docs[S.ID].to_pylist()]))
    print(f"cc: {docs.num_rows} documents of >= 150 characters; {len(pairs)} planted near-exact "
          f"pairs with both texts among them; threshold {args.threshold}")  # fmt: skip
    print("| shingles | bands x rows | planted J>=t | planted found | removed | also removed by "
          "the first | hash s | rule s | load |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    baseline = None
    for item in args.settings.split(","):
        shingle, n, b, r = item.split(":")
        cfg = FuzzyDedupConfig(enabled=True, shingle=shingle, ngram=int(n), bands=int(b),
                               rows=int(r), threshold=args.threshold)  # fmt: skip
        jac = minhash.jaccard_pairs([text[a] for a, _ in pairs], [text[c] for _, c in pairs], cfg)
        _, hash_s, _ = _timed(lambda cfg=cfg: FD.band_rows(docs, cfg))
        removals, rule_s, load = _timed(lambda cfg=cfg: R.lsh_reference(docs, cfg))
        survivor = dict(zip(removals[S.ID].to_pylist(), removals[S.DUPLICATE_OF].to_pylist(),
                            strict=True))  # fmt: skip
        at_t = [(a, c) for (a, c), j in zip(pairs, jac, strict=True) if j >= args.threshold]
        found = sum(survivor.get(a, a) == survivor.get(c, c) for a, c in pairs)
        removed = set(survivor)
        baseline = removed if baseline is None else baseline
        print(f"| {shingle} {n} | {b} x {r} | {len(at_t)}/{len(pairs)} | {found}/{len(pairs)} "
              f"| {len(removed)} | {len(removed & baseline)} | {hash_s:.1f} | {rule_s:.1f} "
              f"| {load:.1f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
