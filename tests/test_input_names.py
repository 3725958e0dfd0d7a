"""Input files whatever their names and links (issue 16, items 1, 2 and 11): names that look like
globs or URIs, names that are not UTF-8, Cyrillic names and ``--set`` values under a C locale,
symbolic-link loops, second paths to a file, broken links. Every row is kept or in the ledger,
per file; what is not read is said so in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from curation import cli
from curation.config import load_config
from curation.datasets import read_kept, read_ledger, read_manifest
from curation.pipeline import dataset1
from curation.stages.ingest import InputFileError

REPO = Path(__file__).resolve().parents[1]
LONG = "A document about trains and timetables, long enough to be kept. " * 3


def _cfg(*overrides: str):
    return load_config("reference", ["langid.engine=cld2", "langid.domains=[]", *overrides])


def _write(path: Path | bytes, prefix: str, n: int) -> int:
    """``n`` JSONL rows with ids ``<prefix>-<i>`` and distinct texts; returns ``n``."""
    body = "".join(
        json.dumps({"id": f"{prefix}-{i}", "text": f"{LONG} {prefix} {i}"}) + "\n" for i in range(n)
    )
    with open(path, "wb") as f:
        f.write(body.encode())
    return n


def _per_file(run: Path) -> Counter:
    """Rows per source file in the kept documents and the ledger together."""
    kept = read_kept(str(run), "dataset-1", ["src_file"]).column("src_file").to_pylist()
    gone = read_ledger(str(run), "dataset-1", ["src_file"]).column("src_file").to_pylist()
    return Counter(kept + gone)


def test_file_names_that_look_like_globs_or_uris_are_read_once_each(spark, tmp_path):
    web = tmp_path / "in" / "web"
    web.mkdir(parents=True)
    names = ["part1.jsonl", "part[1].jsonl", "h#1.jsonl", "q?.jsonl", "part{a,b}.jsonl",
             "sp ace%20.jsonl", "x*.jsonl"]  # fmt: skip
    rows = {f"web/{name}": _write(web / name, f"r{i}", 3 + i) for i, name in enumerate(names)}
    run = tmp_path / "run"
    m = dataset1.run(
        spark, str(tmp_path / "in"), str(run), _cfg("ingest.on_duplicate_id=quarantine")
    )
    assert _per_file(run) == Counter(rows)  # every row of every file, once
    assert m["rows_in"] == sum(rows.values()) == m["rows_out"]  # none is a duplicate id
    assert m["inputs"]["files"] == len(names) and m["inputs"]["skipped_files"] == []


def test_symlink_loops_and_second_paths_are_not_followed(spark, tmp_path):
    root = tmp_path / "in"
    (root / "web").mkdir(parents=True)
    (root / "wiki").mkdir()
    n_web = _write(root / "web" / "a.jsonl", "web", 4)
    n_wiki = _write(root / "wiki" / "w.jsonl", "wiki", 2)
    (root / "wiki" / "loop").symlink_to("..")  # would read everything again and again
    (root / "wiki" / "alias.jsonl").symlink_to("../web/a.jsonl")  # the same file, second path
    (root / "wiki" / "linked").symlink_to("../web")  # a folder of files already listed
    run = tmp_path / "run"
    m = dataset1.run(spark, str(root), str(run), _cfg())
    assert _per_file(run) == Counter({"web/a.jsonl": n_web, "wiki/w.jsonl": n_wiki})
    assert m["rows_in"] == n_web + n_wiki
    assert m["inputs"]["not_followed"] == [
        "wiki/alias.jsonl: the same file as web/a.jsonl",
        "wiki/linked/a.jsonl: the same file as web/a.jsonl",
        "wiki/loop: a link back to a folder being read (to ..): a loop",
    ]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("missing.jsonl", "it is a broken symbolic link (to missing.jsonl)"),
        ("self.jsonl", "it is a symbolic link that loops on itself"),
    ],
)
def test_broken_links_fail_naming_them(tmp_path, target, message):
    (tmp_path / "in" / "web").mkdir(parents=True)
    _write(tmp_path / "in" / "web" / "ok.jsonl", "ok", 1)
    (tmp_path / "in" / "web" / "self.jsonl").symlink_to(target)
    with pytest.raises(InputFileError) as err:
        dataset1.plan(None, str(tmp_path / "in"), _cfg())
    assert cli.explain(err.value) == f"cannot read input file web/self.jsonl: {message}"


def test_names_that_are_not_utf8_and_cyrillic_under_the_c_locale(tmp_path):
    """``spark-submit jobs/dedup.py`` under ``LC_ALL=C`` (cron, bare containers): a file whose
    name is not UTF-8 is read (its name written with ``\\xNN`` escapes), a Cyrillic folder and
    file are read, and a Cyrillic ``--set`` value reaches the job intact."""
    root = tmp_path / "in"
    (root / "web").mkdir(parents=True)
    (root / "новости").mkdir()
    n_bad = _write(os.fsencode(root / "web") + b"/bad\xff\xfe.jsonl", "bad", 3)
    n_ru = _write(root / "новости" / "статья.jsonl", "ru", 2)
    run = tmp_path / "run"
    venv_bin = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_") and k != "LANG"}
    env.update(LC_ALL="C", PATH=f"{venv_bin}{os.pathsep}{env['PATH']}", PYSPARK_PYTHON=sys.executable,
               SPARK_CONF_DIR=str(REPO / "curation" / "spark" / "conf"),
               SPARK_LOCAL_IP="127.0.0.1")  # fmt: skip
    proc = subprocess.run(
        [str(venv_bin / "spark-submit"), "--master", "local[1]", str(REPO / "jobs" / "dedup.py"),
         "--input", str(root), "--output", str(run), "--set", "langid.engine=cld2",
         "--set", "ingest.domain_map={новости: news-ru}"],
        capture_output=True, text=True, timeout=600, env=env, cwd=REPO,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert _per_file(run) == Counter(
        {"web/bad\\xff\\xfe.jsonl": n_bad, "новости/статья.jsonl": n_ru}
    )
    m = read_manifest(str(run), "dataset-1")
    assert m["per_domain"]["news-ru"]["rows_in"] == n_ru
    assert m["config"]["ingest"]["domain_map"] == {"новости": "news-ru"}
