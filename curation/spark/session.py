"""The one place a Spark session is built.

:func:`get_spark` starts the ``SparkContext`` and returns a :class:`LazySession`: Spark SQL (the
JVM's ``SparkSession`` and its session state) starts on the first use that needs it. Dataset-1
without fuzzy dedup runs plain RDD jobs and never needs it; starting it cost ~3 s of a 2-core
machine's start-up (bench/README.md, "Start-up"). On local masters the Python workers are
started by :mod:`curation.spark.pydaemon`, which imports pyspark from its installed bytecode.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from pathlib import Path

from curation.config import SparkConfig

log = logging.getLogger(__name__)

NO_VERIFY = "-XX:+IgnoreUnrecognizedVMOptions -XX:+UnlockDiagnosticVMOptions -XX:-BytecodeVerificationRemote"
"""The driver JVM does not verify the bytecode of Spark's own jars as it loads them (~1.2 s of
a local job's start-up on 2 cores); a JVM without the option ignores it."""
QUICK_JIT = f"-XX:TieredStopAtLevel=1 {NO_VERIFY}"
FULL_JIT = f"-XX:TieredStopAtLevel=4 {NO_VERIFY}"  # the JVM's default: C1 then C2
CONF_DIR = Path(__file__).resolve().parent / "conf"
"""Spark settings shipped with the package (log4j2.properties); ``make`` points SPARK_CONF_DIR here."""


def launched_by_spark_submit() -> bool:
    """True when this Python driver was started by ``spark-submit`` (which sets the master)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def utf8_locale() -> bool:
    """Whether child processes (the JVM) would get a UTF-8 locale from the environment."""
    value = os.environ.get("LC_ALL") or os.environ.get("LC_CTYPE") or os.environ.get("LANG", "")
    return "utf-8" in value.lower() or "utf8" in value.lower()


def runtime_settings(cfg: SparkConfig) -> dict[str, str]:
    """The settings of ``cfg`` that may change on a running session (applied per job)."""
    return {
        "spark.sql.shuffle.partitions": str(cfg.shuffle_partitions),
        "spark.sql.execution.arrow.maxRecordsPerBatch": str(cfg.arrow_batch_rows),
        "spark.sql.files.maxPartitionBytes": str(cfg.ingest_partition_bytes),
    }


def apply_runtime_settings(spark, cfg: SparkConfig) -> None:
    """Make a reused session follow ``cfg`` (partitions, batch sizes) for the next job."""
    if isinstance(spark, LazySession):
        spark.set_runtime(runtime_settings(cfg))
        return
    for key, value in runtime_settings(cfg).items():
        spark.conf.set(key, value)


class LazySession:
    """A ``SparkSession`` whose Spark SQL starts on first use.

    ``sparkContext``, ``version`` and :meth:`stop` never start it; any other attribute is the
    real session's (:attr:`session`, built then with the SQL settings given so far). Runtime
    SQL settings (:func:`apply_runtime_settings`) wait until it exists."""

    def __init__(self, sc, sql_settings: dict[str, str]) -> None:  # noqa: ANN001 - a SparkContext
        self.sparkContext = sc
        self._settings = dict(sql_settings)
        self._session = None
        self.closing: threading.Thread | None = None
        """After :meth:`stop`: the thread that shuts pyspark's accumulator server down."""

    @property
    def session(self):  # -> pyspark.sql.SparkSession
        if self._session is None:
            from pyspark.sql import SparkSession

            builder = SparkSession.builder
            for key, value in self._settings.items():
                builder = builder.config(key, value)
            self._session = builder.getOrCreate()
            log.debug("Spark SQL started")
        return self._session

    @property
    def started(self) -> bool:
        """Whether Spark SQL has started."""
        return self._session is not None

    @property
    def version(self) -> str:
        return self.sparkContext.version

    def set_runtime(self, settings: dict[str, str]) -> None:
        if self._session is None:
            self._settings.update(settings)
            return
        for key, value in settings.items():
            self._session.conf.set(key, value)

    def stop(self) -> None:
        """Stop Spark without waiting for pyspark's accumulator server: its handler polls with
        a 1 s timeout, and ``SparkContext.stop()`` waits for it (0.87 s of a local job's 1 s
        stop, measured). Here a daemon thread waits instead; the server holds nothing the job
        needs (accumulators are not used)."""
        sc = self.sparkContext
        server = getattr(sc, "_accumulatorServer", None)
        if server is not None:
            sc._accumulatorServer = None
        if self._session is not None:
            self._session.stop()
        else:
            sc.stop()
        if server is not None:
            self.closing = threading.Thread(
                target=server.shutdown, name="accumulator-server", daemon=True
            )
            self.closing.start()

    def __getattr__(self, name: str):  # noqa: ANN204
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.session, name)


