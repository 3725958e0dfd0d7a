"""``curation explain RUN ID``: the whole history of one document across the stages.

The history is the union of the datasets' ledgers and kept documents (every dataset's ledger
holds only its own stages' removals). Every read is an id look-up with row-group pruning
(:func:`curation.inspect.lookup.find_rows`) that reads texts only from the row group holding the
id, so explaining one document costs about one scan of the id columns, whatever the run's size.
"""

from __future__ import annotations

import logging
import textwrap
from dataclasses import dataclass, field

import pyarrow.compute as pc

from curation import schema as S
from curation.datasets import IncompleteDatasetError
from curation.errors import CurationError
from curation.inspect import lookup
from curation.inspect import readers as R
from curation.printable import for_terminal
from curation.run_layout import DATASET_1, DATASET_2, DATASET_3, MANIFEST, TOKENS
from curation.storage import join

log = logging.getLogger(__name__)

SEMDEDUP_STAGES = (S.STAGE_SEMDEDUP_KMEANS, S.STAGE_SEMDEDUP_HDBSCAN)
_LEDGER = [S.ID, S.DOMAIN, S.STAGE, S.REASON, S.SCORE, S.DUPLICATE_OF, S.CLUSTER, S.DETAIL,
           S.SRC_DOMAIN, S.SRC_FILE, S.SRC_LINE]  # fmt: skip
_KEPT = [S.ID, S.DOMAIN, S.SRC_DOMAIN, S.SRC_FILE, S.SRC_LINE, S.LANG, S.LANG_SCORE, S.N_CHARS]


class UnknownIdError(CurationError, LookupError):
    """The id is neither among Dataset-1's kept documents nor in its ledger."""


@dataclass(frozen=True)
class Step:
    """What one dataset did with the document."""

    dataset: str
    status: str  # "kept", "removed", "not reached" (removed earlier), "not run" (stage absent)
    stage: str | None = None
    reason: str | None = None
    score: float | None = None
    cluster: int | None = None
    duplicate_of: str | None = None
    detail: str | None = None
    facts: tuple[str, ...] = ()


@dataclass(frozen=True)
class History:
    """One document through the run: its steps, and for a duplicate, its twin."""

    id: str
    domain: str
    source: str
    steps: list[Step]
    removed_by: Step | None = None
    chain: list[str] = field(default_factory=list)  # direct twin first, the survivor last
    survivor_fate: str | None = None
    twin_of: dict[str, int] = field(default_factory=dict)  # stage -> documents naming this id
    text: str | None = None
    twin_text: str | None = None

    @property
    def twin(self) -> str | None:
        return self.chain[0] if self.chain else None


def _first(table) -> dict | None:
    return table.slice(0, 1).to_pylist()[0] if table.num_rows else None


def _thresholds(run: str, dataset: str, domain: str) -> float | None:
    """The similarity above which the dataset's SemDedup removed documents of ``domain``."""
    manifest = R.read_json(join(R.run_uri(run), dataset, MANIFEST)) or {}
    eps = manifest.get("semdedup", {}).get("eps")
    if isinstance(eps, dict):
        eps = eps.get(domain)
    return None if eps is None else 1.0 - float(eps)


def _similarity_facts(
    run: str, dataset: str, doc_id: str, domain: str
) -> tuple[int | None, list[str]]:
    """(cluster, facts) from the dataset's ``similarity`` file, or (None, [why not])."""
    clustering = R.CLUSTERING_OF[dataset]
    row = _first(
        lookup.find_rows(
            R.part(run, f"{clustering}/similarity/data"),
            [doc_id],
            [S.ID, S.CLUSTER, S.M, S.MAX_ID, S.RANK, S.CROSS],
        )
    )
    name = "k-means" if clustering == R.KMEANS else "HDBSCAN"
    if row is None:
        return None, [f"not in the {name} clustering (domain copied unchanged)"]
    facts = []
    if row[S.CLUSTER] is not None and row[S.CLUSTER] < 0:
        facts.append("HDBSCAN noise: never removed")
    elif row[S.M] is None or row[S.M] <= -1:
        facts.append(f"farthest from its {name} centroid: no farther document to duplicate")
    else:
        threshold = _thresholds(run, dataset, domain)
        cut = f" (removed above {threshold:.4f})" if threshold is not None else ""
        if row.get(S.CROSS):  # found by the cross-boundary pass
            facts.append(
                f"most similar earlier document {row[S.MAX_ID]} (in another cluster, across the "
                f"boundary): {row[S.M]:.4f}{cut}"
            )
        else:
            facts.append(f"most similar farther document {row[S.MAX_ID]}: {row[S.M]:.4f}{cut}")
    return row[S.CLUSTER], facts


