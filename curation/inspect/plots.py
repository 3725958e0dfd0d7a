"""Figures for the report and the notebooks (matplotlib, object API: no pyplot state).

Every function takes data already aggregated (the frames of :mod:`curation.inspect.funnel`,
:mod:`pairs`, :mod:`maps`) and returns a :class:`matplotlib.figure.Figure`; :func:`png` renders
one to PNG bytes. Nothing here reads the run.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

STAGE_COLORS = {
    "invalid": "#7f7f7f",
    "langid": "#9467bd",
    "exact": "#d62728",
    "length": "#ff7f0e",
    "fuzzy": "#e377c2",
    "kmeans": "#1f77b4",
    "hdbscan": "#17becf",
}
KEPT_COLOR = "#2ca02c"
NOISE_COLOR = "#b0b0b0"


def _palette(n: int) -> ListedColormap:
    """``n`` distinguishable colours (tab20, tab20b, tab20c in turn, then repeated)."""
    from matplotlib import colormaps

    colours = [c for name in ("tab20", "tab20b", "tab20c") for c in colormaps[name].colors]
    return ListedColormap([colours[i % len(colours)] for i in range(max(n, 1))])


def png(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def funnel(documents: pd.DataFrame, characters: pd.DataFrame | None = None) -> Figure:
    """Per domain, what each stage removed and what was kept, in documents (and characters).

    Bars are shares of the domain's raw input, so large and small domains read alike; the raw
    count is written at the end of each bar."""
    frames = [("documents", documents)]
    if characters is not None and not characters.empty:
        frames.append(("characters", characters))
    fig = Figure(figsize=(7 * len(frames), 0.45 * len(documents) + 1.8), layout="constrained")
    axes = fig.subplots(1, len(frames), squeeze=False)[0]
    for ax, (unit, frame) in zip(axes, frames, strict=True):
        frame = frame.drop(index="TOTAL", errors="ignore").iloc[::-1]
        kept_column = [c for c in ("D3", "D2", "D1") if c in frame.columns][0]
        raw = frame["raw"].where(frame["raw"] > 0, 1)
        left = np.zeros(len(frame))
        parts = [(c, STAGE_COLORS[c]) for c in STAGE_COLORS if c in frame.columns]
        for column, colour in [(kept_column, KEPT_COLOR), *parts]:
            share = (frame[column] / raw).to_numpy(dtype=float)
            label = f"kept ({kept_column})" if column == kept_column else f"removed: {column}"
            ax.barh(frame.index, share, left=left, color=colour, label=label, height=0.7)
            left += share
        if (rest := 1.0 - left).max() > 1e-9:  # counted under another domain (language routing)
            ax.barh(frame.index, rest.clip(0), left=left, color="white", edgecolor="#999",
                    hatch="//", height=0.7, label="counted in routed domains")  # fmt: skip
        for y, total in enumerate(frame["raw"]):
            ax.text(1.01, y, f"{int(total):,}", va="center", fontsize=8)
        ax.set_xlim(0, 1.18)
        ax.set_xlabel(f"share of raw {unit}")
        ax.set_title(f"{unit.capitalize()} per domain through the stages")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=7, fontsize=8, frameon=False)
    return fig


def eps_curves(curves: dict[str, dict], chosen: dict[str, float | dict | None]) -> Figure:
    """Removal fraction against eps, overall (thick) and per domain, the chosen eps marked.

    ``curves``: ``{title: eps_curve.json}``; ``chosen``: ``{title: eps or {domain: eps}}``."""
    fig = Figure(figsize=(6.2 * max(len(curves), 1), 4.2), layout="constrained")
    axes = fig.subplots(1, max(len(curves), 1), squeeze=False)[0]
    for ax, (title, curve) in zip(axes, curves.items(), strict=False):
        eps = np.asarray(curve["eps"], dtype=float)
        colours = _palette(len(curve.get("per_domain", {})))
        for i, (domain, values) in enumerate(sorted(curve.get("per_domain", {}).items())):
            ax.plot(eps, values, color=colours(i), linewidth=1.2, label=domain)
        ax.plot(eps, curve["overall"], color="black", linewidth=2.5, label="overall")
        marks = chosen.get(title)
        values = sorted(set(marks.values())) if isinstance(marks, dict) else [marks]
        for value in [v for v in values if v is not None]:
            ax.axvline(value, color="crimson", linestyle="--", linewidth=1)
            ax.text(value, 0.98, f" eps={value:.3f}", color="crimson", va="top", fontsize=8,
                    transform=ax.get_xaxis_transform())  # fmt: skip
        ax.set_xlabel("eps (removed when similarity > 1 - eps)")
        ax.set_ylabel("share of documents removed")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    return fig


def cluster_maps(maps: list[tuple[str, pd.DataFrame]], *, label_clusters: int = 60) -> Figure:
    """Scatter plots of 2-D points coloured by ``cluster``; cluster -1 (noise) grey, apart.

    ``maps``: ``[(title, frame with x, y, cluster)]``. Cluster numbers are written at the median
    of their points when there are at most ``label_clusters`` clusters."""
    fig = Figure(figsize=(6.5 * max(len(maps), 1), 6), layout="constrained")
    axes = fig.subplots(1, max(len(maps), 1), squeeze=False)[0]
    for ax, (title, frame) in zip(axes, maps, strict=False):
        noise = frame[frame["cluster"] < 0]
        points = frame[frame["cluster"] >= 0]
        labels = np.sort(points["cluster"].unique())
        colour_of = {c: i for i, c in enumerate(labels)}
        size = float(np.clip(40_000 / max(len(frame), 1), 3, 30))
        if len(noise):
            ax.scatter(noise["x"], noise["y"], s=size * 0.8, c=NOISE_COLOR, marker="x",
                       linewidths=0.8, zorder=3, label=f"noise / unassigned ({len(noise):,})")  # fmt: skip
        if len(points):
            colours = points["cluster"].map(colour_of).to_numpy()
            ax.scatter(points["x"], points["y"], s=size, c=colours, cmap=_palette(len(labels)),
                       vmin=-0.5, vmax=len(labels) - 0.5, alpha=0.75, linewidths=0)  # fmt: skip
        if 0 < len(labels) <= label_clusters:
            for cluster, x, y in _label_positions(points):
                ax.annotate(str(cluster), (x, y), fontsize=7, xytext=(4, 4),
                            textcoords="offset points",
                            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.7, "lw": 0})  # fmt: skip
        ax.set_title(f"{title}\n{len(labels)} clusters, {len(frame):,} points shown")
        ax.set_xlabel("UMAP 1")
        ax.set_ylabel("UMAP 2")
        if len(noise):
            ax.legend(fontsize=8, loc="best", markerscale=2)
    return fig


def _label_positions(points: pd.DataFrame) -> list[tuple[int, float, float]]:
    """Per cluster, the member point nearest the cluster's median (so the label sits on it)."""
    out = []
    for cluster, group in points.groupby("cluster"):
        xy = group[["x", "y"]].to_numpy(dtype=float)
        centre = np.median(xy, axis=0)
        x, y = xy[np.argmin(((xy - centre) ** 2).sum(axis=1))]
        out.append((int(cluster), float(x), float(y)))
    return out


