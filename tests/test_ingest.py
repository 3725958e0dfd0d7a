"""Ingest: every row of every file becomes a document or an invalid row; unreadable files fail
with their name; ids are stable; domain folder names cannot escape the run folder."""

from __future__ import annotations

import gzip
import io
import random
import zlib
from pathlib import Path

import pyarrow as pa
import pytest

from curation import schema as S
from curation.config import IngestConfig
from curation.domains import DomainNameError, sanitize_folder_name, validate_domain_name
from curation.stages import ingest
from curation.storage import LocalStorage, normalize_uri
from tests.malformed import LONG, write_tree


def _read_tree(root: Path, cfg: IngestConfig | None = None) -> tuple[ingest.InputPlan, pa.Table]:
    cfg = cfg or IngestConfig()
    uri = normalize_uri(root)
    plan = ingest.plan_inputs(LocalStorage().list_files(uri), uri, cfg)
    tables = []
    for f in plan.files:
        data = Path(f.uri.removeprefix("file://")).read_bytes()
        tables.extend(ingest.read_file(data, f, cfg))
    return plan, pa.concat_tables(tables)


def test_every_bad_row_is_an_invalid_row_with_file_and_line(tmp_path):
    exp = write_tree(tmp_path)
    plan, rows = _read_tree(tmp_path)
    assert plan.domains == ["books", "web"]
    assert sorted(plan.skipped) == ["web/README.md"]
    assert sorted(plan.ignored) == ["_meta/x.jsonl", "web/.hidden.jsonl"]
    df = rows.to_pandas()
    bad = df[df.invalid_reason.notna()]
    got = {(r.src_file, r.src_line): r.invalid_reason for r in bad.itertuples()}
    expected = {k: v for k, v in exp.invalid.items() if v != "duplicate_id"}  # a Spark-side rule
    assert got == expected
    assert set(expected.values()) == {
        "bad_json", "not_an_object", "invalid_utf8", "missing_text", "null_text",
        "non_string_text", "nul_bytes", "lone_surrogate", "bad_id", "truncated_file",
        "wrong_schema", "duplicate_key", "too_deep",
    }  # fmt: skip
    for r in bad.itertuples():
        assert r.detail.startswith(f"{r.src_file}:{r.src_line}: ")
        # the row's own id when it had a valid one, else the id derived from file and line
        given = exp.invalid_ids.get((r.src_file, r.src_line))
        assert r.id == (given or ingest.derived_id(r.src_file, r.src_line))
    good = df[df.invalid_reason.isna()]
    assert exp.good_ids <= set(good.id)
    assert len(good) == len(exp.good_ids) + exp.good_rows + 1  # + the duplicate id, still good here
    assert len(df) == exp.rows
    # conservation per file: every input row of every file is a document or an invalid row
    per_file = df.groupby("src_file").size().to_dict()
    assert per_file == exp.rows_per_file()


def test_invalid_rows_keep_their_raw_input(tmp_path):
    write_tree(tmp_path)
    _, rows = _read_tree(tmp_path)
    df = rows.to_pandas().set_index(["src_file", "src_line"])
    assert df.loc[("web/rows.jsonl", 2)].text == '{"id": "x1", "text": "unterminated'
    assert "caf\ufffd au lait" in df.loc[("web/rows.jsonl", 4)].text  # undecodable byte replaced
    assert df.loc[("web/rows.jsonl", 10)].text.count("\\ud800") == 1


def test_good_rows(tmp_path):
    write_tree(tmp_path)
    _, rows = _read_tree(tmp_path)
    df = rows.to_pandas()
    first = df[df.id == "good-1"].iloc[0]
    assert first.text == LONG + "one"  # the BOM is not part of the first document
    assert first.src_line == 1 and first.src_domain == "web" and first.domain == "web"
    assert df[df.id == "good-2"].iloc[0].text == "short but fine"  # CR of CRLF removed
    int_id = df[df.id == "12345"].iloc[0]
    assert int_id.meta == '{"url":"http://x"}'
    derived = df[(df.src_file == "web/rows.jsonl") & (df.src_line == 17)].iloc[0]
    assert derived.id == ingest.derived_id("web/rows.jsonl", 17) and len(derived.id) == 32
    assert df[df.id == "r1"].iloc[0].meta == '{"year":1999}'
    novel = df[df.src_file == "books/novel.txt"].iloc[0]
    assert novel.text == LONG + "a novel" and novel.src_line == 1


