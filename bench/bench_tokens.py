"""Benchmark (issue 5): tokens/s of the token stage on 2 workers vs a plain ``encode_batch`` loop.

    .venv/bin/python bench/bench_tokens.py                     # whole shared corpus, 3 repeats
    .venv/bin/python bench/bench_tokens.py --fraction 0.2 --repeats 1   # smoke check, ~1 min

Input: every document of the shared corpus (``$CURATION_SHARED_DATA/corpus``, 25,487 documents,
~77 M characters) written once as a finished dataset folder (``runs/bench/tokens/run/dataset-1``,
files of about ``--file-mb`` MB per domain, as Spark would leave them). The tokenizer: byte-level
BPE of ``--vocab`` tokens (the reference's 40k) trained once on ``--train-mb`` MB of it and saved;
every side uses that file.

Per repeat, in turn, on the same files:

* **plain, 1 thread**: read each file's texts with pyarrow, ``Tokenizer.encode_batch`` over
  batches of 256, count the tokens - nothing written (``TOKENIZERS_PARALLELISM=false``: a plain
  single-process loop);
* **plain, Rust threads**: the same loop with the tokenizers library's own thread pool on (it
  parallelises ``encode_batch`` over the machine's cores) - for reference;
* **ours**: ``curation.pipeline.tokens.run`` with ``tokens.workers`` processes (default 2): the
  whole stage - tokenizer loaded per worker, every file tokenized, documents shuffled, sequences
  of ``--context-length`` cut and written as shards with their indexes, efficiency report,
  mixture, manifest. It does everything the plain loop does and more;
* **ours on Spark** (``--spark``): the same stage on the Spark engine, ``local[--workers]`` (the
  session started once before the repeats, not timed; the JVM's CPU is not in "own cores"). The
  benchmark fails unless every run of ours wrote the same shard bytes.

Tokens/s = the tokenizer's output tokens (``<eos>`` and padding not counted) / wall seconds. The
table gives medians (min-max) over repeats and the ratio of medians. The load other processes
put on the machine during each run is recorded (cores busy beyond this benchmark's processes).

Results: Markdown on stdout and ``runs/bench/results/bench-tokens.{json,md}``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from curation import tokenizer as TOK
from curation.config import load_config
from curation.pipeline import tokens
from curation.run_layout import StageDir
from curation.storage import LocalStorage, local_path, normalize_uri

REPO = Path(__file__).resolve().parents[1]

BATCH = 256


def shared_dir(arg: str | None) -> Path:
    default = os.environ.get("CURATION_SHARED_DATA", str(REPO.parent / "shared" / "data"))
    return Path(arg or default).resolve()


# --- input ---------------------------------------------------------------------------------------


def build_dataset(shared: Path, run: Path, fraction: float, file_mb: float) -> dict:
    """The shared corpus as ``<run>/dataset-1`` (reused when built with the same parameters)."""
    params = {"shared": str(shared), "fraction": fraction, "file_mb": file_mb}
    marker = run / "dataset-1" / "_bench_input.json"
    if marker.is_file() and json.loads(marker.read_text()) == params:
        return params
    stage = StageDir(LocalStorage(), normalize_uri(run), "dataset-1")
    out = local_path(stage.begin())
    n = 0
    for folder in sorted(p for p in (shared / "corpus").iterdir() if p.is_dir()):
        docs = []
        for path in sorted(folder.glob("*.jsonl.gz")):
            with gzip.open(path, "rt", encoding="utf-8") as f:
                docs += [json.loads(line) for line in f if line.strip()]
        docs = docs[: max(1, int(len(docs) * fraction))]
        size = sum(len(d["text"].encode()) for d in docs)
        parts = max(2, round(size / (file_mb * 1e6)))
        dest = out / "data" / f"domain={folder.name}"
        dest.mkdir(parents=True)
        for k in range(parts):
            chunk = docs[k::parts]
            table = pa.table(
                {
                    "id": [d["id"] for d in chunk],
                    "domain": [folder.name] * len(chunk),
                    "text": [d["text"] for d in chunk],
                }
            )
            pq.write_table(table, dest / f"part-{k:05d}.parquet", compression="zstd")
        n += len(docs)
    (out / "_bench_input.json").write_text(json.dumps(params))
    stage.commit({"stage": "dataset-1", "rows_in": n, "rows_out": n}, f"bench-{fraction}")
    return params


def files_of(run: Path) -> list[Path]:
    return sorted((run / "dataset-1" / "data").glob("domain=*/*.parquet"))


def train_tokenizer(run: Path, path: Path, vocab: int, train_mb: float) -> None:
    if path.is_file() and TOK.vocab_size(TOK.load_tokenizer(str(path))) >= min(vocab, 1000):
        return
    texts, n, _ = tokens._training_texts([str(f) for f in files_of(run)], int(train_mb * 1e6))
    tok = TOK.train_bpe(texts, vocab, length=n)
    TOK.with_specials(tok)
    path.parent.mkdir(parents=True, exist_ok=True)
    tok.save(str(path))


# --- the measured sides ----------------------------------------------------------------------------


def _busy_jiffies() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _own_cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def measured(fn) -> dict:
    """Run ``fn`` (returns tokens); wall seconds, tokens/s, own CPU cores and others' load."""
    cores = os.cpu_count() or 1
    busy0, total0 = _busy_jiffies()
    cpu0, t0 = _own_cpu(), time.perf_counter()
    n_tokens = fn()
    wall = time.perf_counter() - t0
    cpu = _own_cpu() - cpu0
    busy1, total1 = _busy_jiffies()
    busy_cores = (busy1 - busy0) / max(1, total1 - total0) * cores
    return {
        "tokens": n_tokens,
        "wall_s": wall,
        "tokens_per_s": n_tokens / wall,
        "own_cores": cpu / wall,
        "others_load": max(0.0, busy_cores - cpu / wall),
    }


