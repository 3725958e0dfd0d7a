"""``curation compare-embedders``: a cheap proxy for choosing an embedder.

The reference chose its embedder by training 3B models on Dataset-2 variants. This measures, for
each configured embedder, in one process on this machine:

* **pair separation** on labelled pair files (:mod:`curation.embedders.pairs`): ROC AUC, mean
  cosine of same- and different-meaning pairs, and the shares of each flagged at the eps the
  model's calibration picks (the largest eps flagging at most ``max_negative_rate`` - default
  none - of every file's different-meaning pairs);
* **removal per domain** on a hash sample of a run's Dataset-1 (the documents with the smallest
  xxh64(id), as k-means' training sample): k-means and the SemDedup rule of Dataset-2 on the
  sample, at the configured target (``semdedup.target_removal``, or ``semdedup.eps``) and at the
  calibrated eps;
* **domain mixing**: how k-means clusters mix domains (purity, and per domain the share of its
  documents in clusters another domain leads);
* **speed**: documents and sentences per second on this machine.

Results: :func:`compare` returns a JSON-able dict; :func:`to_markdown` renders it;
:func:`write` stores both in ``<out>/comparison.{json,md}`` (default ``<run>/compare-embedders``),
where ``curation report`` finds them.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from curation import schema as S
from curation.config import PipelineConfig
from curation.embedders import BUILTIN, Embedder, get_embedder
from curation.embedders import pairs as P
from curation.errors import CurationError

log = logging.getLogger(__name__)

OUT_DIR = "compare-embedders"
RESULT_JSON = "comparison.json"
RESULT_MD = "comparison.md"
DEFAULT_SAMPLE = 2000


class CompareError(CurationError, ValueError):
    """compare-embedders was asked for something it cannot do (the message says what)."""


def embed_config_for(model: str, cfg: PipelineConfig):
    """The run's embed settings with ``model``; builtin models get no prefix (E5's ``passage: ``
    is only meant for E5), any other model the configured one."""
    prefix = "" if model.startswith(BUILTIN) else cfg.embed.prefix
    return replace(cfg.embed, model=model, prefix=prefix)


def run_sample(run: str, size: int) -> tuple[list[str], list[str], list[str]]:
    """(ids, domains, texts) of the ``size`` Dataset-1 documents with the smallest xxh64(id),
    sorted by id; texts are read only for those documents."""
    import pyarrow.dataset as ds

    from curation.datasets import IncompleteDatasetError
    from curation.inspect import readers
    from curation.run_layout import DATASET_1
    from curation.stages.cluster_kmeans import training_sample

    kept = readers.kept(run, DATASET_1)
    if kept is None:
        raise IncompleteDatasetError(f"{readers.run_uri(run)} has no finished dataset-1")
    head = kept.to_table(columns=[S.ID])
    wanted = head.filter(training_sample(head.column(S.ID), size)).column(S.ID)
    chosen = kept.to_table(
        columns=[S.ID, S.DOMAIN, S.TEXT], filter=ds.field(S.ID).isin(wanted.combine_chunks())
    ).sort_by(S.ID)
    return (
        chosen.column(S.ID).to_pylist(),
        chosen.column(S.DOMAIN).to_pylist(),
        chosen.column(S.TEXT).to_pylist(),
    )


def _timed_encode(embedder: Embedder, texts: list[str]) -> tuple[np.ndarray, float]:
    embedder.load()
    t0 = time.perf_counter()
    vectors = embedder.encode(texts)
    return vectors, time.perf_counter() - t0


def pair_report(
    embedder: Embedder, pair_sets: Sequence[P.LabelledPairs], max_negative_rate: float
) -> dict[str, Any]:
    """Pair separation of one embedder on every pair file, and its calibrated eps."""
    cosines, labels, per_file = {}, {}, {}
    sentences = seconds = 0.0
    for pairs in pair_sets:
        embedder.load()
        t0 = time.perf_counter()
        cos = P.pair_cosines(embedder, pairs)
        seconds += time.perf_counter() - t0
        sentences += len({*pairs.s1, *pairs.s2})
        cosines[pairs.name], labels[pairs.name] = cos, pairs.labels
    eps = P.calibrate_eps(cosines, labels, max_negative_rate) if cosines else None
    for name, cos in cosines.items():
        lab = labels[name]
        pos, neg = P.flagged(cos, lab, eps) if eps is not None else (None, None)
        per_file[name] = {
            "pairs_same": int((lab == 1).sum()),
            "pairs_different": int((lab == 0).sum()),
            "roc_auc": P.roc_auc(cos, lab),
            "mean_cos_same": float(cos[lab == 1].mean()),
            "mean_cos_different": float(cos[lab == 0].mean()),
            "flagged_same": pos,
            "flagged_different": neg,
        }
    return {
        "calibrated_eps": eps,
        "max_negative_rate": max_negative_rate,
        "files": per_file,
        "sentences_per_s": sentences / seconds if seconds > 0 else None,
        "cosines": {k: v.tolist() for k, v in cosines.items()},
    }


def sample_report(
    embedder: Embedder,
    ids: list[str],
    domains: list[str],
    texts: list[str],
    cfg: PipelineConfig,
    calibrated_eps: float | None,
) -> dict[str, Any]:
    """Removal per domain and domain mixing of one embedder on a run's sample."""
    from curation.stages import cluster_kmeans, semdedup

    vectors, seconds = _timed_encode(embedder, texts)
    k = cluster_kmeans.n_clusters_for(len(ids), cfg.kmeans)
    centroids = cluster_kmeans.train_kmeans(vectors, k, cfg.kmeans, "cpu", ids=ids)
    cluster, distance = cluster_kmeans.assign(vectors, centroids, "cpu")
    table = semdedup.semdedup_all(ids, cluster, distance, vectors, cfg.semdedup.tile_size, "cpu")
    position = {i: n for n, i in enumerate(ids)}
    m = np.empty(len(ids), np.float64)
    m[[position[i] for i in table.column(S.ID).to_pylist()]] = np.asarray(table.column(S.M))
    target = cfg.semdedup.target_removal
    at_target = cfg.semdedup.eps if target is None else semdedup.calibrate_eps(m, target)
    dom = np.asarray(domains, dtype=str)
    names = sorted(set(domains))

    def removal(eps: float | None) -> dict[str, float] | None:
        if eps is None:
            return None
        removed = semdedup.removed_mask(m, eps)
        return {"ALL": float(removed.mean())} | {d: float(removed[dom == d].mean()) for d in names}

    return {
        "documents": len(ids),
        "per_domain_documents": {d: int((dom == d).sum()) for d in names},
        "docs_per_s": len(ids) / seconds if seconds > 0 else None,
        "clusters": k,
        "eps_at_target": at_target,
        "target_removal": target,
        "removal_at_target": removal(at_target),
        "removal_at_calibrated_eps": removal(calibrated_eps),
        "mixing": domain_mixing(cluster, dom),
    }


