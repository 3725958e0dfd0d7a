"""Shingles, MinHash, band keys and Jaccard (curation.stages.minhash), against plain Python."""

from __future__ import annotations

import random
import unicodedata

import numpy as np
import pytest

from curation.config import ConfigError, FuzzyDedupConfig, load_config
from curation.stages import minhash as M
from tests.fuzzy_data import corpus

TRICKY = [
    "",
    "!!! ... ---",
    "one",
    "Two words",
    "Привет, мир! Hello\t\tworld",
    "  leading and trailing  \n",
    "def solve_linear(A, x_1): return A @ x_1  # matrix",
    "ＦＵＬＬＷＩＤＴＨ İstanbul ΣΊΣΥΦΟΣ straße",
    "हिन्दी भाषा में शब्द",  # combining vowel signs are part of words
    "emoji 😀 between 🙂 words and 123 456,78 numbers",
    "a\u00a0b\u2003c\u2028d\u0085e",  # unusual whitespace
    "x" * 50,
]


def _lower(ch: str) -> str:
    low = ch.lower()
    return low if len(low) == 1 else ch


def ref_words(text: str) -> list[str]:
    words, cur = [], []
    for ch in text:
        if unicodedata.category(ch)[0] in "LMN" or ch == "_":
            cur.append(_lower(ch))
        elif cur:
            words.append("".join(cur))
            cur = []
    if cur:
        words.append("".join(cur))
    return words


def ref_shingles(text: str, shingle: str, n: int) -> set:
    """The shingle rule of the module docstring, in plain Python, as strings."""
    if shingle == "word":
        w = ref_words(text)
        if not w:
            return set()
        return {tuple(w)} if len(w) < n else {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}
    s = " ".join("".join(_lower(c) for c in text).split())
    if not s:
        return set()
    return {s} if len(s) < n else {s[i : i + n] for i in range(len(s) - n + 1)}


def ref_jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _texts() -> list[str]:
    return TRICKY + corpus(60, seed=3).column("text").to_pylist()


@pytest.mark.parametrize(
    ("shingle", "n"), [("word", 1), ("word", 3), ("word", 5), ("char", 4), ("char", 24)]
)
def test_shingle_sets_match_plain_python(shingle, n):
    texts = _texts()
    sets = M.shingle_hashes(texts, FuzzyDedupConfig(shingle=shingle, ngram=n)).sets()
    for i, text in enumerate(texts):
        assert sets.sizes()[i] == len(ref_shingles(text, shingle, n)), (i, text[:40])
    # and the hashed sets give exactly the Jaccard of the string sets
    rng = random.Random(5)
    a, b = [], []
    for _ in range(200):
        x = rng.choice(texts)
        words = x.split(" ")
        if len(words) > 3 and rng.random() < 0.7:
            words[rng.randrange(len(words))] = "changed"
            y = " ".join(words)
        else:
            y = rng.choice(texts)
        a.append(x)
        b.append(y)
    cfg = FuzzyDedupConfig(shingle=shingle, ngram=n)
    got = M.jaccard_pairs(a, b, cfg)
    want = [
        ref_jaccard(ref_shingles(x, shingle, n), ref_shingles(y, shingle, n))
        for x, y in zip(a, b, strict=False)
    ]
    assert got.tolist() == want
    assert 0 < sum(0 < j < 1 for j in want) < len(want)  # the pairs span partial overlaps


def test_case_punctuation_and_whitespace_variants_are_identical_for_words():
    text = "Москва — столица России. It's 2024, and the   river\tflows north!"
    variants = [text.upper(), text.replace(",", "").replace(".", ""), " ".join(text.split())]
    got = M.jaccard_pairs([text] * 3, variants, FuzzyDedupConfig())
    assert got.tolist() == [1.0, 1.0, 1.0]
    other = M.jaccard_pairs(
        [text],
        ["Москва — столица Франции. It's 2024, and the river flows north!"],
        FuzzyDedupConfig(),
    )
    assert 0 < other[0] < 1


