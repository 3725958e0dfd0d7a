"""What every job entry point shares: arguments, config, the Spark session, clear errors.

Jobs in ``jobs/`` stay thin: they call :func:`run_job` with the function that does the work.
Expected failures (bad input layout, a file that cannot be read, a config error, a conflicting
finished stage) end with one clear ``error:`` line and exit status 2, not a traceback.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from curation.config import PipelineConfig, load_config
from curation.errors import expected_message
from curation.logs import setup_logging
from curation.spark.session import launched_by_spark_submit

log = logging.getLogger("curation")


def _config_arguments(ap: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``--config``, ``--set`` (repeatable) and ``--force``: every job's configuration."""
    ap.add_argument(
        "--config", default="reference", help="preset name or YAML file (default: reference)"
    )
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override one config key",
    )
    ap.add_argument("--force", action="store_true", help="recompute finished stages")
    return ap


def parser(description: str) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument(
        "--input",
        required=True,
        help="input folder: <input>/<domain>/*.jsonl[.gz|.zst]|*.parquet|*.txt",
    )
    ap.add_argument("--output", required=True, help="run folder (local path, hdfs://, s3a:// ...)")
    return _config_arguments(ap)


def run_parser(description: str) -> argparse.ArgumentParser:
    """Arguments of a job that works inside an existing run folder (embed, semdedup ...)."""
    ap = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawTextHelpFormatter
    )
    ap.add_argument("--run", required=True, help="the run folder (Dataset-1 already in it)")
    _config_arguments(ap)
    ap.add_argument(
        "--engine",
        choices=("local", "spark"),
        default="spark" if launched_by_spark_submit() else "local",
        help="this process (default from python) or Spark tasks (default under spark-submit)",
    )
    return ap


def config_from_args(args: argparse.Namespace) -> PipelineConfig:
    overrides = list(args.set) + (["run.force=true"] if args.force else [])
    return load_config(args.config, overrides)


def ship_package(spark) -> None:
    """On a cluster, send this ``curation`` package to the executors (``--py-files`` done for you)."""
    if spark.sparkContext.master.startswith("local"):
        return
    pkg = Path(__file__).resolve().parent
    tmp = Path(tempfile.mkdtemp(prefix="curation-pkg-"))
    archive = shutil.make_archive(
        str(tmp / "curation"), "zip", root_dir=pkg.parent, base_dir=pkg.name
    )
    spark.sparkContext.addPyFile(archive)
    log.info("shipped %s to the executors", archive)


@contextmanager
def engine_session(args: argparse.Namespace, cfg: PipelineConfig) -> Iterator[Any]:
    """The SparkSession a job runs on with ``--engine spark`` (stopped afterwards), else None
    (this process)."""
    if getattr(args, "engine", "local") != "spark":
        yield None
        return
    from curation.spark.session import get_spark

    spark = get_spark(cfg.spark)
    ship_package(spark)
    try:
        yield spark
    finally:
        spark.stop()


def explain(exc: BaseException) -> str | None:
    """A one-line message for an expected failure (also when it happened in a Spark worker)."""
    return expected_message(exc)


def run_job(main: Callable[[], int]) -> int:
    """Run a job's ``main``; turn expected failures into one ``error:`` line and status 2."""
    setup_logging()
    try:
        return main()
    except Exception as exc:
        message = explain(exc)
        if message is None:
            raise
        log.error("%s", message)
        return 2
