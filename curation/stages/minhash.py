"""Shingles, MinHash signatures, LSH band keys and true Jaccard similarity: the pure part of
fuzzy dedup (no Spark here; :mod:`curation.stages.fuzzy_dedup` wraps it for Arrow batches).

**Shingles.** A document is the *set* of its shingles (:func:`shingle_hashes`):

* ``word``: n-grams of consecutive words. A word is a maximal run of Unicode letters (L*), marks
  (M*), digits/numbers (N*) or ``_``, lower-cased code point by code point (Python's
  ``str.lower`` where it maps one code point to one). So Russian, English and code identifiers
  are words; punctuation, symbols and whitespace only separate them - case, punctuation and
  whitespace variants of a text have the same shingles.
* ``char``: n-grams of consecutive characters of the lower-cased text with every run of
  whitespace made one space and leading/trailing whitespace removed.

A document with fewer than ``n`` words (characters) but at least one has one shingle: all of
them. A document with none (empty, or only punctuation for ``word``) has no shingles: it gets no
signature, is never a candidate and never removed.

Every shingle is a 64-bit hash (polynomial hash of the code points, finalised by splitmix64). The
*true Jaccard similarity* of two documents is ``|A & B| / |A | B|`` over these hashed sets
(:func:`jaccard_pairs`); two different shingles share a hash with probability about 2^-64 per
pair, so it equals the Jaccard of the shingle strings (tested against a plain-Python reference
in tests/test_minhash.py).

**MinHash.** Permutation ``k`` maps a shingle hash ``x`` to the high 32 bits of
``a_k * x + b_k (mod 2^64)`` (``a_k`` odd; ``a_k, b_k`` drawn from ``seed`` by splitmix64, the
same on every machine and version); the signature is the minimum per permutation. For two sets
of Jaccard ``J`` each signature value agrees with probability ``J``.

**LSH.** The ``bands x rows`` signature values are cut into ``bands`` bands of ``rows``; the
band's *key* is a 64-bit hash of its values (:func:`band_keys`). Two documents are a candidate
pair when at least one band key agrees, which happens with probability

    P(J) = 1 - (1 - J**rows)**bands        (:func:`candidate_probability`)

an S-curve whose steepest point is near ``(1/bands)**(1/rows)``. Since candidates are verified
by their true Jaccard (``fuzzy_dedup.verify``), the curve only has to be high at the threshold:
false positives cost verification time, not documents.
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from curation.config import FuzzyDedupConfig
from curation.numba_cache import compiled as _compiled
from curation.numba_cache import numba_cache_dir

log = logging.getLogger(__name__)

MASK64 = (1 << 64) - 1
_P = np.uint64(0x100000001B3)  # odd multiplier of the code-point polynomial
_P_INV = np.uint64(pow(0x100000001B3, -1, 1 << 64))
_Q = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier combining word hashes into an n-gram
_WHOLE = np.uint64(0xD6E8FEB86659FD93)  # marks the one "all words" shingle of a short document
_EMPTY32 = np.uint32(0xFFFFFFFF)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser, element-wise on uint64 (wrapping arithmetic)."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


_TABLES_VERSION = 1  # part of the cached tables' file name: bump it when _build_tables changes


@functools.cache
def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lower-case code point, is a word character, is whitespace) for every code point.

    Built once (:func:`_build_tables`, ~1 s of Python per process) and kept as a ``.npy`` file
    beside the numba cache, named by this Python's version and Unicode database, so that each of
    Spark's Python workers loads it in milliseconds instead of building it again."""
    path = _tables_path()
    try:
        table = np.load(path, allow_pickle=False)
        if table.shape == (3, 0x110000) and table.dtype == np.uint32:
            return table[0].copy(), table[1].astype(bool), table[2].astype(bool)
    except (OSError, ValueError):
        pass
    lower, word, space = _build_tables()
    try:
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            np.save(fh, np.stack([lower, word.astype(np.uint32), space.astype(np.uint32)]))
        os.replace(tmp, path)
    except OSError as exc:
        log.debug("could not keep the code point tables in %s: %s", path, exc)
    return lower, word, space


def _tables_path() -> Path:
    name = (
        f"codepoint-tables-v{_TABLES_VERSION}-py{sys.version_info[0]}{sys.version_info[1]}"
        f"-unicode{unicodedata.unidata_version}.npy"
    )
    return Path(numba_cache_dir()) / name