def test_documents_without_shingles_get_no_signature():
    cfg = FuzzyDedupConfig()
    sh = M.shingle_hashes(["", None, "?!", "word"], cfg)
    assert sh.sizes().tolist() == [0, 0, 0, 1]
    sig = M.signatures(sh, 8, 1)
    assert (sig[:3] == 0xFFFFFFFF).all() and (sig[3] != 0xFFFFFFFF).any()
    assert M.jaccard_pairs(["", "?!"], ["", "?!"], cfg).tolist() == [0.0, 0.0]


def test_signatures_do_not_depend_on_batching():
    texts = _texts()
    cfg = FuzzyDedupConfig()
    whole = M.signatures(M.shingle_hashes(texts, cfg), 40, 7)
    one_by_one = np.vstack([M.signatures(M.shingle_hashes([t], cfg), 40, 7) for t in texts])
    assert (whole == one_by_one).all()
    assert (M.signatures(M.shingle_hashes(texts, cfg), 40, 8) != whole).mean() > 0.9


def test_jaccard_pairs_equal_jaccard_sets_with_repeated_texts():
    """Texts in several pairs (shingled once) and empty or missing ones give exactly the
    Jaccard of :func:`jaccard_sets` over each pair's shingle sets."""
    texts = [*_texts(), "", None, "?!", "one two"]
    rng = np.random.default_rng(3)
    ia = rng.integers(len(texts), size=300)
    ib = rng.integers(len(texts), size=300)
    cfg = FuzzyDedupConfig(ngram=3)
    got = M.jaccard_pairs([texts[i] for i in ia], [texts[i] for i in ib], cfg)
    sets = M.shingle_hashes(texts, cfg).sets()

    def pick(ix):
        parts = [sets.hashes[sets.offsets[i] : sets.offsets[i + 1]] for i in ix]
        return M.Shingles(np.concatenate(parts), M._offsets(np.array([len(x) for x in parts])))

    want = M.jaccard_sets(pick(ia), pick(ib))
    assert got.tolist() == want.tolist()
    assert 0 < ((0 < want) & (want < 1)).sum() and (want == 1).sum() > 0 and (want == 0).sum() > 0


def test_signatures_match_plain_python():
    """The compiled kernel computes the documented definition: the high 32 bits of the smallest
    ``a_k * x + b_k mod 2^64`` over a document's shingle hashes (Python integers here)."""
    texts = [*_texts(), "", "one", "?!"]
    sh = M.shingle_hashes(texts, FuzzyDedupConfig())
    a, b = M.permutations(24, 5)
    sig = M.signatures(sh, 24, 5)
    assert sig.shape == (len(texts), 24) and sig.dtype == np.uint32
    for d in range(sh.n_docs):
        xs = [int(x) for x in sh.hashes[sh.offsets[d] : sh.offsets[d + 1]]]
        want = [
            (min(((int(ak) * x + int(bk)) & M.MASK64 for x in xs), default=M.MASK64)) >> 32
            for ak, bk in zip(a, b, strict=True)
        ]
        assert sig[d].tolist() == want, texts[d][:40]
    assert (sig[-3] == 0xFFFFFFFF).all() and (sig[-1] == 0xFFFFFFFF).all()


def _sets_with_jaccard(rng: np.random.Generator, j: float, size: int = 400):
    """Two random sets of 64-bit values with Jaccard exactly ``shared / (2 * size - shared)``."""
    shared = round(2 * size * j / (1 + j))
    values = rng.integers(0, 2**63, size=2 * size, dtype=np.uint64)
    a = values[:size]
    b = np.concatenate([values[:shared], values[size : 2 * size - shared]])
    return a, b, shared / (2 * size - shared)


def test_signature_agreement_estimates_jaccard():
    rng = np.random.default_rng(0)
    for target in (0.2, 0.5, 0.8, 0.95):
        agree, truth = [], []
        for _ in range(40):
            a, b, j = _sets_with_jaccard(rng, target)
            sh = M.Shingles(np.concatenate([a, b]), np.array([0, len(a), len(a) + len(b)]))
            sig = M.signatures(sh, 128, 11)
            agree.append((sig[0] == sig[1]).mean())
            truth.append(j)
        # mean of 40 x 128 Bernoulli(J) draws: standard error < 0.007
        assert abs(np.mean(agree) - np.mean(truth)) < 0.03, (target, np.mean(agree))


