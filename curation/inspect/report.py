"""``curation report RUN``: one self-contained HTML page about a run.

Sections: the funnel (documents and characters per domain through the stages), every stage's
manifest, the eps curves of both SemDedup passes, the cluster maps, length and language
distributions, a gallery of removed documents next to their twins, and the embedder comparison
when ``curation compare-embedders RUN`` was run. Plots are PNG images
embedded as base64, styles are inline: the file can be mailed or opened anywhere, offline.
Numbers in the tables are the manifests' own (:mod:`curation.inspect.tables`).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import logging

import pandas as pd

from curation.inspect import funnel, maps, pairs, plots, tables
from curation.inspect import readers as R
from curation.run_layout import DATASET_1, DATASET_2, DATASET_3, TOKENS
from curation.storage import arrow_filesystem, join

log = logging.getLogger(__name__)

REPORT_FILE = "report.html"
PAIRS_PER_STAGE = {DATASET_1: 4, DATASET_2: 8, DATASET_3: 6}
TEXT_CHARS = 700
STYLE = """
body { font-family: -apple-system, 'Segoe UI', Roboto, sans-serif; margin: 24px auto; max-width: 1400px;
       color: #222; padding: 0 16px; }
h1 { margin-bottom: 4px; } h2 { border-bottom: 2px solid #ddd; padding-bottom: 4px; margin-top: 36px; }
h3 { margin-top: 24px; } .muted { color: #666; font-size: 0.9em; }
nav a { margin-right: 14px; }
table { border-collapse: collapse; font-size: 0.85em; margin: 8px 0 12px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; } th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: bold; background: #fafafa; }
img { max-width: 100%; border: 1px solid #eee; margin: 6px 0; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 2px 14px; font-size: 0.85em; }
dl.facts dt { color: #555; } dl.facts dd { margin: 0; font-family: monospace; }
.pair { border: 1px solid #ddd; border-radius: 6px; margin: 12px 0; padding: 8px 10px; }
.pair .head { font-size: 0.85em; color: #444; margin-bottom: 6px; }
.pair .cols { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }
.pair pre { white-space: pre-wrap; word-break: break-word; background: #f8f8f8; margin: 0;
            padding: 6px; font-size: 0.8em; max-height: 260px; overflow: auto; }
.pair .label { font-size: 0.8em; font-weight: bold; margin-bottom: 2px; }
.removed .label { color: #b22; } .twin .label { color: #272; }
.sim { font-weight: bold; }
"""


def _e(value: object) -> str:
    return html.escape(str(value))


def _img(fig, alt: str) -> str:
    data = base64.b64encode(plots.png(fig)).decode("ascii")
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def table_html(frame: pd.DataFrame, table_id: str, caption: str | None = None) -> str:
    """A frame as an HTML table (numbers right-aligned and formatted, the TOTAL row bold)."""
    if frame.empty:
        return '<p class="muted">(nothing)</p>'
    head = "".join(f"<th>{_e(c)}</th>" for c in [frame.index.name or "", *frame.columns])
    rows = []
    for index, row in zip(frame.index, frame.itertuples(index=False), strict=True):
        cells = [f"<th>{_e(index)}</th>"]
        for value in row:
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            cls = ' class="num"' if numeric or hasattr(value, "dtype") else ""
            cells.append(f"<td{cls}>{_e(tables.format_value(value))}</td>")
        cls = ' class="total"' if index == "TOTAL" else ""
        rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
    cap = f"<caption>{_e(caption)}</caption>" if caption else ""
    return f'<table id="{_e(table_id)}">{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _facts(facts: dict) -> str:
    items = "".join(
        f"<dt>{_e(k)}</dt><dd>{_e(tables.format_value(v))}</dd>" for k, v in facts.items()
    )
    return f'<dl class="facts">{items}</dl>'


def _section_funnel(run: str, manifests: dict) -> str:
    docs = funnel.document_funnel(manifests)
    chars = funnel.character_funnel(run)
    parts = ['<section id="funnel"><h2>Funnel: documents and characters per domain</h2>']
    parts.append(
        '<p class="muted">raw = documents read; each stage column counts the documents it removed; '
        "D1/D2/D3 = documents kept in Dataset-1/2/3"
        + ("; tokens = documents in the token shards" if TOKENS in manifests else "")
        + ". Rows removed before language routing stay under their input domain (cc).</p>"
    )
    parts.append(_img(plots.funnel(docs, chars), "funnel per domain"))
    parts.append("<h3>Documents</h3>" + table_html(docs, "funnel-documents"))
    parts.append("<h3>Characters</h3>" + table_html(chars, "funnel-characters"))
    tokens = funnel.token_table(manifests)
    if not tokens.empty:
        parts.append("<h3>Tokens</h3>" + table_html(tokens, "funnel-tokens"))
    reasons = funnel.removal_reasons(manifests)
    if not reasons.empty:
        reasons.index = [f"{d} / {r}" for d, r in reasons.index]
        reasons.index.name = "dataset / reason"
        parts.append("<h3>Removal reasons</h3>" + table_html(reasons, "removal-reasons"))
    parts.append("</section>")
    return "\n".join(parts)


def _stage_id(stage: str) -> str:
    return "manifest-" + stage.replace("/", "-")


def _section_manifests(manifests: dict) -> str:
    parts = ['<section id="manifests"><h2>Per-stage manifests</h2>']
    for stage, manifest in manifests.items():
        title = _e(stage)
        if "rows_in" in manifest and "rows_out" in manifest:
            title += f' <span class="muted">{manifest["rows_in"]:,} in &rarr; {manifest["rows_out"]:,} out</span>'
        parts.append(f"<h3>{title}</h3>")
        frame = tables.manifest_frame(manifest)
        if not frame.empty:
            parts.append(table_html(frame, _stage_id(stage)))
        by_output = tables.manifest_frame(manifest, "per_output_domain")
        if not by_output.empty:
            parts.append(
                table_html(by_output, _stage_id(stage) + "-per_output_domain", "by output domain")
            )
        parts.append(_facts(tables.manifest_facts(manifest)))
        if manifest.get("config"):
            config = _e(json.dumps(manifest["config"], indent=1, default=str))
            parts.append(f"<details><summary>config</summary><pre>{config}</pre></details>")
    parts.append("</section>")
    return "\n".join(parts)


def _section_eps(run: str, manifests: dict) -> str:
    curves, chosen, rows = {}, {}, {}
    for dataset, title in (
        (DATASET_2, "k-means SemDedup (Dataset-2)"),
        (DATASET_3, "HDBSCAN SemDedup (Dataset-3)"),
    ):
        curve = R.eps_curve(run, dataset)
        if curve is None:
            continue
        semdedup = manifests.get(dataset, {}).get("semdedup", {})
        curves[title], chosen[title] = curve, semdedup.get("eps")
        eps = semdedup.get("eps")
        eps_text = (
            ", ".join(f"{d} {v:.4f}" for d, v in eps.items()) if isinstance(eps, dict) else eps
        )
        rows[dataset] = {"eps": eps_text, "target_removal": semdedup.get("target_removal"),
                         "achieved_removal": semdedup.get("achieved_removal")}  # fmt: skip
    if not curves:
        return ""
    frame = pd.DataFrame.from_dict(rows, orient="index").rename_axis("dataset")
    return (
        '<section id="eps"><h2>eps: removal against the threshold</h2>'
        '<p class="muted">A document is removed when its similarity to a farther document of its '
        "cluster exceeds 1 - eps; the dashed line is the eps the run used.</p>"
        + _img(plots.eps_curves(curves, chosen), "eps curves")
        + table_html(frame, "eps-chosen")
        + "</section>"
    )


def _section_clusters(run: str) -> str:
    parts = []
    hdb = maps.hdbscan_points(run)
    if not hdb.empty:
        parts.append(
            _img(
                plots.cluster_maps([("HDBSCAN clusters (2-D UMAP of the clustered domains)", hdb)]),
                "HDBSCAN map",
            )
        )
    km = maps.kmeans_points(run)
    if not km.empty:
        panels = [(f"k-means clusters: {name}", frame) for name, frame in km.groupby("map")]
        parts.append(_img(plots.cluster_maps(panels), "k-means maps"))
    sizes = {}
    if R.finished(run, R.KMEANS):
        sizes["k-means"] = pairs.cluster_sizes(run, R.KMEANS)["size"]
    if R.finished(run, R.HDBSCAN):
        hsizes = pairs.cluster_sizes(run, R.HDBSCAN)
        sizes["HDBSCAN"] = hsizes[hsizes["cluster"] >= 0]["size"]
    if sizes:
        parts.append(_img(plots.cluster_sizes(sizes), "cluster sizes"))
    for dataset in (DATASET_2, DATASET_3):
        if R.finished(run, dataset) and R.finished(run, R.CLUSTERING_OF[dataset]):
            top = pairs.clusters_by_removals(run, dataset).head(10)
            parts.append(f"<h3>Clusters with the most removals ({dataset})</h3>")
            parts.append(table_html(top, f"top-clusters-{dataset}"))
    if not parts:
        return ""
    return '<section id="clusters"><h2>Clusters</h2>' + "\n".join(parts) + "</section>"


def _section_distributions(run: str, manifests: dict) -> str:
    parts = []
    hist = funnel.length_histograms(run)
    if hist:
        parts.append(_img(plots.lengths(hist, funnel.min_chars(manifests)), "length histograms"))
    langs = funnel.languages(run)
    if not langs.empty:
        parts.append(_img(plots.languages(langs), "languages"))
    if not parts:
        return ""
    return (
        '<section id="distributions"><h2>Lengths and languages</h2>'
        + "\n".join(parts)
        + "</section>"
    )


def _pair_html(row: pd.Series) -> str:
    score = row.get("score")
    sim = (
        f'similarity <span class="sim">{score:.4f}</span>' if pd.notna(score) else "identical text"
    )
    cluster = row.get("cluster")
    head = [f"<b>{_e(row['stage'])}</b>", _e(row["domain"]), sim]
    if pd.notna(cluster):
        head.append(f"cluster {int(cluster)}")
    if row["survivor"] != row["duplicate_of"]:
        head.append(f"twin {_e(row['twin_status'])}; kept in its place: {_e(row['survivor'])}")
    return (
        f'<div class="pair"><div class="head">{" &middot; ".join(head)}</div><div class="cols">'
        f'<div class="removed"><div class="label">removed: {_e(row["id"])}</div>'
        f"<pre>{_e(pairs.shorten(row['text'], TEXT_CHARS, one_line=False))}</pre></div>"
        f'<div class="twin"><div class="label">twin: {_e(row["duplicate_of"])} ({_e(row["twin_status"])})</div>'
        f"<pre>{_e(pairs.shorten(row['twin_text'], TEXT_CHARS, one_line=False))}</pre></div>"
        "</div></div>"
    )


def _section_pairs(run: str) -> str:
    parts = []
    titles = {DATASET_1: "Exact copies (Dataset-1)", DATASET_2: "k-means SemDedup (Dataset-2)",
              DATASET_3: "HDBSCAN SemDedup (Dataset-3)"}  # fmt: skip
    for dataset, n in PAIRS_PER_STAGE.items():
        if not R.finished(run, dataset):
            continue
        frame = pairs.ledger_pairs(run, dataset, n)
        if frame.empty:
            continue
        parts.append(f"<h3>{titles[dataset]}</h3>")
        parts.extend(_pair_html(row) for _, row in frame.iterrows())
    if not parts:
        return ""
    return (
        '<section id="pairs"><h2>Duplicate pairs</h2><p class="muted">Removed documents next to '
        "the document they duplicate (for SemDedup: the most similar document farther from the "
        "centroid, chosen over the whole range of similarities, highest first).</p>"
        + "\n".join(parts)
        + "</section>"
    )


def _section_embedders(run: str) -> str:
    """``curation compare-embedders RUN``'s tables, when it was run on this run."""
    from curation.embedders import compare

    result = R.read_json(join(R.run_uri(run), compare.OUT_DIR, compare.RESULT_JSON))
    if not isinstance(result, dict) or not result.get("embedders"):
        return ""
    parts = [
        '<section id="embedders"><h2>Embedder comparison</h2>',
        f'<p class="muted">curation compare-embedders, {_e(result.get("date", ""))}; pair files: '
        f"{_e(', '.join(result.get('pair_files') or []) or '-')}. A cheap proxy for choosing the "
        "embedding model: how it separates labelled same- and different-meaning pairs, what "
        "SemDedup removes per domain with it on a sample of this run, how its k-means clusters "
        "mix domains, and its speed here.</p>",
    ]
    for n, (title, header, rows) in enumerate(compare.tables(result)):
        frame = pd.DataFrame(rows, columns=header).set_index(header[0])
        parts.append(f"<h3>{_e(title)}</h3>" + table_html(frame, f"embedders-{n}"))
    parts.append("</section>")
    return "\n".join(parts)


def build_report(run: str) -> str:
    """The report of ``run`` as one HTML string."""
    manifests = R.stage_manifests(run)
    if DATASET_1 not in manifests:
        from curation.datasets import IncompleteDatasetError

        raise IncompleteDatasetError(f"{join(R.run_uri(run), DATASET_1)} is not a finished dataset")
    sections = [
        ("funnel", "Funnel", _section_funnel(run, manifests)),
        ("manifests", "Manifests", _section_manifests(manifests)),
        ("eps", "eps curves", _section_eps(run, manifests)),
        ("clusters", "Clusters", _section_clusters(run)),
        ("distributions", "Lengths and languages", _section_distributions(run, manifests)),
        ("pairs", "Duplicate pairs", _section_pairs(run)),
        ("embedders", "Embedders", _section_embedders(run)),
    ]
    nav = " ".join(f'<a href="#{key}">{_e(title)}</a>' for key, title, body in sections if body)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = (
        f'<h1>Run report</h1><p class="muted">{_e(R.run_uri(run))} &middot; generated {now} '
        f"&middot; finished stages: {_e(', '.join(manifests))}</p><nav>{nav}</nav>"
    )
    body = "\n".join(body for _, _, body in sections if body)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Run report: {_e(R.run_uri(run).rstrip('/').rsplit('/', 1)[-1])}</title>"
        f"<style>{STYLE}</style></head><body>{header}\n{body}\n</body></html>\n"
    )


def write_report(run: str, out: str | None = None) -> str:
    """Write the report to ``out`` (default ``<run>/report.html``); return where it went."""
    target = out or join(R.run_uri(run), REPORT_FILE)
    text = build_report(run)
    fs, path = arrow_filesystem(R.run_uri(target))
    parent = path.rsplit("/", 1)[0]
    if parent:
        fs.create_dir(parent, recursive=True)
    with fs.open_output_stream(path) as f:
        f.write(text.encode("utf-8"))
    log.info("report written to %s (%.1f kB)", target, len(text) / 1e3)
    return target