def domain_mixing(cluster: np.ndarray, domains: np.ndarray) -> dict[str, Any]:
    """Purity of the clusters (share of documents in their cluster's leading domain) and, per
    domain, the share of its documents that sit in clusters another domain leads."""
    cluster = np.asarray(cluster)
    names = sorted(set(domains.tolist()))
    counts = np.zeros((int(cluster.max()) + 1 if len(cluster) else 0, len(names)), np.int64)
    col = {d: j for j, d in enumerate(names)}
    np.add.at(counts, (cluster, [col[d] for d in domains]), 1)
    leader = counts.argmax(axis=1)
    led_by_other = {
        d: float(counts[leader != j, j].sum() / max(1, counts[:, j].sum())) for d, j in col.items()
    }
    return {
        "purity": float(counts.max(axis=1).sum() / max(1, counts.sum())),
        "in_clusters_led_by_another_domain": led_by_other,
    }


def compare(
    models: Sequence[str],
    cfg: PipelineConfig,
    *,
    pair_files: Sequence[str | Path] = (),
    run: str | None = None,
    sample: int = DEFAULT_SAMPLE,
    max_negative_rate: float = P.DEFAULT_MAX_NEGATIVE_RATE,
    device: str = "cpu",
) -> dict[str, Any]:
    """Every measure above for every model (in order); see the module docstring."""
    pair_sets = [P.read_pairs(f) for f in pair_files]
    docs = run_sample(run, sample) if run else None
    results = []
    for model in models:
        embedder = get_embedder(embed_config_for(model, cfg), device)
        log.info("compare-embedders: %s", embedder.describe())
        entry: dict[str, Any] = {
            "model": model,
            "dim": embedder.dim,
            "precision": embedder.precision,
            "device": embedder.device,
            "fingerprint": embedder.fingerprint(),
        }
        entry["pairs"] = pair_report(embedder, pair_sets, max_negative_rate)
        if docs is not None:
            entry["sample"] = sample_report(embedder, *docs, cfg, entry["pairs"]["calibrated_eps"])
        results.append(entry)
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "run": run,
        "pair_files": [str(f) for f in pair_files],
        "sample": sample if run else None,
        "kmeans_target_cluster_size": cfg.kmeans.target_cluster_size,
        "embedders": results,
    }


