"""Dataset-1's keep/remove table, called directly (no Spark): every rule, the order between them,
and the group facts computed in memory."""

from __future__ import annotations

import pyarrow as pa
import pytest

from curation import schema as S
from curation.config import load_config
from curation.stages import dataset1 as D
from curation.stages import langid
from curation.stages.exact_dedup import md5_hex

LONG = "x" * 200


def _cfg(*overrides: str):
    return load_config("reference", ["langid.engine=cld2", *overrides])


def _rows(*rows: dict) -> pa.Table:
    """Annotated rows from partial dicts (defaults: a valid English cc document of 200 chars)."""
    out = []
    for i, r in enumerate(rows, start=1):
        text = r.get("text", LONG)
        row = {
            S.ID: f"id{i}", S.DOMAIN: "cc", S.TEXT: text, S.SRC_DOMAIN: "cc",
            S.SRC_FILE: "cc/a.jsonl", S.SRC_LINE: i, S.META: None, S.INVALID_REASON: None,
            S.DETAIL: None, S.LANG: "en", S.LANG_SCORE: 0.99, S.LANG_RELIABLE: True,
            S.N_CHARS: None if text is None else len(text),
            S.MD5: None if text is None else md5_hex(text),
            S.DEDUP_KEY: None if text is None else md5_hex(text),
        }  # fmt: skip
        row.update({k: v for k, v in r.items() if k != "text"})
        out.append(row)
    return pa.Table.from_pylist(out, schema=S.ANNOTATED_SCHEMA)


def _decide(rows: pa.Table, cfg) -> list[dict]:
    facts = D.group_facts(rows, cfg)
    full = rows
    for name in facts.column_names:
        full = full.append_column(name, facts[name])
    return D.decide(full, cfg).to_pylist()


def _outcome(v: dict) -> tuple:
    return (v[S.STAGE], v[S.REASON])


def test_each_rule_alone():
    rows = _rows(
        {S.INVALID_REASON: "bad_json", S.DETAIL: "cc/a.jsonl:1: not valid JSON", "text": None,
         S.LANG: None, S.LANG_SCORE: None, S.LANG_RELIABLE: None},
        {S.LANG: "de"},
        {S.LANG_SCORE: 0.3},
        {S.ID: "b", "text": LONG + "dup"},
        {S.ID: "a", "text": LONG + "dup"},
        {"text": "short"},
        {},
    )  # fmt: skip
    got = _decide(rows, _cfg())
    assert [_outcome(v) for v in got] == [
        ("invalid", "bad_json"), ("langid", "lang_other"), ("langid", "lang_unreliable"),
        ("exact_dedup", "exact_duplicate"), (None, None), ("length", "too_short"), (None, None),
    ]  # fmt: skip
    assert got[0][S.DETAIL] == "cc/a.jsonl:1: not valid JSON" and got[0][S.DOMAIN] == "cc"
    assert (got[1][S.DETAIL], got[1][S.SCORE], got[1][S.DOMAIN]) == ("de", 0.99, "cc")
    assert got[3][S.DUPLICATE_OF] == "a" and got[3][S.DETAIL] == md5_hex(LONG + "dup")
    assert got[3][S.DOMAIN] == "en-CC" and got[3][S.SCORE] is None
    assert (got[5][S.SCORE], got[5][S.DETAIL]) == (5.0, None)
    assert got[6][S.DOMAIN] == "en-CC" and got[6][S.DUPLICATE_OF] is None
    assert [v[S.REACHES_DEDUP] for v in got] == [False, False, False, True, True, True, True]


def test_precedence_between_rules():
    cfg = _cfg("ingest.on_duplicate_id=quarantine")
    rows = _rows(
        {S.ID: "same", S.LANG: "de"},  # first of its id: removed by language
        {S.ID: "same"},  # a later row of the id: duplicate id wins over everything after it
        {S.ID: "z", S.LANG: "de", "text": "short"},  # language before length
        {S.ID: "m", "text": "tiny"},  # survivor of its group, but too short (the reference order)
        {S.ID: "n", "text": "tiny"},  # duplicate of a short survivor: exact_dedup, not length
        {S.ID: "k", "text": "tiny", S.LANG: "de"},  # never competes: no survivor "k" < "m"
        {S.ID: "a", "text": "tiny", S.SRC_DOMAIN: "wiki", S.DOMAIN: "wiki"},  # other domain
    )  # fmt: skip
    got = _decide(rows, cfg)
    assert [_outcome(v) for v in got] == [
        ("langid", "lang_other"), ("invalid", "duplicate_id"), ("langid", "lang_other"),
        ("length", "too_short"), ("exact_dedup", "exact_duplicate"), ("langid", "lang_other"),
        ("length", "too_short"),
    ]  # fmt: skip
    assert got[1][S.DETAIL] == "cc/a.jsonl:2: id same already used at cc/a.jsonl:1"
    assert got[1][S.SCORE] is None and got[1][S.DOMAIN] == "en-CC"  # routed: its language passed
    assert got[4][S.DUPLICATE_OF] == "m"