def test_ids_are_stable_and_independent_of_the_input_location(tmp_path):
    write_tree(tmp_path / "a")
    write_tree(tmp_path / "b")
    _, one = _read_tree(tmp_path / "a")
    _, two = _read_tree(tmp_path / "b")
    assert one.column(S.ID).to_pylist() == two.column(S.ID).to_pylist()


def test_txt_line_mode(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "lines.txt.gz").write_bytes(gzip.compress(b"first doc\n\nsecond doc\n"))
    _, rows = _read_tree(tmp_path, IngestConfig(txt_unit="line"))
    assert rows.column(S.TEXT).to_pylist() == ["first doc", "second doc"]
    assert rows.column(S.SRC_LINE).to_pylist() == [1, 3]


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("notgzip.jsonl.gz", b'{"text": "plain"}\n', "not a valid gzip file"),
        ("garbage.jsonl.zst", b"\x00\x01\x02 not zstd at all", "not a valid zstd file"),
        ("garbage.parquet", b"PAR1 this is not parquet", "not a readable Parquet file"),
        (  # a wrong CRC at the end of the member
            "badcrc.jsonl.gz",
            gzip.compress(b'{"text": "x"}\n' * 1000)[:-8] + b"\x00" * 8,
            "corrupt gzip data",
        ),
    ],
)
def test_unreadable_file_fails_naming_it(tmp_path, name, content, problem):
    f = ingest.InputFile(f"file:///x/d/{name}", f"d/{name}", "d", len(content))
    with pytest.raises(ingest.InputFileError) as err:
        list(ingest.read_file(content, f, IngestConfig()))
    assert f"d/{name}" in str(err.value) and problem in str(err.value)


@pytest.mark.parametrize("stream", [False, True])
def test_gzip_reader_gives_zlib_bytes(stream):
    """The gzip reader (ISA-L) against zlib: output far larger than the input (chunks cut by
    the output limit), several members with zero padding, and a truncated stream."""
    rng = random.Random(7)
    noise = bytes(rng.getrandbits(8) for _ in range(200_000))
    cases = [
        gzip.compress(noise + b"a" * 12_000_000, 1),
        gzip.compress(b"abc\n" * 10) + gzip.compress(b"def\n" * 2_000_000) + b"\x00" * 64,
        gzip.compress(noise * 3)[:300_000],
    ]
    for data in cases:
        expected, truncated = b"", False
        rest = data
        while rest.strip(b"\x00"):
            dec = zlib.decompressobj(31)
            expected += dec.decompress(rest) + dec.flush()
            if not dec.eof:
                truncated = True
                break
            rest = dec.unused_data
        parts = list(ingest._decompressed_chunks(io.BytesIO(data) if stream else data, "gzip", "f"))
        assert (parts[-1] is None) == truncated
        got = [p for p in parts if p is not None]
        assert b"".join(got) == expected
        assert max(map(len, got)) <= 1 << 22


def test_multi_member_gzip(tmp_path):
    data = gzip.compress(b'{"text": "a"}\n') + gzip.compress(b'{"text": "b"}\n')
    f = ingest.InputFile("file:///x/d/m.jsonl.gz", "d/m.jsonl.gz", "d", len(data))
    rows = pa.concat_tables(ingest.read_file(data, f, IngestConfig()))
    assert rows.column(S.TEXT).to_pylist() == ["a", "b"]
    assert rows.column(S.INVALID_REASON).null_count == 2


def test_batches_are_bounded(tmp_path):
    data = b"".join(b'{"text": "doc %d"}\n' % i for i in range(1000))
    f = ingest.InputFile("file:///x/d/m.jsonl", "d/m.jsonl", "d", len(data))
    tables = list(ingest.read_file(data, f, IngestConfig(batch_rows=128)))
    assert max(t.num_rows for t in tables) == 128
    assert sum(t.num_rows for t in tables) == 1000


# --- domain names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("folder", "domain"),
    [
        ("cc", "cc"),
        ("algebraic-stack", "algebraic-stack"),
        ("my domain", "my_domain"),
        ("domain=x", "domain_x"),
        ("..secret", "secret"),
        ("a/../b", "a_.._b"),
        ("ｗｉｋｉ", "wiki"),  # NFKC folds full-width letters
    ],
)
def test_folder_names_are_sanitised(folder, domain):
    assert sanitize_folder_name(folder) == domain
    assert validate_domain_name(domain) == domain


