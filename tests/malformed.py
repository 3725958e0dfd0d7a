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

LONG = "A perfectly good document about trains and timetables. " * 4  # > 150 characters


def _j(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


@dataclass
class Expected:
    invalid: dict[tuple[str, int], str] = field(default_factory=dict)  # (rel file, line) -> reason
    good_ids: set[str] = field(default_factory=set)
    good_rows: int = 0  # good rows whose id is derived (not listed in good_ids)

    @property
    def rows(self) -> int:
        return len(self.invalid) + len(self.good_ids) + self.good_rows


def bad_jsonl_lines() -> list[tuple[bytes, str | None, str | None]]:
    """(line bytes, expected invalid reason or None, good id or None)."""
    return [
        (_j({"id": "good-1", "text": LONG + "one"}), None, "good-1"),
        (b'{"id": "x1", "text": "unterminated', "bad_json", None),
        (b"[1, 2, 3]", "not_an_object", None),
        (b'{"id": "x2", "text": "caf\xe9 au lait"}', "invalid_utf8", None),
        (_j({"id": "x3", "body": "no text field"}), "missing_text", None),
        (_j({"id": "x4", "text": None}), "null_text", None),
        (_j({"id": "x5", "text": 42}), "non_string_text", None),
        (_j({"id": "x6", "text": ["a", "list"]}), "non_string_text", None),
        (_j({"id": "x7", "text": "nul\u0000inside " + LONG}), "nul_bytes", None),
        (b'{"id": "x8", "text": "half \\ud800 a surrogate"}', "lone_surrogate", None),
        (_j({"id": {"nested": 1}, "text": LONG}), "bad_id", None),
        (_j({"id": "", "text": LONG}), "bad_id", None),
        (_j({"id": True, "text": LONG}), "bad_id", None),
        (b"", None, None),  # blank line: not a row
        (b"   \t ", None, None),  # blank line: not a row
        (_j({"id": 12345, "text": LONG + "int id", "url": "http://x"}), None, "12345"),
        (_j({"text": LONG + "no id"}), None, None),  # good, derived id
        (_j({"id": "good-2", "text": "short but fine"}) + b"\r", None, "good-2"),  # CRLF
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
        elif good:
            exp.good_ids.add(good)
        elif raw.strip():
            exp.good_rows += 1

    # 2. a gzip file cut off in the middle (the tail is one truncated_file row)
    body = b"".join(_j({"id": f"gz-{i}", "text": LONG + str(i)}) + b"\n" for i in range(200))
    packed = gzip.compress(body, mtime=0)
    (web / "cut.jsonl.gz").write_bytes(packed[: len(packed) // 2])
    n_whole = _whole_lines(packed, "gzip")
    exp.good_ids.update(f"gz-{i}" for i in range(n_whole))
    exp.invalid[("web/cut.jsonl.gz", n_whole + 1)] = "truncated_file"

    # 3. a zstd file cut off in the middle
    zbody = b"".join(_j({"id": f"zs-{i}", "text": LONG + str(i)}) + b"\n" for i in range(300))
    zpacked = zstandard.ZstdCompressor(level=3).compress(zbody)
    (web / "cut.jsonl.zst").write_bytes(zpacked[: len(zpacked) // 2])
    nz = _whole_lines(zpacked, "zstd")
    exp.good_ids.update(f"zs-{i}" for i in range(nz))
    exp.invalid[("web/cut.jsonl.zst", nz + 1)] = "truncated_file"

    # 4. Parquet without a text column, and Parquet whose text column is not a string
    pq.write_table(pa.table({"id": ["p1", "p2"], "body": ["a", "b"]}), books / "no_text.parquet")
    exp.invalid[("books/no_text.parquet", 1)] = "wrong_schema"
    exp.invalid[("books/no_text.parquet", 2)] = "wrong_schema"
    pq.write_table(pa.table({"id": ["q1"], "text": [7]}), books / "int_text.parquet")
    exp.invalid[("books/int_text.parquet", 1)] = "wrong_schema"

    # 5. good Parquet with a null text row and extra columns
    pq.write_table(
        pa.table({"id": ["r1", "r2"], "text": [LONG + "parquet", None], "year": [1999, 2000]}),
        books / "good.parquet",
    )
    exp.good_ids.add("r1")
    exp.invalid[("books/good.parquet", 2)] = "null_text"

    # 6. plain text files: one document each; one is not UTF-8
    (books / "novel.txt").write_text(LONG + "a novel", encoding="utf-8")
    exp.good_rows += 1
    (books / "latin1.txt").write_bytes("déjà vu ".encode("latin-1") * 30)
    exp.invalid[("books/latin1.txt", 1)] = "invalid_utf8"

    # 7. an id used twice (across files): quarantine keeps the first by (file, line)
    (web / "zz_dupe.jsonl").write_bytes(_j({"id": "good-1", "text": LONG + "other text"}) + b"\n")
    exp.invalid[("web/zz_dupe.jsonl", 1)] = "duplicate_id"

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
