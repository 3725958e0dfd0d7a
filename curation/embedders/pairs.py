"""Labelled sentence pairs: how well an embedder separates paraphrases from unrelated pairs, and
the SemDedup eps that its calibration picks.

A pair file is TSV with a header holding at least ``s1``, ``s2`` and ``label`` (1 = same meaning,
0 = different meaning; rows with an empty label are skipped), as the STS-B files in
``../shared/data/pairs`` (label 1 = gold score >= 4, 0 = <= 2). Other columns are ignored.

The SemDedup rule flags a pair when ``cos > 1 - eps``. :func:`calibrate_eps` picks, for one
embedder, the largest eps at which at most ``max_negative_rate`` of the different-meaning pairs of
*every* file would be flagged (so one language cannot hide another's false positives): a
threshold set by what the model does to pairs that must not be merged. The default rate 0 puts
the threshold just above the most similar different-meaning pair of any file. On the STS-B dev
pairs (en + ru) that gives 0.0235 for builtin:use-multilingual-v3 - on the demo corpus it removes
about the planted share of duplicates; a rate of 1% would give 0.18, since sentence pairs judged
"different" (gold <= 2) are still often on one topic.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from curation.embedders.base import Embedder
from curation.errors import CurationError

DEFAULT_MAX_NEGATIVE_RATE = 0.0
"""Share of different-meaning pairs the calibrated eps may flag (per pair file)."""


class PairFileError(CurationError, ValueError):
    """A pair file that cannot be read as ``s1, s2, label`` TSV (named with the line)."""


@dataclass(frozen=True)
class LabelledPairs:
    """The labelled rows of one pair file."""

    name: str
    s1: list[str]
    s2: list[str]
    labels: np.ndarray  # int8, 1 = same meaning, 0 = different

    def __len__(self) -> int:
        return len(self.labels)


def read_pairs(path: str | Path) -> LabelledPairs:
    """The rows of a TSV pair file whose ``label`` is 0 or 1."""
    path = Path(path)
    s1: list[str] = []
    s2: list[str] = []
    labels: list[int] = []
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            missing = {"s1", "s2", "label"} - set(reader.fieldnames or ())
            if missing:
                raise PairFileError(
                    f"{path}:1: pair file header lacks {', '.join(sorted(missing))} "
                    "(a TSV with columns s1, s2, label is expected)"
                )
            for row in reader:
                label = (row.get("label") or "").strip()
                if not label:
                    continue
                if label not in ("0", "1") or row.get("s1") is None or row.get("s2") is None:
                    raise PairFileError(
                        f"{path}:{reader.line_num}: expected s1, s2 and a label 0 or 1, "
                        f"got label {label!r}"
                    )
                s1.append(row["s1"])
                s2.append(row["s2"])
                labels.append(int(label))
    except OSError as exc:
        raise PairFileError(f"{path}: cannot read the pair file ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise PairFileError(f"{path}: not UTF-8 ({exc.reason})") from None
    out = LabelledPairs(path.stem, s1, s2, np.asarray(labels, np.int8))
    if not (out.labels == 1).any() or not (out.labels == 0).any():
        raise PairFileError(f"{path}: needs labelled pairs of both kinds (label 1 and label 0)")
    return out


def pair_cosines(embedder: Embedder, pairs: LabelledPairs) -> np.ndarray:
    """Cosine of every pair (each distinct sentence embedded once)."""
    sentences = sorted({*pairs.s1, *pairs.s2})
    vectors = embedder.encode(sentences)
    index = {s: i for i, s in enumerate(sentences)}
    a = vectors[[index[s] for s in pairs.s1]]
    b = vectors[[index[s] for s in pairs.s2]]
    return np.einsum("ij,ij->i", a, b).astype(np.float64)


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve of ``scores`` for ``labels == 1`` (ties count one half)."""
    scores = np.asarray(scores, np.float64)
    labels = np.asarray(labels)
    pos, neg = int((labels == 1).sum()), int((labels == 0).sum())
    if not pos or not neg:
        raise ValueError("ROC AUC needs both labels")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), np.float64)
    sorted_scores = scores[order]
    # average rank for ties
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    mean_rank = first + (counts - 1) / 2.0 + 1.0
    ranks[order] = np.repeat(mean_rank, counts)
    return float((ranks[labels == 1].sum() - pos * (pos + 1) / 2.0) / (pos * neg))


def flagged(cos: np.ndarray, labels: np.ndarray, eps: float) -> tuple[float, float]:
    """Shares of same-meaning and of different-meaning pairs with ``cos > 1 - eps``."""
    hit = np.asarray(cos) > 1.0 - eps
    labels = np.asarray(labels)
    return float(hit[labels == 1].mean()), float(hit[labels == 0].mean())


def eps_for_negative_rate(cos_negatives: np.ndarray, rate: float) -> float:
    """The largest eps (on a 1e-4 grid) at which at most ``rate`` of these pairs are flagged."""
    values = np.sort(np.asarray(cos_negatives, np.float64))[::-1]
    allowed = int(np.floor(rate * len(values) + 1e-9))
    if allowed >= len(values):
        return 2.0
    # flagging at most `allowed` pairs: the threshold must be >= the (allowed+1)-th largest
    threshold = values[allowed]
    eps = np.floor((1.0 - threshold) * 1e4) / 1e4  # 1 - eps >= threshold, rounded down
    return float(min(2.0, max(0.0, eps)))


def calibrate_eps(
    cosines: dict[str, np.ndarray],
    labels: dict[str, np.ndarray],
    max_negative_rate: float = DEFAULT_MAX_NEGATIVE_RATE,
) -> float:
    """The largest eps at which no pair file has more than ``max_negative_rate`` of its
    different-meaning pairs flagged (the smallest of the per-file eps)."""
    if not cosines:
        raise ValueError("no pair files to calibrate on")
    return min(
        eps_for_negative_rate(cosines[name][labels[name] == 0], max_negative_rate)
        for name in cosines
    )