@pytest.mark.parametrize("folder", ["..", ".", "___", "новости", "%%%"])
def test_folder_names_without_usable_characters_are_refused(folder):
    with pytest.raises(DomainNameError, match="domain_map"):
        sanitize_folder_name(folder)


@pytest.mark.parametrize("name", ["..", "../etc", "a/b", "", "x=y", ".hidden", "a b", "ru\\CC"])
def test_configured_domain_names_are_validated(name):
    with pytest.raises(DomainNameError):
        validate_domain_name(name)


def test_two_folders_with_one_domain_name_are_refused(tmp_path):
    for folder in ("a b", "a_b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.jsonl").write_text('{"text": "t"}\n')
    uri = normalize_uri(tmp_path)
    with pytest.raises(ingest.InputLayoutError, match="both give domain 'a_b'"):
        ingest.plan_inputs(LocalStorage().list_files(uri), uri, IngestConfig())


def test_domain_map_and_single_domain(tmp_path):
    (tmp_path / "новости").mkdir()
    (tmp_path / "новости" / "x.jsonl").write_text('{"text": "t"}\n')
    uri = normalize_uri(tmp_path)
    files = LocalStorage().list_files(uri)
    plan = ingest.plan_inputs(files, uri, IngestConfig(domain_map={"новости": "news-ru"}))
    assert plan.domains == ["news-ru"]
    (tmp_path / "loose.jsonl").write_text('{"text": "t"}\n')
    files = LocalStorage().list_files(uri)
    plan = ingest.plan_inputs(files, uri, IngestConfig(domain="all"))
    assert plan.domains == ["all"] and len(plan.files) == 2


def test_empty_input_is_an_error(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "notes.md").write_text("x")
    uri = normalize_uri(tmp_path)
    with pytest.raises(ingest.InputLayoutError, match="no input files"):
        ingest.plan_inputs(LocalStorage().list_files(uri), uri, IngestConfig())


def test_streams_read_in_tiny_pieces_give_the_same_rows(tmp_path, monkeypatch):
    """A file read as a stream, a few bytes at a time (gzip, zstd, truncated tails, a BOM,
    several gzip members with zero padding), gives exactly the rows of the whole file."""
    import io

    write_tree(tmp_path)
    multi = tmp_path / "web" / "multi.jsonl.gz"
    parts = [gzip.compress(f'{{"id": "m{i}", "text": "{LONG}{i}"}}\n'.encode()) for i in range(3)]
    multi.write_bytes(b"".join(parts) + b"\x00" * 10)
    plan, whole = _read_tree(tmp_path)
    monkeypatch.setattr(ingest, "_CHUNK", 7)
    monkeypatch.setattr(ingest, "_ZSTD_IN", 5)
    cfg = IngestConfig()
    streamed = []
    for f in plan.files:
        data = Path(f.uri.removeprefix("file://")).read_bytes()
        streamed.extend(ingest.read_file(io.BytesIO(data), f, cfg))
    assert pa.concat_tables(streamed).to_pylist() == whole.to_pylist()
    assert {"m0", "m1", "m2"} <= set(whole.column("id").to_pylist())


def test_batches_are_bounded_by_characters(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.jsonl").write_text(
        "".join(f'{{"id": "{i}", "text": "{"y" * 100}"}}\n' for i in range(50))
    )
    plan, _ = _read_tree(tmp_path)
    data = Path(plan.files[0].uri.removeprefix("file://")).read_bytes()
    tables = list(ingest.read_file(data, plan.files[0], IngestConfig(batch_chars=1000)))
    assert [t.num_rows for t in tables] == [10] * 5


# --- hostile JSON: duplicate keys, ids of invalid rows, surrogates, depth, big integers (#16) ----


def _rows(lines: list[bytes], cfg: IngestConfig | None = None) -> list[dict]:
    data = b"\n".join(lines) + b"\n"
    f = ingest.InputFile("file:///x/d/h.jsonl", "d/h.jsonl", "d", len(data))
    rows = pa.concat_tables(ingest.read_file(data, f, cfg or IngestConfig())).to_pylist()
    assert len(rows) == len(lines)  # conservation: one row per input line
    return rows


def _one(line: bytes) -> dict:
    return _rows([line])[0]


