"""The token stage against hostile datasets (#16): one huge document cannot become the tokenizer's
training set, a short vocabulary is reported loudly, and ``tokens.dataset`` stays inside the run."""

from __future__ import annotations

import logging
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from curation import tokenizer as TOK
from curation.config import ConfigError, TokensConfig, load_config
from curation.pipeline import tokens
from tests.tokens_helpers import write_dataset

REPO = Path(__file__).resolve().parents[1]
SEED = 1234


def _words(rnd: random.Random, n: int) -> str:
    letters = "abcdefghijklmnopqrstuvwxyzабвгдежзиклмнопрстуфхцчшщыэюя"
    return " ".join(
        "".join(rnd.choice(letters) for _ in range(rnd.randint(2, 9))) for _ in range(n)
    )


def _poisoned(n_docs: int = 400, huge_bytes: int = 400_000) -> list[str]:
    """``n_docs`` varied documents of domain ``web``; the one whose id (``web-<i>``) comes first in
    the hash order is one repetitive document of ``huge_bytes`` bytes."""
    rnd = random.Random(5)
    texts = [_words(rnd, 60) for _ in range(n_docs)]
    order = np.argsort(TOK.sample_hashes([f"web-{i}" for i in range(n_docs)], SEED))
    texts[int(order[0])] = "spam " * (huge_bytes // 5)
    return texts


def test_one_huge_document_cannot_fill_the_training_sample(tmp_path):
    write_dataset(tmp_path / "run", {"web": _poisoned()}, files_per_domain=1)
    files = sorted(str(p) for p in (tmp_path / "run" / "dataset-1" / "data").rglob("*.parquet"))
    budget = 200_000  # smaller than the huge document alone
    texts, n, info = tokens._training_texts(files, budget, SEED)
    texts = list(texts)
    cap = budget // TOK.SAMPLE_MIN_DOCUMENTS
    assert info == {
        "documents": n, "bytes": sum(len(t.encode()) for t in texts), "cut_documents": 1,
        "cap_bytes": cap,
    }  # fmt: skip
    assert len(texts) == n and n > TOK.SAMPLE_MIN_DOCUMENTS  # many documents, not one
    assert max(len(t.encode()) for t in texts) <= cap
    assert sum(t.startswith("spam spam") for t in texts) == 1  # the huge one, cut to the cap
    assert info["bytes"] <= budget


def test_training_sample_is_keyed_by_the_seed_and_ignores_order():
    ids = [f"d{i}" for i in range(1000)]
    sizes = np.full(1000, 100, dtype=np.int64)
    cut_a, cap = TOK.training_sample(TOK.sample_hashes(ids, 1), sizes, 10_000)
    chosen_a = {i for i, h in zip(ids, TOK.sample_hashes(ids, 1), strict=True) if h <= cut_a}
    shuffled = ids[::-1]
    cut_b, _ = TOK.training_sample(TOK.sample_hashes(shuffled, 1), sizes, 10_000)
    assert cut_a == cut_b and len(chosen_a) == 100 and cap == 100
    cut_c, _ = TOK.training_sample(TOK.sample_hashes(ids, 2), sizes, 10_000)
    chosen_c = {i for i, h in zip(ids, TOK.sample_hashes(ids, 2), strict=True) if h <= cut_c}
    assert len(chosen_c) == 100 and chosen_c != chosen_a  # another seed, another sample


def test_cap_text_cuts_at_a_character_boundary():
    assert TOK.cap_text("абв", 5) == "аб"  # 2 bytes each: the third does not fit
    assert TOK.cap_text("abc", 3) == "abc"
    assert TOK.cap_text("😀x", 3) == ""


def _token_cfg(*more: str):
    return load_config(
        "demo",
        [
            "tokens.dataset=dataset-1", "tokens.workers=1", "tokens.context_length=64",
            "tokens.vocab_size=700", "tokens.train_sample_bytes=200000", *more,
        ],
    )  # fmt: skip


def test_poisoned_dataset_still_gets_the_vocabulary_asked_for(tmp_path, caplog):
    write_dataset(tmp_path / "run", {"web": _poisoned()})
    with caplog.at_level(logging.WARNING, logger="curation.pipeline.tokens"):
        m = tokens.run(str(tmp_path / "run"), _token_cfg())
    assert m["tokenizer"]["vocab_size"] == m["tokenizer"]["vocab_requested"] == 700
    assert not [r for r in caplog.records if "only" in r.getMessage()]
    assert m["documents"] == 400  # every document tokenized, the huge one whole


def test_short_vocabulary_is_a_warning_that_says_what_to_do(tmp_path, caplog):
    write_dataset(tmp_path / "run", {"web": ["the same words again " * 10] * 20})
    with caplog.at_level(logging.WARNING, logger="curation.pipeline.tokens"):
        m = tokens.run(str(tmp_path / "run"), _token_cfg())
    got = m["tokenizer"]["vocab_size"]
    assert got < 700 and m["tokenizer"]["vocab_requested"] == 700
    sample_bytes = 20 * len("the same words again " * 10)
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        f"the trained tokenizer has only {got:,} tokens (tokens.vocab_size asks for 700): its "
        f"training sample (20 documents, {sample_bytes:,} bytes) holds too little distinct text; "
        "raise tokens.train_sample_bytes, add documents, or lower tokens.vocab_size"
    ]
    assert tokens.summary_table(m).splitlines()[1] == (
        f"WARNING: the trained vocabulary has {got:,} tokens, tokens.vocab_size asks for 700: "
        "raise tokens.train_sample_bytes or lower tokens.vocab_size"
    )


@pytest.mark.parametrize(
    "value", ["../../../other-run/dataset-1", "../other/dataset-1", "/abs/dataset-1", "_work"]
)
def test_tokens_dataset_names_only_a_dataset_of_the_run(value):
    message = (
        f"tokens.dataset must be one of ['dataset-1', 'dataset-2', 'dataset-3'], got {value!r}"
    )
    with pytest.raises(ConfigError) as err:
        load_config("demo", [f"tokens.dataset={value}"])
    assert str(err.value) == message
    with pytest.raises(ConfigError) as err:
        TokensConfig(dataset=value)
    assert str(err.value) == message


def test_tokens_job_refuses_a_dataset_outside_the_run(tmp_path):
    write_dataset(tmp_path / "other-run", {"a": ["x y z " * 50] * 3})
    (tmp_path / "run").mkdir()
    proc = subprocess.run(
        [sys.executable, str(REPO / "jobs" / "tokens.py"), "--run", str(tmp_path / "run"),
         "--config", "demo", "--set", "tokens.dataset=../other-run/dataset-1"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    last = proc.stderr.strip().splitlines()[-1]  # "<time> ERROR curation: <message>"
    assert last.split(" ", 1)[1] == (
        "ERROR curation: tokens.dataset must be one of ['dataset-1', 'dataset-2', 'dataset-3'], "
        "got '../other-run/dataset-1'"
    )
    assert "Traceback" not in proc.stderr
    assert list((tmp_path / "run").iterdir()) == []
