"""2-D maps of the documents, from the UMAP coordinates Dataset-3 stored (never recomputed).

``clusters/hdbscan/points.parquet`` holds x, y and the HDBSCAN cluster of every document of the
clustered domains; ``sample_points.parquet`` a 2-D map of a sample of the other domains (its own
UMAP, so the two maps have separate axes). The k-means cluster of a mapped document comes from
``clusters/kmeans/assignments``. Maps are sampled to at most ``n`` points.
"""

from __future__ import annotations

import pandas as pd
import pyarrow.compute as pc

from curation import schema as S
from curation.inspect import lookup
from curation.inspect import readers as R

DEFAULT_POINTS = 20_000
"""Points drawn per map: enough to see the structure, small enough for any run."""


def hdbscan_points(run: str, n: int = DEFAULT_POINTS) -> pd.DataFrame:
    """A sample of the HDBSCAN map: id, domain, cluster (-1 = noise), x, y (empty if absent)."""
    points = R.part(run, f"{R.HDBSCAN}/points.parquet")
    return R.sample(points, [S.ID, S.DOMAIN, S.CLUSTER, "x", "y"], n).to_pandas()


def kmeans_points(run: str, n: int = DEFAULT_POINTS) -> pd.DataFrame:
    """Both stored maps with each point's k-means cluster: id, domain, map, cluster, x, y.

    ``map`` names the coordinate system: ``hdbscan domains`` (points.parquet) or ``other
    domains`` (sample_points.parquet)."""
    frames = []
    sources = (("hdbscan domains", "points.parquet"), ("other domains", "sample_points.parquet"))
    for name, file in sources:
        table = R.sample(R.part(run, f"{R.HDBSCAN}/{file}"), [S.ID, S.DOMAIN, "x", "y"], n)
        if table.num_rows:
            frames.append(table.to_pandas().assign(map=name))
    if not frames:
        return pd.DataFrame(columns=[S.ID, S.DOMAIN, "map", S.CLUSTER, "x", "y"])
    frame = pd.concat(frames, ignore_index=True)
    assignments = lookup.find_rows(
        R.part(run, f"{R.KMEANS}/assignments"), frame[S.ID], [S.ID, S.CLUSTER]
    ).to_pandas()
    frame = frame.merge(assignments, on=S.ID, how="left")
    frame[S.CLUSTER] = frame[S.CLUSTER].fillna(-1).astype("int64")
    return frame[[S.ID, S.DOMAIN, "map", S.CLUSTER, "x", "y"]]


def cluster_members(run: str, clustering: str, cluster: int) -> int:
    """Documents in one cluster (a count read from the cluster column only)."""
    source = "assignments" if clustering == R.KMEANS else "points.parquet"
    dataset = R.part(run, f"{clustering}/{source}")
    return dataset.count_rows(filter=pc.field(S.CLUSTER) == cluster) if dataset else 0