@pytest.mark.parametrize(
    ("line", "detail"),
    [
        (
            b'{"id": "a", "text": "first", "text": "second"}',
            "key 'text' appears more than once in one object (a JSON parser keeps only the last "
            "value): write each key once",
        ),
        (
            b'{"id": "a", "text": "t", "m": {"k": 1, "k": 2}, "id": "b"}',
            "key 'k', 'id' appears more than once in one object (a JSON parser keeps only the last "
            "value): write each key once",
        ),
    ],
)
def test_duplicate_keys_are_quarantined_not_overwritten(line, detail):
    row = _one(line)
    assert row[S.INVALID_REASON] == "duplicate_key"
    assert row[S.DETAIL] == f"d/h.jsonl:1: {detail}"
    assert row[S.TEXT] == line.decode()  # both values are in the ledger, as written


@pytest.mark.parametrize("escaped_colons", [False, True])
def test_duplicate_key_detection_is_exact(escaped_colons):
    """The fast path's count (':' outside strings == keys parsed) against the stdlib's pairs."""
    import json
    import random

    rnd = random.Random(7)
    pieces = ["a", "b", ":", "x:y", "\\\\", '\\"', "п", " ", "\\u0444"]
    if escaped_colons:
        pieces += ["\\u003a", "\\u003A"]

    def word() -> str:
        return "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 4)))

    def obj(depth: int) -> str:
        keys = [word() for _ in range(rnd.randint(0, 4))]
        if keys and rnd.random() < 0.3:
            keys.append(rnd.choice(keys))  # a duplicate
        values = []
        for _ in keys:
            r = rnd.random()
            values.append(obj(depth + 1) if r < 0.2 and depth < 3 else
                          f'"{word()}"' if r < 0.8 else str(rnd.randint(-5, 5)))  # fmt: skip
        return "{" + ", ".join(f'"{k}" {":"} {v}' for k, v in zip(keys, values, strict=True)) + "}"

    def has_duplicates(text: str) -> bool:
        found = []

        def pairs(items):
            found.append(len(dict(items)) != len(items))
            return dict(items)

        json.loads(text, object_pairs_hook=pairs)
        return any(found)

    lines = [f'{{"text": "t{i}", "m": {obj(0)}}}'.encode() for i in range(400)]
    rows = _rows(lines)
    truth = [has_duplicates(line.decode()) for line in lines]
    assert 40 < sum(truth) < 360  # both kinds are well represented
    got = [r[S.INVALID_REASON] == "duplicate_key" for r in rows]
    assert got == truth
    assert all(r[S.INVALID_REASON] is None for r, dup in zip(rows, truth, strict=True) if not dup)


def test_invalid_rows_keep_a_valid_id_of_their_own():
    rows = _rows(
        [
            b'{"id": "nul-1", "text": "a\\u0000b"}',
            b'{"id": "sur-1", "text": "a \\ud800 b"}',
            b'{"id": 77, "text": null}',
            b'{"id": ["no"], "text": "a\\u0000b"}',  # the id itself is not valid: derived
            b'{"text": "a\\u0000b"}',  # no id: derived
        ]
    )
    assert [r[S.INVALID_REASON] for r in rows] == [
        "nul_bytes", "lone_surrogate", "null_text", "nul_bytes", "nul_bytes",
    ]  # fmt: skip
    assert [r[S.ID] for r in rows] == [
        "nul-1", "sur-1", "77", ingest.derived_id("d/h.jsonl", 4), ingest.derived_id("d/h.jsonl", 5),
    ]  # fmt: skip
    assert rows[0][S.DETAIL] == "d/h.jsonl:1: text contains a NUL character at position 1"
    assert rows[1][S.DETAIL] == (
        "d/h.jsonl:2: field 'text' contains a lone UTF-16 surrogate (not valid Unicode)"
    )


