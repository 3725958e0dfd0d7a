"""File-system access for the driver: local paths, or any Hadoop path (hdfs://, s3a://) via Spark.

Stages never call ``os``/``open`` on run paths directly: they go through a :class:`Storage`, so the
same code writes a run on a laptop and on HDFS/S3. :class:`HadoopStorage` talks to Hadoop's
FileSystem through the Spark JVM (same credentials and settings as Spark itself);
:class:`LocalStorage` serves plain local paths without Spark.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

from curation.errors import CurationError


def normalize_uri(path: str | os.PathLike[str]) -> str:
    """An absolute URI: scheme-less paths become ``file:///abs/path``; URIs pass unchanged.

    URIs here are never percent-encoded: ``file:///data/my corpus`` names the folder with a space,
    as in Hadoop's ``Path``."""
    text = os.fspath(path)
    if urlparse(text).scheme and not (len(text) > 1 and text[1] == ":"):
        return text.rstrip("/") if len(text) > len(urlparse(text).scheme) + 3 else text
    return file_uri(Path(text).expanduser().resolve())


def file_uri(path: Path) -> str:
    """``file://`` + the absolute path, not percent-encoded (as Hadoop writes paths)."""
    return f"file://{path}"


def join(base: str, *parts: str) -> str:
    """Join URI path components with ``/``."""
    out = base.rstrip("/")
    for part in parts:
        out = f"{out}/{part.strip('/')}"
    return out


class LocalRunRequiredError(CurationError, RuntimeError):
    """A stage that reads and writes its run folder through the local file system got a remote one."""


def require_local_run(run_uri: str, stage: str) -> Path:
    """The local path of ``run_uri``, or a clear error: Dataset-1 and the embeddings work on any
    Hadoop/S3 path; the later stages need the run on a local or mounted (NFS, FUSE) file system."""
    path = local_path(run_uri)
    if path is None:
        raise LocalRunRequiredError(
            f"{stage} needs the run folder on a local or mounted file system, got {run_uri}: "
            "copy or mount the run (Dataset-1 and the embeddings can stay remote until then)"
        )
    return path


def local_path(uri: str) -> Path | None:
    """The local file-system path of a ``file:`` URI (or plain path), else None."""
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return Path(parsed.path if parsed.scheme else uri)
    return None


@dataclass(frozen=True)
class FileEntry:
    path: str  # absolute URI
    size: int


class Storage(Protocol):
    def exists(self, uri: str) -> bool: ...
    def is_dir(self, uri: str) -> bool: ...
    def delete(self, uri: str) -> None: ...
    def rename(self, src: str, dst: str) -> None: ...
    def mkdirs(self, uri: str) -> None: ...
    def read_text(self, uri: str) -> str: ...
    def write_text(self, uri: str, text: str) -> None: ...
    def list_dir(self, uri: str) -> list[tuple[str, bool]]: ...
    def list_files(self, uri: str) -> list[FileEntry]: ...


class LocalStorage:
    """A :class:`Storage` over the local file system (``file:`` URIs or plain paths)."""

    @staticmethod
    def _p(uri: str) -> Path:
        path = local_path(uri)
        if path is None:
            raise ValueError(f"{uri} is not a local path; run this stage on Spark for remote paths")
        return path

    def exists(self, uri: str) -> bool:
        return self._p(uri).exists()

    def is_dir(self, uri: str) -> bool:
        return self._p(uri).is_dir()

    def delete(self, uri: str) -> None:
        p = self._p(uri)
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()

    def rename(self, src: str, dst: str) -> None:
        self._p(dst).parent.mkdir(parents=True, exist_ok=True)
        os.rename(self._p(src), self._p(dst))

    def mkdirs(self, uri: str) -> None:
        self._p(uri).mkdir(parents=True, exist_ok=True)

    def read_text(self, uri: str) -> str:
        return self._p(uri).read_text(encoding="utf-8")

    def write_text(self, uri: str, text: str) -> None:
        """Write via a temporary file and an atomic rename."""
        p = self._p(uri)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(f".{p.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, p)

    def list_dir(self, uri: str) -> list[tuple[str, bool]]:
        p = self._p(uri)
        return sorted((join(normalize_uri(p), c.name), c.is_dir()) for c in p.iterdir())

    def list_files(self, uri: str) -> list[FileEntry]:
        root = self._p(uri)
        out = []
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                full = Path(dirpath) / name
                out.append(FileEntry(file_uri(full.resolve()), full.stat().st_size))
        return sorted(out, key=lambda e: e.path)


class HadoopStorage:
    """A :class:`Storage` over Hadoop's FileSystem API, through a live Spark session's JVM."""

    def __init__(self, spark) -> None:  # spark: pyspark.sql.SparkSession
        self._jvm = spark.sparkContext._jvm
        self._conf = spark.sparkContext._jsc.hadoopConfiguration()

    def _path(self, uri: str):
        return self._jvm.org.apache.hadoop.fs.Path(uri)

    def _fs(self, uri: str):
        return self._path(uri).getFileSystem(self._conf)

    def exists(self, uri: str) -> bool:
        return bool(self._fs(uri).exists(self._path(uri)))

    def is_dir(self, uri: str) -> bool:
        fs = self._fs(uri)
        p = self._path(uri)
        return bool(fs.exists(p) and fs.getFileStatus(p).isDirectory())

    def delete(self, uri: str) -> None:
        self._fs(uri).delete(self._path(uri), True)

    def rename(self, src: str, dst: str) -> None:
        fs = self._fs(dst)
        fs.mkdirs(self._path(dst).getParent())
        if not fs.rename(self._path(src), self._path(dst)):
            raise OSError(f"could not rename {src} to {dst}")

    def mkdirs(self, uri: str) -> None:
        self._fs(uri).mkdirs(self._path(uri))

    def read_text(self, uri: str) -> str:
        fs = self._fs(uri)
        stream = fs.open(self._path(uri))
        try:
            data = self._jvm.org.apache.commons.io.IOUtils.toByteArray(stream)
        finally:
            stream.close()
        return bytes(data).decode("utf-8")

    def write_text(self, uri: str, text: str) -> None:
        """Write a temporary file beside ``uri``, then rename it into place."""
        fs = self._fs(uri)
        target = self._path(uri)
        tmp = self._path(join(uri.rsplit("/", 1)[0], f".{target.getName()}.{uuid.uuid4().hex}.tmp"))
        out = fs.create(tmp, True)
        try:
            out.write(bytearray(text.encode("utf-8")))
        finally:
            out.close()
        fs.delete(target, False)
        if not fs.rename(tmp, target):
            raise OSError(f"could not write {uri}")

    def list_dir(self, uri: str) -> list[tuple[str, bool]]:
        statuses = self._fs(uri).listStatus(self._path(uri))
        return sorted((s.getPath().toString(), bool(s.isDirectory())) for s in statuses)

    def list_files(self, uri: str) -> list[FileEntry]:
        it = self._fs(uri).listFiles(self._path(uri), True)
        out = []
        while it.hasNext():
            st = it.next()
            out.append(FileEntry(st.getPath().toString(), int(st.getLen())))
        return sorted(out, key=lambda e: e.path)