def plain_loop(files: list[Path], tok_path: Path, threads: bool) -> int:
    os.environ["TOKENIZERS_PARALLELISM"] = "true" if threads else "false"
    tok = TOK.load_tokenizer(str(tok_path))
    n = 0
    for f in files:
        texts = pq.read_table(f, columns=["text"]).column("text").to_pylist()
        for i in range(0, len(texts), BATCH):
            n += sum(len(e.ids) for e in tok.encode_batch(texts[i : i + BATCH]))
    return n


def ours(run: Path, tok_path: Path, workers: int, context_length: int, spark=None) -> int:  # noqa: ANN001
    """The whole stage (local engine, or the Spark engine when ``spark`` is given)."""
    cfg = load_config(
        "reference",
        [
            "tokens.dataset=dataset-1",
            f"tokens.tokenizer={tok_path}",
            f"tokens.workers={workers}",
            f"tokens.context_length={context_length}",
            "run.force=true",
        ],
    )
    return tokens.run(str(run), cfg, spark)["tokens"]


def shard_digest(run: Path) -> str:
    """One hash of every shard and index file of ``<run>/tokens`` (names and bytes)."""
    h = hashlib.sha256()
    for f in sorted((run / "tokens").rglob("domain=*/*")):
        h.update(str(f.relative_to(run)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


# --- report ------------------------------------------------------------------------------------------


def _med(xs: list[float]) -> str:
    return f"{statistics.median(xs):,.0f} ({min(xs):,.0f}-{max(xs):,.0f})"


def render(result: dict) -> str:
    rows = result["runs"]
    names = list(rows)
    base = statistics.median(r["tokens_per_s"] for r in rows[names[0]])
    lines = [
        f"# bench-tokens: {result['documents']:,} documents, {result['tokens']:,} tokens, "
        f"vocab {result['vocab']:,}, N={result['context_length']}, {result['repeats']} repeats",
        "",
        f"machine: {result['machine']}",
        "",
        "| side | tokens/s median (min-max) | wall s median | own cores | others' load "
        "| x plain 1-thread |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in names:
        rs = rows[name]
        tps = statistics.median(r["tokens_per_s"] for r in rs)
        lines.append(
            f"| {name} | {_med([r['tokens_per_s'] for r in rs])} "
            f"| {statistics.median(r['wall_s'] for r in rs):.1f} "
            f"| {statistics.median(r['own_cores'] for r in rs):.2f} "
            f"| {statistics.median(r['others_load'] for r in rs):.2f} | {tps / base:.2f}x |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--shared", help="shared data folder (default $CURATION_SHARED_DATA)")
    ap.add_argument("--out", default=str(REPO / "runs" / "bench" / "tokens"))
    ap.add_argument("--fraction", type=float, default=1.0, help="share of each domain's docs")
    ap.add_argument("--file-mb", type=float, default=8.0, help="MB of text per dataset file")
    ap.add_argument("--vocab", type=int, default=40000)
    ap.add_argument("--train-mb", type=float, default=30.0)
    ap.add_argument("--context-length", type=int, default=4096)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-threaded", action="store_true", help="skip the Rust-threaded loop")
    ap.add_argument(
        "--spark", action="store_true", help="also the Spark engine on local[--workers]"
    )
    args = ap.parse_args(argv)

    shared = shared_dir(args.shared)
    if not (shared / "corpus").is_dir():
        print(f"shared data not found at {shared} (set CURATION_SHARED_DATA)", file=sys.stderr)
        return 2
    out = Path(args.out)
    run = out / "run"
    build_dataset(shared, run, args.fraction, args.file_mb)
    tok_path = out / f"tokenizer-{args.vocab}-{args.train_mb:g}mb-{args.fraction:g}.json"
    train_tokenizer(run, tok_path, args.vocab, args.train_mb)
    files = files_of(run)

    sides = {"plain encode_batch, 1 thread": lambda: plain_loop(files, tok_path, False)}
    if not args.no_threaded:
        sides["plain encode_batch, Rust threads"] = lambda: plain_loop(files, tok_path, True)
    sides[f"ours, {args.workers} workers (tokenize + shuffle + write)"] = lambda: ours(
        run, tok_path, args.workers, args.context_length
    )
    session = None
    if args.spark:
        from curation.config import SparkConfig
        from curation.spark.session import get_spark

        session = get_spark(
            SparkConfig(
                master=f"local[{args.workers}]",
                shuffle_partitions=2 * args.workers,
                app_name="bench-tokens",
            )
        )
        sides[f"ours, Spark local[{args.workers}] (session started before)"] = lambda: ours(
            run, tok_path, args.workers, args.context_length, session
        )
    runs: dict[str, list[dict]] = {name: [] for name in sides}
    digests = set()
    for r in range(args.repeats):
        for name, fn in sides.items():
            runs[name].append(measured(fn))
            if name.startswith("ours"):
                digests.add(shard_digest(run))
            print(
                f"repeat {r + 1}: {name}: {runs[name][-1]['tokens_per_s']:,.0f} tok/s", flush=True
            )
    if session is not None:
        session.stop()
    counts = {r["tokens"] for rs in runs.values() for r in rs}
    if len(counts) != 1:
        raise SystemExit(f"the sides counted different tokens: {sorted(counts)}")
    if len(digests) != 1:
        raise SystemExit("the engines (or repeats) wrote different shards")
    manifest = json.loads((run / "tokens" / "_MANIFEST.json").read_text())
    result = {
        "documents": manifest["documents"],
        "tokens": counts.pop(),
        "vocab": manifest["tokenizer"]["vocab_size"],
        "context_length": args.context_length,
        "repeats": args.repeats,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "runs": runs,
    }
    md = render(result)
    results = REPO / "runs" / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "bench-tokens.json").write_text(json.dumps(result, indent=1) + "\n")
    (results / "bench-tokens.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