@pytest.mark.parametrize(
    ("line", "reason", "detail"),
    [
        (
            b'{"id": "s", "text": "ok", "title": "x \\udc00"}',
            "lone_surrogate",
            "field 'title' contains a lone UTF-16 surrogate (not valid Unicode)",
        ),
        (
            b'{"id": "s", "text": "ok", "m": [{"\\ud800k": 1}]}',
            "lone_surrogate",
            "a key inside field 'm' contains a lone UTF-16 surrogate (not valid Unicode)",
        ),
        (
            b'{"id": "s", "text": "ok", "\\ud83d": 1}',
            "lone_surrogate",
            "key '\\ud83d' contains a lone UTF-16 surrogate (not valid Unicode)",
        ),
        (
            b'{"id": "s", "text": "ok", "m": ' + b"[" * 1000 + b"]" * 1000 + b"}",
            "too_deep",
            "field 'm' is nested more than 128 levels deep",
        ),
        (
            b'{"id": "s", "text": "ok", "m": ' + b"[" * 5000 + b"]" * 5000 + b"}",
            "too_deep",
            "nested more than 128 levels deep",
        ),
        (
            b'{"id": "s", "text": "ok", "m": {"a": 1, "b": NaN}}',
            "bad_json",
            "not valid JSON: NaN is not a JSON value",
        ),
    ],
)
def test_hostile_fields_are_invalid_rows_not_crashes(line, reason, detail):
    rows = _rows([b'{"id": "before", "text": "fine"}', line, b'{"id": "after", "text": "fine"}'])
    assert [r[S.INVALID_REASON] for r in rows] == [None, reason, None]
    assert rows[1][S.DETAIL] == f"d/h.jsonl:2: {detail}"
    assert rows[1][S.TEXT] == line.decode("utf-8")[:2000].replace("\ud800", "\ufffd")


def test_depth_limit_is_exactly_max_depth():
    def nested(levels: int) -> bytes:  # the record is level 1, "m" adds levels - 1
        return b'{"text": "t", "m": ' + b"[" * (levels - 1) + b"]" * (levels - 1) + b"}"

    ok, deep = _rows([nested(ingest.MAX_DEPTH), nested(ingest.MAX_DEPTH + 1)])
    assert ok[S.INVALID_REASON] is None
    assert ok[S.META] == '{"m":' + "[" * (ingest.MAX_DEPTH - 1) + "]" * (ingest.MAX_DEPTH - 1) + "}"
    assert deep[S.INVALID_REASON] == "too_deep"


def test_integers_beyond_64_bits_are_kept_exactly():
    big = 123456789012345678901234567890
    rows = _rows(
        [
            b'{"id": %d, "text": "big id"}' % big,
            b'{"id": 18446744073709551616, "text": "just above u64"}',
            b'{"id": 18446744073709551615, "text": "u64 max"}',
            b'{"id": "m", "text": "t", "n": %d, "f": 1.25, "neg": -%d}' % (big, big),
            b'{"id": 1.5, "text": "a float is not an id"}',
        ]
    )
    assert [r[S.ID] for r in rows[:4]] == [
        str(big), "18446744073709551616", "18446744073709551615", "m",
    ]  # fmt: skip
    assert rows[3][S.META] == f'{{"f":1.25,"n":{big},"neg":-{big}}}'
    assert rows[4][S.INVALID_REASON] == "bad_id"
    assert rows[4][S.DETAIL] == "d/h.jsonl:5: 'id' is 1.5, not a string or integer"


def test_fixture_rows_that_take_the_exact_path_keep_their_values(tmp_path):
    write_tree(tmp_path)
    _, rows = _read_tree(tmp_path)
    df = rows.to_pandas().set_index(S.ID)
    c1 = df.loc["c1"]
    assert c1.invalid_reason is None
    assert c1.text == "at 12:30 : http://x.y/?a=b:c " + LONG  # the escaped colon decoded
    assert c1.meta == '{"a:b":"x:y"}'
    assert df.loc["b1"].meta == '{"f":0.5,"n":123456789012345678901234567890}'


# --- Parquet text columns in other encodings (#16) -----------------------------------------------


def _parquet_rows(table: pa.Table) -> list[dict]:
    import io

    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(table, buf)
    data = buf.getvalue()
    f = ingest.InputFile("file:///x/d/p.parquet", "d/p.parquet", "d", len(data))
    rows = pa.concat_tables(ingest.read_file(data, f, IngestConfig())).to_pylist()
    assert len(rows) == table.num_rows  # conservation
    return rows


@pytest.mark.parametrize(
    "column",
    [
        pa.array(["one", "two", "one"]).dictionary_encode(),
        pa.array(["one", "two", "one"], pa.large_string()).dictionary_encode(),
        pa.array(["one", "two", "one"], pa.string_view()),
        pa.array(["one", "two", "one"], pa.large_string()),
        pa.array([b"one", b"two", b"one"], pa.binary()),
    ],
    ids=["dictionary", "large-dictionary", "string_view", "large_string", "binary"],
)
def test_parquet_text_in_any_string_encoding_is_read(column):
    rows = _parquet_rows(pa.table({"id": ["a", "b", "c"], "text": column}))
    assert [(r[S.ID], r[S.TEXT], r[S.INVALID_REASON]) for r in rows] == [
        ("a", "one", None), ("b", "two", None), ("c", "one", None),
    ]  # fmt: skip


