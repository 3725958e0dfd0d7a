"""The interactive (SVG) cluster map: one point per sampled document, each with its hover text."""

from __future__ import annotations

import re

import pyarrow.parquet as pq

from curation.datasets import read_ledger
from curation.inspect import interactive


def test_hdbscan_map_svg_points_carry_their_documents(demo_run):
    svg = interactive.hdbscan_map_svg(str(demo_run), n=10_000)
    points = pq.read_table(demo_run / "clusters/hdbscan/points.parquet").to_pandas()
    titles = re.findall(r"<title>(.*?)</title>", svg, flags=re.S)
    assert len(titles) == svg.count("<circle") == len(points)
    by_id = {t.split(" | ")[0]: t for t in titles}
    assert set(by_id) == set(points.id)
    removed = read_ledger(str(demo_run), "dataset-3").to_pandas().set_index("id")
    for row in points.itertuples():
        title = by_id[row.id]
        assert ("noise" if row.cluster < 0 else f"cluster {row.cluster}") in title
        if row.id in removed.index:
            assert f"duplicate of {removed.duplicate_of[row.id]}" in title
        else:
            assert "| kept" in title
    cx = [float(v) for v in re.findall(r'cx="([\d.]+)"', svg)]
    assert min(cx) >= 0 and max(cx) <= 760
    sample = interactive.hdbscan_map_svg(str(demo_run), n=50)
    assert 25 <= sample.count("<circle") <= 75  # about n: a uniform sample, batch by batch
