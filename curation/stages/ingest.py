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

Ids: the record's ``id`` field (a non-empty string, or an integer of any size, as text) if
present, else the hex xxh3-128 of ``"<file relative to input>:<line>"``. An invalid row keeps its
own id when that id is valid, else it gets the derived one.

JSON is read exactly: a key written twice in one object (``duplicate_key``), a lone surrogate in
any key or string, nesting deeper than :data:`MAX_DEPTH` (``too_deep``) and ``NaN``/``Infinity``
make the row invalid; integers beyond 64 bits stay integers. orjson reads every line; the few it
cannot read exactly (see :func:`_parse_json_line`) are read again by the standard library.
Parquet ``text`` may be any string encoding (string, large, view, dictionary) or UTF-8 bytes.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import xxhash
import zstandard
from isal import isal_zlib

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
DUPLICATE_KEY = "duplicate_key"
TOO_DEEP = "too_deep"

MAX_DEPTH = 128
"""Deepest nesting of objects and arrays a record may have (the record itself is level 1); a
deeper one is an invalid row (``too_deep``), so that every stored ``meta`` can be read back by
any JSON parser."""

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
_LONG_DIGITS = re.compile(rb"\d{19}")  # an integer this long may not fit in 64 bits
_DETAIL_CHARS = 200
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
            dec = isal_zlib.decompressobj(31)  # zlib's API, inflate ~2.4x as fast
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
        except (isal_zlib.error, zstandard.ZstdError) as exc:
            msg = str(exc).lower()
            if members == 0 and any(w in msg for w in ("wrapper", "header", "descriptor", "magic")):
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


@dataclass(frozen=True)
class Batch:
    """A batch of ingested rows: the :data:`curation.schema.INGEST_SCHEMA` table and the
    documents' texts as the Python strings the parser made (None for an invalid row), so that
    annotating them needs no second conversion of the texts out of Arrow."""

    table: pa.Table
    texts: list[str | None]


class _Batcher:
    """Collects rows of :data:`curation.schema.INGEST_SCHEMA` and emits :class:`Batch` es."""

    def __init__(self, f: InputFile, cfg: IngestConfig) -> None:
        self.f = f
        self.cfg = cfg
        self.cols: dict[str, list] = {n: [] for n in S.INGEST_SCHEMA.names}
        self.docs: list[str | None] = []  # a valid row's text, None for an invalid row
        self.chars = 0

    def __len__(self) -> int:
        return len(self.docs)

    def full(self) -> bool:
        """The batch has reached ``batch_rows`` rows or ``batch_chars`` characters of text."""
        return len(self.docs) >= self.cfg.batch_rows or self.chars >= self.cfg.batch_chars

    def good(self, line: int, doc_id: str, text: str, meta: str | None) -> None:
        c = self.cols
        self.chars += len(text)
        c[S.ID].append(doc_id)
        c[S.TEXT].append(text)
        c[S.SRC_LINE].append(line)
        c[S.META].append(meta)
        c[S.INVALID_REASON].append(None)
        c[S.DETAIL].append(None)
        self.docs.append(text)

    def bad(
        self,
        line: int,
        reason: str,
        detail: str,
        raw: bytes | str | None,
        doc_id: str | None = None,
    ) -> None:
        """An invalid row: ``raw`` (cut) as its text, ``doc_id`` or the derived id as its id."""
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", errors="replace")
        if raw is not None:
            raw = _SURROGATE.sub("\ufffd", raw[: self.cfg.max_invalid_chars])
        c = self.cols
        self.chars += len(raw) if raw is not None else 0
        c[S.ID].append(doc_id or derived_id(self.f.rel_path, line))
        c[S.TEXT].append(raw)
        c[S.SRC_LINE].append(line)
        c[S.META].append(None)
        c[S.INVALID_REASON].append(reason)
        c[S.DETAIL].append(f"{self.f.rel_path}:{line}: {detail}")
        self.docs.append(None)

    def flush(self) -> Batch:
        n = len(self)
        c = self.cols
        c[S.DOMAIN] = [self.f.src_domain] * n
        c[S.SRC_DOMAIN] = [self.f.src_domain] * n
        c[S.SRC_FILE] = [self.f.rel_path] * n
        batch = Batch(pa.Table.from_pydict(c, schema=S.INGEST_SCHEMA), self.docs)
        self.cols = {k: [] for k in S.INGEST_SCHEMA.names}
        self.docs = []
        self.chars = 0
        return batch


