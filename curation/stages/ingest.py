"""Stage 0: input files become documents (pure functions over a file's bytes or binary stream;
the Python task that calls them opens the file itself, :mod:`curation.pipeline.dataset1_tasks`).

Input layout: ``<input>/<domain>/**/*.{jsonl,jsonl.gz,jsonl.zst,parquet,txt,txt.gz,txt.zst}``.
The domain is the folder name (sanitised, see :mod:`curation.domains`) or ``ingest.domain_map``;
with ``ingest.domain`` set, the whole input is one domain. Folders and files whose names start with
``.`` or ``_`` are ignored (hidden files, ``_SUCCESS``, ``_truth``); files of other formats, and
files lying directly in the input folder (metadata beside the domain folders), are skipped with a
warning and listed in the manifest.

Every row of every file comes out of :func:`read_file` either as a document or as an *invalid*
row with a machine-readable reason and its file and line - never dropped. A file that cannot be
read at all (not gzip/zstd/Parquet despite its name, corrupt compressed data) raises
:class:`InputFileError` naming it. Blank lines of a JSONL/TXT file are not rows.

Ids: the record's ``id`` field (a non-empty string, or an integer, as text) if present, else the
hex xxh3-128 of ``"<file relative to input>:<line>"``. Invalid rows always get the derived id.
"""

from __future__ import annotations

import io
import json
import logging
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import xxhash
import zstandard

from curation import schema as S
from curation.config import IngestConfig
from curation.domains import sanitize_folder_name
from curation.errors import CurationError
from curation.storage import split_uri

log = logging.getLogger(__name__)

# Invalid-row reasons (the ledger's ``reason`` for stage ``invalid``).
BAD_JSON = "bad_json"
NOT_AN_OBJECT = "not_an_object"
INVALID_UTF8 = "invalid_utf8"
MISSING_TEXT = "missing_text"
NULL_TEXT = "null_text"
NON_STRING_TEXT = "non_string_text"
NUL_BYTES = "nul_bytes"
LONE_SURROGATE = "lone_surrogate"
BAD_ID = "bad_id"
TRUNCATED_FILE = "truncated_file"
WRONG_SCHEMA = "wrong_schema"
DUPLICATE_ID = "duplicate_id"

_FORMATS = {
    ".jsonl": ("jsonl", None),
    ".jsonl.gz": ("jsonl", "gzip"),
    ".jsonl.zst": ("jsonl", "zstd"),
    ".jsonl.zstd": ("jsonl", "zstd"),
    ".json.gz": ("jsonl", "gzip"),
    ".parquet": ("parquet", None),
    ".txt": ("txt", None),
    ".txt.gz": ("txt", "gzip"),
    ".txt.zst": ("txt", "zstd"),
}
_SURROGATE = re.compile("[\ud800-\udfff]")
_CHUNK = 1 << 22  # bytes read from a file, and decompressed bytes yielded, at a time (gzip)
_ZSTD_IN = 1 << 18  # compressed bytes fed to a zstd decompressor at a time


class InputFileError(CurationError, RuntimeError):
    """A file that cannot be read at all. The message names the file."""

    def __init__(self, file: str, problem: str) -> None:
        self.file = file
        self.problem = problem
        super().__init__(f"cannot read input file {file}: {problem}")

    def __reduce__(self):  # noqa: ANN204 - pickled across Spark tasks with its two arguments
        return (type(self), (self.file, self.problem))


class InputLayoutError(CurationError, ValueError):
    """An input folder that does not have the expected layout."""


def file_format(name: str) -> tuple[str, str | None] | None:
    """(kind, compression) of a file name, or None when it is not an input format."""
    lower = name.lower()
    for suffix in sorted(_FORMATS, key=len, reverse=True):
        if lower.endswith(suffix):
            return _FORMATS[suffix]
    return None


@dataclass(frozen=True)
class InputFile:
    uri: str
    rel_path: str  # relative to the input root, "/"-separated: part of derived ids
    src_domain: str
    size: int