def test_global_scope_groups_across_domains_and_survivor_is_the_smallest_id():
    rows = _rows(
        {S.ID: "b2"}, {S.ID: "a9", S.SRC_DOMAIN: "wiki", S.DOMAIN: "wiki"}, {S.ID: "c"}
    )  # fmt: skip
    per_domain = [_outcome(v) for v in _decide(rows, _cfg())]
    assert per_domain == [(None, None), (None, None), ("exact_dedup", "exact_duplicate")]
    glob = _decide(rows, _cfg("exact_dedup.scope=global"))
    assert [v[S.DUPLICATE_OF] for v in glob] == ["a9", None, "a9"]


def test_duplicate_ids_error_mode_gives_first_at_and_lists_them():
    """Under ``on_duplicate_id=error`` the facts still mark the second row of an id (the job
    fails on it, naming the ids that :func:`duplicate_ids` lists)."""
    rows = _rows({S.ID: "x"}, {S.ID: "x", S.SRC_FILE: "cc/b.jsonl"}, {S.ID: "y"})
    assert D.group_facts(rows, _cfg())[S.FIRST_AT].to_pylist() == [None, "cc/a.jsonl:1", None]
    assert D.duplicate_ids(rows).examples == [("x", ["cc/a.jsonl:1", "cc/b.jsonl:2"])]


def test_an_invalid_row_keeping_its_own_id_is_not_a_second_row_of_that_id():
    """Ingest gives an invalid row its own id when that id is valid (#16): it is removed as
    invalid and neither fails the job nor makes the valid row of that id a duplicate."""
    invalid = {S.ID: "x", S.INVALID_REASON: "nul_bytes", S.DETAIL: "cc/a.jsonl:1: NUL",
               "text": None, S.LANG: None, S.LANG_SCORE: None, S.LANG_RELIABLE: None}  # fmt: skip
    rows = _rows(invalid, {S.ID: "x"})
    assert D.duplicate_ids(rows).examples == []
    for cfg in (_cfg(), _cfg("ingest.on_duplicate_id=quarantine")):
        assert [_outcome(v) for v in _decide(rows, cfg)] == [("invalid", "nul_bytes"), (None, None)]


def test_kept_and_ledger_rows_have_their_schemas():
    rows = _rows({"text": "short"}, {})
    verdict = D.decide(rows, _cfg())
    kept, ledger = D.kept_rows(rows, verdict), D.ledger_rows(rows, verdict)
    assert kept.schema == S.RECORD_SCHEMA and ledger.schema == S.LEDGER_SCHEMA
    assert kept.column(S.DOMAIN).to_pylist() == ["en-CC"]
    assert ledger.column(S.STAGE).to_pylist() == ["length"] and ledger[S.TEXT][0].as_py() == "short"


def test_decide_needs_its_columns():
    with pytest.raises(KeyError):
        D.decide(_rows({}).drop_columns([S.LANG]), _cfg())


NEAR = " ".join(f"word{i}" for i in range(60))  # 56 distinct word 5-grams, 300+ characters


def _edited(text: str, k: int) -> str:
    """``text`` with its ``k``-th word replaced (Jaccard 51/61 with it under word 5-grams)."""
    words = text.split()
    words[k] = "edited"
    return " ".join(words)


def test_near_duplicate_rule_comes_after_exact_dedup_and_length():
    cfg = _cfg("fuzzy_dedup.enabled=true", "fuzzy_dedup.threshold=0.8", "length.min_chars=310")
    rows = _rows(
        {S.ID: "n1", "text": NEAR},
        {S.ID: "n0", "text": _edited(NEAR, 30)},  # a near duplicate, smaller id: survives
        {S.ID: "n2", "text": NEAR},  # exact copy of n1: exact dedup first
        {S.ID: "a", "text": _edited(NEAR, 31)[:305]},  # near but too short: length first
        {S.ID: "n3", "text": _edited(NEAR, 20), S.LANG: "de"},  # language first
        {S.ID: "zz", "text": " ".join(f"other{i}" for i in range(60))},
    )  # fmt: skip
    got = _decide(rows, cfg)
    assert [_outcome(v) for v in got] == [
        ("fuzzy_dedup", "near_duplicate"), (None, None), ("exact_dedup", "exact_duplicate"),
        ("length", "too_short"), ("langid", "lang_other"), (None, None),
    ]  # fmt: skip
    near = got[0]
    assert near[S.DUPLICATE_OF] == "n0" and near[S.SCORE] == pytest.approx(51 / 61)
    assert near[S.DETAIL] == f"linked by n0 (jaccard {51 / 61:.4f})"
    assert near[S.CLUSTER] is not None and got[1][S.CLUSTER] is None
    assert got[2][S.DUPLICATE_OF] == "n1"  # exact duplicates keep naming their exact survivor
    # off (the reference): the same rows are kept
    off = _decide(rows, _cfg("length.min_chars=310"))
    assert [_outcome(v) for v in off][:2] == [(None, None), (None, None)]


