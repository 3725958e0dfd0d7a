"""Small synthetic corpora with planted near-duplicates, for the fuzzy-dedup tests.

Documents are sentences of words drawn from an English + Russian + code-like vocabulary; a few
of them get edited copies (words replaced, a sentence added or dropped, a header line, a case /
punctuation change) and some copies are edited again (chains), so groups, transitive links and
pairs just below any threshold all occur. Ids are random (they say nothing about planting).
"""

from __future__ import annotations

import random

import pyarrow as pa

from curation import schema as S

_EN = (
    "the of and to in is was for on that with as by at from river town city century people "
    "school museum church road bridge market winter summer north south railway station "
    "library theatre garden village harbour island mountain valley forest lake"
).split()
_RU = (
    "и в не на с что по как из за от до год город река школа музей улица мост рынок зима лето "
    "север юг вокзал библиотека театр сад деревня остров гора долина лес озеро"
).split()
_CODE = "def return self value index matrix vector solve_linear x_1 tol max_iter".split()


def _sentence(rng: random.Random) -> str:
    pool = rng.choice((_EN, _RU, _EN + _CODE))
    words = [rng.choice(pool) + str(rng.randrange(40)) for _ in range(rng.randint(8, 16))]
    words[0] = words[0].capitalize()
    return " ".join(words) + rng.choice((".", "!", "?", "."))


def _document(rng: random.Random) -> list[str]:
    return [_sentence(rng) for _ in range(rng.randint(6, 14))]


def _edit(rng: random.Random, sentences: list[str]) -> list[str]:
    out = list(sentences)
    how = rng.randrange(6)
    if how == 0:  # a few words replaced
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(out))
            words = out[i].split()
            words[rng.randrange(len(words))] = "edited" + str(rng.randrange(1000))
            out[i] = " ".join(words)
    elif how == 1:
        out.insert(rng.randrange(len(out) + 1), _sentence(rng))
    elif how == 2 and len(out) > 3:
        del out[rng.randrange(len(out))]
    elif how == 3:
        out.insert(
            0, f"Posted on {rng.randint(1, 28)}.{rng.randint(1, 12)}.{rng.randint(2000, 2024)}"
        )
    elif how == 4:
        out = [s.upper() if rng.random() < 0.5 else s.replace(".", "") for s in out]
    else:
        out.append("Share this page | Print | Subscribe")
    return out


def corpus(
    n: int = 300, seed: int = 0, domains: tuple[str, ...] = ("web", "wiki"), copies: float = 0.3
) -> pa.Table:
    """``n`` base documents plus about ``copies * n`` edited copies (and copies of copies)."""
    rng = random.Random(seed)
    docs: list[tuple[str, list[str]]] = []
    for _ in range(n):
        docs.append((rng.choice(domains), _document(rng)))
    for _ in range(int(copies * n)):
        domain, sentences = rng.choice(docs)
        edited = _edit(rng, sentences)
        if rng.random() < 0.3:
            edited = _edit(rng, edited)
        # now and then a copy lands in another domain (scope: global links it, domain does not)
        if rng.random() < 0.1:
            domain = rng.choice(domains)
        docs.append((domain, edited))
    ids = rng.sample(range(10 * len(docs)), len(docs))
    rows = [
        {S.ID: f"doc-{k:06d}", S.DOMAIN: domain, S.TEXT: "\n".join(sentences)}
        for k, (domain, sentences) in zip(ids, docs, strict=True)
    ]
    return pa.Table.from_pylist(
        rows, schema=pa.schema([S.RECORD_SCHEMA.field(c) for c in (S.ID, S.DOMAIN, S.TEXT)])
    )
