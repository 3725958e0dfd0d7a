"""Benchmark (issue 3, part a): embedding docs/s on CPU, ``embed_texts`` vs a plain ``encode``.

    .venv/bin/python bench/bench_embed.py                   # 480 docs, 3 repeats, all settings
    .venv/bin/python bench/bench_embed.py --docs 120 --repeats 1      # smoke check, ~1 min
    .venv/bin/python bench/bench_embed.py --render runs/bench/results/bench-embed.json

Texts: Dataset-1-like documents from the shared corpus (``$CURATION_SHARED_DATA/corpus``): texts
of 150+ characters, cc kept only where its declared language is ru or en, exact duplicates
dropped; a fixed-seed sample of ``--docs`` documents of which ``--variant-pairs`` are the corpus's
planted near-exact variants together with their originals (so that the sample holds pairs above
the SemDedup thresholds, as a real cluster would). Both sides cut documents at
``--max-seq-length`` tokens (256) and use the shipped model (builtin all-MiniLM-L6-v2).

* **plain**: ``SentenceTransformer(path).encode(texts, batch_size=32)`` in fp32 - what a user
  would write (it already sorts the texts by length);
* **ours**: :func:`curation.stages.embed.embed_texts` with several settings (precision fp32 /
  bf16 / int8, CPU batch size); each setting has its own model, loaded and warmed up once.

Every repeat runs every setting once, in turn (alternating), on the same texts in the same
process (before each timed run the script waits up to ``--wait-idle`` s for other processes to
go idle); the table gives the median docs/s over repeats and the ratio to plain (of the medians,
and the median of the per-repeat ratios). Quality, per
setting, against the plain fp32 vectors: the largest ``1 - cos`` between a document's two vectors,
the largest change of any pairwise cosine, and for each eps the set of pairs with cosine >
1 - eps (the SemDedup rule): its size, Jaccard / precision / recall of the setting's set against
the plain fp32 set, and how close to the threshold the plain cosine of every pair that changed
sides was (a change of the pair set is only a tolerance question when that margin is below the
largest pairwise cosine change). The machine's other load during each timed run is recorded (CPU
seconds of other processes per second, from /proc/stat).

Results: Markdown on stdout and ``runs/bench/results/bench-embed.{json,md}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from machine_load import machine_busy_s, wait_idle

REPO = Path(__file__).resolve().parents[1]
MODEL = "builtin:all-MiniLM-L6-v2"
EPS = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3)
SETTINGS = {  # name -> embed config overrides
    "ours fp32 b32": {"precision": "fp32", "batch_size": 32},
    "ours fp32 b8": {"precision": "fp32", "batch_size": 8},
    "ours bf16 b32": {"precision": "bf16", "batch_size": 32},
    "ours bf16 b16": {"precision": "bf16", "batch_size": 16},
    "ours bf16 b8": {"precision": "bf16", "batch_size": 8},
    "ours int8 b8": {"precision": "int8", "batch_size": 8},
}
PLAIN = "plain encode fp32 b32"


# --- texts -----------------------------------------------------------------------------------------


def _read_jsonl_gz(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_texts(shared: Path, n_docs: int, n_pairs: int, seed: int) -> tuple[list[str], dict]:
    """A Dataset-1-like sample: ``n_pairs`` (variant, original) pairs + random documents."""
    corpus = shared / "corpus"
    langs = {d["id"]: d["lang"] for d in _read_jsonl_gz(corpus / "LANGS.jsonl.gz")}
    docs: dict[str, str] = {}
    seen: set[bytes] = set()
    for path in sorted(corpus.glob("*/*.jsonl.gz")):
        for d in _read_jsonl_gz(path):
            text = d["text"]
            if len(text) < 150:
                continue
            if path.parent.name == "cc" and langs.get(d["id"]) not in ("ru", "en"):
                continue
            md5 = hashlib.md5(text.encode("utf-8")).digest()
            if md5 in seen:
                continue
            seen.add(md5)
            docs[d["id"]] = text
    truth = _read_jsonl_gz(corpus / "GROUND_TRUTH.jsonl.gz")
    pairs = sorted(
        (t["id"], t["copy_of"])
        for t in truth
        if t["kind"] == "near-exact" and t["id"] in docs and t["copy_of"] in docs
    )
    rng = random.Random(seed)
    chosen = rng.sample(pairs, min(n_pairs, len(pairs)))
    picked = list(dict.fromkeys(i for pair in chosen for i in pair))
    rest = sorted(set(docs) - set(picked))
    picked += rng.sample(rest, max(0, n_docs - len(picked)))
    rng.shuffle(picked)
    texts = [docs[i] for i in picked]
    info = {
        "pool_docs": len(docs),
        "docs": len(texts),
        "variant_pairs": len(chosen),
        "chars_mean": round(float(np.mean([len(t) for t in texts])), 1),
        "chars_median": float(np.median([len(t) for t in texts])),
        "seed": seed,
    }
    return texts, info


# --- machine load ----------------------------------------------------------------------------------


def timed(fn) -> tuple[Any, dict[str, float]]:
    """Run ``fn``; wall seconds, own CPU seconds, and other processes' load (cores)."""
    b0, c0, t0 = machine_busy_s(), time.process_time(), time.perf_counter()
    out = fn()
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    others = max(0.0, (machine_busy_s() - b0) - cpu) / wall if wall > 0 else 0.0
    return out, {"wall_s": wall, "cpu_s": cpu, "others_load": others}


