"""Dataset-2 on (a third of) the shared corpus: calibration hits the target removal fraction."""

from __future__ import annotations

import shutil

import pytest

from curation.config import load_config
from curation.datasets import read_ledger, read_manifest
from curation.pipeline import dataset1, embeddings, semdedup

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(spark, shared_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("ds2-shared")
    for pattern in ("cc/part-00000.jsonl.gz", "wiki/*.jsonl.gz", "arxiv/part-00000.jsonl.gz",
                    "lemma/part-00000.jsonl.gz", "algebraic-stack/part-00000.jsonl.gz"):  # fmt: skip
        for src in sorted((shared_data / "corpus").glob(pattern)):
            (root / "input" / src.parent.name).mkdir(parents=True, exist_ok=True)
            shutil.copy(src, root / "input" / src.parent.name / src.name)
    # the demo preset's model, cut short so that CI embeds ~2,500 documents in about a minute
    cfg = load_config("demo", ["embed.max_seq_length=48"])
    dataset1.run(spark, str(root / "input"), str(root / "run"), cfg)
    embeddings.run(str(root / "run"), cfg)
    return root / "run", cfg


@pytest.mark.parametrize("target", [0.30, 0.10])
def test_calibration_hits_the_target_removal_fraction(run, target):
    path, cfg = run
    cfg = load_config("demo", ["embed.max_seq_length=48", f"semdedup.target_removal={target}",
                               "run.force=true"])  # fmt: skip
    m = semdedup.run(str(path), cfg, "kmeans")
    removed = sum(m["removed"].values())
    assert m["rows_in"] == read_manifest(str(path), "dataset-1")["rows_out"] > 2000
    assert abs(removed / m["rows_in"] - target) <= 0.005, (removed, m["rows_in"])
    assert read_ledger(str(path), "dataset-2").num_rows == removed
    # per domain shares differ (the curve is per domain), but every domain is accounted for
    assert set(m["per_domain"]) == set(read_manifest(str(path), "dataset-1")["outputs"])