# --- output ----------------------------------------------------------------------------------------


def _f(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def tables(result: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """The comparison as (title, header, rows) tables - shared by Markdown and the HTML report."""
    out = []
    emb = result["embedders"]
    files = sorted({f for e in emb for f in e["pairs"]["files"]})
    if files:
        header = ["model", "calibrated eps"]
        for f in files:
            header += [
                f"{f} AUC",
                f"{f} cos same / different",
                f"{f} flagged same / different",
            ]
        header.append("sentences/s")
        rows = []
        for e in emb:
            p = e["pairs"]
            row = [e["model"], _f(p["calibrated_eps"], 4)]
            for f in files:
                r = p["files"].get(f)
                if r is None:
                    row += ["-", "-", "-"]
                    continue
                row += [
                    _f(r["roc_auc"], 4),
                    f"{_f(r['mean_cos_same'])} / {_f(r['mean_cos_different'])}",
                    f"{_f(r['flagged_same'])} / {_f(r['flagged_different'])}",
                ]
            row.append(_f(p["sentences_per_s"], 1))
            rows.append(row)
        rate = emb[0]["pairs"]["max_negative_rate"] if emb else P.DEFAULT_MAX_NEGATIVE_RATE
        out.append(
            (
                f"Pair separation (calibrated eps: at most {rate:.1%} of each file's "
                "different-meaning pairs flagged; flagged = cos > 1 - eps)",
                header,
                rows,
            )
        )
    sampled = [e for e in emb if "sample" in e]
    if sampled:
        domains = sorted({d for e in sampled for d in e["sample"]["per_domain_documents"]})
        s0 = sampled[0]["sample"]
        what = (
            f"target {s0['target_removal']:.0%}"
            if s0["target_removal"] is not None
            else "configured eps"
        )
        header = ["model", "eps", "ALL", *domains]
        rows = []
        for e in sampled:
            s = e["sample"]
            rows.append(
                [f"{e['model']} ({what})", _f(s["eps_at_target"], 4)]
                + [_f(s["removal_at_target"].get(d)) for d in ["ALL", *domains]]
            )
            if s["removal_at_calibrated_eps"] is not None:
                rows.append(
                    [f"{e['model']} (calibrated eps)", _f(e["pairs"]["calibrated_eps"], 4)]
                    + [_f(s["removal_at_calibrated_eps"].get(d)) for d in ["ALL", *domains]]
                )
        out.append(
            (
                f"SemDedup removal per domain on a sample of {s0['documents']} Dataset-1 "
                f"documents ({s0['clusters']} k-means clusters)",
                header,
                rows,
            )
        )
        header = ["model", "docs/s", "cluster purity"] + [
            f"{d} in others' clusters" for d in domains
        ]
        rows = [
            [
                e["model"],
                _f(e["sample"]["docs_per_s"], 1),
                _f(e["sample"]["mixing"]["purity"]),
            ]
            + [
                _f(e["sample"]["mixing"]["in_clusters_led_by_another_domain"].get(d))
                for d in domains
            ]
            for e in sampled
        ]
        out.append(("Domain mixing in k-means clusters, and speed on this machine", header, rows))
    return out


def to_markdown(result: dict[str, Any]) -> str:
    """The comparison as Markdown tables."""
    lines = ["# Embedder comparison", ""]
    lines.append(
        f"{result['date']}; run: {result['run'] or '-'}; pair files: "
        + (", ".join(result["pair_files"]) or "-")
    )
    for title, header, rows in tables(result):
        lines += ["", f"## {title}", "", "| " + " | ".join(header) + " |"]
        lines.append("|" + "---|" * len(header))
        lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def write(result: dict[str, Any], out_dir: str | Path) -> Path:
    """``comparison.json`` (without the per-pair cosines) and ``comparison.md`` in ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    slim = json.loads(json.dumps(result))
    for e in slim["embedders"]:
        e["pairs"].pop("cosines", None)
    (out / RESULT_JSON).write_text(json.dumps(slim, indent=1) + "\n", encoding="utf-8")
    (out / RESULT_MD).write_text(to_markdown(result), encoding="utf-8")
    return out / RESULT_MD
