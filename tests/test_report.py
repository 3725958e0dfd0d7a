"""``curation report`` and ``curation stats``: their numbers are the manifests' numbers."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import pyarrow.compute as pc
import pytest

from curation.__main__ import main
from curation.datasets import read_kept, read_ledger, read_manifest

DATASETS = ("dataset-1", "dataset-2", "dataset-3")


class _Tables(HTMLParser):
    """Every ``<table id=...>`` of a page as a list of rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = dict(attrs).get("id")
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None


def _frame(rows: list[list[str]]) -> dict[str, dict[str, str]]:
    head, *body = rows
    return {r[0]: dict(zip(head[1:], r[1:], strict=True)) for r in body}


def _int(text: str) -> int:
    return int(text.replace(",", ""))


@pytest.fixture(scope="module")
def report(demo_run, tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("report") / "report.html"
    assert main(["report", str(demo_run), "--out", str(out)]) == 0
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def tables(report) -> dict[str, dict[str, dict[str, str]]]:
    parser = _Tables()
    parser.feed(report)
    return {k: _frame(v) for k, v in parser.tables.items() if k}


def _check(table: dict[str, dict[str, str]], bucket: dict) -> None:
    assert _int(table["rows_in"]) == bucket["rows_in"]
    assert _int(table["rows_out"]) == bucket["rows_out"]
    shown = {k.split(":", 1)[1]: _int(v) for k, v in table.items() if k.startswith("removed:")}
    assert {r: n for r, n in shown.items() if n} == {
        r: n for r, n in bucket["removed"].items() if n
    }


@pytest.mark.parametrize("dataset", DATASETS)
def test_manifest_tables_equal_manifests(demo_run, tables, dataset):
    manifest = read_manifest(str(demo_run), dataset)
    table = tables[f"manifest-{dataset}"]
    assert set(table) == set(manifest["per_domain"]) | {"TOTAL"}
    for domain, bucket in manifest["per_domain"].items():
        _check(table[domain], bucket)
    _check(table["TOTAL"], manifest)
    if "per_output_domain" in manifest:
        by_output = tables[f"manifest-{dataset}-per_output_domain"]
        for domain, bucket in manifest["per_output_domain"].items():
            _check(by_output[domain], bucket)


def test_funnel_equals_manifests(demo_run, tables):
    m = {d: read_manifest(str(demo_run), d) for d in DATASETS}
    funnel = tables["funnel-documents"]
    total = funnel["TOTAL"]
    assert _int(total["raw"]) == m["dataset-1"]["rows_in"]
    assert _int(total["D1"]) == m["dataset-1"]["rows_out"]
    assert _int(total["D2"]) == m["dataset-2"]["rows_out"]
    assert _int(total["D3"]) == m["dataset-3"]["rows_out"]
    assert _int(total["exact"]) == m["dataset-1"]["removed_by_stage"].get("exact_dedup", 0)
    assert _int(total["length"]) == m["dataset-1"]["removed_by_stage"].get("length", 0)
    assert _int(total["kmeans"]) == m["dataset-2"]["removed_by_stage"]["semdedup_kmeans"]
    assert _int(total["hdbscan"]) == m["dataset-3"]["removed_by_stage"]["semdedup_hdbscan"]
    for domain, bucket in m["dataset-3"]["per_domain"].items():
        assert _int(funnel[domain]["D3"]) == bucket["rows_out"]
        assert _int(funnel[domain]["D2"]) == m["dataset-2"]["per_domain"][domain]["rows_out"]
    if (demo_run / "tokens" / "_SUCCESS").exists():
        tokens = read_manifest(str(demo_run), "tokens")
        assert _int(total["tokens"]) == tokens["documents"]
    else:
        assert "tokens" not in total  # no tokens/ in this run: the column is left out


def test_characters_equal_the_data(demo_run, tables):
    chars = tables["funnel-characters"]
    kept = read_kept(str(demo_run), "dataset-3", ["n_chars"])
    assert _int(chars["TOTAL"]["D3"]) == pc.sum(kept.column("n_chars")).as_py()
    ledger = read_ledger(str(demo_run), "dataset-2", ["text"])
    assert _int(chars["TOTAL"]["kmeans"]) == pc.sum(pc.utf8_length(ledger.column("text"))).as_py()


def test_self_contained_with_plots(report):
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([^"]+)"', report)
    names = {alt for alt, _ in images}
    assert {"funnel per domain", "eps curves", "HDBSCAN map", "k-means maps"} <= names
    for _, data in images:
        png = base64.b64decode(data)
        assert png.startswith(b"\x89PNG") and len(png) > 10_000
    assert "<script" not in report and "<link" not in report and 'src="http' not in report


def test_gallery_shows_real_pairs(demo_run, report):
    pairs = re.findall(r"removed: ([^<]+)</div>.*?twin: ([^ <]+) \(", report, flags=re.S)
    ledgers = {
        d: read_ledger(str(demo_run), d, ["id", "stage", "duplicate_of"]).to_pandas()
        for d in DATASETS
    }
    twin = {r.id: (r.stage, r.duplicate_of) for df in ledgers.values() for r in df.itertuples()}
    stages = {twin[removed][0] for removed, _ in pairs}
    assert stages == {"exact_dedup", "semdedup_kmeans", "semdedup_hdbscan"}
    for removed, shown_twin in pairs:
        assert twin[removed][1] == shown_twin


def test_stats_prints_every_manifest(demo_run, capsys):
    assert main(["stats", str(demo_run)]) == 0
    out = capsys.readouterr().out
    for dataset in DATASETS:
        m = read_manifest(str(demo_run), dataset)
        assert f"== {dataset}: {m['rows_in']:,} in, {m['rows_out']:,} out" in out
    for stage in ("embeddings", "clusters/kmeans", "clusters/hdbscan"):
        assert f"== {stage}" in out
