"""The generated demo corpus: deterministic, well-formed, and its ground truth is true."""

from __future__ import annotations

import gzip
import json
import logging
import random
import re
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

import pytest

from curation.demo import banks as B
from curation.demo import corpus as D

DOMAINS = ("cc", "wiki", "arxiv", "lemma", "algebraic-stack")
SIZE_RANGES = {
    "cc": (4300, 4700),
    "wiki": (450, 550),
    "arxiv": (600, 700),
    "lemma": (600, 700),
    "algebraic-stack": (600, 700),
}


def read_gz_jsonl(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


class Corpus:
    """Everything a generated folder holds, read back."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.docs: dict[str, dict] = {}
        self.domain_of: dict[str, str] = {}
        self.shards: dict[str, list[Path]] = {}
        for domain in DOMAINS:
            self.shards[domain] = sorted((root / domain).glob("part-*.jsonl.gz"))
            for shard in self.shards[domain]:
                for row in read_gz_jsonl(shard):
                    assert row["id"] not in self.docs, f"duplicate id {row['id']}"
                    self.docs[row["id"]] = row
                    self.domain_of[row["id"]] = domain
        self.truth = {t["id"]: t for t in read_gz_jsonl(root / "_truth" / "truth.jsonl.gz")}
        self.catalogue = {c["id"]: c for c in read_gz_jsonl(root / "_truth" / "docs.jsonl.gz")}

    def kind(self, doc_id: str) -> str:
        return self.truth[doc_id]["kind"] if doc_id in self.truth else "original"

    def ids(self, domain: str) -> list[str]:
        return sorted(i for i in self.docs if self.domain_of[i] == domain)

    def relatives(self) -> dict[str, str]:
        """Union-find over copy_of links: id -> representative of its family."""
        parent = {i: i for i in self.docs}

        def find(x: str) -> str:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for t in self.truth.values():
            if t["copy_of"] is not None:
                parent[find(t["id"])] = find(t["copy_of"])
        return {i: find(i) for i in self.docs}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    out = tmp_path_factory.mktemp("demo-small")
    D.generate(out, scale=0.1)
    return Corpus(out)


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> tuple[Corpus, dict]:
    out = tmp_path_factory.mktemp("demo-full")
    summary = D.generate(out, scale=1.0)
    return Corpus(out), summary


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    D.generate(tmp_path / "a", scale=0.1)
    D.generate(tmp_path / "b", scale=0.1)
    D.generate(tmp_path / "c", scale=0.1, seed=7)
    a, b, c = _files(tmp_path / "a"), _files(tmp_path / "b"), _files(tmp_path / "c")
    assert sorted(a) == sorted(b) and a == b
    assert sorted(a) == sorted(c)
    shards = [k for k in a if k.endswith(".jsonl.gz") and not k.startswith("_")]
    assert all(a[k] != c[k] for k in shards)
    texts_a = {r["text"] for p in (tmp_path / "a").glob("cc/*.gz") for r in read_gz_jsonl(p)}
    texts_c = {r["text"] for p in (tmp_path / "c").glob("cc/*.gz") for r in read_gz_jsonl(p)}
    assert len(texts_a & texts_c) < 0.05 * len(texts_a)


def test_layout_and_records(small: Corpus) -> None:
    assert sorted(p.name for p in small.root.iterdir()) == sorted([*DOMAINS, "_truth"])
    for domain in DOMAINS:
        names = [p.name for p in small.shards[domain]]
        assert 2 <= len(names) <= 3, domain
        assert names == [f"part-{i:05d}.jsonl.gz" for i in range(len(names))]
        for shard in small.shards[domain]:
            rows = read_gz_jsonl(shard)
            assert rows, shard
            for row in rows:
                assert list(row) == ["id", "text", "source"]
                assert all(isinstance(v, str) and v for v in row.values())
                assert re.fullmatch(rf"demo-{re.escape(domain)}-\d{{6}}", row["id"])
    assert set(small.catalogue) == set(small.docs)
    assert set(small.truth) <= set(small.docs)


def test_ids_say_nothing_about_planting(small: Corpus) -> None:
    """Copies are not numbered after their originals: ids were given in random order."""
    cc = small.ids("cc")
    planted_pos = [cc.index(i) / len(cc) for i in cc if small.kind(i) != "original"]
    assert 0.35 < sum(planted_pos) / len(planted_pos) < 0.65
    orders = [[r["id"] for r in read_gz_jsonl(p)] for p in small.shards["cc"]]
    assert all(order != sorted(order) for order in orders)


def test_truth_is_consistent(full: tuple[Corpus, dict]) -> None:
    corpus, _ = full
    norm = D.normalize_for_near_exact
    members: dict[int, set[str]] = defaultdict(set)
    for t in corpus.truth.values():
        doc = corpus.docs[t["id"]]
        assert t["kind"] in D.KINDS
        assert t["lang"] == corpus.catalogue[t["id"]]["lang"]
        if t["kind"] in ("short_junk", "other_lang"):
            assert t["copy_of"] is None and t["group"] is None
            continue
        original = corpus.docs[t["copy_of"]]
        assert t["copy_of"] not in corpus.truth or corpus.kind(t["copy_of"]) in (
            "short_junk",
            "other_lang",
        )
        assert corpus.domain_of[t["copy_of"]] == corpus.domain_of[t["id"]]
        if t["kind"] == "exact":
            assert doc["text"] == original["text"] and doc["source"] == original["source"]
        elif t["kind"] == "near_exact":
            assert doc["text"] != original["text"]
            assert norm(doc["text"]) == norm(original["text"])
        elif t["kind"] == "near_duplicate":  # fuzzy dedup's kind: tests/test_demo_fuzzy.py
            assert doc["text"] != original["text"] and t["edit"] in D.NEAR_DUPLICATE_EDITS
            assert doc["source"] == original["source"] and 0.0 < t["jaccard"] < 1.0
        else:
            assert doc["text"] != original["text"]
            assert norm(doc["text"]) != norm(original["text"])
            members[t["group"]].add(t["copy_of"])
        if t["group"] is not None:
            members[t["group"]].add(t["copy_of"])
    assert all(len(origins) == 1 for origins in members.values()), "a group has one original"
    for t in corpus.truth.values():
        if t["kind"] == "short_junk":
            assert len(corpus.docs[t["id"]]["text"]) < D.SHORT


def test_sizes_and_mix_at_scale_one(full: tuple[Corpus, dict]) -> None:
    corpus, summary = full
    for domain, (lo, hi) in SIZE_RANGES.items():
        n = len(corpus.ids(domain))
        assert lo <= n <= hi, (domain, n)
        assert summary["docs"][domain] == n
    assert 6500 <= summary["total"] <= 7500
    cc = Counter(corpus.kind(i) for i in corpus.ids("cc"))
    n = sum(cc.values())
    assert 0.06 <= cc["exact"] / n <= 0.10
    assert 0.01 <= cc["near_exact"] / n <= 0.03
    assert 0.08 <= cc["paraphrase"] / n <= 0.12
    assert 0.17 <= cc["short_junk"] / n <= 0.23
    assert 0.08 <= cc["other_lang"] / n <= 0.12
    for domain in ("arxiv", "lemma", "algebraic-stack"):
        kinds = Counter(corpus.kind(i) for i in corpus.ids(domain))
        assert 0.14 <= kinds["paraphrase"] / sum(kinds.values()) <= 0.21, domain
        groups = Counter(
            corpus.truth[i]["group"] for i in corpus.ids(domain) if corpus.kind(i) == "paraphrase"
        )
        sizes = [k + 1 for k in groups.values()]
        assert max(sizes) == 6 and sum(3 <= s <= 6 for s in sizes) >= 10, (domain, sizes)
    originals = [len(corpus.docs[i]["text"]) for i in corpus.docs if corpus.kind(i) == "original"]
    assert min(originals) >= D.SHORT
    assert sum(200 <= n <= 1500 for n in originals) >= 0.95 * len(originals)
    # what survives language ID, exact dedup and the length filter (Dataset-1), roughly
    kept = [
        i
        for i in corpus.docs
        if corpus.kind(i) not in ("exact", "short_junk", "other_lang")
        and len(corpus.docs[i]["text"]) >= D.SHORT
    ]
    assert 4500 <= len(kept) <= 5450  # 5,165 without the 139 near_duplicate copies


def test_tiny_scale_still_plants_every_kind(tmp_path: Path) -> None:
    summary = D.generate(tmp_path, scale=0.05)
    for domain in DOMAINS:
        kinds = summary["kinds"][domain]
        for kind in ("exact", "near_exact", "paraphrase"):
            assert kinds.get(kind, 0) >= 3, (domain, kind)
    for kind in D.KINDS:
        assert summary["kinds"]["cc"].get(kind, 0) >= 3, kind
    corpus = Corpus(tmp_path)
    assert len(corpus.docs) == summary["total"] < 500


def test_language_id_agrees_with_the_labels(full: tuple[Corpus, dict]) -> None:
    pycld2 = pytest.importorskip("pycld2")
    hits: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    for i in full[0].ids("cc"):
        corpus = full[0]
        kind, lang, text = corpus.kind(i), corpus.catalogue[i]["lang"], corpus.docs[i]["text"]
        if len(text) < D.SHORT or kind not in ("original", "other_lang"):
            continue
        group = f"{kind}:{lang}" if kind == "original" else "other_lang"
        _reliable, _, details = pycld2.detect(text)
        totals[group] += 1
        hits[group] += details[0][1] == lang
    assert set(totals) == {"original:en", "original:ru", "other_lang"}
    for group in ("original:en", "original:ru"):
        assert hits[group] >= 0.95 * totals[group], (group, hits[group], totals[group])
    assert hits["other_lang"] >= 0.85 * totals["other_lang"]
    langs = Counter(
        full[0].truth[i]["lang"] for i in full[0].truth if full[0].kind(i) == "other_lang"
    )
    assert {"de", "fr", "uk", "es", "pl"} <= set(langs)


def test_unrelated_documents_are_not_duplicates(full: tuple[Corpus, dict]) -> None:
    corpus, _ = full
    family = corpus.relatives()
    by_text: dict[str, set[str]] = defaultdict(set)
    for i, doc in corpus.docs.items():
        by_text[doc["text"]].add(family[i])
    assert all(len(families) == 1 for families in by_text.values())

    # near-duplication proxy: share of word 5-shingles, over every pair that shares any
    for domain in DOMAINS:
        ids = [i for i in corpus.ids(domain) if corpus.kind(i) != "short_junk"]
        sh = {i: D.shingles(corpus.docs[i]["text"]) for i in ids}
        postings: dict[str, list[str]] = defaultdict(list)
        for i in ids:
            for s in sh[i]:
                postings[s].append(i)
        shared: Counter[tuple[str, str]] = Counter()
        for docs in postings.values():
            if len(docs) < 200:
                shared.update(combinations(docs, 2))
        close = [
            (a, b)
            for (a, b), n in shared.items()
            if family[a] != family[b] and n > 0.8 * min(len(sh[a]), len(sh[b]))
        ]
        assert not close, (domain, close[:3])


def test_paraphrases_stay_close_to_their_original(full: tuple[Corpus, dict]) -> None:
    """Bag-of-words cosine as a cheap stand-in for embedding similarity."""
    corpus, _ = full

    def bow(text: str) -> Counter[str]:
        return Counter(re.findall(r"\w+", text.lower()))

    def cosine(a: Counter[str], b: Counter[str]) -> float:
        num = sum(a[w] * b[w] for w in a)
        return num / (sum(v * v for v in a.values()) * sum(v * v for v in b.values())) ** 0.5

    sims = [
        cosine(bow(corpus.docs[i]["text"]), bow(corpus.docs[t["copy_of"]]["text"]))
        for i, t in corpus.truth.items()
        if t["kind"] == "paraphrase"
    ]
    assert min(sims) > 0.6 and sum(sims) / len(sims) > 0.9


def test_every_template_fills(tmp_path: Path) -> None:
    """Each bank template has its slots: no KeyError, no leftover slot syntax."""
    rng = random.Random(1)

    def check(text: str) -> None:
        assert not re.search(r"[{}⟦⟧]", text), text

    for lang, bank in (("en", B.EN_TOPICS), ("ru", B.RU_TOPICS)):
        provider = D._en_slot if lang == "en" else D._ru_slot
        for titles, sentences in bank.values():
            for template in titles + sentences + B.WEB_EXTRAS[lang] + B.JUNK[lang]:
                check(D._Filler(rng, provider).fill(template))
    for lang, bank in B.OTHER_TOPICS.items():
        for sentences in bank.values():
            for template in sentences:
                check(D._Filler(rng, D._other_slot(lang)).fill(template))
    for _ in range(300):
        for make in (D._wiki_draft, D._arxiv_draft, D._lemma_draft, D._code_draft):
            draft = make(rng, rng.choice(("en", "ru")))
            text = draft.text()
            if draft.style != "latex" and draft.style != "code" and draft.style != "qa":
                check(text)
            assert "⟦" not in text and "⟧" not in text


@pytest.mark.parametrize(
    ("n", "form"),
    [
        (1, "минута"),
        (2, "минуты"),
        (5, "минут"),
        (11, "минут"),
        (14, "минут"),
        (21, "минута"),
        (22, "минуты"),
        (111, "минут"),
    ],
)
def test_russian_number_agreement(n: int, form: str) -> None:
    assert D._ru_form(n, "минута", "минуты", "минут") == form


def test_cli_writes_and_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="curation.demo.corpus"):
        assert D.main([str(tmp_path / "out"), "--scale", "0.05", "--seed", "3"]) == 0
    assert (tmp_path / "out" / "_truth" / "truth.jsonl.gz").is_file()
    summary = json.loads((tmp_path / "out" / "_truth" / "summary.json").read_text())
    assert summary["seed"] == 3 and summary["scale"] == 0.05
    assert f"wrote {summary['total']} documents" in caplog.text
    with pytest.raises(ValueError):
        D.generate(tmp_path / "bad", scale=0)
