"""The notebooks run, top to bottom, against a real finished run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


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