def test_near_duplicate_facts_need_the_domain_under_domain_scope():
    cfg = _cfg("fuzzy_dedup.enabled=true", "langid.domains=[]")
    rows = _rows(
        {S.ID: "b", "text": NEAR},
        {S.ID: "a", "text": _edited(NEAR, 5), S.SRC_DOMAIN: "wiki", S.DOMAIN: "wiki"},
    )
    assert [_outcome(v) for v in _decide(rows, cfg)] == [(None, None), (None, None)]
    both = _decide(rows, _cfg("fuzzy_dedup.enabled=true", "langid.domains=[]",
                              "fuzzy_dedup.scope=global"))  # fmt: skip
    assert [v[S.DUPLICATE_OF] for v in both] == ["a", None]


def test_annotations_from_handed_on_texts_equal_those_taken_from_the_table(tmp_path):
    """The ingest task passes the parser's strings to annotate_batch (no second conversion out
    of Arrow): every annotation, of valid and invalid rows, is what the table alone gives."""
    from pathlib import Path

    from curation.stages import ingest
    from curation.storage import LocalStorage, normalize_uri
    from tests.malformed import write_tree

    write_tree(tmp_path)
    cfg = _cfg()
    uri = normalize_uri(tmp_path)
    plan = ingest.plan_inputs(LocalStorage().list_files(uri), uri, cfg.ingest)
    compared = 0
    for f in plan.files:
        data = Path(f.uri.removeprefix("file://")).read_bytes()
        for batch in ingest.read_batches(data, f, cfg.ingest):
            handed = D.annotate_batch(batch.table, cfg, batch.texts)
            assert handed.equals(D.annotate_batch(batch.table, cfg))
            assert handed.schema == S.ANNOTATED_SCHEMA
            compared += handed.num_rows
    assert compared > 50


class _Counting:
    """A language-ID engine that records the texts it is given and asks the real one."""

    def __init__(self, engine) -> None:  # noqa: ANN001
        self.engine, self.seen, self.name = engine, [], engine.name

    def detect(self, texts: list[str]):  # noqa: ANN201
        self.seen.extend(texts)
        return self.engine.detect(texts)

    def detect_prefixes(self, texts: list[str], max_chars: int):  # noqa: ANN201
        self.seen.extend(langid.clean_for_detection(t, max_chars) for t in texts)
        return self.engine.detect_prefixes(texts, max_chars)


@pytest.mark.parametrize("limit", [65_536, 2])
def test_a_repeated_text_is_detected_once_per_task_with_the_same_annotations(
    monkeypatch, tmp_path, limit
):
    """The per-task detection cache (by md5): annotations equal those without it, in batches
    that repeat texts within and across them, with invalid rows between; the engine sees each
    distinct text once while the cache holds it (a cache of 2 entries starts afresh, so it may
    see one again)."""
    from pathlib import Path

    from curation.stages import ingest
    from curation.storage import LocalStorage, normalize_uri
    from tests.malformed import write_tree

    write_tree(tmp_path)
    cfg = _cfg()
    uri = normalize_uri(tmp_path)
    plan = ingest.plan_inputs(LocalStorage().list_files(uri), uri, cfg.ingest)
    batches = [
        b
        for f in plan.files
        for b in ingest.read_batches(
            Path(f.uri.removeprefix("file://")).read_bytes(), f, cfg.ingest
        )
    ]
    texts = ["Один и тот же текст о погоде в Москве.", "The same English text, twice over."]
    repeated = pa.table(
        {
            **{
                n: batches[0].table.column(n).take([0, 0, 0, 0])
                for n in batches[0].table.schema.names
            },
        },
        schema=batches[0].table.schema,
    )
    repeated = repeated.set_column(
        repeated.schema.get_field_index(S.TEXT), S.TEXT, pa.array(texts + texts[::-1], pa.string())
    )
    batches.append(ingest.Batch(repeated, texts + texts[::-1]))
    batches.append(ingest.Batch(repeated, texts + texts[::-1]))  # all seen before
    engine = _Counting(langid.get_engine(cfg.langid.engine))
    monkeypatch.setitem(langid._ENGINES, cfg.langid.engine, engine)
    cache = langid.DetectionCache(limit)
    present = 0
    for batch in batches:
        with_cache = D.annotate_batch(batch.table, cfg, batch.texts, cache)
        assert with_cache.equals(D.annotate_batch(batch.table, cfg, batch.texts))
        present += sum(t is not None for t in batch.texts)
    distinct = {langid.clean_for_detection(t, cfg.langid.max_chars)
                for b in batches for t in b.texts if t is not None}  # fmt: skip
    engine.seen.clear()
    cache = langid.DetectionCache(limit)
    for batch in batches:
        D.annotate_batch(batch.table, cfg, batch.texts, cache)
    assert cache.hits == present - len(engine.seen)
    if limit > len(distinct):
        assert sorted(engine.seen) == sorted(distinct)
    else:
        assert len(distinct) < len(engine.seen) < present