def _check_text(text) -> tuple[str, str] | None:
    """(reason, detail) if ``text`` cannot be a document, else None (lone surrogates are found by
    :func:`_walk` or refused by the parser)."""
    if text is None:
        return NULL_TEXT, "text is null"
    if not isinstance(text, str):
        return NON_STRING_TEXT, f"text is a {type(text).__name__}, not a string"
    if "\x00" in text:
        return NUL_BYTES, f"text contains a NUL character at position {text.index(chr(0))}"
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


def _short(value) -> str:
    """``repr(value)`` cut to :data:`_DETAIL_CHARS` characters (a detail stays one short line)."""
    text = repr(value)
    return text if len(text) <= _DETAIL_CHARS else text[: _DETAIL_CHARS - 1] + "…"


class _Shape:
    """What :func:`_walk` found in a parsed record."""

    __slots__ = ("keys", "colons", "has_float", "problem")

    def __init__(self) -> None:
        self.keys = 0  # object keys, nested ones included
        self.colons = 0  # ':' characters inside keys and strings
        self.has_float = False
        self.problem: tuple[str, str] | None = None  # (reason, detail) of the first problem


def _surrogate(where: str) -> tuple[str, str]:
    return LONE_SURROGATE, f"{where} contains a lone UTF-16 surrogate (not valid Unicode)"


def _flat_shape(rec: dict) -> _Shape | None:
    """The :class:`_Shape` of a flat record (no value a dict or a list) in one cheap pass, or
    None when some value is nested (then :func:`_walk` walks it)."""
    shape = _Shape()
    shape.keys = len(rec)
    colons = 0
    for k, v in rec.items():
        colons += k.count(":")
        t = type(v)
        if t is str:
            colons += v.count(":")
        elif t is float:
            shape.has_float = True
        elif t is dict or t is list:
            return None
    shape.colons = colons
    return shape


def _may_hide_a_duplicate_key(raw: bytes, shape: _Shape) -> bool:
    """Whether the JSON line ``raw`` may hold a key twice although orjson kept one: the ``:``
    outside strings (all of the line's less those inside keys and strings) are not one per key
    parsed, or an escaped ``:`` (``\\u003a``) inside a string could hide one."""
    return raw.count(b":") - shape.colons != shape.keys or bool(shape.colons and b"\\u003" in raw)


def _walk(rec: dict, check_unicode: bool) -> _Shape:
    """Walk a parsed record without recursion, counting keys and the ``:`` inside strings.

    The problem found is nesting deeper than :data:`MAX_DEPTH` or, with ``check_unicode``, a lone
    surrogate in any key or string (naming the top-level field); the walk stops there, so the
    counts are then incomplete. (A flat record's shape is :func:`_flat_shape`'s, in one cheaper
    pass: the JSONL fast path tries that first.)
    """
    shape = _Shape()
    stack: list[tuple[object, int, str | None]] = [(rec, 1, None)]
    while stack and shape.problem is None:
        value, depth, top = stack.pop()
        if depth > MAX_DEPTH:
            shape.problem = (TOO_DEEP, f"field {top!r} is nested more than {MAX_DEPTH} levels deep")
            break
        if isinstance(value, dict):
            shape.keys += len(value)
            pairs = value.items()
        else:
            pairs = ((None, v) for v in value)
        for k, v in pairs:
            field_name = top if top is not None else k
            if k is not None:
                shape.colons += k.count(":")
                if check_unicode and _SURROGATE.search(k):
                    where = f"a key inside field {top!r}" if top is not None else f"key {k!r}"
                    shape.problem = _surrogate(where)
                    break
            if isinstance(v, str):
                shape.colons += v.count(":")
                if check_unicode and _SURROGATE.search(v):
                    shape.problem = _surrogate(f"field {field_name!r}")
                    break
            elif isinstance(v, dict | list):
                stack.append((v, depth + 1, field_name))
            elif isinstance(v, float):
                shape.has_float = True
    return shape