@dataclass
class InputPlan:
    root: str
    files: list[InputFile]
    skipped: list[str] = field(default_factory=list)  # not an input format, relative paths
    ignored: list[str] = field(default_factory=list)  # hidden / underscore names
    not_followed: list[str] = field(default_factory=list)  # "<path>: why" (loops, second paths)

    @property
    def domains(self) -> list[str]:
        return sorted({f.src_domain for f in self.files})

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


def display_name(name: str) -> str:
    """A file name as ids, ledgers and messages write it: bytes that are not UTF-8 (Python's
    surrogate escapes of an OS name) become ``\\xNN``."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _rel(uri: str, root: str) -> str:
    path, base = split_uri(uri)[2], split_uri(root)[2].rstrip("/")
    if not path.startswith(base + "/"):
        raise InputLayoutError(f"{uri} is not under the input folder {root}")
    return path[len(base) + 1 :]


def plan_inputs(entries, root: str, cfg: IngestConfig) -> InputPlan:
    """Decide which listed files are read, and as which domain.

    ``entries`` are the :class:`curation.storage.FileEntry` objects of every file under ``root``.
    """
    plan = InputPlan(root=root, files=[])
    folder_of_domain: dict[str, str] = {}
    for entry in entries:
        rel = display_name(_rel(entry.path, root))
        parts = rel.split("/")
        if any(p.startswith((".", "_")) for p in parts):
            plan.ignored.append(rel)
            continue
        if file_format(parts[-1]) is None:
            plan.skipped.append(rel)
            continue
        if cfg.domain is not None:
            domain = cfg.domain
        elif len(parts) == 1:
            plan.skipped.append(rel)  # not in a domain folder (e.g. metadata beside the domains)
            continue
        else:
            folder = parts[0]
            domain = cfg.domain_map.get(folder) or sanitize_folder_name(folder)
            other = folder_of_domain.setdefault(domain, folder)
            if other != folder:
                raise InputLayoutError(
                    f"input folders {other!r} and {folder!r} both give domain {domain!r}; rename "
                    "one or map it with ingest.domain_map"
                )
        plan.files.append(InputFile(entry.path, rel, domain, entry.size))
    if not plan.files:
        raise InputLayoutError(
            f"no input files found under {root}: expected <domain>/*.jsonl[.gz|.zst], *.parquet "
            f"or *.txt (set ingest.domain=<name> to read files lying directly in the folder as one "
            f"domain); skipped: {plan.skipped[:5]}"
        )
    if plan.skipped:
        log.warning(
            "skipping %d file(s) that are not in a domain folder or not of an input format: %s",
            len(plan.skipped),
            plan.skipped[:5],
        )
    return plan


def derived_id(rel_path: str, line: int) -> str:
    """The id of a row that has none: xxh3-128 of ``"<file>:<line>"``."""
    return xxhash.xxh3_128_hexdigest(f"{rel_path}:{line}".encode())


# --- decompression -------------------------------------------------------------------------------


def _source(data: bytes | BinaryIO) -> BinaryIO:
    return io.BytesIO(data) if isinstance(data, bytes | bytearray | memoryview) else data


def _decompressed_chunks(
    data: bytes | BinaryIO, compression: str | None, file: str
) -> Iterator[bytes | None]:
    """Yield decompressed chunks of at most about :data:`_CHUNK` bytes each (gzip; a zstd
    chunk is what :data:`_ZSTD_IN` compressed bytes give); a final ``None`` means the stream was
    cut off (truncated). ``data`` is the file's bytes or a binary stream read piece by piece."""
    src = _source(data)
    if compression is None:
        while piece := src.read(_CHUNK):
            yield piece
        return
    buf = b""  # compressed bytes read but not consumed yet
    members = 0
    eof = False
    pos = 0  # compressed bytes consumed (for messages)

    def fill() -> None:
        nonlocal buf, eof
        if not eof and len(buf) < _CHUNK:
            more = src.read(_CHUNK)
            eof = not more
            buf += more

    fill()
    while buf:
        if compression == "gzip":
            if members and not buf.strip(b"\x00"):
                fill()
                if not buf.strip(b"\x00"):
                    return  # zero padding after the last member
                continue
            dec = zlib.decompressobj(31)
        else:
            dec = zstandard.ZstdDecompressor().decompressobj()
        try:
            while not dec.eof:
                if not buf:
                    fill()
                if not buf:  # the input ended: what the decompressor still holds, then stop
                    tail = dec.flush() if compression == "gzip" else b""
                    if tail:
                        yield tail
                    break
                if compression == "gzip":
                    out = dec.decompress(buf, _CHUNK)
                    consumed = len(buf) - len(dec.unconsumed_tail) - len(dec.unused_data)
                    rest = dec.unconsumed_tail or dec.unused_data
                else:
                    piece = buf[:_ZSTD_IN]
                    out = dec.decompress(piece)
                    consumed = len(piece) - len(dec.unused_data)
                    rest = buf[consumed:]
                pos += consumed
                buf = rest
                if out:
                    yield out
                if dec.eof:
                    break
            if compression == "gzip" and dec.eof:
                tail = dec.flush()
                if tail:
                    yield tail
        except (zlib.error, zstandard.ZstdError) as exc:
            msg = str(exc).lower()
            if members == 0 and any(w in msg for w in ("header", "descriptor", "magic")):
                raise InputFileError(file, f"not a valid {compression} file ({exc})") from None
            raise InputFileError(
                file, f"corrupt {compression} data near byte {pos} ({exc})"
            ) from None
        members += 1
        if not dec.eof:
            yield None  # the compressed stream ended before its end marker
            return
        fill()


