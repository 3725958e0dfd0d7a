"""``curation stats RUN``: every finished stage's manifest as a table for the terminal."""

from __future__ import annotations

import logging

from curation.inspect import funnel, tables
from curation.inspect import readers as R

log = logging.getLogger(__name__)


def stats_text(run: str) -> str:
    """The document funnel, then each stage: its per-domain table and its other numbers."""
    manifests = R.stage_manifests(run)
    if not manifests:
        return f"{R.run_uri(run)}: no finished stage (no folder with _SUCCESS)"
    out = [f"run {R.run_uri(run)}", f"finished stages: {', '.join(manifests)}", ""]
    docs = funnel.document_funnel(manifests)
    if not docs.empty:
        out += ["Documents per domain through the pipeline (raw, removed by each stage, kept)"]
        out += [tables.text_table(docs), ""]
    for stage, manifest in manifests.items():
        title = f"== {stage}"
        if "rows_in" in manifest and "rows_out" in manifest:
            title += f": {manifest['rows_in']:,} in, {manifest['rows_out']:,} out"
        out.append(title)
        for section in ("per_domain", "per_output_domain"):
            frame = tables.manifest_frame(manifest, section)
            if not frame.empty:
                if section == "per_output_domain":
                    out.append("by output domain:")
                out.append(tables.text_table(frame))
        facts = tables.manifest_facts(manifest)
        out.extend(f"  {k}: {tables.format_value(v)}" for k, v in facts.items())
        out.append("")
    return "\n".join(out).rstrip() + "\n"