def get_spark(cfg: SparkConfig) -> LazySession:
    """Create (or reuse) the Spark context for ``cfg``, as a :class:`LazySession`.

    The master is ``cfg.master`` if set, else whatever ``spark-submit --master`` chose, else
    ``local[*]``. Python workers use this interpreter unless ``PYSPARK_PYTHON`` says otherwise, so
    that ``python jobs/dedup.py`` from a venv just works.
    """
    from curation.spark import pydaemon

    # spark-submit puts the copy of pyspark's sources in pyspark.zip first on the driver's path
    # too: import the installed package's bytecode instead (0.5 -> 0.1 s of every job's start)
    sys.path[:] = pydaemon.without_bundled_copies(sys.path)
    from pyspark import SparkConf, SparkContext

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if not utf8_locale():
        # the JVM would read file names and arguments as ASCII (see conf/spark-env.sh)
        os.environ["LC_ALL"] = "C.UTF-8"
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("SPARK_CONF_DIR", str(CONF_DIR))  # quiet log4j settings
    if launched_by_spark_submit():
        # connect to spark-submit's JVM first, so that the SparkConf below holds its settings
        # (the master among them); a JVM started from here instead takes the conf's options
        SparkContext._ensure_initialized()
    conf = SparkConf().setAppName(cfg.app_name)
    master = cfg.master or (None if launched_by_spark_submit() else "local[*]")
    if master:
        conf.setMaster(master)
    if (master or conf.get("spark.master", "")).startswith("local"):
        # the workers import pyspark from its installed bytecode, not from pyspark.zip's sources
        conf.setIfMissing("spark.python.daemon.module", pydaemon.__name__)
    if master and master.startswith("local") and not launched_by_spark_submit():
        # conf/spark-defaults.conf asks for QUICK_JIT too: quick_jit=false undoes it
        conf.set("spark.driver.extraJavaOptions", QUICK_JIT if cfg.quick_jit else FULL_JIT)
    settings = {
        **runtime_settings(cfg),
        "spark.driver.memory": cfg.driver_memory,
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.files.openCostInBytes": str(1024 * 1024),
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.adaptive.coalescePartitions.enabled": "false",
        # our own _SUCCESS marks a finished dataset; Hadoop's per-folder marker would only confuse
        "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
        "spark.hadoop.parquet.summary.metadata.level": "NONE",
        # local runs: no .crc side files next to every Parquet file
        "spark.hadoop.fs.file.impl": "org.apache.hadoop.fs.RawLocalFileSystem",
        "spark.hadoop.fs.file.impl.disable.cache": "true",
        "spark.sql.parquet.compression.codec": "zstd",
        "spark.ui.showConsoleProgress": "true",
        "spark.python.worker.reuse": "true",
        # the JVM and its Python workers talk over Unix domain sockets, not loopback TCP: there a
        # task's small messages wait out the 40 ms delayed ACK (measured, local[2]: 32 tasks that
        # do nothing 0.96-1.02 s over TCP, 0.47-0.54 s over Unix sockets, on the Python
        # workers' ~14 ms of CPU per task). Needs java.io.tmpdir short enough for a socket path.
        "spark.python.unix.domain.socket.enabled": "true",
    }
    settings.update(cfg.conf)
    conf.setAll(list(settings.items()))
    sc = SparkContext.getOrCreate(conf)
    # a reused context keeps its own settings: the SQL ones still reach the session when it starts
    spark = LazySession(sc, {k: v for k, v in settings.items() if k.startswith("spark.sql.")})
    sc.setLogLevel("WARN")
    _quiet_task_failures(spark)
    log.info("Spark %s, master %s, UI %s", sc.version, sc.master, sc.uiWebUrl)
    return spark


def _quiet_task_failures(spark) -> None:
    """Do not log a failed task's Python traceback on the driver console.

    The driver raises the same error (traceback included) right after, and the job turns an
    expected one - an unreadable input file - into a one-line message; Spark's own copy of it
    would bury that line. Executor logs on a cluster are unaffected.
    """
    jvm = spark.sparkContext._jvm
    configurator = jvm.org.apache.logging.log4j.core.config.Configurator
    fatal = jvm.org.apache.logging.log4j.Level.FATAL
    for name in (
        "org.apache.spark.executor.Executor",
        "org.apache.spark.scheduler.TaskSetManager",
        "org.apache.spark.util.Utils",
        "org.apache.spark.sql.execution.datasources.FileFormatWriter",
    ):
        configurator.setLevel(name, fatal)
