"""Language ID on a bounded prefix: agreement with the full text, and the engine's CPU time.

    .venv/bin/python -m bench.langid_prefix [--engine cld2] [--prefixes 500,1000,2000,4000,8000]

For every document of the shared corpus (``corpus/*/part-*.jsonl.gz``) and every text of the
gold set (``langid/sentences.tsv``, ``langid/words.tsv``), the engine is run on the cleaned first
``P`` characters (:func:`curation.stages.langid.clean_for_detection`) for each prefix ``P``, on
the reference preset's ``langid.max_chars`` and on the whole text. Compared with the reference
preset's prefix: the language, the reliable flag, the score, and the Dataset-1 decision of the
language rule (kept in which routed domain, or removed) under the reference preset. Prints a
Markdown table; the CPU seconds are the engine's only (same process, one after another).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import time

from bench.machine_load import shared_data_dir


def _decision(cfg, src: str, lang: str, score: float) -> str:
    if not cfg.filters(src):
        return src
    if score < cfg.min_score or lang not in cfg.keep:
        return "removed"
    template = cfg.route.get(src)
    return template.replace("{lang}", lang) if template else src


def main(argv: list[str] | None = None) -> None:
    from curation.config import load_config
    from curation.stages.langid import clean_for_detection, get_engine

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--engine", default="cld2")
    ap.add_argument("--prefixes", default="500,1000,2000,4000,8000")
    args = ap.parse_args(argv)
    cfg = load_config("reference").langid
    engine = get_engine(args.engine)
    root = shared_data_dir()
    docs: list[tuple[str, str]] = []
    for path in sorted(root.glob("corpus/*/part-*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            docs += [(path.parent.name, json.loads(line)["text"]) for line in fh]
    gold: list[tuple[str, str]] = []
    for name in ("sentences.tsv", "words.tsv"):
        with open(root / "langid" / name, encoding="utf-8", newline="") as fh:
            rows = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            next(rows)
            gold += [(r[0], r[1]) for r in rows]

    def detect(texts: list[str], prefix: int):
        cleaned = [clean_for_detection(t, prefix) for t in texts]
        t0 = time.process_time()
        found = engine.detect(cleaned)
        return found, time.process_time() - t0

    texts, srcs = [t for _, t in docs], [s for s, _ in docs]
    base, base_s = detect(texts, cfg.max_chars)
    gold_texts, gold_langs = [t for _, t in gold], [g for g, _ in gold]
    gold_base, _ = detect(gold_texts, cfg.max_chars)
    whole = max(len(t) for t in texts) + 1
    print(f"{len(docs):,} corpus documents ({sum(map(len, texts)):,} characters, "
          f"{sum(len(t) > cfg.max_chars for t in texts)} longer than {cfg.max_chars:,}); "
          f"{len(gold):,} gold texts (longest {max(map(len, gold_texts))} characters); "
          f"engine {args.engine}; reference langid.max_chars = {cfg.max_chars:,}\n")  # fmt: skip
    print("| prefix (chars) | engine CPU s (vs reference) | language differs | reliable differs "
          "| score differs | language-rule decision differs | gold: language differs "
          "| gold accuracy |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    gold_acc = sum(a == b for a, b in zip(gold_base[0], gold_langs, strict=True))
    prefixes = [int(p) for p in args.prefixes.split(",")] + [cfg.max_chars, whole]
    for prefix in prefixes:
        found, secs = (base, base_s) if prefix == cfg.max_chars else detect(texts, prefix)
        g, _ = detect(gold_texts, prefix)
        n = len(texts)
        diff = [
            sum(a != b for a, b in zip(x, y, strict=True)) for x, y in zip(found, base, strict=True)
        ]
        decisions = sum(
            _decision(cfg, s, found[0][i], found[1][i]) != _decision(cfg, s, base[0][i], base[1][i])
            for i, s in enumerate(srcs)
        )  # fmt: skip
        label = "whole text" if prefix == whole else f"{prefix:,}"
        acc = sum(a == b for a, b in zip(g[0], gold_langs, strict=True))
        print(f"| {label} | {secs:.2f} ({secs / base_s:.2f}x) | {diff[0]} / {n:,} | {diff[2]} "
              f"| {diff[1]} | {decisions} | {sum(a != b for a, b in zip(g[0], gold_base[0], strict=True))} "
              f"| {acc:,} (reference {gold_acc:,}) / {len(gold):,} |")  # fmt: skip


if __name__ == "__main__":
    main()