def test_parquet_strings_that_are_not_utf8_are_invalid_rows():
    text = pa.array([b"fine", b"caf\xe9", b"also fine"], pa.binary()).view(pa.string())
    rows = _parquet_rows(pa.table({"id": ["a", "b", "c"], "text": text}))
    assert [r[S.INVALID_REASON] for r in rows] == [None, "invalid_utf8", None]
    assert rows[1][S.ID] == "b"
    assert rows[1][S.DETAIL] == "d/p.parquet:2: column 'text': invalid UTF-8 at byte 3"


def test_parquet_column_written_twice_is_quarantined():
    rows = _parquet_rows(
        pa.table(
            [pa.array(["a", "b"]), pa.array(["x", "y"]), pa.array(["z", "w"])],
            names=["id", "text", "text"],
        )  # fmt: skip
    )
    assert [r[S.INVALID_REASON] for r in rows] == ["duplicate_key", "duplicate_key"]
    assert rows[0][S.DETAIL] == (
        "d/p.parquet:1: Parquet schema has column(s) 'text' more than once (a reader keeps only "
        "one of them): write each column once"
    )


# --- the documents' texts handed on as Python strings; the plain-document path (#17) -------------


def test_batches_hand_on_the_texts_of_valid_rows_and_none_for_invalid_ones(tmp_path):
    write_tree(tmp_path)
    cfg = IngestConfig(batch_rows=7)
    uri = normalize_uri(tmp_path)
    plan = ingest.plan_inputs(LocalStorage().list_files(uri), uri, cfg)
    seen_invalid = seen_valid = 0
    for f in plan.files:
        data = Path(f.uri.removeprefix("file://")).read_bytes()
        batches = list(ingest.read_batches(data, f, cfg))
        assert [b.table for b in batches] == list(ingest.read_file(data, f, cfg))
        for b in batches:
            rows = b.table.to_pylist()
            assert len(b.texts) == len(rows)
            for row, text in zip(rows, b.texts, strict=True):
                if row[S.INVALID_REASON] is None:
                    assert text == row[S.TEXT]
                    seen_valid += 1
                else:
                    assert text is None
                    seen_invalid += 1
    assert seen_valid > 10 and seen_invalid > 10


@pytest.mark.parametrize(
    "line",
    [
        b'{"id": "a", "text": "plain"}',
        b'{"text": "t: with a colon", "id": "b:1", "source": "x:y", "n": 3, "ok": true}',
        b'{"id": "c", "text": "t", "z": null, "a": "\\u00e9\\u4e2d\\ud83d\\ude00"}',
        b'{"id": "d", "text": "t", "k:e:y": "v"}',
        b'{"id": "e", "text": "t", "m": {"a": 1}}',  # nested: the general path
        b'{"id": "f", "text": "t", "f": 1.5}',  # a float: the general path
        b'{"id": "g", "text": "t", "id": "h"}',  # a key twice: the general path
        b'{"id": "i", "text": "t", "x": "a\\u003a", "x\\u003a": 1}',  # escaped ':'
        b'{"id": "  ", "text": "t"}',  # a blank id: the general path (invalid)
        b'{"id": 12, "text": "t"}',  # an integer id: the general path
        b'{"id": "j", "text": "nul\\u0000"}',  # NUL: the general path (invalid)
        b'{"id": "k", "text": null}',
    ],
)
def test_the_plain_document_path_adds_what_the_general_path_adds(line):
    import orjson

    cfg = IngestConfig()
    f = ingest.InputFile("file:///x/d/h.jsonl", "d/h.jsonl", "d", len(line))
    fast, general = ingest._Batcher(f, cfg), ingest._Batcher(f, cfg)
    rec = orjson.loads(line)
    shape = ingest._flat_shape(rec)  # None for a nested record: the general path
    took = shape is not None and ingest._plain_document(fast, 1, rec, line, shape, cfg)
    ingest._parse_json_line(general, 1, line, cfg)
    if took:
        assert fast.flush().table.to_pylist() == general.flush().table.to_pylist()
    else:
        assert len(fast) == 0 and len(general) == 1
    # the plain path takes exactly the flat, single-keyed, valid documents
    assert took == (line[:10] in (b'{"id": "a"', b'{"text": "', b'{"id": "c"', b'{"id": "d"'))
