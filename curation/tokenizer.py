"""The tokenizer of the token-ready output (stage 7): train one, or load an existing one offline.

* :func:`training_sample` - which documents a trained tokenizer learns from: a keyed hash sample
  up to a byte budget, no document giving more than 1/:data:`SAMPLE_MIN_DOCUMENTS` of it;
* :func:`train_bpe` - byte-level BPE trained with Hugging Face ``tokenizers`` on an iterator of
  texts: vocabulary size from config, every digit its own pre-token (so no vocabulary token ever
  holds two digits: whole-number tokens starve arithmetic of statistics), the special tokens of
  :data:`SPECIAL_TOKENS` first (ids 0, 1, 2), no normaliser (decoding gives the exact text back);
* :func:`load_tokenizer` - a ``tokenizer.json`` file, a folder holding one, ``builtin:<name>`` (a
  tokenizer shipped inside a Python package), or a Hugging Face name found in the local cache.
  Nothing is ever downloaded;
* :func:`with_specials` - make sure a tokenizer has ``<pad>`` and ``<eos>`` (added when missing)
  and return their ids;
* :func:`token_classes` - which vocabulary ids are the unknown token and which are byte-fallback
  pieces (``<0xNN>`` byte tokens, or byte-level tokens that are not whole UTF-8 characters), for
  the efficiency report.

Special tokens written *inside* a document (a literal ``<pad>`` in some HTML) are tokenized as
text, never as the special token (``encode_special_tokens``): only the pipeline emits them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from curation.errors import CurationError

log = logging.getLogger(__name__)

PAD = "<pad>"
"""Fills the rest of a document's last piece (pad mode) or the last packed sequence; no loss."""
EOS = "<eos>"
"""Ends every document (pad mode: before the padding; pack mode: between documents)."""
BOS = "<bos>"
"""Reserved for trainers that want it; the pipeline does not emit it."""
SPECIAL_TOKENS: tuple[str, ...] = (PAD, EOS, BOS)
"""The special tokens, in id order for a trained tokenizer (``<pad>`` = 0, ``<eos>`` = 1 ...)."""

TOKENIZER_FILE = "tokenizer.json"
TRAIN = "train"
BUILTIN = "builtin:"
_BYTE_TOKEN = re.compile(r"<0x[0-9A-Fa-f]{2}>")


class TokenizerLoadError(CurationError, ValueError):
    """A tokenizer that cannot be found or loaded offline. The message names it and what to do."""


@dataclass(frozen=True)
class SpecialIds:
    """Ids of the special tokens the pipeline writes."""

    pad: int
    eos: int


# --- training ------------------------------------------------------------------------------------

SAMPLE_MIN_DOCUMENTS = 100
"""A trained tokenizer's sample gives no document more than 1/100 of its bytes (longer texts are
cut), so that one huge document can never become most of the training text."""


def sample_hashes(ids: Iterable[str], seed: int) -> np.ndarray:
    """``xxh64(id, seed)`` of every id, as uint64: the order documents enter the sample in."""
    from xxhash import xxh64_intdigest

    ids = list(ids)
    return np.fromiter(
        (xxh64_intdigest(i.encode("utf-8"), seed) for i in ids), dtype=np.uint64, count=len(ids)
    )


