"""Human-readable summaries of manifests (the tables jobs print at the end)."""

from __future__ import annotations


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
    if extra:
        lines.append(
            f"eps {extra['eps']:.4f} (similarity > {extra['threshold']:.4f}), removed "
            f"{100 * extra['achieved_removal']:.1f}% (target {extra['target_removal']})"
        )
    return "\n".join(lines)
