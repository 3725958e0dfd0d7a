"""The notebooks run, top to bottom, against a real finished run, and draw their figures."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from matplotlib.figure import Figure

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
MIN_FIGURES = {"clusters.ipynb": 3, "thresholds.ipynb": 2, "funnel.ipynb": 3}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _png(shown: object) -> bytes | None:
    """PNG bytes of a displayed figure (a matplotlib Figure, or Jupyter's Image of one)."""
    if isinstance(shown, Figure):
        from curation.inspect.plots import png

        return png(shown)
    data = getattr(shown, "data", None)
    return data if isinstance(data, bytes) and data.startswith(PNG_MAGIC) else None


def _drawn(fig: Figure) -> int:
    """Artists that carry data (points, bars, lines, images) over all axes."""
    return sum(
        len(ax.collections) + len(ax.patches) + len(ax.lines) + len(ax.images) for ax in fig.axes
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(notebook, demo_run, monkeypatch, tmp_path):
    monkeypatch.setenv("CURATION_RUN", str(demo_run))
    shown = []
    namespace = {"display": shown.append}
    nb = json.loads(notebook.read_text())
    cells = nb["cells"]
    assert all(not c.get("outputs") for c in cells if c["cell_type"] == "code"), (
        "stored with outputs"
    )
    assert any("parameters" in c["metadata"].get("tags", []) for c in cells), "no parameters cell"
    for cell in cells:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), f"{notebook.name}", "exec"), namespace)  # noqa: S102
    assert namespace["RUN"] == os.environ["CURATION_RUN"]

    figures = [x for x in shown if _png(x) is not None]
    others = [x for x in shown if _png(x) is None]
    assert len(figures) >= MIN_FIGURES.get(notebook.name, 1)
    for i, fig in enumerate(figures):
        data = _png(fig)
        (tmp_path / f"{notebook.stem}-{i}.png").write_bytes(data)
        assert len(data) > 10_000  # a blank canvas of this size is a few kB
        if isinstance(fig, Figure):
            assert _drawn(fig) > 0, f"figure {i} of {notebook.name} draws nothing"
    assert len(others) >= 3 and all(len(getattr(x, "data", x)) > 0 for x in others)
    if notebook.name == "clusters.ipynb":  # the interactive map: one hover text per point
        svg = next(getattr(x, "data", x) for x in others if "<svg" in str(getattr(x, "data", x)))
        assert svg.count("<circle") == svg.count("<title>") > 0


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_in_a_jupyter_kernel(notebook, demo_run, monkeypatch):
    """Headless, as Jupyter runs it (nbclient, a real IPython kernel): no cell errors, and the
    figures come out as PNG outputs."""
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("CURATION_RUN", str(demo_run))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(notebook, as_version=4)
    NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebook.parent)}},
    ).execute()
    images = [
        out["data"]["image/png"]
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if "image/png" in out.get("data", {})
    ]
    errors = [
        out
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors
    assert len(images) >= MIN_FIGURES.get(notebook.name, 1)
    assert all(len(img) > 10_000 for img in images)  # base64 of a drawn figure