def sample_cap(budget: int) -> int:
    """The most UTF-8 bytes one document gives a training sample of ``budget`` bytes."""
    return max(1, budget // SAMPLE_MIN_DOCUMENTS)


def training_sample(hashes: np.ndarray, sizes: np.ndarray, budget: int) -> tuple[int, int]:
    """(cut, cap): train on the documents whose hash is ``<= cut``, each cut to its first ``cap``
    UTF-8 bytes (``cap = budget / SAMPLE_MIN_DOCUMENTS``).

    Documents are taken by increasing hash while their capped sizes fit in ``budget`` bytes (at
    least one). The hash is keyed by ``tokens.seed`` (:func:`sample_hashes`), so the sample does
    not depend on file order or partitioning, and the cap bounds what any one document - whatever
    its id - contributes.
    """
    if len(hashes) == 0:
        raise ValueError("no documents to sample")
    cap = sample_cap(budget)
    order = np.argsort(hashes, kind="stable")
    total = np.cumsum(np.minimum(sizes[order], cap))
    take = max(1, int(np.searchsorted(total, budget, side="right")))
    return int(hashes[order[min(take, len(order)) - 1]]), cap


def training_sample_window(
    hashes: np.ndarray,
    capped: np.ndarray,
    budget: int,
    before_documents: int,
    before_bytes: int,
    before_max: int | None,
) -> int:
    """The ``cut`` of :func:`training_sample` found from one range of hashes only (what a
    distributed search narrows the hashes down to): ``hashes``/``capped`` (sizes already cut to
    the cap) are every document of the range in which the budget runs out; ``before_*`` sum up the
    documents of smaller hashes (their count, capped bytes and largest hash; None when none)."""
    order = np.argsort(hashes, kind="stable")
    total = before_bytes + np.cumsum(np.asarray(capped, np.int64)[order])
    fit = int(np.searchsorted(total, budget, side="right"))
    if fit:
        return int(hashes[order[fit - 1]])
    if before_documents == 0:  # not even the first document fits: it is taken alone
        return int(hashes[order[0]])
    assert before_max is not None
    return int(before_max)


def cap_text(text: str, cap: int) -> str:
    """``text`` cut to at most ``cap`` UTF-8 bytes (at a character boundary)."""
    if len(text) * 4 <= cap:
        return text
    data = text.encode("utf-8")
    return text if len(data) <= cap else data[:cap].decode("utf-8", errors="ignore")


def new_bpe() -> Tokenizer:
    """An untrained byte-level BPE tokenizer with single-digit pre-tokens."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    return tok


def train_bpe(texts: Iterable[str], vocab_size: int, length: int | None = None) -> Tokenizer:
    """Byte-level BPE with ``vocab_size`` tokens (fewer if the texts support no more merges).

    The 256 byte symbols are always in the vocabulary, so any text can be encoded; the special
    tokens take the first ids.
    """
    floor = len(SPECIAL_TOKENS) + len(pre_tokenizers.ByteLevel.alphabet())
    if vocab_size < floor:
        raise TokenizerLoadError(
            f"tokens.vocab_size={vocab_size} is too small for byte-level BPE: it needs at least "
            f"{floor} (256 byte symbols and {len(SPECIAL_TOKENS)} special tokens)"
        )
    tok = new_bpe()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer, length=length)
    tok.encode_special_tokens = True
    log.info("trained byte-level BPE: %d tokens (asked for %d)", tok.get_vocab_size(), vocab_size)
    return tok


# --- loading -------------------------------------------------------------------------------------


def _builtin_file(source: str) -> Path:
    from curation.stages.embed import BUILTIN_MODELS  # the packages that ship models

    key = source[len(BUILTIN) :]
    if key not in BUILTIN_MODELS:
        raise TokenizerLoadError(
            f"unknown builtin tokenizer {source!r}; builtin: "
            + ", ".join(BUILTIN + k for k in BUILTIN_MODELS)
        )
    return Path(BUILTIN_MODELS[key]()) / TOKENIZER_FILE


def tokenizer_file(source: str) -> Path:
    """The ``tokenizer.json`` that ``source`` designates (a path, builtin, or cached HF name)."""
    if source.startswith(BUILTIN):
        return _builtin_file(source)
    path = Path(source).expanduser()
    if path.is_file():
        return path
    if path.is_dir():
        if (path / TOKENIZER_FILE).is_file():
            return path / TOKENIZER_FILE
        raise TokenizerLoadError(f"tokenizer folder {source} has no {TOKENIZER_FILE}")
    if source.startswith(("/", "./", "../", "~")) or source.endswith(".json"):
        raise TokenizerLoadError(
            f"tokenizer path {source} does not exist: give a tokenizer.json file, a folder "
            f"holding one, a Hugging Face name in the local cache, or '{TRAIN}'"
        )
    from huggingface_hub import try_to_load_from_cache

    try:
        cached = try_to_load_from_cache(repo_id=source, filename=TOKENIZER_FILE)
    except ValueError:  # not a valid repository name
        cached = None
    if isinstance(cached, str):
        return Path(cached)
    raise TokenizerLoadError(
        f"tokenizer {source!r} is neither a local path nor a Hugging Face model with a "
        f"{TOKENIZER_FILE} in the local cache, and nothing is downloaded at run time: download "
        f"it once elsewhere and set HF_HOME, give a local path, or use '{TRAIN}'"
    )


def load_tokenizer(source: str) -> Tokenizer:
    """The tokenizer ``source`` designates, offline; special tokens in text are encoded as text."""
    path = tokenizer_file(source)
    try:
        tok = Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises a plain Exception on a malformed file
        raise TokenizerLoadError(f"{path} is not a readable tokenizer.json: {exc}") from None
    tok.encode_special_tokens = True
    return tok


def tokenizer_from_json(text: str) -> Tokenizer:
    """A tokenizer from its ``tokenizer.json`` text (as a task receives it); special tokens in
    text are encoded as text, as with :func:`load_tokenizer`."""
    tok = Tokenizer.from_str(text)
    tok.encode_special_tokens = True
    return tok


def with_specials(tok: Tokenizer) -> SpecialIds:
    """Ids of ``<pad>`` and ``<eos>``, adding them as special tokens when the tokenizer lacks them."""
    missing = [t for t in (PAD, EOS) if tok.token_to_id(t) is None]
    if missing:
        log.info("adding special tokens %s to the tokenizer", missing)
        tok.add_special_tokens(missing)
    pad, eos = tok.token_to_id(PAD), tok.token_to_id(EOS)
    assert pad is not None and eos is not None
    return SpecialIds(pad=pad, eos=eos)


def vocab_size(tok: Tokenizer) -> int:
    """Ids run from 0 to ``vocab_size - 1`` (added tokens included)."""
    return tok.get_vocab_size(with_added_tokens=True)


# --- vocabulary analysis -------------------------------------------------------------------------


@cache
def _byte_decoder() -> dict[str, int]:
    """The byte-level alphabet (printable stand-in character -> byte), as GPT-2 defines it."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    chars = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in chars:
            chars[b] = chr(256 + extra)
            extra += 1
    return {c: b for b, c in chars.items()}


def _is_byte_level(tok: Tokenizer) -> bool:
    return "ByteLevel" in type(tok.decoder).__name__ if tok.decoder is not None else False


def token_bytes(tok: Tokenizer, token: str) -> bytes | None:
    """The bytes a byte-level vocabulary entry stands for (None if not a byte-level tokenizer)."""
    if not _is_byte_level(tok):
        return None
    table = _byte_decoder()
    if any(c not in table for c in token):
        return token.encode("utf-8")  # an added token, stored as plain text
    return bytes(table[c] for c in token)


def token_classes(tok: Tokenizer) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks over ids: (unknown token, byte-fallback piece).

    Byte fallback: a ``<0xNN>`` byte token (SentencePiece-style), or for a byte-level tokenizer a
    token whose bytes are not whole UTF-8 characters (a piece of a character it had no token for).
    """
    n = vocab_size(tok)
    unknown = np.zeros(n, dtype=bool)
    fallback = np.zeros(n, dtype=bool)
    unk = getattr(tok.model, "unk_token", None)
    if unk is not None and tok.token_to_id(unk) is not None:
        unknown[tok.token_to_id(unk)] = True
    specials = set(tok.get_added_tokens_decoder())
    byte_level = _is_byte_level(tok)
    for token, i in tok.get_vocab(with_added_tokens=True).items():
        if i in specials:
            continue
        if _BYTE_TOKEN.fullmatch(token):
            fallback[i] = True
        elif byte_level:
            raw = token_bytes(tok, token)
            try:
                raw.decode("utf-8")  # type: ignore[union-attr]
            except UnicodeDecodeError:
                fallback[i] = True
    return unknown, fallback
