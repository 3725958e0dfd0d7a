"""An interactive cluster map without extra dependencies: an SVG whose points show their document.

Each point of the stored HDBSCAN map (``clusters/hdbscan/points.parquet``, a sample of at most
``n``, about: drawn uniformly) is an SVG circle with a ``<title>``: browsers and Jupyter show it when the mouse rests on
the point - id, domain, cluster, whether Dataset-3 kept it, and the start of its text. Only the
sampled documents' texts are read (by id), so it stays cheap on large runs. Zoom with the
browser; for a static figure use :func:`curation.inspect.plots.cluster_maps`.
"""

from __future__ import annotations

from html import escape

import numpy as np
import pandas as pd

from curation import schema as S
from curation.inspect import lookup, maps, pairs
from curation.inspect import readers as R
from curation.inspect.plots import NOISE_COLOR, _palette
from curation.printable import for_xml
from curation.run_layout import DATASET_3

DEFAULT_POINTS = 2_000
"""Points in the interactive map: every one carries text, so fewer than the static maps."""


def _hex(rgb: tuple[float, ...]) -> str:
    return "#" + "".join(f"{round(255 * c):02x}" for c in rgb[:3])


def svg_scatter(
    frame: pd.DataFrame,
    titles: list[str],
    *,
    width: int = 760,
    height: int = 560,
    radius: float = 3,
) -> str:
    """An SVG scatter of ``frame`` (x, y, cluster); ``titles[i]`` is point i's hover text.

    The result is well-formed XML whatever the titles hold: markup is escaped, and characters
    XML cannot hold (control characters) are shown as escapes (:func:`curation.printable.for_xml`).

    Clusters get distinct colours, noise (cluster -1) grey and drawn first (underneath)."""
    if len(titles) != len(frame):
        raise ValueError(f"{len(frame)} points but {len(titles)} titles")
    pad = 12
    x, y = frame["x"].to_numpy(float), frame["y"].to_numpy(float)
    clusters = frame[S.CLUSTER].to_numpy(np.int64)
    span_x = max(np.ptp(x), 1e-9) if len(x) else 1.0
    span_y = max(np.ptp(y), 1e-9) if len(y) else 1.0
    px = pad + (x - (x.min() if len(x) else 0)) / span_x * (width - 2 * pad)
    py = height - pad - (y - (y.min() if len(y) else 0)) / span_y * (height - 2 * pad)
    labels = sorted(set(clusters[clusters >= 0].tolist()))
    palette = _palette(len(labels)).colors
    colour = {label: _hex(palette[i]) for i, label in enumerate(labels)}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" style="background:#fff;border:1px solid #ddd">'
    ]
    for i in np.argsort(clusters >= 0, kind="stable"):  # noise first, underneath
        fill = colour.get(int(clusters[i]), NOISE_COLOR)
        parts.append(
            f'<circle cx="{px[i]:.1f}" cy="{py[i]:.1f}" r="{radius}" fill="{fill}" '
            f'fill-opacity="0.8"><title>{escape(for_xml(titles[i]))}</title></circle>'
        )
    parts.append("</svg>")
    return "".join(parts)


def hdbscan_map_svg(run: str, n: int = DEFAULT_POINTS, text_chars: int = 240) -> str:
    """The HDBSCAN map of ``run`` as an interactive SVG (empty string if the run has none)."""
    frame = maps.hdbscan_points(run, n)
    if frame.empty:
        return ""
    ids = frame[S.ID].tolist()
    texts = lookup.texts(run, ids)
    gone = lookup.find_rows(R.ledger(run, DATASET_3), ids, [S.ID, S.DUPLICATE_OF]).to_pydict()
    removed = dict(zip(gone.get(S.ID, []), gone.get(S.DUPLICATE_OF, []), strict=True))
    titles = []
    for row in frame.itertuples(index=False):
        cluster = "noise" if row.cluster < 0 else f"cluster {row.cluster}"
        fate = f"removed (duplicate of {removed[row.id]})" if row.id in removed else "kept"
        head = f"{row.id} | {row.domain} | {cluster} | {fate}"
        titles.append(f"{head}\n{pairs.shorten(texts.get(row.id), text_chars)}")
    return svg_scatter(frame, titles)