def _ledger_step(dataset: str, row: dict) -> Step:
    facts = []
    if row[S.STAGE] == S.STAGE_LANGID and row[S.DETAIL]:
        facts.append(f"language {row[S.DETAIL]} (score {row[S.SCORE]:.2f})")
    elif row[S.STAGE] == S.STAGE_LENGTH and row[S.SCORE] is not None:
        facts.append(f"{int(row[S.SCORE])} characters")
    elif row[S.STAGE] in SEMDEDUP_STAGES and row[S.SCORE] is not None:
        across = " (in another cluster)" if row[S.REASON] == S.REASON_SEMANTIC_CROSS else ""
        facts.append(f"similarity {row[S.SCORE]:.4f} to {row[S.DUPLICATE_OF]}{across}")
    elif row[S.STAGE] == S.STAGE_EXACT_DEDUP:
        facts.append(f"identical text (md5 {row[S.DETAIL]}) to {row[S.DUPLICATE_OF]}")
    elif row[S.STAGE] == S.STAGE_FUZZY_DEDUP and row[S.SCORE] is not None:
        facts.append(
            f"near duplicate of {row[S.DUPLICATE_OF]}: Jaccard {row[S.SCORE]:.4f} of their "
            f"shingles ({row[S.DETAIL]})"
        )
    elif row[S.DETAIL]:
        facts.append(str(row[S.DETAIL]))
    return Step(
        dataset, "removed", row[S.STAGE], row[S.REASON], row[S.SCORE], row[S.CLUSTER],
        row[S.DUPLICATE_OF], row[S.DETAIL], tuple(facts),
    )  # fmt: skip


def fate(run: str, doc_id: str) -> str:
    """Where the document ended: ``removed by <stage> (<reason>) in <dataset>`` or ``kept ...``."""
    last = None
    for dataset in R.DATASETS:
        if not R.finished(run, dataset):
            break
        last = dataset
        row = _first(lookup.find_rows(R.ledger(run, dataset), [doc_id], [S.ID, S.STAGE, S.REASON]))
        if row:
            return f"removed by {row[S.STAGE]} ({row[S.REASON]}) in {dataset}"
    return f"kept in {last}" if last else "unknown"


def _tokens_fact(run: str, doc_id: str) -> Step | None:
    if not R.finished(run, TOKENS):
        return None
    uri = join(R.run_uri(run), TOKENS)
    for path in R.find_files(uri, "documents.parquet"):
        row = _first(lookup.find_rows(R.open_dataset(path), [doc_id], [S.ID, "tokens"]))
        if row:
            domain = path[len(uri) :].strip("/").split("/")[0]
            return Step(TOKENS, "kept", facts=(f"{row['tokens']:,} tokens in {TOKENS}/{domain}",))
    return Step(TOKENS, "not in the token shards")


def _twin_of(run: str, doc_id: str) -> dict[str, int]:
    """How many documents each stage removed as duplicates naming this id."""
    out: dict[str, int] = {}
    for dataset in R.DATASETS:
        table = R.ledger(run, dataset)
        if table is None or S.DUPLICATE_OF not in table.schema.names:
            continue
        counts = R.count_by(table, [S.STAGE], pc.field(S.DUPLICATE_OF) == doc_id)
        out.update({stage: n for stage, n in R.rows(counts)})
    return out


def explain(run: str, doc_id: str) -> History:
    """The history of ``doc_id`` in ``run``; :class:`UnknownIdError` when the run never saw it."""
    if not R.finished(run, DATASET_1):
        raise IncompleteDatasetError(f"{join(R.run_uri(run), DATASET_1)} is not a finished dataset")
    steps: list[Step] = []
    removed: Step | None = None
    row = _first(lookup.find_rows(R.ledger(run, DATASET_1), [doc_id], _LEDGER))
    if row is not None:
        removed = _ledger_step(DATASET_1, row)
        steps.append(removed)
        domain = row[S.DOMAIN]
    else:
        row = _first(lookup.find_rows(R.kept(run, DATASET_1), [doc_id], _KEPT))
        if row is None:
            raise UnknownIdError(
                f"unknown id {doc_id!r}: neither kept nor removed in {join(R.run_uri(run), DATASET_1)}"
            )
        domain = row[S.DOMAIN]
        facts = []
        if row.get(S.LANG):
            facts.append(f"language {row[S.LANG]} (score {row.get(S.LANG_SCORE) or 0:.2f})")
        if row.get(S.N_CHARS) is not None:
            facts.append(f"{row[S.N_CHARS]:,} characters")
        steps.append(Step(DATASET_1, "kept", facts=tuple(facts)))
    source = (
        f"{row.get(S.SRC_FILE)} line {row.get(S.SRC_LINE)} (input domain {row.get(S.SRC_DOMAIN)})"
    )
    for dataset in (DATASET_2, DATASET_3):
        if not R.finished(run, dataset):
            steps.append(Step(dataset, "not run"))
            continue
        if removed is not None:
            steps.append(Step(dataset, "not reached"))
            continue
        hit = _first(lookup.find_rows(R.ledger(run, dataset), [doc_id], _LEDGER))
        if hit is not None:
            removed = _ledger_step(dataset, hit)
            steps.append(removed)
        else:
            cluster, facts = _similarity_facts(run, dataset, doc_id, domain)
            steps.append(Step(dataset, "kept", cluster=cluster, facts=tuple(facts)))
    if removed is None and (tokens := _tokens_fact(run, doc_id)) is not None:
        steps.append(tokens)
    chain: list[str] = []
    survivor_fate = None
    if removed is not None and removed.duplicate_of:
        chain = [removed.duplicate_of]
        if removed.stage in SEMDEDUP_STAGES:
            chain = lookup.chain(R.ledger(run, removed.dataset), doc_id) or chain
        survivor_fate = fate(run, chain[-1])
    text = lookup.texts(run, [doc_id, *chain[:1]])
    return History(
        id=doc_id, domain=domain, source=source, steps=steps, removed_by=removed, chain=chain,
        survivor_fate=survivor_fate, twin_of=_twin_of(run, doc_id), text=text.get(doc_id),
        twin_text=text.get(chain[0]) if chain else None,
    )  # fmt: skip


