"""``curation`` (or ``python -m curation``): look into a finished run.

    curation stats RUN                  every stage's manifest as a table
    curation explain RUN ID             the history of one document across the stages
    curation report RUN [--out FILE]    one self-contained HTML page (default RUN/report.html)
    curation compare-embedders [RUN] --pairs FILE ... [--model NAME ...]
                                        embedders side by side: pair separation, removal per
                                        domain on RUN's sample, domain mixing, docs/s
    curation semdedup-pairs --pairs FILE ... [--cross-clusters N --cross-margin M]
                                        SemDedup on labelled pairs: the share of duplicate pairs
                                        ever compared (ceiling) and precision/recall/F1 per eps,
                                        within clusters and with the cross-boundary pass

Exit status: 0 on success, 1 when ``explain`` does not know the id, 2 when the run is not a
finished run or an input is unusable (a message on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import logging
import sys

from curation.datasets import IncompleteDatasetError
from curation.errors import expected_message
from curation.logs import setup_logging
from curation.printable import for_terminal

log = logging.getLogger("curation")


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="curation", description="Look into a finished curation run.")
    sub = ap.add_subparsers(dest="command", required=True)
    stats = sub.add_parser("stats", help="every stage's manifest as a table")
    stats.add_argument("run", help="the run folder (local path, hdfs://, s3a:// ...)")
    explain = sub.add_parser("explain", help="why a document was kept or removed")
    explain.add_argument("run", help="the run folder")
    explain.add_argument("id", help="the document id")
    explain.add_argument("--width", type=int, default=110, help="output width (default 110)")
    explain.add_argument("--lines", type=int, default=12, help="text lines shown per document")
    report = sub.add_parser("report", help="write a self-contained HTML report")
    report.add_argument("run", help="the run folder")
    report.add_argument("--out", default=None, help="output file (default RUN/report.html)")
    compare = sub.add_parser(
        "compare-embedders",
        help="compare embedders: labelled pairs, removal per domain on a run's sample, speed",
    )
    compare.add_argument(
        "run", nargs="?", default=None, help="a run with a finished dataset-1 (optional)"
    )
    compare.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="NAME",
        help="an embed.model to compare (repeatable; default: the configured one and every "
        "builtin model)",
    )
    compare.add_argument(
        "--pairs",
        action="append",
        default=[],
        metavar="TSV",
        help="labelled pairs: TSV with header s1, s2, label (1 same meaning, 0 different)",
    )
    compare.add_argument("--config", default="demo", help="preset or YAML file (default: demo)")
    compare.add_argument(
        "--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="config override"
    )
    compare.add_argument(
        "--sample", type=int, default=2000, help="Dataset-1 documents sampled (default 2000)"
    )
    compare.add_argument(
        "--max-negative-rate",
        type=float,
        default=0.0,
        help="calibration: share of each file's different-meaning pairs the eps may flag "
        "(default 0: none)",
    )
    compare.add_argument(
        "--out", default=None, help="output folder (default RUN/compare-embedders)"
    )
    pairs = sub.add_parser(
        "semdedup-pairs",
        help="SemDedup on labelled pairs: ceiling and precision/recall per eps, with and without "
        "the cross-boundary pass",
    )
    pairs.add_argument(
        "--pairs", action="append", required=True, metavar="TSV",
        help="labelled pairs: TSV with header s1, s2, label (1 = duplicates); every distinct "
        "sentence of a file is a document (repeatable)",
    )  # fmt: skip
    pairs.add_argument("--config", default="demo", help="preset or YAML file (default: demo)")
    pairs.add_argument(
        "--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="config override"
    )
    pairs.add_argument(
        "--cross-clusters", type=int, default=None,
        help="the pass to measure against within-cluster SemDedup (default: the config's "
        "semdedup.cross_clusters, or 2 when it is off)",
    )  # fmt: skip
    pairs.add_argument(
        "--cross-margin", type=float, default=None,
        help="its margin (default: the config's semdedup.cross_margin)",
    )  # fmt: skip
    pairs.add_argument("--json", default=None, help="also write the full result here")
    return ap


def _semdedup_pairs(args: argparse.Namespace) -> None:
    """The semdedup-pairs command: embed, cluster, measure, print Markdown (and write JSON)."""
    import json

    import numpy as np

    from curation.config import load_config
    from curation.device import resolve_device
    from curation.embedders import get_embedder
    from curation.embedders import pairs as P
    from curation.stages import semdedup_cross as cross
    from curation.stages import semdedup_pairs as SP

    cfg = load_config(args.config, args.set)
    files = []
    for path in args.pairs:
        got = P.read_pairs(path)
        files.append((got.name, got.s1, got.s2, got.labels))
    ids, _, texts, pairs = SP.documents_from_pairs(files)
    device = resolve_device(cfg.embed.device)
    vectors = get_embedder(cfg.embed, device).encode(texts)
    docs = SP.cluster(ids, np.asarray(vectors, np.float32), cfg.kmeans, device)
    on = cross.CrossRule.of(cfg.semdedup)
    rule = cross.CrossRule(
        args.cross_clusters if args.cross_clusters is not None else (on.clusters or 2),
        args.cross_margin if args.cross_margin is not None else on.margin,
        on.member_margin,
    )
    result = SP.evaluate(docs, pairs, {"within clusters": cross.CrossRule(0), "cross": rule},
                         tile_size=cfg.semdedup.tile_size, device=device)  # fmt: skip
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)
    sys.stdout.write(SP.to_markdown(result) + "\n")


def _compare_embedders(args: argparse.Namespace) -> None:
    """The compare-embedders command: measure, write JSON + Markdown, print the Markdown."""
    from curation.config import load_config
    from curation.device import resolve_device
    from curation.embedders import builtin_names
    from curation.embedders import compare as C

    cfg = load_config(args.config, args.set)
    models = list(dict.fromkeys(args.model or [cfg.embed.model, *builtin_names()]))
    if not args.pairs and args.run is None:
        raise C.CompareError("compare-embedders needs a RUN, --pairs files, or both")
    if args.run is not None:
        from curation.inspect import readers

        if not readers.finished(args.run, "dataset-1"):
            raise IncompleteDatasetError(
                f"{readers.run_uri(args.run)} has no finished dataset-1: not a finished run"
            )
    result = C.compare(
        models,
        cfg,
        pair_files=args.pairs,
        run=args.run,
        sample=args.sample,
        max_negative_rate=args.max_negative_rate,
        device=resolve_device(cfg.embed.device),
    )
    out = args.out
    if out is None and args.run is not None:
        from curation.storage import join, local_path, normalize_uri

        out = local_path(join(normalize_uri(args.run), C.OUT_DIR))
        if out is None:
            raise C.CompareError(f"{args.run} is not a local folder: give --out")
    path = C.write(result, out or C.OUT_DIR)
    sys.stdout.write(C.to_markdown(result) + f"\n(written to {path})\n")


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the exit status."""
    args = _parser().parse_args(argv)
    setup_logging("WARNING" if args.command not in ("report", "compare-embedders") else None)
    from curation.inspect import explain, readers, report, stats

    try:
        if args.command == "compare-embedders":
            _compare_embedders(args)
            return 0
        if args.command == "semdedup-pairs":
            _semdedup_pairs(args)
            return 0
        if not readers.finished(args.run, "dataset-1"):
            raise IncompleteDatasetError(
                f"{readers.run_uri(args.run)} has no finished dataset-1: not a finished run"
            )
        if args.command == "stats":
            sys.stdout.write(for_terminal(stats.stats_text(args.run)))
        elif args.command == "explain":
            history = explain.explain(args.run, args.id)
            sys.stdout.write(
                explain.format_history(history, width=args.width, lines=args.lines) + "\n"
            )
        else:
            sys.stdout.write(for_terminal(report.write_report(args.run, args.out)) + "\n")
    except explain.UnknownIdError as exc:
        sys.stderr.write(f"error: {for_terminal(str(exc), keep_newlines=False)}\n")
        return 1
    except FileNotFoundError as exc:
        sys.stderr.write(f"error: {for_terminal(str(exc), keep_newlines=False)}\n")
        return 2
    except Exception as exc:
        message = expected_message(exc)
        if message is None:
            raise
        sys.stderr.write(f"error: {for_terminal(message, keep_newlines=False)}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
