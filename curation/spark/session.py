"""The one place a SparkSession is built."""

from __future__ import annotations

import logging
import os
import sys

from curation.config import SparkConfig

log = logging.getLogger(__name__)


def launched_by_spark_submit() -> bool:
    """True when this Python driver was started by ``spark-submit`` (which sets the master)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def runtime_settings(cfg: SparkConfig) -> dict[str, str]:
    """The settings of ``cfg`` that may change on a running session (applied per job)."""
    return {
        "spark.sql.shuffle.partitions": str(cfg.shuffle_partitions),
        "spark.sql.execution.arrow.maxRecordsPerBatch": str(cfg.arrow_batch_rows),
        "spark.sql.files.maxPartitionBytes": str(cfg.ingest_partition_bytes),
    }


def apply_runtime_settings(spark, cfg: SparkConfig) -> None:
    """Make a reused session follow ``cfg`` (partitions, batch sizes) for the next job."""
    for key, value in runtime_settings(cfg).items():
        spark.conf.set(key, value)


def get_spark(cfg: SparkConfig):  # -> pyspark.sql.SparkSession
    """Create (or reuse) the session for ``cfg``.

    The master is ``cfg.master`` if set, else whatever ``spark-submit --master`` chose, else
    ``local[*]``. Python workers use this interpreter unless ``PYSPARK_PYTHON`` says otherwise, so
    that ``python jobs/dedup.py`` from a venv just works.
    """
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.appName(cfg.app_name)
    if cfg.master:
        builder = builder.master(cfg.master)
    elif not launched_by_spark_submit():
        builder = builder.master("local[*]")
    settings = {
        **runtime_settings(cfg),
        "spark.driver.memory": cfg.driver_memory,
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.files.openCostInBytes": str(1024 * 1024),
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.adaptive.coalescePartitions.enabled": "false",
        # our own _SUCCESS marks a finished dataset; Hadoop's per-folder marker would only confuse
        "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
        "spark.hadoop.parquet.enable.summary-metadata": "false",
        # local runs: no .crc side files next to every Parquet file
        "spark.hadoop.fs.file.impl": "org.apache.hadoop.fs.RawLocalFileSystem",
        "spark.hadoop.fs.file.impl.disable.cache": "true",
        "spark.sql.parquet.compression.codec": "zstd",
        "spark.ui.showConsoleProgress": "true",
        "spark.python.worker.reuse": "true",
    }
    settings.update(cfg.conf)
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    log.info(
        "Spark %s, master %s, UI %s",
        spark.version,
        spark.sparkContext.master,
        spark.sparkContext.uiWebUrl,
    )
    return spark
