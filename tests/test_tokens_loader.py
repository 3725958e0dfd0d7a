"""The PyTorch loader: batch shapes and labels, mixture frequencies, disjoint data-parallel parts."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from curation.config import load_config
from curation.datasets import IncompleteDatasetError
from curation.formats.token_shards import DomainReader
from curation.loader import MixtureLoader
from curation.pipeline import tokens
from tests.tokens_helpers import write_dataset

N = 32
WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu 12 345 6789".split()


def _texts(rng: np.random.Generator, n: int, lo: int, hi: int) -> list[str]:
    return [" ".join(rng.choice(WORDS, size=int(rng.integers(lo, hi)))) for _ in range(n)]


@pytest.fixture(scope="module", params=["pad", "pack"])
def tokens_dir(request, tmp_path_factory) -> Path:
    rng = np.random.default_rng(3)
    run = tmp_path_factory.mktemp(f"loader-{request.param}")
    docs = {
        "big": _texts(rng, 120, 5, 90),
        "mid": _texts(rng, 60, 5, 60),
        "small": _texts(rng, 25, 3, 30),
    }
    write_dataset(run, docs)
    cfg = load_config(
        "demo",
        [
            "tokens.dataset=dataset-1",
            "tokens.vocab_size=300",
            f"tokens.context_length={N}",
            f"tokens.mode={request.param}",
            "tokens.shard_sequences=50",
            "tokens.workers=1",
        ],
    )
    tokens.run(str(run), cfg)
    return run / "tokens"


def _all(tokens_dir: Path) -> set[tuple[str, int]]:
    m = json.loads((tokens_dir / "_MANIFEST.json").read_text())
    return {(d, i) for d, dm in m["per_domain"].items() for i in range(dm["sequences"])}


def test_batches_are_b_by_n_with_shifted_labels_and_masked_padding(tokens_dir):
    loader = MixtureLoader(tokens_dir, batch_size=4, seed=1, repeat=False)
    pad = loader.pad_id
    order = list(loader.indices())
    rows = [row for batch in loader for row in zip(*batch, strict=True)]
    assert len(rows) == len(order) == len(_all(tokens_dir))
    first = next(iter(loader))
    assert [t.shape for t in first] == [torch.Size([4, N])] * 3
    assert [t.dtype for t in first] == [torch.int64, torch.int64, torch.float32]
    for (domain, i), (ids, labels, mask) in zip(order, rows, strict=True):
        reader = loader.reader(domain)
        seq = reader[i]
        real, nxt = int(reader.real[i]), int(reader.next_token[i])
        assert np.array_equal(ids.numpy(), seq)
        mask = mask.numpy().astype(bool)
        assert not mask[real:].any()  # no loss on padding
        assert mask[: real - 1].all()
        assert np.array_equal(labels.numpy()[: real - 1], seq[1:real])
        assert mask[-1] == (real == N and nxt >= 0)
        if mask[-1]:
            assert labels[-1] == nxt
        assert (labels.numpy()[~mask] == pad).all()


def test_domain_frequencies_follow_the_mixture(tokens_dir):
    mixture = json.loads((tokens_dir / "mixture.json").read_text())
    draws = 20000
    for weights in (mixture, {"big": 0.2, "mid": 0.3, "small": 0.5}):
        loader = MixtureLoader(tokens_dir, batch_size=8, seed=11, mixture=weights)
        it = loader.indices()
        counts = Counter(next(it)[0] for _ in range(draws))
        for domain, w in weights.items():
            sigma = (w * (1 - w) / draws) ** 0.5
            assert abs(counts[domain] / draws - w) < 4.5 * sigma, (domain, counts, weights)
    # a domain of weight 0 is never drawn
    loader = MixtureLoader(tokens_dir, 8, mixture={"big": 1.0, "mid": 0.0, "small": 1.0})
    it = loader.indices()
    assert {next(it)[0] for _ in range(2000)} == {"big", "small"}


def test_two_ranks_see_disjoint_parts_whose_union_is_everything(tokens_dir):
    parts = []
    for rank in (0, 1):
        loader = MixtureLoader(tokens_dir, 4, seed=5, rank=rank, world_size=2, repeat=False)
        seen = list(loader.indices())
        assert len(seen) == len(set(seen))  # each sequence once
        parts.append(set(seen))
    assert not parts[0] & parts[1]
    assert parts[0] | parts[1] == _all(tokens_dir)
    # DataLoader workers inside a rank split its part further, still covering it once
    loader = MixtureLoader(tokens_dir, 4, seed=5, rank=1, world_size=2, repeat=False)
    ids = [
        row
        for batch in DataLoader(loader, batch_size=None, num_workers=2)
        for row in batch[0].numpy()
    ]
    expected = [loader.reader(d)[i] for d, i in parts[1]]
    assert sorted(map(bytes, np.asarray(ids, np.int64))) == sorted(
        map(bytes, np.asarray(expected, np.int64))
    )


def test_same_seed_same_stream(tokens_dir):
    def take(seed: int, n: int = 500) -> list[tuple[str, int]]:
        it = MixtureLoader(tokens_dir, 4, seed=seed).indices()
        return [next(it) for _ in range(n)]

    assert take(3) == take(3) and take(3) != take(4)
    # repeat: a used-up domain starts again in a new order, and its sequences recur
    draws = take(3, 3000)
    small = [i for d, i in draws if d == "small"]
    assert len(set(small)) == len(DomainReader(tokens_dir, "small")) < len(small)


def test_loader_refuses_unfinished_output_and_bad_arguments(tokens_dir, tmp_path):
    with pytest.raises(IncompleteDatasetError, match="not a finished tokens"):
        MixtureLoader(tmp_path, 4)
    with pytest.raises(ValueError, match="rank < world_size"):
        MixtureLoader(tokens_dir, 4, rank=2, world_size=2)
    with pytest.raises(ValueError, match="not in"):
        MixtureLoader(tokens_dir, 4, mixture={"elsewhere": 1.0})