def wrap(text: str | None, width: int, lines: int) -> list[str]:
    """``text`` wrapped to ``width`` columns, line breaks kept, cut to ``lines`` lines (…);
    control characters shown as escapes (:func:`curation.printable.for_terminal`)."""
    out: list[str] = []
    for line in for_terminal(text or "").expandtabs(4).splitlines() or [""]:
        out.extend(textwrap.wrap(line, width, drop_whitespace=False) or [""])
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: width - 1] + "…"
    return out


def side_by_side(
    left: tuple[str, str | None], right: tuple[str, str | None], width: int = 100, lines: int = 12
) -> str:
    """Two texts in columns under their titles, wrapped and cut to ``lines`` lines each."""
    col = (width - 3) // 2
    a, b = wrap(left[1], col, lines), wrap(right[1], col, lines)
    rows = [f"{left[0][:col]:<{col}} | {right[0][:col]}", f"{'-' * col}-+-{'-' * col}"]
    for i in range(max(len(a), len(b))):
        x = a[i] if i < len(a) else ""
        y = b[i] if i < len(b) else ""
        rows.append(f"{x:<{col}} | {y}".rstrip())
    return "\n".join(rows)


def format_history(h: History, width: int = 100, lines: int = 12) -> str:
    """The history as text for the terminal: whatever the document's id, text or file name hold,
    no control character or escape sequence reaches the terminal (they are shown as escapes)."""
    if h.removed_by is not None:
        verdict = (
            f"REMOVED by {h.removed_by.stage} ({h.removed_by.reason}) in {h.removed_by.dataset}"
        )
    else:
        kept = [s.dataset for s in h.steps if s.status == "kept"]
        verdict = f"KEPT (through {kept[-1]})" if kept else "KEPT"
    out = [
        f"id       {h.id}",
        f"domain   {h.domain}",
        f"source   {h.source}",
        f"verdict  {verdict}",
        "",
        "history",
    ]
    for step in h.steps:
        status = step.status.upper() if step.status == "removed" else step.status
        parts = []
        if step.stage:
            parts.append(f"stage {step.stage}, reason {step.reason}")
        if step.score is not None and step.stage in SEMDEDUP_STAGES:
            parts.append(f"score {step.score:.4f}")
        if step.cluster is not None and step.stage == S.STAGE_FUZZY_DEDUP:
            parts.append(f"near-duplicate group {step.cluster}")
        elif step.cluster is not None:
            parts.append(
                f"{'HDBSCAN' if step.dataset == DATASET_3 else 'k-means'} cluster {step.cluster}"
            )
        out.append(f"  {step.dataset:<10} {status:<12} {', '.join(parts)}".rstrip())
        out.extend(f"  {'':<10} {'':<12} {fact}" for fact in step.facts)
    if h.chain:
        out.append("")
        similarity = (
            f", similarity {h.removed_by.score:.4f}"
            if h.removed_by
            and h.removed_by.score is not None
            and h.removed_by.stage in SEMDEDUP_STAGES
            else ""
        )
        out.append(f"twin     {h.chain[0]}{similarity}")
        if len(h.chain) > 1:
            out.append(
                f"chain    {' -> '.join(h.chain)} (each removed by the same stage as a duplicate of the next)"
            )
        out.append(f"kept one {h.chain[-1]}: {h.survivor_fate}")
    if h.twin_of:
        named = ", ".join(f"{stage} {n}" for stage, n in sorted(h.twin_of.items()))
        out.append(f"twin of  documents removed as its duplicates: {named}")
    out.append("")
    if h.chain:
        out.append(
            side_by_side(
                (f"this document ({h.id})", h.text),
                (f"twin ({h.chain[0]})", h.twin_text),
                width,
                lines,
            )
        )
    else:
        out.append(f"text ({h.id})")
        out.append("-" * width)
        out.extend(wrap(h.text, width, lines))
    return for_terminal("\n".join(out))
