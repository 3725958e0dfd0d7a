"""``curation`` (or ``python -m curation``): look into a finished run.

    curation stats RUN                  every stage's manifest as a table
    curation explain RUN ID             the history of one document across the stages
    curation report RUN [--out FILE]    one self-contained HTML page (default RUN/report.html)

Exit status: 0 on success, 1 when ``explain`` does not know the id, 2 when the run is not a
finished run (a message on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import logging
import sys

from curation.datasets import IncompleteDatasetError
from curation.errors import expected_message
from curation.logs import setup_logging

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
    return ap


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the exit status."""
    args = _parser().parse_args(argv)
    setup_logging("WARNING" if args.command != "report" else None)
    from curation.inspect import explain, readers, report, stats

    try:
        if not readers.finished(args.run, "dataset-1"):
            raise IncompleteDatasetError(
                f"{readers.run_uri(args.run)} has no finished dataset-1: not a finished run"
            )
        if args.command == "stats":
            sys.stdout.write(stats.stats_text(args.run))
        elif args.command == "explain":
            history = explain.explain(args.run, args.id)
            sys.stdout.write(
                explain.format_history(history, width=args.width, lines=args.lines) + "\n"
            )
        else:
            sys.stdout.write(report.write_report(args.run, args.out) + "\n")
    except explain.UnknownIdError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    except FileNotFoundError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except Exception as exc:
        message = expected_message(exc)
        if message is None:
            raise
        sys.stderr.write(f"error: {message}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
