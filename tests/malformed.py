"""A malformed-input fixture: an input tree with every kind of bad row and file we know of.

``write_tree(root)`` writes it and returns what a correct ingest must produce: the expected
invalid reasons per (file, line), and the ids of the good documents.
"""

from __future__ import annotations

import gzip
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from curation.stages.ingest import MAX_DEPTH

LONG = "A perfectly good document about trains and timetables. " * 4  # > 150 characters


def _j(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


@dataclass
class Expected:
    invalid: dict[tuple[str, int], str] = field(default_factory=dict)  # (rel file, line) -> reason
    invalid_ids: dict[tuple[str, int], str] = field(default_factory=dict)  # given ids kept
    good_ids: set[str] = field(default_factory=set)
    good_rows: int = 0  # good rows whose id is derived (not listed in good_ids)

    per_file: dict[str, int] = field(default_factory=dict)  # rel file -> rows it holds

    @property
    def rows(self) -> int:
        return len(self.invalid) + len(self.good_ids) + self.good_rows

    def rows_per_file(self) -> dict[str, int]:
        assert sum(self.per_file.values()) == self.rows
        return self.per_file


DEEP = 1000
"""Nesting of a deep record: beyond MAX_DEPTH, orjson's writer and Python's recursion limit."""
BIG = 123456789012345678901234567890
"""An integer beyond 64 bits (orjson would read it as a float)."""


def _raw(template: str, depth: int = 0) -> bytes:
    """A JSONL line written by hand (JSON escapes as written); ``LONG`` stands for :data:`LONG`
    and ``DEEP`` for arrays nested ``depth`` levels deep (inside the record: ``depth + 1``)."""
    return template.replace("LONG", LONG).replace("DEEP", "[" * depth + "]" * depth).encode()


def bad_jsonl_lines() -> list[tuple[bytes, str | None, str | None]]:
    """(line bytes, expected invalid reason or None, expected id or None = derived).

    The id is the kept document's id, or the ledger id of an invalid row that had a valid id of
    its own."""
    return [
        (_j({"id": "good-1", "text": LONG + "one"}), None, "good-1"),
        (b'{"id": "x1", "text": "unterminated', "bad_json", None),
        (b"[1, 2, 3]", "not_an_object", None),
        (b'{"id": "x2", "text": "caf\xe9 au lait"}', "invalid_utf8", None),
        (_j({"id": "x3", "body": "no text field"}), "missing_text", "x3"),
        (_j({"id": "x4", "text": None}), "null_text", "x4"),
        (_j({"id": "x5", "text": 42}), "non_string_text", "x5"),
        (_j({"id": "x6", "text": ["a", "list"]}), "non_string_text", "x6"),
        (_j({"id": "x7", "text": "nul\u0000inside " + LONG}), "nul_bytes", "x7"),
        (b'{"id": "x8", "text": "half \\ud800 a surrogate"}', "lone_surrogate", "x8"),
        (_j({"id": {"nested": 1}, "text": LONG}), "bad_id", None),
        (_j({"id": "", "text": LONG}), "bad_id", None),
        (_j({"id": True, "text": LONG}), "bad_id", None),
        (b"", None, None),  # blank line: not a row
        (b"   \t ", None, None),  # blank line: not a row
        (_j({"id": 12345, "text": LONG + "int id", "url": "http://x"}), None, "12345"),
        (_j({"text": LONG + "no id"}), None, None),  # good, derived id
        (_j({"id": "good-2", "text": "short but fine"}) + b"\r", None, "good-2"),  # CRLF
        # line 19-: keys written twice (the last value would win silently)
        (_raw(r'{"id": "k1", "text": "first", "text": "LONG"}'), "duplicate_key", "k1"),
        (_raw(r'{"id": "k2a", "text": "LONG", "id": "k2b"}'), "duplicate_key", None),
        (
            _raw(r'{"id": "k3", "text": "t", "m": {"a": 1, "b": {"a": 2, "a": 3}}}'),
            "duplicate_key",
            "k3",
        ),
        (_raw(r'{"id": "k4", "text": "a\u003ab", "text": "c:d"}'), "duplicate_key", "k4"),
        # colons everywhere, an escaped one too, but every key once: a good row
        (
            _raw(r'{"id": "c1", "text": "at 12:30 \u003a http://x.y/?a=b:c LONG", "a:b": "x:y"}'),
            None,
            "c1",
        ),
        # lone surrogates outside the text, nesting beyond MAX_DEPTH, NaN
        (_raw(r'{"id": "s1", "text": "LONG", "title": "\ud800"}'), "lone_surrogate", "s1"),
        (_raw(r'{"id": "s2", "text": "LONG", "m": {"\udc00": 1}}'), "lone_surrogate", "s2"),
        (_raw(r'{"id": "\udfff", "text": "LONG"}'), "lone_surrogate", None),
        (_raw(r'{"id": "d1", "text": "LONG", "m": DEEP}', DEEP), "too_deep", "d1"),
        (_raw(r'{"id": "d2", "text": "LONG", "m": DEEP}', 4 * DEEP), "too_deep", None),
        (_raw(r'{"id": "d3", "text": "LONG", "m": DEEP}', MAX_DEPTH), "too_deep", "d3"),
        (_raw(r'{"id": "d4", "text": "LONG depth", "m": DEEP}', MAX_DEPTH - 1), None, "d4"),
        (_raw(r'{"id": "n1", "text": "LONG", "score": NaN}'), "bad_json", None),
        # integers beyond 64 bits, as id and in other fields: kept exactly
        (_raw(f'{{"id": {BIG}, "text": "LONG big id"}}'), None, str(BIG)),
        (_raw('{"id": -9223372036854775809, "text": "LONG neg"}'), None, "-9223372036854775809"),
        (_raw(f'{{"id": "b1", "text": "LONG big meta", "n": {BIG}, "f": 0.5}}'), None, "b1"),
    ]


def write_tree(root: Path) -> Expected:
    """Write the malformed fixture under ``root`` (domains ``web`` and ``books``)."""
    exp = Expected()
    web = root / "web"
    books = root / "books"
    web.mkdir(parents=True)
    books.mkdir(parents=True)

    # 1. one JSONL file with a bad row of every row-level kind (with a UTF-8 BOM)
    lines = bad_jsonl_lines()
    (web / "rows.jsonl").write_bytes(
        b"\xef\xbb\xbf" + b"\n".join(raw for raw, _, _ in lines) + b"\n"
    )
    for lineno, (raw, reason, good) in enumerate(lines, start=1):
        if reason:
            exp.invalid[("web/rows.jsonl", lineno)] = reason
            if good:
                exp.invalid_ids[("web/rows.jsonl", lineno)] = good
        elif good:
            exp.good_ids.add(good)
        elif raw.strip():
            exp.good_rows += 1
    exp.per_file["web/rows.jsonl"] = sum(1 for raw, _, _ in lines if raw.strip())

    # 2. a gzip file cut off in the middle (the tail is one truncated_file row)
    body = b"".join(_j({"id": f"gz-{i}", "text": LONG + str(i)}) + b"\n" for i in range(200))
    packed = gzip.compress(body, mtime=0)
    (web / "cut.jsonl.gz").write_bytes(packed[: len(packed) // 2])
    n_whole = _whole_lines(packed, "gzip")
    exp.good_ids.update(f"gz-{i}" for i in range(n_whole))
    exp.invalid[("web/cut.jsonl.gz", n_whole + 1)] = "truncated_file"
    exp.per_file["web/cut.jsonl.gz"] = n_whole + 1

    # 3. a zstd file cut off in the middle
    zbody = b"".join(_j({"id": f"zs-{i}", "text": LONG + str(i)}) + b"\n" for i in range(300))
    zpacked = zstandard.ZstdCompressor(level=3).compress(zbody)
    (web / "cut.jsonl.zst").write_bytes(zpacked[: len(zpacked) // 2])
    nz = _whole_lines(zpacked, "zstd")
    exp.good_ids.update(f"zs-{i}" for i in range(nz))
    exp.invalid[("web/cut.jsonl.zst", nz + 1)] = "truncated_file"
    exp.per_file["web/cut.jsonl.zst"] = nz + 1

    # 4. Parquet without a text column, and Parquet whose text column is not a string
    pq.write_table(pa.table({"id": ["p1", "p2"], "body": ["a", "b"]}), books / "no_text.parquet")
    exp.invalid[("books/no_text.parquet", 1)] = "wrong_schema"
    exp.invalid[("books/no_text.parquet", 2)] = "wrong_schema"
    pq.write_table(pa.table({"id": ["q1"], "text": [7]}), books / "int_text.parquet")
    exp.invalid[("books/int_text.parquet", 1)] = "wrong_schema"
    exp.per_file |= {"books/no_text.parquet": 2, "books/int_text.parquet": 1}

    # 5. good Parquet with a null text row and extra columns
    pq.write_table(
        pa.table({"id": ["r1", "r2"], "text": [LONG + "parquet", None], "year": [1999, 2000]}),
        books / "good.parquet",
    )
    exp.good_ids.add("r1")
    exp.invalid[("books/good.parquet", 2)] = "null_text"
    exp.invalid_ids[("books/good.parquet", 2)] = "r2"
    exp.per_file["books/good.parquet"] = 2

    # 5b. text columns that are strings in other encodings (dictionary, string_view, binary),
    # a string column holding bytes that are not UTF-8, and a column written twice
    pq.write_table(
        pa.table(
            {
                "id": ["dc1", "dc2"],
                "text": pa.array([LONG + "dict", LONG + "dict2"]).dictionary_encode(),
            }
        ),
        books / "dict_text.parquet",
    )
    exp.good_ids |= {"dc1", "dc2"}
    pq.write_table(
        pa.table({"id": ["sv1"], "text": pa.array([LONG + "view"], pa.string_view())}),
        books / "view_text.parquet",
    )
    exp.good_ids.add("sv1")
    binary = pa.array([(LONG + "bytes").encode(), b"caf\xe9"], pa.binary())
    pq.write_table(pa.table({"id": ["bt1", "bt2"], "text": binary}), books / "binary_text.parquet")
    exp.good_ids.add("bt1")
    exp.invalid[("books/binary_text.parquet", 2)] = "invalid_utf8"
    exp.invalid_ids[("books/binary_text.parquet", 2)] = "bt2"
    not_utf8 = pa.array([(LONG + "u1").encode(), b"caf\xe9 " * 30], pa.binary()).view(pa.string())
    pq.write_table(pa.table({"id": ["u1", "u2"], "text": not_utf8}), books / "not_utf8.parquet")
    exp.good_ids.add("u1")
    exp.invalid[("books/not_utf8.parquet", 2)] = "invalid_utf8"
    exp.invalid_ids[("books/not_utf8.parquet", 2)] = "u2"
    pq.write_table(
        pa.table([pa.array(["t1"]), pa.array([LONG + "a"]), pa.array([LONG + "b"])],
                 names=["id", "text", "text"]),
        books / "two_text.parquet",
    )  # fmt: skip
    exp.invalid[("books/two_text.parquet", 1)] = "duplicate_key"
    exp.per_file |= {
        "books/dict_text.parquet": 2, "books/view_text.parquet": 1,
        "books/binary_text.parquet": 2, "books/not_utf8.parquet": 2, "books/two_text.parquet": 1,
    }  # fmt: skip

    # 6. plain text files: one document each; one is not UTF-8
    (books / "novel.txt").write_text(LONG + "a novel", encoding="utf-8")
    exp.good_rows += 1
    (books / "latin1.txt").write_bytes("déjà vu ".encode("latin-1") * 30)
    exp.invalid[("books/latin1.txt", 1)] = "invalid_utf8"
    exp.per_file |= {"books/novel.txt": 1, "books/latin1.txt": 1}

    # 7. an id used twice (across files): quarantine keeps the first by (file, line)
    (web / "zz_dupe.jsonl").write_bytes(_j({"id": "good-1", "text": LONG + "other text"}) + b"\n")
    exp.invalid[("web/zz_dupe.jsonl", 1)] = "duplicate_id"
    exp.per_file["web/zz_dupe.jsonl"] = 1

    # 8. things that are not input: ignored or skipped, never rows
    (web / "README.md").write_text("not data")
    (web / ".hidden.jsonl").write_bytes(_j({"text": "hidden"}))
    (root / "_meta").mkdir()
    (root / "_meta" / "x.jsonl").write_bytes(_j({"text": "ignored"}))
    return exp


def _whole_lines(packed: bytes, kind: str) -> int:
    """How many complete lines the first half of ``packed`` decompresses to."""
    half = packed[: len(packed) // 2]
    if kind == "gzip":
        out = zlib.decompressobj(31).decompress(half)
    else:
        out = zstandard.ZstdDecompressor().decompressobj().decompress(half)
    return out.count(b"\n")
