"""The notebooks run, top to bottom, against a real finished run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from curation.config import load_config
from curation.demo.corpus import generate
from curation.pipeline import dataset1, dataset2, embeddings

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def demo_run(spark, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("nb")
    generate(root / "input", scale=0.05)
    cfg = load_config("demo", ["embed.max_seq_length=64", "kmeans.target_cluster_size=40"])
    dataset1.run(spark, str(root / "input"), str(root / "run"), cfg)
    embeddings.run(str(root / "run"), cfg)
    dataset2.run(str(root / "run"), cfg)
    return root / "run"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(notebook, demo_run, monkeypatch):
    monkeypatch.setenv("CURATION_RUN", str(demo_run))
    shown = []
    namespace = {"display": shown.append}
    cells = json.loads(notebook.read_text())["cells"]
    for cell in cells:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), f"{notebook.name}", "exec"), namespace)  # noqa: S102
    assert namespace["RUN"] == os.environ["CURATION_RUN"]
    assert len(shown) >= 5 and all(len(x) > 0 for x in shown)