def _lines(
    data: bytes | BinaryIO, compression: str | None, file: str
) -> Iterator[tuple[int, bytes, bool]]:
    """(line number, line bytes without EOL, truncated?) for every line, blank ones included."""
    pending = b""
    lineno = 0
    first = True
    for chunk in _decompressed_chunks(data, compression, file):
        if chunk is None:
            lineno += 1
            yield lineno, pending, True
            return
        buf = pending + chunk if pending else chunk
        if first:
            if len(buf) < 3 and b"\xef\xbb\xbf".startswith(buf):
                pending = buf  # wait for the whole of a possible byte-order mark
                continue
            first = False
            if buf.startswith(b"\xef\xbb\xbf"):
                buf = buf[3:]
        parts = buf.split(b"\n")
        pending = parts.pop()
        for line in parts:
            lineno += 1
            yield lineno, line[:-1] if line.endswith(b"\r") else line, False
    if pending:
        lineno += 1
        yield lineno, pending[:-1] if pending.endswith(b"\r") else pending, False


# --- row assembly --------------------------------------------------------------------------------


class _Batcher:
    """Collects rows of :data:`curation.schema.INGEST_SCHEMA` and emits Arrow tables."""

    def __init__(self, f: InputFile, cfg: IngestConfig) -> None:
        self.f = f
        self.cfg = cfg
        self.cols: dict[str, list] = {n: [] for n in S.INGEST_SCHEMA.names}
        self.chars = 0

    def __len__(self) -> int:
        return len(self.cols[S.ID])

    def full(self) -> bool:
        """The batch has reached ``batch_rows`` rows or ``batch_chars`` characters of text."""
        return len(self) >= self.cfg.batch_rows or self.chars >= self.cfg.batch_chars

    def good(self, line: int, doc_id: str, text: str, meta: str | None) -> None:
        c = self.cols
        self.chars += len(text)
        c[S.ID].append(doc_id)
        c[S.TEXT].append(text)
        c[S.SRC_LINE].append(line)
        c[S.META].append(meta)
        c[S.INVALID_REASON].append(None)
        c[S.DETAIL].append(None)

    def bad(self, line: int, reason: str, detail: str, raw: bytes | str | None) -> None:
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", errors="replace")
        if raw is not None:
            raw = _SURROGATE.sub("\ufffd", raw[: self.cfg.max_invalid_chars])
        c = self.cols
        self.chars += len(raw) if raw is not None else 0
        c[S.ID].append(derived_id(self.f.rel_path, line))
        c[S.TEXT].append(raw)
        c[S.SRC_LINE].append(line)
        c[S.META].append(None)
        c[S.INVALID_REASON].append(reason)
        c[S.DETAIL].append(f"{self.f.rel_path}:{line}: {detail}")

    def flush(self) -> pa.Table:
        n = len(self)
        c = self.cols
        c[S.DOMAIN] = [self.f.src_domain] * n
        c[S.SRC_DOMAIN] = [self.f.src_domain] * n
        c[S.SRC_FILE] = [self.f.rel_path] * n
        table = pa.Table.from_pydict(c, schema=S.INGEST_SCHEMA)
        self.cols = {k: [] for k in S.INGEST_SCHEMA.names}
        self.chars = 0
        return table