def test_candidate_rate_follows_the_s_curve():
    rng = np.random.default_rng(1)
    bands, rows = 10, 5
    for target in (0.5, 0.7, 0.85):
        hits, trials, js = 0, 300, []
        for _ in range(trials):
            a, b, j = _sets_with_jaccard(rng, target, size=200)
            sh = M.Shingles(np.concatenate([a, b]), np.array([0, len(a), len(a) + len(b)]))
            keys = M.band_keys(
                M.signatures(sh, bands * rows, int(rng.integers(1 << 30))), bands, rows
            )
            hits += bool((keys[0] == keys[1]).any())
            js.append(j)
        p = float(M.candidate_probability(np.mean(js), bands, rows))
        sd = (p * (1 - p) / trials) ** 0.5
        assert abs(hits / trials - p) < 4 * sd + 0.02, (target, hits / trials, p)


def test_band_keys_hash_whole_bands():
    sig = np.arange(40, dtype=np.uint32).reshape(2, 20)
    sig[1] = sig[0]
    sig[1, 7] += 1  # band 1 of 4 (rows 5..9) differs
    keys = M.band_keys(sig, 4, 5)
    assert (keys[0] == keys[1]).tolist() == [True, False, True, True]
    assert len(set(keys[0].tolist())) == 4  # equal values in different bands: different keys
    with pytest.raises(ValueError):
        M.band_keys(sig, 3, 5)


def test_permutations_are_fixed_by_the_seed():
    a1, b1 = M.permutations(16, 1234)
    M.permutations.cache_clear()
    a2, b2 = M.permutations(16, 1234)
    assert (a1 == a2).all() and (b1 == b2).all() and (a1 % 2 == 1).all()
    assert len(set(a1.tolist())) == 16
    assert not (M.permutations(16, 1235)[0] == a1).any()


def test_config_validation():
    with pytest.raises(ConfigError, match="threshold"):
        load_config("reference", ["fuzzy_dedup.threshold=1.5"])
    with pytest.raises(ConfigError, match="bands x rows"):
        load_config("reference", ["fuzzy_dedup.bands=100", "fuzzy_dedup.rows=20"])
    with pytest.raises(ConfigError):
        load_config("reference", ["fuzzy_dedup.shingle=sentence"])
    assert load_config("reference").fuzzy_dedup.enabled is False


def test_code_point_tables_kept_on_disk_equal_the_built_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    built = M._build_tables()
    M._tables.cache_clear()
    try:
        first = M._tables()  # builds and keeps them
        (kept,) = tmp_path.glob("codepoint-tables-*.npy")
        assert unicodedata.unidata_version in kept.name
        M._tables.cache_clear()
        loaded = M._tables()  # from the file
        kept.write_bytes(b"not a table")
        M._tables.cache_clear()
        rebuilt = M._tables()  # a damaged file is built again
        for got in (first, loaded, rebuilt):
            for g, want in zip(got, built, strict=True):
                assert g.dtype == want.dtype and np.array_equal(g, want)
        assert built[1][ord("я")] and built[2][ord("\u3000")] and built[0][ord("Ж")] == ord("ж")
        assert np.load(kept).shape == (3, 0x110000)
    finally:
        M._tables.cache_clear()


def test_word_span_hashes_equal_the_prefix_sum_hashes_bit_for_bit():
    # the compiled direct pass (word shingles) and the P^i prefix sums (char shingles) are one
    # hash: equal values keep every signature, band key and result of earlier runs
    rng = np.random.default_rng(11)
    cp = rng.integers(0, 0x110000, size=5000, dtype=np.uint32)
    cp[:50] = 0xFFFFFFFF - 1  # the largest code points a wrap could mishandle
    starts = np.sort(rng.integers(0, 5000, size=800)).astype(np.int64)
    ends = np.minimum(starts + rng.integers(0, 60, size=800), 5000).astype(np.int64)
    starts = np.append(starts, [0, 4999, 0])
    ends = np.append(ends, [5000, 5000, 0])  # the whole array, the last one, an empty span
    got = M._short_span_hashes(cp, starts, ends)
    assert got.dtype == np.uint64
    assert np.array_equal(got, M._span_hashes(cp, starts, ends))
    assert len(np.unique(got)) > 700
    assert len(M._short_span_hashes(cp, starts[:0], ends[:0])) == 0
