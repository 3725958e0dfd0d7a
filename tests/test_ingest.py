"""Ingest: every row of every file becomes a document or an invalid row; unreadable files fail
with their name; ids are stable; domain folder names cannot escape the run folder."""

from __future__ import annotations

import gzip
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
        "wrong_schema",
    }  # fmt: skip
    for r in bad.itertuples():
        assert r.detail.startswith(f"{r.src_file}:{r.src_line}: ")
        assert r.id == ingest.derived_id(r.src_file, r.src_line)
    good = df[df.invalid_reason.isna()]
    assert exp.good_ids <= set(good.id)
    assert len(good) == len(exp.good_ids) + exp.good_rows + 1  # + the duplicate id, still good here
    assert len(df) == exp.rows


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
