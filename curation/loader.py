"""A PyTorch loader over ``<run>/tokens/``: batches of B x N drawn from the domain mixture.

:class:`MixtureLoader` is an ``IterableDataset`` yielding ``(input_ids, labels, loss_mask)``
tensors of shape ``(B, N)`` (int64, int64, float32). The domain of each next sequence is drawn at
random with the weights of ``mixture.json`` (or given weights), from a generator seeded with
``seed`` - the way the reference assembled its training set from domain proportions.

* ``labels[t]`` is the token after ``input_ids[t]``: ``input_ids[t + 1]``, and for the last
  position the first token of the next sequence when the same text goes on there (a document's
  next piece, or the packed stream), so no prediction is lost at sequence boundaries.
  ``loss_mask[t]`` is 1 exactly where ``labels[t]`` is a real token: 0 on padding and on the
  position after a document's final ``<eos>`` in pad mode. Masked labels hold the pad id.
* Data parallelism: with ``world_size`` ranks (and, inside each, the DataLoader's workers) the
  sequences of every domain are split by index modulo the number of parts, so the parts are
  disjoint and together hold every sequence.
* ``repeat=True`` (training): a domain whose part is used up starts again in a new seeded order,
  so the domain frequencies follow the mixture for ever. ``repeat=False``: one pass; a used-up
  domain leaves the draw (the others are renormalised) and iteration ends when all are used up,
  having yielded every sequence of the part exactly once.
Domains of weight 0 are never drawn.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from curation.datasets import IncompleteDatasetError
from curation.formats.token_shards import MIXTURE, DomainReader
from curation.run_layout import MANIFEST, SUCCESS

log = logging.getLogger(__name__)


class MixtureLoader(IterableDataset):
    """Batches of sequences from the domains of a ``tokens/`` folder, mixed by weight."""

    def __init__(
        self,
        tokens_dir: str | os.PathLike[str],
        batch_size: int,
        *,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        mixture: dict[str, float] | None = None,
        repeat: bool = True,
        drop_last: bool = False,
    ) -> None:
        super().__init__()
        self.dir = Path(tokens_dir)
        if not (self.dir / SUCCESS).exists():
            raise IncompleteDatasetError(f"{self.dir} has no {SUCCESS}: not a finished tokens/")
        if batch_size <= 0 or world_size <= 0 or not 0 <= rank < world_size:
            raise ValueError(
                f"need batch_size > 0 and 0 <= rank < world_size, got {batch_size}, "
                f"{rank}, {world_size}"
            )
        manifest = json.loads((self.dir / MANIFEST).read_text())
        self.context_length = int(manifest["format"]["context_length"])
        self.pad_id = int(manifest["tokenizer"]["pad_id"])
        weights = mixture or json.loads((self.dir / MIXTURE).read_text())
        unknown = sorted(set(weights) - set(manifest["per_domain"]))
        if unknown:
            raise ValueError(f"mixture names domains not in {self.dir}: {unknown}")
        self.domains = [d for d in sorted(weights) if weights[d] > 0]
        total = sum(weights[d] for d in self.domains)
        self.weights = np.array([weights[d] / total for d in self.domains])
        self.batch_size, self.seed = batch_size, seed
        self.rank, self.world_size = rank, world_size
        self.repeat, self.drop_last = repeat, drop_last
        self._readers: dict[str, DomainReader] = {}

    def reader(self, domain: str) -> DomainReader:
        if domain not in self._readers:
            self._readers[domain] = DomainReader(self.dir, domain)
        return self._readers[domain]

    def _part(self) -> tuple[int, int]:
        """(this part, number of parts): ranks times the DataLoader's workers. A worker's part is
        a subset of its rank's (index = rank modulo world_size), whatever the worker count."""
        info = get_worker_info()
        workers, worker = (info.num_workers, info.id) if info is not None else (1, 0)
        return self.rank + self.world_size * worker, self.world_size * workers

    def _order(self, k: int, part: int, parts: int, epoch: int) -> np.ndarray:
        mine = np.arange(part, len(self.reader(self.domains[k])), parts)
        return np.random.default_rng([self.seed, part, k, epoch]).permutation(mine)

    def indices(self) -> Iterator[tuple[str, int]]:
        """(domain, sequence index) of every sequence this part yields, in order."""
        part, parts = self._part()
        rng = np.random.default_rng([self.seed, part])
        orders = [self._order(k, part, parts, 0) for k in range(len(self.domains))]
        epoch = [0] * len(self.domains)
        pos = [0] * len(self.domains)
        active = np.array([len(o) > 0 for o in orders])
        if not active.all():
            log.warning(
                "part %d of %d has no sequences of %s",
                part,
                parts,
                [d for d, a in zip(self.domains, active, strict=True) if not a],
            )
        while active.any():
            p = np.where(active, self.weights, 0.0)
            k = int(np.searchsorted(np.cumsum(p), rng.random() * p.sum(), side="right"))
            k = min(k, len(p) - 1)
            yield self.domains[k], int(orders[k][pos[k]])
            pos[k] += 1
            if pos[k] == len(orders[k]):
                if self.repeat:
                    epoch[k] += 1
                    orders[k], pos[k] = self._order(k, part, parts, epoch[k]), 0
                else:
                    active[k] = False

    def example(self, domain: str, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(input_ids, labels, loss_mask)`` of sequence ``i`` of ``domain`` as arrays."""
        r = self.reader(domain)
        ids = r[i].astype(np.int64)
        n, real, nxt = len(ids), int(r.real[i]), int(r.next_token[i])
        labels = np.empty(n, dtype=np.int64)
        labels[:-1] = ids[1:]
        labels[-1] = nxt
        mask = np.arange(n) < real - 1
        if real == n and nxt >= 0:
            mask[-1] = True
        labels[~mask] = self.pad_id
        return ids, labels, mask.astype(np.float32)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        batch: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for domain, i in self.indices():
            batch.append(self.example(domain, i))
            if len(batch) == self.batch_size:
                yield _stack(batch)
                batch = []
        if batch and not self.drop_last:
            yield _stack(batch)


def _stack(batch: list[tuple[np.ndarray, np.ndarray, np.ndarray]]):
    ids, labels, mask = (np.stack(x) for x in zip(*batch, strict=True))
    return torch.from_numpy(ids), torch.from_numpy(labels), torch.from_numpy(mask)
