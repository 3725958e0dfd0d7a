"""The Python workers' daemon on local masters: pyspark's own (:mod:`pyspark.daemon`), started
with pyspark and py4j imported from the installed packages rather than from the copies of their
sources that Spark puts first on the workers' path (``<pyspark>/python/lib/pyspark.zip`` and
``py4j-<version>-src.zip``, shipped inside the pyspark wheel).

Python cannot cache bytecode inside a zip, so the daemon compiled pyspark from source when it
started, and every worker it forks compiled ``pyspark.worker`` again: measured on 2 cores,
``import pyspark.daemon`` 0.61 s and ``import pyspark.worker`` 0.77 s from the zips against
0.15-0.19 s from the installed packages, on the way to the first task of every Spark session.

A zip is left out only when it is the copy inside the very pyspark package that the rest of the
path imports (the py4j one only when the installed py4j has the same version): the same
sources. Any other Spark's zips stay where they are. Only the standard library is imported
before the fork: pyspark's daemon must not start threads.

:func:`curation.spark.session.get_spark` names this module in ``spark.python.daemon.module``
for local masters (where the driver's own interpreter, with this package, runs the workers), and
applies :func:`without_bundled_copies` to the driver's own path before it imports pyspark
(``spark-submit`` puts the zips first there too).
"""

from __future__ import annotations

import os
import re
import sys

PY4J_ZIP = re.compile(r"py4j-(?P<version>[^-]+)-src\.zip")
VERSION = re.compile(r"""^__version__\s*=\s*["']([^"']+)["']""", re.MULTILINE)


def _real(path: str) -> str:
    return os.path.realpath(path or os.curdir)


def _first_package(dirs: list[str], name: str) -> str | None:
    """The directory of the package ``name`` that ``dirs`` (in order) would import, if any."""
    for d in dirs:
        candidate = os.path.join(d, name)
        if os.path.isfile(os.path.join(candidate, "__init__.py")):
            return _real(candidate)
    return None


def _version(package: str) -> str | None:
    try:
        with open(os.path.join(package, "version.py"), encoding="utf-8") as fh:
            found = VERSION.search(fh.read())
    except OSError:
        return None
    return found.group(1) if found else None


def without_bundled_copies(path: list[str]) -> list[str]:
    """``path`` less the zips that copy installed packages' sources: ``pyspark.zip`` and
    ``py4j-<v>-src.zip`` lying in ``<pyspark>/python/lib`` of the pyspark package that the
    path's directories import (py4j's only when the installed py4j is version ``<v>``)."""
    dirs = [p for p in path if not p.endswith(".zip")]
    pyspark = _first_package(dirs, "pyspark")
    if pyspark is None:
        return list(path)
    bundled = os.path.join(pyspark, "python", "lib")
    py4j = _first_package(dirs, "py4j")
    kept = []
    for entry in path:
        if entry.endswith(".zip") and os.path.dirname(_real(entry)) == bundled:
            name = os.path.basename(entry)
            if name == "pyspark.zip":
                continue
            match = PY4J_ZIP.fullmatch(name)
            if match and py4j is not None and _version(py4j) == match["version"]:
                continue
        kept.append(entry)
    return kept


def main() -> None:
    sys.path[:] = without_bundled_copies(sys.path)
    from pyspark import daemon

    daemon.manager()


if __name__ == "__main__":
    main()