def _check_text(text, may_have_surrogates: bool = True) -> tuple[str, str] | None:
    """(reason, detail) if ``text`` cannot be a document, else None.

    ``may_have_surrogates=False`` skips that scan for text orjson parsed (it rejects them).
    """
    if text is None:
        return NULL_TEXT, "text is null"
    if not isinstance(text, str):
        return NON_STRING_TEXT, f"text is a {type(text).__name__}, not a string"
    if "\x00" in text:
        return NUL_BYTES, f"text contains a NUL character at position {text.index(chr(0))}"
    if may_have_surrogates and _SURROGATE.search(text):
        return LONE_SURROGATE, "text contains a lone UTF-16 surrogate (not valid Unicode)"
    return None


def _resolve_id(value, rel: str, line: int) -> str | None:
    """The document id from a record's id field value; None if the value cannot be an id."""
    if value is None:
        return derived_id(rel, line)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip() and not _SURROGATE.search(value):
        return value
    return None


def _add_record(
    b: _Batcher, line: int, rec, raw: bytes | None, cfg: IngestConfig, checked_unicode: bool = True
) -> None:
    """Add one parsed record; ``raw`` is its input line (None for a Parquet row).

    ``checked_unicode``: the parser already refused lone surrogates (orjson and Arrow do; the
    stdlib ``json`` fallback does not).
    """

    def bad(reason: str, detail: str) -> None:
        b.bad(line, reason, detail, raw if raw is not None else _meta_json(rec))

    if not isinstance(rec, dict):
        bad(NOT_AN_OBJECT, f"a JSON {type(rec).__name__}, not an object")
        return
    if cfg.text_field not in rec:
        bad(MISSING_TEXT, f"no {cfg.text_field!r} field")
        return
    problem = _check_text(rec[cfg.text_field], may_have_surrogates=not checked_unicode)
    if problem:
        bad(*problem)
        return
    doc_id = _resolve_id(rec.get(cfg.id_field), b.f.rel_path, line)
    if doc_id is None:
        bad(BAD_ID, f"{cfg.id_field!r} is {rec.get(cfg.id_field)!r}, not a string or integer")
        return
    text = rec[cfg.text_field]
    rest = {k: v for k, v in rec.items() if k not in (cfg.text_field, cfg.id_field)}
    meta = _meta_json(rest) if rest else None
    b.good(line, doc_id, text, meta)