def _add_record(
    b: _Batcher,
    line: int,
    rec,
    raw: bytes | None,
    cfg: IngestConfig,
    problem: tuple[str, str] | None = None,
    duplicates: tuple[str, ...] = (),
) -> None:
    """Add one parsed record; ``raw`` is its input line (None for a Parquet row).

    ``problem`` is what the parser's checks found (nesting, lone surrogates), ``duplicates`` the
    keys the JSON object held more than once. An invalid row keeps the record's own id when that
    id is valid (and not itself duplicated); otherwise it gets the derived id.
    """
    if not isinstance(rec, dict):
        b.bad(line, NOT_AN_OBJECT, f"a JSON {type(rec).__name__}, not an object", raw)
        return
    id_value = rec.get(cfg.id_field)
    given = None if cfg.id_field in duplicates else _resolve_id(id_value, b.f.rel_path, line)

    def bad(reason: str, detail: str) -> None:
        b.bad(line, reason, detail, raw if raw is not None else _raw_record(rec), doc_id=given)

    if duplicates:
        names = ", ".join(repr(k) for k in duplicates[:3])
        bad(
            DUPLICATE_KEY,
            f"key {names} appears more than once in one object (a JSON parser keeps only the last "
            "value): write each key once",
        )
        return
    if problem and problem[0] == TOO_DEEP:
        bad(*problem)
        return
    if cfg.text_field not in rec:
        bad(MISSING_TEXT, f"no {cfg.text_field!r} field")
        return
    text_problem = _check_text(rec[cfg.text_field])
    if text_problem or problem:
        bad(*(text_problem or problem))
        return
    if given is None:
        bad(BAD_ID, f"{cfg.id_field!r} is {_short(id_value)}, not a string or integer")
        return
    rest = {k: v for k, v in rec.items() if k not in (cfg.text_field, cfg.id_field)}
    try:
        meta = _meta_json(rest) if rest else None
    except RecursionError:
        bad(TOO_DEEP, f"nested more than {MAX_DEPTH} levels deep")
        return
    b.good(line, given, rec[cfg.text_field], meta)


def _meta_json(rest) -> str:
    """The record's other fields as compact JSON with sorted keys (integers of any size kept
    exactly; values JSON has no type for, such as Parquet decimals, written as strings)."""
    try:
        return orjson.dumps(rest, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # an integer beyond 64 bits, or a type orjson does not write
        return json.dumps(
            rest, sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":")
        )


def _raw_record(rec) -> str:
    """A Parquet row as text for the ledger (it has no input line)."""
    try:
        return _meta_json(rec)
    except (RecursionError, ValueError):
        return _short(rec)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