# --- quality ---------------------------------------------------------------------------------------


def _pairs_above(cos: np.ndarray, threshold: float) -> set[tuple[int, int]]:
    i, j = np.nonzero(np.triu(cos > threshold, 1))
    return set(zip(i.tolist(), j.tolist(), strict=True))


def quality(ref: np.ndarray, fast: np.ndarray) -> dict[str, Any]:
    """How far ``fast`` is from the reference vectors, and what the SemDedup rule would flag."""
    cos_ref = ref @ ref.T
    cos_fast = fast @ fast.T
    upper = np.triu_indices(len(ref), 1)
    diff = np.abs(cos_ref - cos_fast)[upper]
    self_cos = np.einsum("ij,ij->i", ref, fast)
    out: dict[str, Any] = {
        "max_1_minus_self_cos": float((1 - self_cos).max()),
        "median_1_minus_self_cos": float(np.median(1 - self_cos)),
        "max_abs_pair_cos_diff": float(diff.max()),
        "p99_abs_pair_cos_diff": float(np.percentile(diff, 99)),
        "eps": {},
    }
    for eps in EPS:
        a = _pairs_above(cos_ref, 1 - eps)
        b = _pairs_above(cos_fast, 1 - eps)
        both = len(a & b)
        changed = sorted(a ^ b)
        margin = max((abs(cos_ref[i, j] - (1 - eps)) for i, j in changed), default=0.0)
        out["eps"][str(eps)] = {
            "ref_pairs": len(a),
            "pairs": len(b),
            "changed_pairs": len(changed),
            "max_ref_margin_of_changed": float(margin),
            "jaccard": both / len(a | b) if a | b else 1.0,
            "precision": both / len(b) if b else 1.0,
            "recall": both / len(a) if a else 1.0,
        }
    return out


