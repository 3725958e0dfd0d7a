"""Inspection commands against hostile runs (#16): a report for a run whose language ID removed
nothing, terminal output that no document can take over, an SVG map that stays well-formed XML."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from curation.config import load_config
from curation.datasets import read_kept, read_ledger, read_manifest
from curation.inspect import explain, funnel, interactive, plots, report
from curation.pipeline import dataset1
from curation.printable import for_terminal, for_xml

REPO = Path(__file__).resolve().parents[1]
LONG = "A perfectly good document about trains, timetables and the people who keep them. " * 3
EVIL_ID = "evil\x1b[31m-id"
EVIL_TEXT = (
    "Hello \x1b]0;pwned\x07\x1b[2J\x1b[31mred\x9b1m and \r overwritten \u202egnp.exe " + LONG
)
# what must never reach a terminal: C0 controls but tab/newline, DEL, C1, bidi controls
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def hostile_run(spark, tmp_path_factory) -> Path:
    """Dataset-1 of a small input whose documents hold terminal escape sequences; language ID
    filters no domain, so it removes nothing."""
    root = tmp_path_factory.mktemp("hostile")
    web = root / "input" / "web"
    web.mkdir(parents=True)
    docs = [
        {"id": EVIL_ID, "text": EVIL_TEXT},
        {"id": "dup-1", "text": EVIL_TEXT},  # its exact twin (dup-1 < evil...: dup-1 is kept)
        {"id": "plain-1", "text": LONG},
        {"id": "ru-1", "text": "Это обычный русский документ о поездах и расписаниях. " * 4},
        {"id": "short-1", "text": "too short"},
        {"id": "nul-1", "text": "a NUL \u0000 inside " + LONG},  # invalid, keeps its own id
    ]
    (web / "a.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    (web / "notes\x1b]0;pwned\x07.md").write_text("not input: listed in the manifest")
    cfg = load_config("reference", ["langid.engine=cld2", "langid.domains=[]"])
    dataset1.run(spark, str(root / "input"), str(root / "run"), cfg)
    return root / "run"


def test_report_of_a_run_whose_language_id_removed_nothing(hostile_run, tmp_path):
    manifest = read_manifest(str(hostile_run), "dataset-1")
    assert "langid" not in manifest["removed_by_stage"]
    kept = read_kept(str(hostile_run), "dataset-1").to_pandas()
    ledger = read_ledger(str(hostile_run), "dataset-1").to_pandas()
    assert manifest["rows_in"] == 6 == len(kept) + len(ledger)  # conservation
    assert pd.concat([kept.src_file, ledger.src_file]).value_counts().to_dict() == {
        "web/a.jsonl": 6
    }
    langs = funnel.languages(str(hostile_run))
    assert list(langs.columns) == ["kept", "removed"]
    assert langs["removed"].sum() == 0 and langs["kept"].sum() == len(kept)
    assert langs.loc[("web", "ru"), "kept"] == 1
    plots.languages(langs)  # raised "cannot join with no overlapping index names"
    out = report.write_report(str(hostile_run), str(tmp_path / "report.html"))
    html = Path(out).read_text(encoding="utf-8")
    assert '<img alt="languages"' in html and 'id="distributions"' in html


def test_languages_plot_with_only_removals():
    frame = pd.DataFrame(
        {"removed": [3, 1]}, index=pd.MultiIndex.from_tuples([("cc", "de"), ("cc", "fr")])
    )
    fig = plots.languages(frame)
    widths = [p.get_width() for p in fig.axes[0].patches]
    assert sorted(w for w in widths if w) == [1, 3]


def _python(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "curation", *args],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )  # fmt: skip


def test_explain_cannot_write_escape_sequences_to_the_terminal(hostile_run):
    proc = _python("explain", str(hostile_run), EVIL_ID)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not UNSAFE.findall(proc.stdout + proc.stderr)
    lines = proc.stdout.splitlines()
    assert lines[0] == "id       evil\\x1b[31m-id"
    assert lines[3] == "verdict  REMOVED by exact_dedup (exact_duplicate) in dataset-1"
    assert "twin     dup-1" in lines
    # the text is still all there, its control characters shown as escapes
    shown = proc.stdout.replace("\n", "")
    for piece in (
        "\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31mred\\x9b1m",
        "\\x0d overwritten",
        "\\u202egnp.exe",
    ):
        assert piece in shown
    # the library call gives the same text (the CLI adds nothing unsafe)
    assert (
        explain.format_history(explain.explain(str(hostile_run), EVIL_ID), width=110) + ("\n")
        == proc.stdout
    )


def test_other_commands_and_errors_are_neutralised_too(hostile_run):
    proc = _python("explain", str(hostile_run), "no\x1b]0;such\x07id")
    assert proc.returncode == 1
    assert not UNSAFE.findall(proc.stderr)
    assert proc.stderr.strip().endswith("error: unknown id 'no\\x1b]0;such\\x07id': neither kept "
                                        f"nor removed in file://{hostile_run}/dataset-1")  # fmt: skip
    stats = _python("stats", str(hostile_run))
    assert stats.returncode == 0 and not UNSAFE.findall(stats.stdout + stats.stderr)
    assert "  inputs.skipped_files: web/notes\\x1b]0;pwned\\x07.md\n" in stats.stdout


@pytest.mark.parametrize(
    ("text", "terminal"),
    [
        ("a\x1b[2Jb", "a\\x1b[2Jb"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("cr\rdel\x7fc1\x85", "cr\\x0ddel\\x7fc1\\x85"),
        ("rlo\u202eisolate\u2066ls\u2028", "rlo\\u202eisolate\\u2066ls\\u2028"),
        ("lone \ud800", "lone \\ud800"),
        ("Ёлка — ёж… 😀", "Ёлка — ёж… 😀"),
    ],
)
def test_for_terminal(text, terminal):
    assert for_terminal(text) == terminal
    assert not UNSAFE.findall(for_terminal(text))


def test_svg_map_is_well_formed_xml_whatever_the_texts_hold():
    frame = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [0.0, 1.0, 0.5], "cluster": [-1, 0, 1]})
    titles = [
        "id-1 | web | kept\nHello \x1b[31mred\x07 \x00 \x0c form feed",
        "id-2 | <b>&amp;</b> \ufffe\uffff \"quoted\" 'single'",
        "id-3 | plain text\ttab\r\n",
    ]
    svg = interactive.svg_scatter(frame, titles)
    root = ET.fromstring(svg)  # raised "not well-formed (invalid token)"
    ns = "{http://www.w3.org/2000/svg}"
    shown = [c.find(f"{ns}title").text for c in root.iter(f"{ns}circle")]
    by_id = {t.split(" | ")[0]: t for t in shown}
    assert by_id["id-1"] == "id-1 | web | kept\nHello \\x1b[31mred\\x07 \\x00 \\x0c form feed"
    assert by_id["id-2"] == "id-2 | <b>&amp;</b> \\ufffe\\uffff \"quoted\" 'single'"
    assert by_id["id-3"] == "id-3 | plain text\ttab\n"  # XML reads \r\n as \n
    assert for_xml("ok\n\t") == "ok\n\t"


def test_explain_an_invalid_row_by_its_own_id(hostile_run):
    proc = _python("explain", str(hostile_run), "nul-1")
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert lines[3] == "verdict  REMOVED by invalid (nul_bytes) in dataset-1"
    assert "web/a.jsonl:6: text contains a NUL character at position 6" in proc.stdout
    assert '{"id": "nul-1", "text": "a NUL \\u0000 inside' in proc.stdout  # its raw input line


def test_explain_russian_text_under_the_c_locale(hostile_run):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_")} | {"LC_ALL": "C"}
    env.pop("LANG", None)
    proc = subprocess.run(
        [sys.executable, "-m", "curation", "explain", str(hostile_run), "ru-1"],
        capture_output=True, timeout=300, cwd=REPO, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Это обычный русский документ о поездах" in proc.stdout.decode("utf-8")