def _meta_json(rest) -> str:
    try:
        return orjson.dumps(rest, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(rest, sort_keys=True, default=str, ensure_ascii=False)


def _parse_json_line(b: _Batcher, line: int, raw: bytes, cfg: IngestConfig) -> None:
    try:
        rec = orjson.loads(raw)
        checked = True
    except orjson.JSONDecodeError:
        # classify the failure precisely (the slow path runs only on bad lines)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            b.bad(line, INVALID_UTF8, f"invalid UTF-8 at byte {exc.start}", raw)
            return
        try:
            rec = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            b.bad(line, BAD_JSON, f"not valid JSON: {exc}", raw)
            return
        checked = False
    _add_record(b, line, rec, raw, cfg, checked_unicode=checked)


# --- readers per format --------------------------------------------------------------------------


def _read_jsonl(
    data: bytes | BinaryIO, f: InputFile, compression, cfg: IngestConfig
) -> Iterator[pa.Table]:
    b = _Batcher(f, cfg)
    for line, raw, truncated in _lines(data, compression, f.rel_path):
        if truncated:
            b.bad(line, TRUNCATED_FILE, "the compressed file ends in the middle of its data", raw)
            break
        if not raw.strip():
            continue
        _parse_json_line(b, line, raw, cfg)
        if b.full():
            yield b.flush()
    if len(b):
        yield b.flush()


def _read_txt(
    data: bytes | BinaryIO, f: InputFile, compression, cfg: IngestConfig
) -> Iterator[pa.Table]:
    b = _Batcher(f, cfg)
    if cfg.txt_unit == "line":
        for line, raw, truncated in _lines(data, compression, f.rel_path):
            if truncated:
                b.bad(
                    line, TRUNCATED_FILE, "the compressed file ends in the middle of its data", raw
                )
                break
            if raw.strip():
                _add_text(b, line, raw)
            if b.full():
                yield b.flush()
    else:
        chunks = list(_decompressed_chunks(data, compression, f.rel_path))
        raw = b"".join(c for c in chunks if c is not None)
        if raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if chunks and chunks[-1] is None:
            b.bad(1, TRUNCATED_FILE, "the compressed file ends in the middle of its data", raw)
        else:
            _add_text(b, 1, raw)
    if len(b):
        yield b.flush()


def _add_text(b: _Batcher, line: int, raw: bytes) -> None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        b.bad(line, INVALID_UTF8, f"invalid UTF-8 at byte {exc.start}", raw)
        return
    problem = _check_text(text)
    if problem:
        b.bad(line, *problem, raw)
    else:
        b.good(line, derived_id(b.f.rel_path, line), text, None)


def _read_parquet(data: bytes | BinaryIO, f: InputFile, cfg: IngestConfig) -> Iterator[pa.Table]:
    try:
        pf = pq.ParquetFile(_source(data))
    except Exception as exc:  # pyarrow raises several types for a non-Parquet file
        raise InputFileError(f.rel_path, f"not a readable Parquet file ({exc})") from None
    arrow_schema = pf.schema_arrow
    b = _Batcher(f, cfg)
    text_type = (
        arrow_schema.field(cfg.text_field).type if cfg.text_field in arrow_schema.names else None
    )
    if text_type is None or not (
        pa.types.is_string(text_type) or pa.types.is_large_string(text_type)
    ):
        what = "no" if text_type is None else f"a {text_type}"
        detail = f"Parquet schema has {what} {cfg.text_field!r} column (need a string column)"
        for row in range(1, pf.metadata.num_rows + 1):
            b.bad(row, WRONG_SCHEMA, detail, None)
            if b.full():
                yield b.flush()
        if len(b):
            yield b.flush()
        return
    row = 0
    try:
        batches = pf.iter_batches(batch_size=cfg.batch_rows)
        for batch in batches:
            records = batch.to_pylist()
            for rec in records:
                row += 1
                _add_record(b, row, rec, None, cfg)
                if b.full():
                    yield b.flush()
            if len(b):
                yield b.flush()
    except (OSError, pa.ArrowException) as exc:
        raise InputFileError(f.rel_path, f"corrupt Parquet data after row {row} ({exc})") from None


def read_file(data: bytes | BinaryIO, f: InputFile, cfg: IngestConfig) -> Iterator[pa.Table]:
    """All rows of one input file as :data:`curation.schema.INGEST_SCHEMA` tables of at most
    ``cfg.batch_rows`` rows and about ``cfg.batch_chars`` characters of text (a longer document
    is a batch of its own).

    ``data`` is the whole file or a binary stream (:func:`open_input`): streams are read piece by
    piece, so memory follows the batch size and the longest document, not the file size (a
    Parquet file needs a seekable stream; a ``.txt`` file read whole is one document)."""
    fmt = file_format(f.rel_path)
    if fmt is None:
        raise InputFileError(f.rel_path, "unsupported file format")
    kind, compression = fmt
    if kind == "jsonl":
        yield from _read_jsonl(data, f, compression, cfg)
    elif kind == "txt":
        yield from _read_txt(data, f, compression, cfg)
    else:
        yield from _read_parquet(data, f, cfg)
