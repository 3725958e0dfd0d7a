"""Human-readable summaries of manifests (the tables jobs print at the end)."""

from __future__ import annotations

from curation.datasets import IncompleteDatasetError, read_manifest
from curation.run_layout import DATASET_1, DATASET_2, DATASET_3, TOKENS


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:5.1f}%" if whole else "    -"


def dataset1_table(manifest: dict) -> str:
    """Per source domain: rows in, removed by each stage (count and share), rows out."""
    stages = ["invalid", "langid", "exact_dedup", "length"]
    head = (
        f"{'domain':<18}{'rows in':>10}" + "".join(f"{s:>20}" for s in stages) + f"{'rows out':>18}"
    )
    lines = ["Dataset-1", head, "-" * len(head)]
    items = list(manifest["per_domain"].items()) + [("TOTAL", manifest)]
    for name, b in items:
        row = f"{name:<18}{b['rows_in']:>10}"
        for s in stages:
            n = b["removed_by_stage"].get(s, 0)
            row += f"{n:>12} ({_pct(n, b['rows_in'])})"
        row += f"{b['rows_out']:>10} ({_pct(b['rows_out'], b['rows_in'])})"
        lines.append(row)
    outs = ", ".join(f"{d}: {n}" for d, n in manifest.get("outputs", {}).items())
    lines.append(f"output domains: {outs}")
    return "\n".join(lines)


def embeddings_table(manifest: dict) -> str:
    """Documents per domain and the embedding rate."""
    lines = [
        f"Embeddings ({manifest['model']}, {manifest['dim']}-d, stored as {manifest['dtype']})",
        f"{'domain':<20}{'documents':>12}",
        "-" * 32,
    ]
    lines += [f"{d:<20}{n:>12}" for d, n in manifest["per_domain"].items()]
    lines.append(f"{'TOTAL':<20}{manifest['rows']:>12}")
    lines.append(
        f"{manifest['computed_docs']} documents embedded in {manifest['computed_shards']} shards "
        f"({manifest['docs_per_s']:.1f} docs/s, {', '.join(manifest['precision'])} on "
        f"{', '.join(manifest['devices']) or '-'}, {manifest['engine']}); "
        f"{manifest['reused_shards']} shards already done; {manifest['elapsed_s']:.1f} s in all"
    )
    return "\n".join(lines)


def dataset_table(manifest: dict, title: str) -> str:
    """Per domain: rows in, removed (count and share), rows out - for Dataset-2 and -3."""
    head = f"{'domain':<18}{'rows in':>10}{'removed':>20}{'rows out':>20}"
    lines = [title, head, "-" * len(head)]
    for name, b in list(manifest["per_domain"].items()) + [("TOTAL", manifest)]:
        removed = sum(b["removed"].values())
        lines.append(
            f"{name:<18}{b['rows_in']:>10}{removed:>12} ({_pct(removed, b['rows_in'])})"
            f"{b['rows_out']:>12} ({_pct(b['rows_out'], b['rows_in'])})"
        )
    extra = manifest.get("semdedup")
    if extra and isinstance(extra["eps"], dict):  # Dataset-3: one eps per clustered domain
        eps = ", ".join(f"{d} {e:.4f}" for d, e in extra["eps"].items()) or "-"
        lines.append(
            f"eps {eps}; removed {100 * extra['achieved_removal']:.1f}% of "
            f"{extra['clustered_documents']} clustered documents (target "
            f"{extra['target_removal']}); {extra['noise_kept']} noise documents kept"
        )
    elif extra:
        lines.append(
            f"eps {extra['eps']:.4f} (similarity > {extra['threshold']:.4f}), removed "
            f"{100 * extra['achieved_removal']:.1f}% (target {extra['target_removal']})"
        )
    return "\n".join(lines)