def _parse_exactly(b: _Batcher, line: int, raw: bytes, cfg: IngestConfig) -> None:
    """The slow, exact parse (stdlib ``json``): integers of any size, every duplicate key seen,
    each failure classified. Runs on the rare lines the fast path cannot take as they are."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        b.bad(line, INVALID_UTF8, f"invalid UTF-8 at byte {exc.start}", raw)
        return
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, object]]) -> dict:
        obj = dict(items)
        if len(obj) != len(items):
            seen: set[str] = set()
            for k, _ in items:
                if k in seen and k not in duplicates:
                    duplicates.append(k)
                seen.add(k)
        return obj

    try:
        rec = json.loads(text, object_pairs_hook=pairs, parse_constant=_reject_constant)
    except RecursionError:
        b.bad(line, TOO_DEEP, f"nested more than {MAX_DEPTH} levels deep", raw)
        return
    except ValueError as exc:  # json.JSONDecodeError, or NaN/Infinity
        b.bad(line, BAD_JSON, f"not valid JSON: {exc}", raw)
        return
    problem = _walk(rec, check_unicode=True).problem if isinstance(rec, dict) else None
    _add_record(b, line, rec, raw, cfg, problem, tuple(duplicates))


def _plain_document(
    b: _Batcher, line: int, rec: dict, raw: bytes, shape: _Shape, cfg: IngestConfig
) -> bool:
    """Add ``rec`` (its :func:`_flat_shape` is ``shape``) as a document and return True when it
    is the common case that needs none of :func:`_add_record`'s checks: no float, no key written
    twice, a string id that is not blank and a string text without NUL; else add nothing and
    return False. (orjson refuses lone surrogates, so its strings need no check for them.)"""
    text, doc_id = rec.get(cfg.text_field), rec.get(cfg.id_field)
    if type(text) is not str or type(doc_id) is not str or shape.has_float:
        return False
    if _may_hide_a_duplicate_key(raw, shape):
        return False  # the general path decides
    if "\x00" in text or not doc_id.strip():
        return False
    rest = {k: v for k, v in rec.items() if k != cfg.text_field and k != cfg.id_field}
    b.good(line, doc_id, text, _meta_json(rest) if rest else None)
    return True


def _parse_json_line(b: _Batcher, line: int, raw: bytes, cfg: IngestConfig) -> None:
    """One JSONL line -> one row. The fast path (orjson) is taken when it is exact: no duplicate
    key (:func:`_may_hide_a_duplicate_key`), no integer orjson could have turned into a float;
    everything else goes through :func:`_parse_exactly`. A plain document skips the general
    checks (:func:`_plain_document`)."""
    try:
        rec = orjson.loads(raw)
    except orjson.JSONDecodeError:
        _parse_exactly(b, line, raw, cfg)
        return
    if not isinstance(rec, dict):
        _add_record(b, line, rec, raw, cfg)
        return
    shape = _flat_shape(rec)
    if shape is not None and _plain_document(b, line, rec, raw, shape, cfg):
        return
    if shape is None:
        shape = _walk(rec, check_unicode=False)
    if shape.problem is None and (
        _may_hide_a_duplicate_key(raw, shape)
        or (shape.has_float and _LONG_DIGITS.search(raw))  # a big integer orjson made a float
    ):
        _parse_exactly(b, line, raw, cfg)
        return
    _add_record(b, line, rec, raw, cfg, shape.problem)


# --- readers per format --------------------------------------------------------------------------


def _read_jsonl(
    data: bytes | BinaryIO, f: InputFile, compression, cfg: IngestConfig
) -> Iterator[Batch]:
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
) -> Iterator[Batch]:
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


def _text_kind(t: pa.DataType) -> str | None:
    """``"string"`` for a column type that holds text (string, large_string, string_view, or a
    dictionary of one), ``"binary"`` for bytes that should be UTF-8 (as older Hive/Spark writers
    store strings), else None."""
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "string"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
        return "binary"
    return None


def _batch_records(
    batch: pa.RecordBatch, id_field: str
) -> list[dict | tuple[str, str, str | None]]:
    """The batch's rows as dicts; a row holding a string that is not UTF-8 (Parquet does not
    check) becomes ``(reason, detail, its id or None)`` naming the column instead."""
    try:
        return batch.to_pylist()
    except UnicodeDecodeError:
        pass
    out: list[dict | tuple[str, str, str | None]] = []
    names = batch.schema.names
    for i in range(batch.num_rows):
        rec: dict = {}
        problem = None
        for name, column in zip(names, batch.columns, strict=True):
            try:
                rec[name] = column[i].as_py()
            except UnicodeDecodeError as exc:
                problem = problem or f"column {name!r}: invalid UTF-8 at byte {exc.start}"
        if problem is None:
            out.append(rec)
        else:
            given = rec.get(id_field)
            out.append((INVALID_UTF8, problem, given if given is not None else None))
    return out


def _whole_file_invalid(
    b: _Batcher, pf: pq.ParquetFile, reason: str, detail: str, cfg: IngestConfig
) -> Iterator[Batch]:
    """Every row of a file whose schema cannot give documents, as an invalid row."""
    for row in range(1, pf.metadata.num_rows + 1):
        b.bad(row, reason, detail, None)
        if b.full():
            yield b.flush()
    if len(b):
        yield b.flush()


def _add_parquet_row(
    b: _Batcher, row: int, rec: dict | tuple[str, str, str | None], kind: str, cfg: IngestConfig
) -> None:
    """One Parquet row (a dict, or a ``(reason, detail, id)`` from :func:`_batch_records`) as a
    document or an invalid row; a binary text column is decoded as UTF-8 here."""
    rel = b.f.rel_path
    if isinstance(rec, tuple):
        reason, detail, given = rec
        doc_id = _resolve_id(given, rel, row) if given is not None else None
        b.bad(row, reason, detail, None, doc_id=doc_id)
        return
    text = rec.get(cfg.text_field)
    if kind == "binary" and isinstance(text, bytes):
        try:
            rec[cfg.text_field] = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            detail = f"column {cfg.text_field!r}: invalid UTF-8 at byte {exc.start}"
            given = _resolve_id(rec.get(cfg.id_field), rel, row)
            b.bad(row, INVALID_UTF8, detail, text, doc_id=given)
            return
    _add_record(b, row, rec, None, cfg)


def _read_parquet(data: bytes | BinaryIO, f: InputFile, cfg: IngestConfig) -> Iterator[Batch]:
    try:
        pf = pq.ParquetFile(_source(data))
    except Exception as exc:  # pyarrow raises several types for a non-Parquet file
        raise InputFileError(f.rel_path, f"not a readable Parquet file ({exc})") from None
    arrow_schema = pf.schema_arrow
    b = _Batcher(f, cfg)
    names = arrow_schema.names
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        detail = (
            f"Parquet schema has column(s) {', '.join(map(repr, twice))} more than once (a reader "
            "keeps only one of them): write each column once"
        )
        yield from _whole_file_invalid(b, pf, DUPLICATE_KEY, detail, cfg)
        return
    text_type = arrow_schema.field(cfg.text_field).type if cfg.text_field in names else None
    kind = _text_kind(text_type) if text_type is not None else None
    if kind is None:
        what = "no" if text_type is None else f"a {text_type}"
        detail = f"Parquet schema has {what} {cfg.text_field!r} column (need a string column)"
        yield from _whole_file_invalid(b, pf, WRONG_SCHEMA, detail, cfg)
        return
    row = 0
    try:
        for batch in pf.iter_batches(batch_size=cfg.batch_rows):
            for rec in _batch_records(batch, cfg.id_field):
                row += 1
                _add_parquet_row(b, row, rec, kind, cfg)
                if b.full():
                    yield b.flush()
            if len(b):
                yield b.flush()
    except (OSError, pa.ArrowException) as exc:
        raise InputFileError(f.rel_path, f"corrupt Parquet data after row {row} ({exc})") from None


def read_file(data: bytes | BinaryIO, f: InputFile, cfg: IngestConfig) -> Iterator[pa.Table]:
    """All rows of one input file as :data:`curation.schema.INGEST_SCHEMA` tables (the tables
    of :func:`read_batches`)."""
    for batch in read_batches(data, f, cfg):
        yield batch.table


def read_batches(data: bytes | BinaryIO, f: InputFile, cfg: IngestConfig) -> Iterator[Batch]:
    """All rows of one input file as :class:`Batch` es: :data:`curation.schema.INGEST_SCHEMA`
    tables of at most ``cfg.batch_rows`` rows and about ``cfg.batch_chars`` characters of text (a
    longer document is a batch of its own), with the documents' texts as Python strings.

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