def cluster_sizes(sizes: dict[str, pd.Series]) -> Figure:
    """Histogram of cluster sizes for each clustering (``{title: sizes}``; noise excluded)."""
    fig = Figure(figsize=(5.5 * max(len(sizes), 1), 3.8), layout="constrained")
    axes = fig.subplots(1, max(len(sizes), 1), squeeze=False)[0]
    for ax, (title, series) in zip(axes, sizes.items(), strict=False):
        values = np.asarray(series, dtype=float)
        ax.hist(values, bins=min(40, max(5, len(values) // 2)), color="#1f77b4", edgecolor="white")
        if len(values):
            ax.axvline(np.median(values), color="crimson", linestyle="--", linewidth=1,
                       label=f"median {np.median(values):,.0f}")  # fmt: skip
            ax.legend(fontsize=8)
        ax.set_title(f"{title}: {len(values)} clusters")
        ax.set_xlabel("documents in the cluster")
        ax.set_ylabel("clusters")
    return fig


def lengths(histograms: dict[str, pd.DataFrame], min_chars: int | None = None) -> Figure:
    """Document length distributions before and after the pipeline, one panel per domain."""
    before, after = histograms["before"], histograms.get("after")
    domains = [c for c in before.columns if c != "TOTAL"] + ["TOTAL"]
    cols = min(4, len(domains))
    rows = -(-len(domains) // cols)
    fig = Figure(figsize=(3.6 * cols, 2.7 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    edges = np.append(before.index.to_numpy(), before.index.to_numpy()[-1] * 1.33)
    for ax, domain in zip(axes, domains, strict=False):
        for label, frame, colour in (("before", before, "#ff7f0e"), ("after", after, "#1f77b4")):
            if frame is not None and domain in frame.columns:
                ax.stairs(frame[domain].to_numpy(), edges, label=label, color=colour,
                          fill=label == "before", alpha=0.35 if label == "before" else 1.0)  # fmt: skip
        if min_chars:
            ax.axvline(min_chars, color="crimson", linestyle="--", linewidth=1)
        ax.set_xscale("log")
        ax.set_title(domain, fontsize=10)
        ax.set_xlabel("characters", fontsize=8)
        ax.tick_params(labelsize=7)
    present = np.flatnonzero(before.to_numpy().sum(axis=1) > 0)
    if len(present):
        low, high = edges[max(present[0] - 1, 0)], edges[min(present[-1] + 2, len(edges) - 1)]
        for ax in axes[: len(domains)]:
            ax.set_xlim(low, high)
    for ax in axes[len(domains) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7)
    fig.suptitle("Document length: all input (before) and kept (after)"
                 + (f"; dashed: min_chars={min_chars}" if min_chars else ""))  # fmt: skip
    return fig


def languages(frame: pd.DataFrame, top: int = 8) -> Figure:
    """Detected languages per domain (kept and removed by language ID), top languages only.

    ``frame``: (domain, lang) rows with a ``kept`` and/or ``removed`` count column (either may be
    missing: a run whose language ID removed nothing has no ``removed``)."""
    counts = frame.reindex(columns=["kept", "removed"], fill_value=0).sum(axis=1)
    total = counts.groupby(level=1).sum().sort_values(ascending=False)
    keep = list(total.index[:top])
    domains = sorted(frame.index.get_level_values(0).unique())
    fig = Figure(figsize=(9, 0.5 * len(domains) + 1.6), layout="constrained")
    ax = fig.subplots()
    colours = _palette(len(keep) + 1)
    left = np.zeros(len(domains))
    for i, lang in enumerate([*keep, "other"]):
        values = []
        for domain in domains:
            per_lang = counts.loc[domain]
            values.append(
                per_lang[~per_lang.index.isin(keep)].sum()
                if lang == "other"
                else per_lang.get(lang, 0)
            )
        ax.barh(domains, values, left=left, color=colours(i), label=lang)
        left += np.asarray(values, dtype=float)
    ax.invert_yaxis()
    ax.set_xlabel("documents (kept by Dataset-1 and removed by language ID)")
    ax.set_title("Detected language per domain")
    fig.legend(loc="outside lower center", ncol=min(len(keep) + 1, 9), fontsize=8, frameon=False)
    return fig


def similarity_bands(
    values: np.ndarray, threshold: float | None, edges: tuple[float, ...]
) -> Figure:
    """Histogram of M (largest similarity to a farther document), bands and threshold marked."""
    fig = Figure(figsize=(8, 3.6), layout="constrained")
    ax = fig.subplots()
    ax.hist(values, bins=np.linspace(max(0.0, float(values.min()) if len(values) else 0), 1.0, 80),
            color="#1f77b4", edgecolor="white")  # fmt: skip
    for edge in edges:
        ax.axvline(edge, color="grey", linewidth=0.8, linestyle=":")
    if threshold is not None:
        ax.axvline(threshold, color="crimson", linestyle="--", linewidth=1.2,
                   label=f"threshold {threshold:.3f} (removed to the right)")  # fmt: skip
        ax.legend(fontsize=8, loc="upper left")
    ax.set_xlabel("largest similarity to a farther document in the same cluster (M)")
    ax.set_ylabel("documents")
    ax.set_title("Where the threshold cuts: documents per similarity")
    return fig