# --- the runs --------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from curation.config import load_config
    from curation.stages import embed as stage

    shared = Path(args.shared).resolve()
    texts, text_info = load_texts(shared, args.docs, args.variant_pairs, args.seed)
    settings = {k: v for k, v in SETTINGS.items() if not args.only or k in args.only}
    base = [f"embed.model={MODEL}", "embed.prefix=", f"embed.max_seq_length={args.max_seq_length}"]
    if args.threads:
        base.append(f"embed.threads={args.threads}")
    cfgs = {
        name: load_config("demo", base + [f"embed.{k}={v}" for k, v in over.items()]).embed
        for name, over in settings.items()
    }
    # plain: what a user would write, with its own model object
    from sentence_transformers import SentenceTransformer

    plain_model = SentenceTransformer(stage.model_source(MODEL), device="cpu")
    plain_model.max_seq_length = args.max_seq_length

    def plain(batch: list[str]) -> np.ndarray:
        return plain_model.encode(batch, batch_size=32, show_progress_bar=False)

    runners = {PLAIN: plain}
    for name, cfg in cfgs.items():
        runners[name] = lambda batch, cfg=cfg: stage.embed_texts(batch, cfg, "cpu")
    enc = plain_model.tokenizer(texts, truncation=True, max_length=args.max_seq_length)
    lengths = np.fromiter((len(ids) for ids in enc["input_ids"]), np.int64, len(texts))
    print(
        f"{len(texts)} docs, tokens: median {np.median(lengths):.0f}, mean {lengths.mean():.0f}, "
        f"{(lengths >= args.max_seq_length).mean():.0%} cut at {args.max_seq_length}; "
        f"torch threads {torch.get_num_threads()}",
        file=sys.stderr,
    )
    for fn in runners.values():  # load + warm up (one-time kernel set-up is not measured)
        fn(texts[:16])
    vectors: dict[str, np.ndarray] = {}
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in runners}
    order = list(runners)
    for rep in range(args.repeats):
        names = order if rep % 2 == 0 else order[::-1]  # alternate, and reverse every other pass
        for name in names:
            idle_before = wait_idle(args.wait_idle) if args.wait_idle > 0 else None
            out, t = timed(lambda name=name: runners[name](texts))
            t["others_load_before"] = idle_before
            t["docs_per_s"] = len(texts) / t["wall_s"]
            runs[name].append(t)
            vectors.setdefault(name, np.asarray(out, dtype=np.float32))
            print(
                f"repeat {rep + 1}/{args.repeats} {name:<24} {t['docs_per_s']:7.1f} docs/s "
                f"(others' load {t['others_load']:.2f} cores)",
                file=sys.stderr,
            )
    ref = vectors[PLAIN]
    results = {}
    plain_median = statistics.median(r["docs_per_s"] for r in runs[PLAIN])
    plain_quiet = _quiet_median(runs[PLAIN])
    for name in runners:
        rates = [r["docs_per_s"] for r in runs[name]]
        quiet = _quiet_median(runs[name])
        paired = [
            r["docs_per_s"] / p["docs_per_s"] for r, p in zip(runs[name], runs[PLAIN], strict=True)
        ]
        results[name] = {
            "runs": runs[name],
            "docs_per_s": statistics.median(rates),
            "docs_per_s_min": min(rates),
            "docs_per_s_max": max(rates),
            "speedup": statistics.median(rates) / plain_median,
            "speedup_paired_median": statistics.median(paired),
            "docs_per_s_quiet": quiet,
            "speedup_quiet": quiet / plain_quiet if quiet and plain_quiet else None,
            "quality": quality(ref, vectors[name]),
        }
    return {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": _machine(),
        "texts": text_info
        | {
            "tokens_median": float(np.median(lengths)),
            "tokens_mean": float(lengths.mean()),
            "cut_fraction": float((lengths >= args.max_seq_length).mean()),
        },
        "params": {
            "docs": args.docs,
            "repeats": args.repeats,
            "max_seq_length": args.max_seq_length,
            "threads": torch.get_num_threads(),
            "model": MODEL,
            "settings": settings,
        },
        "results": results,
    }


QUIET = 0.1
"""A timed run is *quiet* when other processes used less than this many cores during it."""


def _quiet_median(runs: list[dict[str, float]]) -> float | None:
    rates = [r["docs_per_s"] for r in runs if r["others_load"] < QUIET]
    return statistics.median(rates) if rates else None


def _machine() -> dict[str, Any]:
    import sentence_transformers
    import torch

    from curation.embedders.transformer import cpu_has_native_bf16

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "native_bf16": cpu_has_native_bf16(),
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "sentence_transformers": sentence_transformers.__version__,
    }


# --- report ----------------------------------------------------------------------------------------