def _build_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What ``str.lower`` / ``unicodedata.category`` / ``str.isspace`` say for each single code
    point (the tables of :func:`_tables`)."""
    n = 0x110000
    lower = np.arange(n, dtype=np.uint32)
    word = np.zeros(n, dtype=bool)
    space = np.zeros(n, dtype=bool)
    # planes 4-13 are unassigned and 15-16 private use (category Co): neither words nor spaces
    for c in itertools.chain(range(0x40000), range(0xE0000, 0xF0000)):
        ch = chr(c)
        low = ch.lower()
        if len(low) == 1 and low != ch:
            lower[c] = ord(low)
        cat = unicodedata.category(ch)
        if cat[0] in "LMN":
            word[c] = True
        elif cat[0] == "Z" or cat == "Cc":
            space[c] = ch.isspace()
    word[ord("_")] = True
    return lower, word, space


class _Powers:
    """P^i and P^-i for i < n, grown on demand and shared by every call in a process."""

    def __init__(self) -> None:
        self.pos = np.ones(1, dtype=np.uint64)
        self.neg = np.ones(1, dtype=np.uint64)

    def get(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self.pos) < n:
            size = max(n, 2 * len(self.pos))
            pos = np.empty(size, dtype=np.uint64)
            neg = np.empty(size, dtype=np.uint64)
            pos[0] = neg[0] = 1
            with np.errstate(over="ignore"):
                np.cumprod(np.full(size - 1, _P, dtype=np.uint64), out=pos[1:])
                np.cumprod(np.full(size - 1, _P_INV, dtype=np.uint64), out=neg[1:])
            self.pos, self.neg = pos, neg
        return self.pos[:n], self.neg[:n]


_POWERS = _Powers()


@dataclass(frozen=True)
class Shingles:
    """The shingle hashes of a batch of documents, document by document.

    ``hashes[offsets[d]:offsets[d + 1]]`` are document ``d``'s shingles (with repeats, in text
    order); :meth:`sets` gives them as sorted sets."""

    hashes: np.ndarray  # uint64
    offsets: np.ndarray  # int64, n_docs + 1

    @property
    def n_docs(self) -> int:
        return len(self.offsets) - 1

    def doc_of(self) -> np.ndarray:
        """The document index of every entry of ``hashes``."""
        return np.repeat(np.arange(self.n_docs, dtype=np.int64), np.diff(self.offsets))

    def sets(self) -> Shingles:
        """The same documents with each one's shingles sorted and de-duplicated."""
        doc = self.doc_of()
        order = np.lexsort((self.hashes, doc))
        h, d = self.hashes[order], doc[order]
        keep = np.ones(len(h), dtype=bool)
        keep[1:] = (h[1:] != h[:-1]) | (d[1:] != d[:-1])
        counts = np.bincount(d[keep], minlength=self.n_docs)
        return Shingles(h[keep], _offsets(counts))

    def sizes(self) -> np.ndarray:
        return np.diff(self.offsets)


