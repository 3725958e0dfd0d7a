"""The one I/O module: run URIs, and the file systems behind them.

Stages never call ``os``/``open`` on run paths directly. The driver goes through a :class:`Storage`
(:func:`storage_for` picks one), so the same code writes a run on a laptop and on HDFS/S3:
:class:`HadoopStorage` talks to Hadoop's FileSystem through the Spark JVM (same credentials and
settings as Spark itself), :class:`LocalStorage` serves local paths without Spark, and
:class:`ArrowStorage` serves remote paths through pyarrow where no Spark session is at hand. Code
that reads or writes Parquet with pyarrow (readers, the embedding and token tasks on executors)
gets its file system and path from :func:`arrow_filesystem` - the one place ``s3a://`` becomes
pyarrow's S3 and a ``file://`` URI becomes a local path.

URIs here are never percent-encoded: ``file:///data/my corpus #1`` names the folder with a space
and a ``#``, as Hadoop's ``Path`` does; nothing here parses them as URLs (which would cut at ``#``
or ``?``).
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from curation.errors import CurationError

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")


def _rmtree(path: Path, tries: int = 100, wait: float = 0.05) -> None:
    """``shutil.rmtree``, tried again while files come and go in the tree as it is removed: a
    killed Spark job's Python workers may finish a file for a moment after the JVM has died (its
    worker daemon is a process group of its own, and stops them only once it notices), and a
    rerun clears the same folder at once."""
    for attempt in range(tries):
        try:
            shutil.rmtree(path)
            return
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.ENOENT) or attempt == tries - 1:
                raise
            if not path.exists():
                return
            time.sleep(wait)


def normalize_uri(path: str | os.PathLike[str]) -> str:
    """An absolute URI: scheme-less paths become ``file:///abs/path``; URIs pass unchanged (but
    for a trailing ``/``)."""
    text = os.fspath(path)
    scheme, _, _ = split_uri(text)
    if scheme:
        return text.rstrip("/") if len(text) > len(scheme) + 3 else text
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


def split_uri(uri: str) -> tuple[str, str, str]:
    """(scheme, authority, path) of a URI, without URL parsing (``#``/``?`` are path characters);
    a plain path has scheme ``""``. ``file:/x`` (as Hadoop writes it) and ``file:///x`` agree."""
    if "://" in uri and _SCHEME.fullmatch(uri.split("://", 1)[0]):
        scheme, rest = uri.split("://", 1)
        authority, slash, path = rest.partition("/")
        return scheme.lower(), authority, "/" + path if slash else "/"
    if uri.startswith("file:") and not uri.startswith("file://"):
        return "file", "", uri[len("file:") :]
    return "", "", uri


def local_path(uri: str) -> Path | None:
    """The local file-system path of a ``file:`` URI (or plain path), else None."""
    scheme, _, path = split_uri(uri)
    if scheme in ("", "file"):
        return Path(path)
    return None


def arrow_filesystem(uri: str):  # -> tuple[pyarrow.fs.FileSystem, str]
    """pyarrow's file system for ``uri`` and the path to hand it (``s3a``/``s3n`` -> S3)."""
    import pyarrow.fs as pafs

    scheme, authority, path = split_uri(uri)
    if scheme in ("", "file"):
        return pafs.LocalFileSystem(), path
    if scheme in ("s3", "s3a", "s3n"):
        fs, _ = pafs.FileSystem.from_uri(f"s3://{authority}")
        return fs, f"{authority}{path}"
    fs, _ = pafs.FileSystem.from_uri(f"{scheme}://{authority}/")
    return fs, path


def temporary_name(path: str) -> str:
    """A hidden, unique name beside ``path`` to write to before moving it into place (readers
    such as Spark skip names starting with ``.``; concurrent attempts do not collide)."""
    folder, _, name = path.rpartition("/")
    return (
        f"{folder}/.{name}.{uuid.uuid4().hex}.tmp" if folder else f".{name}.{uuid.uuid4().hex}.tmp"
    )


def storage_for(uri: str, spark=None) -> Storage:  # noqa: ANN001
    """The driver's :class:`Storage` for a run URI: local paths locally, remote ones through
    Spark's Hadoop file system when a session is given, else through pyarrow."""
    if local_path(uri) is not None:
        return LocalStorage()
    if spark is not None:
        return HadoopStorage(spark)
    return ArrowStorage()


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
    def read_bytes(self, uri: str) -> bytes: ...
    def write_bytes(self, uri: str, data: bytes) -> None: ...
    def read_text(self, uri: str) -> str: ...
    def write_text(self, uri: str, text: str) -> None: ...
    def create_exclusive(self, uri: str, text: str) -> bool: ...
    def list_dir(self, uri: str) -> list[tuple[str, bool]]: ...
    def list_files(self, uri: str) -> list[FileEntry]: ...


class _Text:
    """``read_text``/``write_text`` (UTF-8) over a storage's bytes."""

    def read_text(self, uri: str) -> str:
        return self.read_bytes(uri).decode("utf-8")  # type: ignore[attr-defined]

    def write_text(self, uri: str, text: str) -> None:
        self.write_bytes(uri, text.encode("utf-8"))  # type: ignore[attr-defined]


class LocalStorage(_Text):
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
            _rmtree(p)
        elif p.exists():
            p.unlink()

    def rename(self, src: str, dst: str) -> None:
        self._p(dst).parent.mkdir(parents=True, exist_ok=True)
        os.rename(self._p(src), self._p(dst))

    def mkdirs(self, uri: str) -> None:
        self._p(uri).mkdir(parents=True, exist_ok=True)

    def read_bytes(self, uri: str) -> bytes:
        return self._p(uri).read_bytes()

    def write_bytes(self, uri: str, data: bytes) -> None:
        """Write via a temporary file and an atomic rename."""
        p = self._p(uri)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(f".{p.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, p)

    def create_exclusive(self, uri: str, text: str) -> bool:
        """Create the file only if it does not exist (atomically); False when it did."""
        p = self._p(uri)
        p.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        return True

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


class HadoopStorage(_Text):
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

    def read_bytes(self, uri: str) -> bytes:
        fs = self._fs(uri)
        stream = fs.open(self._path(uri))
        try:
            data = self._jvm.org.apache.commons.io.IOUtils.toByteArray(stream)
        finally:
            stream.close()
        return bytes(data)

    def write_bytes(self, uri: str, data: bytes) -> None:
        """Write a temporary file beside ``uri``, then rename it into place."""
        fs = self._fs(uri)
        target = self._path(uri)
        tmp = self._path(join(uri.rsplit("/", 1)[0], f".{target.getName()}.{uuid.uuid4().hex}.tmp"))
        out = fs.create(tmp, True)
        try:
            out.write(bytearray(data))
        finally:
            out.close()
        fs.delete(target, False)
        if not fs.rename(tmp, target):
            raise OSError(f"could not write {uri}")

    def create_exclusive(self, uri: str, text: str) -> bool:
        """Create the file only if it does not exist (Hadoop's non-overwriting create)."""
        fs = self._fs(uri)
        try:
            out = fs.create(self._path(uri), False)
        except Exception as exc:  # py4j: FileAlreadyExistsException
            if "AlreadyExists" in str(exc) or fs.exists(self._path(uri)):
                return False
            raise
        try:
            out.write(bytearray(text.encode("utf-8")))
        finally:
            out.close()
        return True

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


class ArrowStorage(_Text):
    """A :class:`Storage` over pyarrow's file systems (S3, HDFS with libhdfs, local)."""

    @staticmethod
    def _fs(uri: str):  # noqa: ANN205
        return arrow_filesystem(uri)

    def exists(self, uri: str) -> bool:
        import pyarrow.fs as pafs

        fs, path = self._fs(uri)
        return fs.get_file_info(path).type != pafs.FileType.NotFound

    def is_dir(self, uri: str) -> bool:
        import pyarrow.fs as pafs

        fs, path = self._fs(uri)
        return fs.get_file_info(path).type == pafs.FileType.Directory

    def delete(self, uri: str) -> None:
        import pyarrow.fs as pafs

        fs, path = self._fs(uri)
        kind = fs.get_file_info(path).type
        if kind == pafs.FileType.Directory:
            fs.delete_dir(path)
        elif kind != pafs.FileType.NotFound:
            fs.delete_file(path)

    def rename(self, src: str, dst: str) -> None:
        fs, s = self._fs(src)
        _, d = self._fs(dst)
        fs.create_dir(d.rsplit("/", 1)[0], recursive=True)
        fs.move(s, d)

    def mkdirs(self, uri: str) -> None:
        fs, path = self._fs(uri)
        fs.create_dir(path, recursive=True)

    def read_bytes(self, uri: str) -> bytes:
        fs, path = self._fs(uri)
        with fs.open_input_stream(path) as f:
            return f.read()

    def write_bytes(self, uri: str, data: bytes) -> None:
        """Write a temporary file beside ``uri``, then move it into place."""
        fs, path = self._fs(uri)
        parent, name = path.rsplit("/", 1)
        tmp = f"{parent}/.{name}.{uuid.uuid4().hex}.tmp"
        with fs.open_output_stream(tmp) as f:
            f.write(data)
        fs.move(tmp, path)

    def create_exclusive(self, uri: str, text: str) -> bool:
        """Best effort on object stores (no atomic create): False when the file exists."""
        if self.exists(uri):
            return False
        self.write_text(uri, text)
        return True

    def list_dir(self, uri: str) -> list[tuple[str, bool]]:
        import pyarrow.fs as pafs

        fs, path = self._fs(uri)
        infos = fs.get_file_info(pafs.FileSelector(path))
        return sorted((join(uri, i.base_name), i.type == pafs.FileType.Directory) for i in infos)

    def list_files(self, uri: str) -> list[FileEntry]:
        import pyarrow.fs as pafs

        fs, path = self._fs(uri)
        infos = fs.get_file_info(pafs.FileSelector(path, recursive=True))
        prefix = path.rstrip("/")
        return sorted(
            (
                FileEntry(join(uri, i.path[len(prefix) + 1 :]), i.size or 0)
                for i in infos
                if i.type == pafs.FileType.File
            ),
            key=lambda e: e.path,
        )
