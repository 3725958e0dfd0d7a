"""The tokenizer: byte-level BPE with single digits, exact round trip, offline loading."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from curation import tokenizer as TOK
from curation.demo.corpus import generate


@pytest.fixture(scope="module")
def texts(tmp_path_factory) -> list[str]:
    root = tmp_path_factory.mktemp("tok") / "input"
    generate(root, scale=0.05)
    out = []
    for path in sorted(root.glob("[!_]*/*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            out += [json.loads(line)["text"] for line in f]
    # numbers of every shape, so that merges of digits would be frequent if they were allowed
    out += [f"{i} + {i * 7} = {i * 8}; 3.14159 x 10^{i} ١٢٣ ²³" for i in range(2000)]
    return out


@pytest.fixture(scope="module")
def trained(texts):
    return TOK.train_bpe(iter(texts), vocab_size=1500, length=len(texts))


def test_specials_first_and_vocabulary_size(trained):
    assert [trained.token_to_id(t) for t in TOK.SPECIAL_TOKENS] == [0, 1, 2]
    assert TOK.vocab_size(trained) == 1500


def test_no_vocabulary_token_holds_more_than_one_digit(trained):
    vocab = trained.get_vocab()
    multi = []
    for token in vocab:
        text = TOK.token_bytes(trained, token).decode("utf-8", errors="ignore")
        if sum(ch.isnumeric() for ch in text) > 1:
            multi.append(token)
    assert multi == []
    assert all(trained.token_to_id(d) is not None for d in "0123456789")
    ids = trained.encode("year 20250 and 3.14").ids
    pieces = [trained.decode([i]) for i in ids]
    assert [p for p in pieces if any(c.isdigit() for c in p)] == list("20250") + ["3", "1", "4"]


def test_decoding_gives_the_text_back(trained, texts):
    sample = texts[::7] + ["", "  two  spaces\n\ttab", "Ёлка — ёж… 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀", "a<pad>b<eos>c"]
    for text in sample:
        assert trained.decode(trained.encode(text).ids, skip_special_tokens=False) == text


def test_special_tokens_in_text_stay_text(trained):
    ids = trained.encode("<pad><eos> literally").ids
    assert len(ids) > 2 and not set(ids) & {0, 1, 2}
    assert trained.decode(ids, skip_special_tokens=True) == "<pad><eos> literally"


def test_byte_fallback_pieces_are_classified(trained):
    unknown, fallback = TOK.token_classes(trained)
    assert not unknown.any()  # byte-level BPE has no unknown token
    by_bytes = {TOK.token_bytes(trained, t): i for t, i in trained.get_vocab().items()}
    assert fallback[by_bytes[b"\xd0"]]  # the first byte of a Cyrillic letter, alone
    assert not fallback[by_bytes["я".encode()]]  # a whole Cyrillic letter
    assert not fallback[trained.token_to_id("a")] and not fallback[0]


def test_vocabulary_too_small_for_byte_level(texts):
    with pytest.raises(TOK.TokenizerLoadError, match="too small for byte-level BPE"):
        TOK.train_bpe(iter(texts), vocab_size=100)


def test_loading_errors_name_the_tokenizer(tmp_path):
    with pytest.raises(TOK.TokenizerLoadError, match="tokenizer path /no/such/tok.json does not"):
        TOK.load_tokenizer("/no/such/tok.json")
    with pytest.raises(TOK.TokenizerLoadError, match="has no tokenizer.json"):
        TOK.load_tokenizer(str(tmp_path))
    (tmp_path / "tokenizer.json").write_text("{not json")
    with pytest.raises(TOK.TokenizerLoadError, match="not a readable tokenizer.json"):
        TOK.load_tokenizer(str(tmp_path))
    with pytest.raises(TOK.TokenizerLoadError, match="not in the local cache|neither a local path"):
        TOK.load_tokenizer("some-org/not-a-cached-model")
    with pytest.raises(TOK.TokenizerLoadError, match="unknown builtin tokenizer"):
        TOK.load_tokenizer("builtin:nope")


def test_an_existing_tokenizer_gets_pad_and_eos(tmp_path, trained):
    bert = TOK.load_tokenizer("builtin:all-MiniLM-L6-v2")
    before = TOK.vocab_size(bert)
    special = TOK.with_specials(bert)
    assert (special.pad, special.eos) == (before, before + 1)
    unknown, fallback = TOK.token_classes(bert)
    assert unknown.sum() == 1 and unknown[bert.token_to_id("[UNK]")]
    ids = np.array(bert.encode("hello ⟁⟁ world", add_special_tokens=False).ids)
    assert unknown[ids].any()
    path = tmp_path / "t.json"
    trained.save(str(path))
    again = TOK.load_tokenizer(str(path))
    assert TOK.with_specials(again) == TOK.SpecialIds(pad=0, eos=1)  # nothing added
    assert TOK.vocab_size(again) == TOK.vocab_size(trained)