def _offsets(counts: np.ndarray) -> np.ndarray:
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def _code_points(texts: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """(lower-cased code points of all texts end to end, offsets of each text in them)."""
    values = ["" if t is None else t for t in texts]
    lens = np.fromiter((len(t) for t in values), dtype=np.int64, count=len(values))
    joined = "".join(values).encode("utf-32-le", "surrogatepass")
    cp = np.frombuffer(joined, dtype=np.uint32)
    lower, _, _ = _tables()
    return lower[cp], _offsets(lens)


def _span_hashes(cp: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """64-bit hash of each span ``cp[starts[i]:ends[i]]`` (polynomial over the code points, made
    position-independent with P^-start, its length mixed in, then splitmix64)."""
    n = len(cp)
    pos, neg = _POWERS.get(n + 1)
    prefix = np.zeros(n + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        np.cumsum((cp.astype(np.uint64) + np.uint64(1)) * pos[:n], out=prefix[1:])
        raw = (prefix[ends] - prefix[starts]) * neg[starts]
        length = (ends - starts).astype(np.uint64)
        return _splitmix64(raw + length * _Q)


def _span_hash_loop(cp, starts, ends, out) -> None:  # compiled by numba: _compiled
    """``out[i]`` = the polynomial part of :func:`_span_hashes` for span ``i``: the sum over
    ``j`` in the span of ``(cp[j] + 1) * P^(j - start)``, wrapping, computed directly."""
    for i in range(len(starts)):
        h = np.uint64(0)
        pk = np.uint64(1)
        for j in range(starts[i], ends[i]):
            h += (np.uint64(cp[j]) + np.uint64(1)) * pk
            pk *= _P
        out[i] = h


def _short_span_hashes(cp: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """:func:`_span_hashes` bit for bit, one compiled pass over the spans' code points: for
    spans that are short and need not cover ``cp`` (words), with no ``P^i`` tables as long as
    the whole batch (16 bytes a code point, built again by each process) and no prefix sums."""
    raw = np.empty(len(starts), dtype=np.uint64)
    if len(starts):
        _compiled(_span_hash_loop)(
            np.ascontiguousarray(cp, dtype=np.uint32),
            np.ascontiguousarray(starts, dtype=np.int64),
            np.ascontiguousarray(ends, dtype=np.int64),
            raw,
        )
    with np.errstate(over="ignore"):
        length = (ends - starts).astype(np.uint64)
        return _splitmix64(raw + length * _Q)


def _doc_starts_mask(n: int, offsets: np.ndarray) -> np.ndarray:
    """Boolean per position (n + 1 of them): a document starts here (or the text ends)."""
    mask = np.zeros(n + 1, dtype=bool)
    mask[offsets] = True
    return mask


def _word_shingles(texts: Sequence[str | None], n: int) -> Shingles:
    cp, offsets = _code_points(texts)
    _, word, _ = _tables()
    isw = word[cp]
    size = len(cp)
    boundary = _doc_starts_mask(size, offsets)
    prev_w = np.zeros(size, dtype=bool)
    prev_w[1:] = isw[:-1]
    next_w = np.zeros(size, dtype=bool)
    next_w[:-1] = isw[1:]
    starts = np.flatnonzero(isw & (~prev_w | boundary[:size]))
    ends = np.flatnonzero(isw & (~next_w | boundary[1:])) + 1
    words = _short_span_hashes(cp, starts, ends)
    wdoc = np.searchsorted(offsets, starts, side="right") - 1
    per_doc = np.bincount(wdoc, minlength=len(texts))
    first = _offsets(per_doc)[:-1]
    m = len(words)
    with np.errstate(over="ignore"):
        # full n-grams: positions whose n words all lie in one document
        if m >= n:
            acc = np.zeros(m - n + 1, dtype=np.uint64)
            q = np.uint64(1)
            for j in range(n):
                acc += words[j : m - n + 1 + j] * q
                q = q * _Q
            valid = wdoc[: m - n + 1] == wdoc[n - 1 :]
            grams, gdoc = _splitmix64(acc[valid]), wdoc[: m - n + 1][valid]
        else:
            grams, gdoc = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
        # documents with 1..n-1 words: one shingle of all their words
        short = np.flatnonzero((per_doc > 0) & (per_doc < n))
        if len(short):
            sel = np.isin(wdoc, short)
            local = np.arange(m, dtype=np.int64)[sel] - first[wdoc[sel]]
            qpow = np.ones(n, dtype=np.uint64)
            for j in range(1, n):
                qpow[j] = qpow[j - 1] * _Q
            contrib = words[sel] * qpow[local]
            sums = np.zeros(len(texts), dtype=np.uint64)
            np.add.at(sums, wdoc[sel], contrib)
            grams = np.concatenate([grams, _splitmix64(sums[short] ^ _WHOLE)])
            gdoc = np.concatenate([gdoc, short])
    return _grouped(grams, gdoc, len(texts))


def _char_shingles(texts: Sequence[str | None], n: int) -> Shingles:
    cp, offsets = _code_points(texts)
    _, _, space = _tables()
    size = len(cp)
    docs = len(texts)
    sp = space[cp]
    pos_doc = np.repeat(np.arange(docs, dtype=np.int64), np.diff(offsets))
    # the last non-space position of each document (-1: none)
    idx = np.where(sp, -1, np.arange(size, dtype=np.int64))
    last = np.full(docs, -1, dtype=np.int64)
    np.maximum.at(last, pos_doc, idx)
    prev_sp = np.ones(size, dtype=bool)  # a document start counts as after a space
    prev_sp[1:] = sp[:-1]
    prev_sp[offsets[:-1][offsets[:-1] < size]] = True
    keep = ~sp | (~prev_sp & (np.arange(size) < last[pos_doc]))
    text = np.where(sp, np.uint32(32), cp)[keep]
    kdoc = pos_doc[keep]
    counts = np.bincount(kdoc, minlength=docs)
    koff = _offsets(counts)
    m = len(text)
    starts = np.arange(max(m - n + 1, 0), dtype=np.int64)
    valid = kdoc[starts] == kdoc[starts + n - 1] if len(starts) else np.zeros(0, dtype=bool)
    starts = starts[valid]
    short = np.flatnonzero((counts > 0) & (counts < n))
    all_starts = np.concatenate([starts, koff[short]])
    all_ends = np.concatenate([starts + n, koff[short + 1]])
    grams = _span_hashes(text, all_starts, all_ends)
    gdoc = np.concatenate([kdoc[starts], short])
    return _grouped(grams, gdoc, docs)


def _grouped(grams: np.ndarray, gdoc: np.ndarray, docs: int) -> Shingles:
    order = np.argsort(gdoc, kind="stable")
    return Shingles(grams[order], _offsets(np.bincount(gdoc, minlength=docs)))


def shingle_hashes(texts: Sequence[str | None], cfg: FuzzyDedupConfig) -> Shingles:
    """The hashed shingles of each text (None counts as empty) under ``cfg``'s shingle rule."""
    if cfg.shingle == "word":
        return _word_shingles(texts, cfg.ngram)
    if cfg.shingle == "char":
        return _char_shingles(texts, cfg.ngram)
    raise ValueError(f"unknown fuzzy_dedup.shingle {cfg.shingle!r}")


@functools.cache
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) of the ``num_perm`` hash permutations drawn from ``seed`` (splitmix64 sequence;
    every ``a`` odd)."""
    state = np.arange(1, 2 * num_perm + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        values = _splitmix64(state * np.uint64(0x9E3779B97F4A7C15) + np.uint64(seed & MASK64))
    return values[:num_perm] | np.uint64(1), values[num_perm:]


def _signature_loop(hashes, offsets, a, b, out) -> None:  # compiled by numba: _compiled
    """``out[d, k]`` = the high 32 bits of ``min(a[k] * x + b[k] mod 2^64)`` over document
    ``d``'s shingle hashes ``x`` (all uint64: the products wrap around as the definition says)."""
    num_perm = len(a)
    low = np.empty(num_perm, dtype=np.uint64)
    for d in range(len(offsets) - 1):
        low[:] = np.uint64(MASK64)
        for i in range(offsets[d], offsets[d + 1]):
            x = hashes[i]
            for k in range(num_perm):
                v = a[k] * x + b[k]
                if v < low[k]:
                    low[k] = v
        for k in range(num_perm):
            out[d, k] = np.uint32(low[k] >> np.uint64(32))


def signatures(shingles: Shingles, num_perm: int, seed: int) -> np.ndarray:
    """MinHash signatures, ``(n_docs, num_perm)`` uint32; a document without shingles gets
    0xFFFFFFFF everywhere (callers skip it: see :meth:`Shingles.sizes`).

    One compiled pass over the shingle hashes (numba): each hash is multiplied by every
    permutation while it is in a register, where a NumPy version wrote and re-read an
    ``(shingles, num_perm)`` array of products (4x slower on a 2-core machine)."""
    a, b = permutations(num_perm, seed)
    out = np.empty((shingles.n_docs, num_perm), dtype=np.uint32)
    if shingles.n_docs:
        hashes = np.ascontiguousarray(shingles.hashes, dtype=np.uint64)
        offsets = np.ascontiguousarray(shingles.offsets, dtype=np.int64)
        _compiled(_signature_loop)(hashes, offsets, a, b, out)
    return out


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """``(n_docs, bands)`` int64: a 64-bit hash of each band's ``rows`` signature values."""
    if sig.shape[1] != bands * rows:
        raise ValueError(f"signature has {sig.shape[1]} values, expected {bands} x {rows}")
    out = np.empty((sig.shape[0], bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for band in range(bands):
            acc = np.full(sig.shape[0], np.uint64(band + 1), dtype=np.uint64)
            for j in range(rows):
                acc = _splitmix64(acc * _Q + sig[:, band * rows + j].astype(np.uint64))
            out[:, band] = acc
    return out.view(np.int64)


def candidate_probability(j: float | np.ndarray, bands: int, rows: int) -> float | np.ndarray:
    """Probability that two documents of Jaccard ``j`` share at least one band key."""
    return 1.0 - (1.0 - np.power(j, rows)) ** bands


def jaccard_sets(a: Shingles, b: Shingles) -> np.ndarray:
    """Jaccard of document ``i`` of ``a`` with document ``i`` of ``b`` (both :meth:`Shingles.sets`);
    0.0 when either has no shingles."""
    if a.n_docs != b.n_docs:
        raise ValueError("jaccard_sets needs the same number of documents on both sides")
    pair = np.concatenate([a.doc_of(), b.doc_of()])
    h = np.concatenate([a.hashes, b.hashes])
    order = np.lexsort((h, pair))
    h, pair = h[order], pair[order]
    same = (h[1:] == h[:-1]) & (pair[1:] == pair[:-1])
    inter = np.bincount(pair[1:][same], minlength=a.n_docs).astype(np.float64)
    union = a.sizes() + b.sizes() - inter
    out = np.zeros(a.n_docs, dtype=np.float64)
    np.divide(inter, union, out=out, where=(a.sizes() > 0) & (b.sizes() > 0))
    return out


def _sort_segments_loop(hashes, offsets) -> None:  # compiled by numba: _compiled
    """Sort each document's slice of ``hashes`` in place."""
    for d in range(len(offsets) - 1):
        hashes[offsets[d] : offsets[d + 1]].sort()


def _jaccard_loop(hashes, offsets, ia, ib, out) -> None:  # compiled by numba: _compiled
    """``out[p]`` = Jaccard of the distinct values of documents ``ia[p]`` and ``ib[p]`` (slices
    of ``hashes`` by ``offsets``, each sorted): one merge of the two sorted slices; 0.0 when
    either is empty."""
    for p in range(len(ia)):
        i, a1 = offsets[ia[p]], offsets[ia[p] + 1]
        j, b1 = offsets[ib[p]], offsets[ib[p] + 1]
        na = 0
        nb = 0
        both = 0
        while i < a1 or j < b1:
            if j >= b1 or (i < a1 and hashes[i] < hashes[j]):
                v = hashes[i]
                na += 1
            elif i >= a1 or hashes[j] < hashes[i]:
                v = hashes[j]
                nb += 1
            else:
                v = hashes[i]
                na += 1
                nb += 1
                both += 1
            while i < a1 and hashes[i] == v:
                i += 1
            while j < b1 and hashes[j] == v:
                j += 1
        out[p] = both / (na + nb - both) if na > 0 and nb > 0 else 0.0


def jaccard_pairs(
    texts_a: Sequence[str | None], texts_b: Sequence[str | None], cfg: FuzzyDedupConfig
) -> np.ndarray:
    """The true Jaccard similarity of ``texts_a[i]`` and ``texts_b[i]`` under ``cfg``'s shingles
    (what :func:`jaccard_sets` gives for their :meth:`Shingles.sets`).

    Each distinct text is shingled once (a document in many pairs, as a large bucket's smallest
    id is, costs one), its shingles sorted in place and each pair counted by one compiled merge
    of the two sorted lists (numba) instead of NumPy sorts over all pairs' shingles."""
    if len(texts_a) != len(texts_b):
        raise ValueError("jaccard_pairs needs two lists of the same length")
    index: dict[str | None, int] = {}
    ia = np.fromiter((index.setdefault(t, len(index)) for t in texts_a), np.int64, len(texts_a))
    ib = np.fromiter((index.setdefault(t, len(index)) for t in texts_b), np.int64, len(texts_b))
    sh = shingle_hashes(list(index), cfg)
    hashes = np.array(sh.hashes, dtype=np.uint64)  # a copy: sorted in place
    offsets = np.ascontiguousarray(sh.offsets, dtype=np.int64)
    out = np.zeros(len(ia), dtype=np.float64)
    if len(ia):
        _compiled(_sort_segments_loop)(hashes, offsets)
        _compiled(_jaccard_loop)(hashes, offsets, ia, ib, out)
    return out