def render(res: dict[str, Any]) -> str:
    m, p, t = res["machine"], res["params"], res["texts"]
    lines = [
        f"## Embedding throughput on CPU ({res['date']})",
        "",
        f"{m['cpu']}, {m['cores']} cores, native bf16: {m['native_bf16']}, torch {m['torch']} "
        f"({p['threads']} threads), sentence-transformers {m['sentence_transformers']}. "
        f"Model {p['model']}, max_seq_length {p['max_seq_length']}.",
        f"Texts: {t['docs']} Dataset-1-like documents ({t['variant_pairs']} near-exact variant "
        f"pairs), median {t['chars_median']:.0f} chars, median {t['tokens_median']:.0f} tokens, "
        f"{t['cut_fraction']:.0%} cut at {p['max_seq_length']}. Median of {p['repeats']} "
        "alternating runs.",
        "",
        "| setting | docs/s (min-max) | vs plain | paired | quiet runs: docs/s, vs plain (n) | "
        "max 1-cos(self) | max abs pair cos diff | flagged pairs eps 0.1 / 0.2 / 0.3 (plain) | "
        "Jaccard eps 0.1 / 0.2 / 0.3 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in res["results"].items():
        q = r["quality"]
        e = [q["eps"][k] for k in ("0.1", "0.2", "0.3")]
        n_quiet = sum(x["others_load"] < QUIET for x in r["runs"])
        rate, plain_rate = _quiet_median(r["runs"]), _quiet_median(res["results"][PLAIN]["runs"])
        quiet = f"{rate:.1f}, {rate / plain_rate:.2f}x ({n_quiet})" if rate and plain_rate else "-"
        lines.append(
            f"| {name} | {r['docs_per_s']:.1f} ({r['docs_per_s_min']:.1f}-"
            f"{r['docs_per_s_max']:.1f}) | {r['speedup']:.2f}x | {r['speedup_paired_median']:.2f}x "
            f"| {quiet} "
            f"| {q['max_1_minus_self_cos']:.2e} | {q['max_abs_pair_cos_diff']:.2e} | "
            + " / ".join(f"{x['pairs']} ({x['ref_pairs']})" for x in e)
            + " | "
            + " / ".join(f"{x['jaccard']:.3f}" for x in e)
            + " |"
        )
    lines += [
        "",
        "Flagged-pair agreement with plain fp32, all eps: Jaccard / precision / recall (pairs vs "
        "plain pairs; pairs that changed side, and the largest distance of their plain cosine "
        "from 1 - eps):",
        "",
        "| setting | " + " | ".join(f"eps {e}" for e in EPS) + " |",
        "|---|" + "---|" * len(EPS),
    ]
    for name, r in res["results"].items():
        cells = []
        for e in EPS:
            x = r["quality"]["eps"][str(e)]
            cells.append(
                f"{x['jaccard']:.3f} / {x['precision']:.3f} / {x['recall']:.3f} "
                f"({x['pairs']} vs {x['ref_pairs']}; {x['changed_pairs']} changed"
                + (f", within {x['max_ref_margin_of_changed']:.1e})" if x["changed_pairs"] else ")")
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    others = max(x["others_load"] for r in res["results"].values() for x in r["runs"])
    lines += [
        "",
        f'Largest load of other processes during a timed run: {others:.2f} cores. "vs plain" ='
        ' ratio of the medians; "paired" = median of the per-repeat ratios; "quiet runs" ='
        f" medians over the runs during which other processes used < {QUIET} cores.",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    default_shared = os.environ.get("CURATION_SHARED_DATA", str(REPO.parent / "shared" / "data"))
    ap.add_argument("--shared", default=default_shared, help="shared data folder")
    ap.add_argument("--docs", type=int, default=480)
    ap.add_argument("--variant-pairs", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--max-seq-length", type=int, default=256)
    ap.add_argument("--threads", type=int, default=0, help="torch threads for ours (0 = default)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--wait-idle",
        type=float,
        default=60,
        metavar="S",
        help="before each timed run, wait up to S s for other processes to go idle (0: no wait)",
    )
    ap.add_argument("--only", action="append", help="only these settings (repeatable)")
    ap.add_argument("--out", default=str(REPO / "runs" / "bench" / "results"))
    ap.add_argument("--label", default="", help="appended to the result file names")
    ap.add_argument("--render", metavar="JSON", help="print the Markdown of a saved result")
    args = ap.parse_args()
    if args.render:
        print(render(json.loads(Path(args.render).read_text())))
        return 0
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    res = run(args)
    md = render(res)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = f"bench-embed{'-' + args.label if args.label else ''}"
    (out / f"{name}.json").write_text(json.dumps(res, indent=2) + "\n")
    (out / f"{name}.md").write_text(md)
    print(md)
    print(f"results: {out / name}.json, .md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
