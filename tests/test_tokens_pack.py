"""Cutting documents into sequences: pad mode, pack mode, and shard windows (pure functions)."""

from __future__ import annotations

import numpy as np
import pytest

from curation.stages.token_output import Layout, place, shards_of
from curation.stages.tokenize_pack import NO_TOKEN, cut, fill, plan, plan_window, spans

PAD, EOS, N = 0, 1, 8


def _docs(lengths: list[int], seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(2, 500, size=n) for n in lengths]


LENGTHS = [0, 1, N - 2, N - 1, N, N + 1, 2 * N - 1, 3 * N, 5, 17, 40]


def test_pad_mode_pieces_padding_and_loss_mask():
    docs = _docs(LENGTHS)
    p, f = cut(docs, N, "pad", PAD, EOS)
    assert f.tokens.shape == (p.n_sequences, N)  # every sequence has length N
    # each document: ceil((n + 1) / N) consecutive pieces, its tokens then <eos> then padding
    for d, toks in enumerate(docs):
        rows = np.flatnonzero(p.seq_doc == d)
        assert len(rows) == -(-(len(toks) + 1) // N)
        assert list(rows) == list(range(rows[0], rows[0] + len(rows)))
        assert list(p.seq_piece[rows]) == list(range(len(rows)))
        stream = f.tokens[rows].ravel()
        mask = f.loss_mask[rows].ravel()
        n = len(toks)
        assert np.array_equal(stream[:n], toks) and stream[n] == EOS
        assert (stream[n + 1 :] == PAD).all()
        # padding only at the end of the document's last piece; loss mask 0 exactly there
        assert mask[: n + 1].all() and not mask[n + 1 :].any()
        assert f.loss_mask[rows[:-1]].all()
        # the label of a piece's last position is the next piece's first token
        assert list(f.next_token[rows[:-1]]) == list(f.tokens[rows[1:], 0])
        assert f.next_token[rows[-1]] == NO_TOKEN
    assert (f.loss_mask.sum(axis=1) == p.seq_real).all()
    assert (p.doc_start % N == 0).all()


def test_pack_mode_has_no_padding_but_in_the_last_sequence():
    docs = _docs(LENGTHS, seed=1)
    p, f = cut(docs, N, "pack", PAD, EOS)
    total = sum(len(d) + 1 for d in docs)
    assert p.n_sequences == -(-total // N)
    assert f.loss_mask[:-1].all()  # full sequences
    assert f.loss_mask[-1].sum() == total - (p.n_sequences - 1) * N
    assert (f.tokens[-1][~f.loss_mask[-1]] == PAD).all()
    expected = np.concatenate([np.append(d, EOS) for d in docs])
    assert np.array_equal(f.tokens.ravel()[:total], expected)
    # where each document starts, and what the sequence index says
    for d, toks in enumerate(docs):
        s = int(p.doc_start[d])
        assert np.array_equal(f.tokens.ravel()[s : s + len(toks)], toks)
    assert list(f.next_token[:-1]) == list(f.tokens[1:, 0]) and f.next_token[-1] == NO_TOKEN


@pytest.mark.parametrize("mode", ["pad", "pack"])
def test_shard_windows_write_the_same_sequences(mode):
    """Each shard laid out from only the documents shards_of sends it, placed in runs of any
    size, gives the sequences of the whole stream."""
    lengths = [int(x) for x in np.random.default_rng(5).integers(0, 30, 60)]
    docs = _docs(lengths, seed=2)
    p, whole = cut(docs, N, mode, PAD, EOS)
    n_tokens = np.array(lengths, np.int64)
    positions = int(spans(n_tokens, N, mode).sum())
    for run in (1, 7, len(docs)):  # documents placed run by run, each after the spans before it
        start = np.concatenate(
            [
                place(
                    n_tokens[a : a + run], int(spans(n_tokens[:a], N, mode).sum()), a, _L(mode, 1)
                )[0]
                for a in range(0, len(docs), run)
            ]
        )
        assert np.array_equal(start, p.doc_start)
    for per_shard in (1, 3, 7, p.n_sequences):
        layout = _L(mode, per_shard)
        n_shards = -(-p.n_sequences // per_shard)
        lo, hi = shards_of(p.doc_start, n_tokens, layout, n_shards)
        parts = []
        for shard in range(n_shards):
            first, stop = shard * per_shard, min((shard + 1) * per_shard, p.n_sequences)
            sent = np.flatnonzero((lo <= shard) & (shard <= hi))
            window = plan_window(n_tokens[sent], p.doc_start[sent], first, stop, N, mode, positions)
            part = fill(window, 0, stop - first, lambda d, sent=sent: docs[sent[d]], PAD, EOS)
            direct = fill(p, first, stop, docs.__getitem__, PAD, EOS)
            assert np.array_equal(part.tokens, direct.tokens)
            assert np.array_equal(part.next_token, direct.next_token)
            parts.append(part)
        assert np.array_equal(np.concatenate([x.tokens for x in parts]), whole.tokens)
        assert np.array_equal(np.concatenate([x.loss_mask for x in parts]), whole.loss_mask)
        assert np.array_equal(np.concatenate([x.next_token for x in parts]), whole.next_token)


def _L(mode: str, per_shard: int) -> Layout:
    return Layout(N, mode, per_shard, PAD, EOS, "int64")


def test_plan_rejects_bad_arguments_and_checks_document_lengths():
    with pytest.raises(ValueError, match="context length"):
        plan([3], 1, "pad")
    with pytest.raises(ValueError, match="mode"):
        plan([3], 8, "bucket")
    p = plan([3, 4], 8, "pad")
    with pytest.raises(ValueError, match="document 0 has 2 tokens"):
        fill(p, 0, p.n_sequences, lambda d: np.arange(2), PAD, EOS)