FUNNEL = [
    ("raw", None),
    ("invalid", ("dataset-1", "invalid")),
    ("langid", ("dataset-1", "langid")),
    ("exact", ("dataset-1", "exact_dedup")),
    ("length", ("dataset-1", "length")),
    ("fuzzy", ("dataset-1", "fuzzy_dedup")),  # only when fuzzy dedup ran (extended preset)
    ("D1", "dataset-1"),
    ("kmeans", ("dataset-2", "semdedup_kmeans")),
    ("D2", "dataset-2"),
    ("hdbscan", ("dataset-3", "semdedup_hdbscan")),
    ("D3", "dataset-3"),
]
"""The columns of :func:`pipeline_rows`: documents removed by a stage, or kept in a dataset."""


def pipeline_rows(manifests: dict[str, dict]) -> dict[str, dict[str, int]]:
    """Documents per output domain through the pipeline, from the datasets' manifests.

    ``manifests``: ``{"dataset-1": ..., "dataset-2": ..., "dataset-3": ...}`` (later ones may be
    missing). Rows are the domains documents end in (``cc`` routed to ``ru-CC``/``en-CC``; rows
    removed before routing stay under their source domain), plus ``TOTAL``; columns as
    :data:`FUNNEL`, then ``tokens`` when the run has token output. Dataset-1 counts come from its
    ``per_output_domain`` section."""
    d1 = manifests["dataset-1"]
    per = {"dataset-1": d1.get("per_output_domain", d1["per_domain"])}
    per.update({k: m["per_domain"] for k, m in manifests.items() if k != "dataset-1"})
    tokens = manifests.get(TOKENS)
    rows: dict[str, dict[str, int]] = {}
    for domain in sorted(per["dataset-1"]) + ["TOTAL"]:
        row: dict[str, int] = {}
        for column, source in FUNNEL:
            if source is None:
                bucket = d1 if domain == "TOTAL" else per["dataset-1"][domain]
                row[column] = bucket["rows_in"]
                continue
            dataset = source if isinstance(source, str) else source[0]
            if dataset not in per or (column == "fuzzy" and "fuzzy_dedup" not in d1):
                continue
            bucket = manifests[dataset] if domain == "TOTAL" else per[dataset].get(domain)
            if bucket is None:
                row[column] = 0
            elif isinstance(source, str):
                row[column] = bucket["rows_out"]
            else:
                row[column] = bucket["removed_by_stage"].get(source[1], 0)
        if tokens is not None:  # tokens of the kept documents (of tokens["dataset"])
            bucket = tokens if domain == "TOTAL" else tokens["per_domain"].get(domain, {})
            row["tokens"] = int(bucket.get("tokens", 0))
        rows[domain] = row
    return rows


def run_manifests(run: str) -> dict[str, dict]:
    """The manifests of the run's finished datasets (Dataset-1 must be finished)."""
    manifests = {DATASET_1: read_manifest(run, DATASET_1)}
    for name in (DATASET_2, DATASET_3, TOKENS):
        try:
            manifests[name] = read_manifest(run, name)
        except (IncompleteDatasetError, FileNotFoundError):
            if name != TOKENS:
                break
    return manifests


def pipeline_table(manifests: dict[str, dict]) -> str:
    """:func:`pipeline_rows` as text: counts, and each stage's removals as % of raw."""
    rows = pipeline_rows(manifests)
    columns = [c for c, _ in FUNNEL if c in rows["TOTAL"]]
    counts = ("raw", "D1", "D2", "D3")
    with_tokens = "tokens" in rows["TOTAL"]
    head = f"{'domain':<16}" + "".join(f"{c:>{8 if c in counts else 15}}" for c in columns)
    head += f"{'kept':>8}" + (f"{'tokens':>14}" if with_tokens else "")
    lines = ["Documents per domain through the pipeline (removed: count and % of raw)", head]
    lines.append("-" * len(head))
    last = columns[-1]
    for domain, row in rows.items():
        if domain == "TOTAL":
            lines.append("-" * len(head))
        cells = []
        for c in columns:
            if c in counts:
                cells.append(f"{row[c]:>8}")
            else:
                cells.append(f"{row[c]:>8} ({_pct(row[c], row['raw']).strip():>5})")
        line = f"{domain:<16}" + "".join(cells) + f"{_pct(row[last], row['raw']):>8}"
        lines.append(line + (f"{row['tokens']:>14,}" if with_tokens else ""))
    return "\n".join(lines)
