"""make gpu-check: its dry run (tiny sizes, this machine's device) passes every check and writes
the JSON; the pieces that decide (tie explanation, section bookkeeping) can fail."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from curation import gpu_check as G

REPO = Path(__file__).resolve().parents[1]


def test_explain_argmax_tells_ties_from_errors() -> None:
    x = np.zeros((5, 4), np.float32)
    x[0] = [1, 0, 0, 0]
    x[1] = [1, 0, 0, 0]  # an exact copy of row 0: a tie for any later row
    x[2] = [0, 1, 0, 0]
    x[3] = [0.6, 0.8, 0, 0]  # closer to row 2 (0.8) than to rows 0/1 (0.6)
    x[4] = [0.99, 0.14106736, 0, 0]
    a = np.array([-1, 0, 0, 2, 0])
    b = np.array([-1, 0, 1, 0, 1])  # row 2: 0 vs 1 is a tie; row 3: 0 is wrong; row 4: a tie
    out = G.explain_argmax(x, a, b, 2e-5)
    assert out["differ"] == 3 and out["ties"] == 2 and out["unexplained"] == 1
    wrong = [e for e in out["examples"] if not e["tie"]]
    assert [e["row"] for e in wrong] == [3]
    assert wrong[0]["cos_a"] == pytest.approx(0.8) and wrong[0]["cos_b"] == pytest.approx(0.6)
    # result rows mapped to other rows of x
    out = G.explain_argmax(x, np.array([2]), np.array([0]), 2e-5, rows=np.array([3]))
    assert out["unexplained"] == 1


def test_a_failing_section_is_recorded_and_fails_the_check(tmp_path: Path) -> None:
    report = G.Report(tmp_path / "r.json", "cpu", True, budget_s=100)
    report.run("good", lambda: {"ok": True, "checks": {"a": True}})
    report.run("bad", lambda: 1 / 0)
    report.run("late", lambda: {"ok": True}, min_s=1000)  # over the budget: not run
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["ok"] is False
    assert doc["sections"]["good"]["ok"] is True
    assert doc["sections"]["bad"]["error"] == "ZeroDivisionError: division by zero"
    assert "not run" in doc["sections"]["late"]["error"]


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without")
def test_full_check_without_a_gpu_says_so(tmp_path: Path) -> None:
    doc = G.run(tmp_path / "g.json", dry_run=False, budget_s=60)
    assert doc["ok"] is False and "needs a GPU" in doc["error"]
    assert json.loads((tmp_path / "g.json").read_text())["error"] == doc["error"]


@pytest.mark.slow
def test_dry_run(tmp_path: Path) -> None:
    """The whole script with tiny sizes: every section runs and passes its checks."""
    out = tmp_path / "gpu-check.json"
    done = subprocess.run([sys.executable, "-m", "curation.gpu_check", "--dry-run", "--out",
                           str(out)], cwd=REPO, capture_output=True, text=True, timeout=900)  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    doc = json.loads(out.read_text())
    assert doc["dry_run"] is True and doc["ok"] is True
    sections = doc["sections"]
    assert list(sections) == ["environment", "similarity", "semdedup_clusters", "kmeans",
                              "embed", "cuml", "pytest_gpu"]  # fmt: skip
    for name, section in sections.items():
        assert section["ok"] is True, (name, section)
        assert all(section.get("checks", {}).values()), name
    sim = sections["similarity"]
    assert sim["n"] == G.DRY.sim_n and set(sim["tile_sweep"]) == {str(t) for t in G.DRY.tiles}
    assert sim["max_abs_dM"] < G.M_TOLERANCE and sim["argmax_vs_cpu"]["unexplained"] == 0
    clusters = sections["semdedup_clusters"]
    assert clusters["clusters"] == G.DRY.clusters + len(G.DRY.large_clusters)
    km = sections["kmeans"]
    assert km["assignment_agreement"] > 0.99 and km["checks"]["trained_twice_identical"]
    emb = sections["embed"]
    assert emb["documents"] == G.DRY.embed_docs and emb["cosine_vs_cpu"]["min"] >= G.MIN_COSINE
    assert emb["model"]["layers"] == G.DRY.embed_layers and emb["docs_per_s"] > 0
    assert sections["cuml"]["cpu"]["ari"] > 0.9
    assert sections["pytest_gpu"]["collected"] >= 10  # the gpu-marked tests are found
    assert {"similarity_best_tile", "kmeans_train_s", "semdedup_clusters_s"} <= set(doc["figures"])
    assert doc["elapsed_s"] < 480
