"""Any stage's manifest as a table (per domain and TOTAL) plus its top-level facts.

The same frames feed ``curation stats`` (as text) and the report (as HTML), so both show exactly
the manifests' numbers.
"""

from __future__ import annotations

import json
import math
from numbers import Integral, Number, Real

import pandas as pd

SKIP_FACTS = {
    "per_domain", "per_output_domain", "config", "removed", "removed_by_stage", "outputs", "stage",
    "rows_in", "rows_out",
}  # fmt: skip
"""Top-level manifest keys shown as tables or not at all (config is shown apart)."""
FIRST = ("rows_in",)
LAST = ("rows_out",)


def manifest_frame(manifest: dict, section: str = "per_domain") -> pd.DataFrame:
    """One row per domain and ``TOTAL``: rows_in, ``removed:<reason>`` ..., rows_out, other counts.

    Works for every stage: Dataset-N (rows in/out and removals per reason), embeddings
    (documents per domain), tokens (documents, tokens, sequences ...). ``section`` is
    ``per_domain`` or Dataset-1's ``per_output_domain``. Empty when the manifest has none."""
    per_domain = manifest.get(section)
    if not isinstance(per_domain, dict) or not per_domain:
        return pd.DataFrame()
    rows = {domain: _row(domain, bucket) for domain, bucket in per_domain.items()}
    keys = {k for row in rows.values() for k in row if k != "outputs"}
    if any(isinstance(b, dict) for b in per_domain.values()):
        rows["TOTAL"] = {k: v for k, v in _row("TOTAL", manifest).items() if k in keys}
    else:
        rows["TOTAL"] = {"documents": sum(int(v) for v in per_domain.values())}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    removed = sorted(c for c in frame.columns if c.startswith("removed:"))
    first = [c for c in FIRST if c in frame.columns]
    last = [c for c in LAST if c in frame.columns]
    other = [c for c in frame.columns if c not in {*first, *removed, *last}]
    frame = frame[first + removed + last + other]
    for column in [*removed, *first, *last]:
        frame[column] = frame[column].fillna(0).astype("int64")
    frame.index.name = "domain"
    return frame


def _row(domain: str, bucket: object) -> dict:
    if not isinstance(bucket, dict):
        return {"documents": bucket}
    row: dict[str, object] = {}
    for key, value in bucket.items():
        if key == "removed" and isinstance(value, dict):
            row.update({f"removed:{reason}": n for reason, n in value.items()})
        elif key == "outputs" and isinstance(value, dict) and value and set(value) != {domain}:
            row["outputs"] = ", ".join(f"{d} {n:,}" for d, n in value.items())
        elif isinstance(value, Number) and not isinstance(value, bool):
            row[key] = value
    if "rows_in" in bucket and "removed" in bucket:
        row.setdefault("rows_in", bucket["rows_in"])
    return row


def manifest_facts(manifest: dict) -> dict[str, object]:
    """The manifest's other top-level entries, nested ones as dotted keys (``semdedup.eps``)."""
    out: dict[str, object] = {}

    def walk(prefix: str, value: object, depth: int) -> None:
        if isinstance(value, dict) and depth < 3:
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v, depth + 1)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for i, v in enumerate(value):
                walk(f"{prefix}[{i}]", v, depth + 1)
        elif isinstance(value, list):
            out[prefix] = (
                ", ".join(str(v) for v in value) if len(value) <= 8 else f"{len(value)} items"
            )
        else:
            out[prefix] = value

    for key, value in manifest.items():
        if key not in SKIP_FACTS:
            walk(key, value, 1)
    return out


def format_value(value: object) -> str:
    """Integers with thousands separators, other numbers with 4 significant digits."""
    if value is None or (isinstance(value, Real) and math.isnan(float(value))):
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Integral) or (isinstance(value, Real) and float(value).is_integer()):
        return f"{int(value):,}"
    if isinstance(value, Real):
        return f"{float(value):.4g}"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def text_table(frame: pd.DataFrame, index_name: str | None = None) -> str:
    """A frame as an aligned text table (numbers right-aligned, thousands separators)."""
    if frame.empty:
        return "(empty)"
    header = [index_name or frame.index.name or "", *map(str, frame.columns)]
    body = [
        [str(i), *(format_value(v) for v in row)]
        for i, row in zip(frame.index, frame.itertuples(index=False), strict=True)
    ]
    widths = [max(len(r[c]) for r in [header, *body]) for c in range(len(header))]
    lines = [
        "  ".join(
            h.ljust(w) if c == 0 else h.rjust(w)
            for c, (h, w) in enumerate(zip(header, widths, strict=True))
        )
    ]
    lines.append("  ".join("-" * w for w in widths))
    for row in body:
        if row[0] == "TOTAL":
            lines.append("  ".join("-" * w for w in widths))
        lines.append(
            "  ".join(
                v.ljust(w) if c == 0 else v.rjust(w)
                for c, (v, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    return "\n".join(lines)
