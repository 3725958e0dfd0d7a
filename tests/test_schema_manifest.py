"""The one record schema, its Spark twin, and the manifest's conservation check."""

from __future__ import annotations

import pyarrow as pa
import pytest

from curation import schema as S
from curation.manifest import ConservationError, Count, build_manifest, check_conservation


def test_spark_schemas_are_derived_from_arrow():
    from pyspark.sql import types as T

    spark_schema = S.to_spark_schema(S.RECORD_SCHEMA)
    assert spark_schema.names == S.RECORD_SCHEMA.names
    assert spark_schema[S.ID].dataType == T.StringType() and not spark_schema[S.ID].nullable
    assert spark_schema[S.SRC_LINE].dataType == T.LongType()
    assert spark_schema[S.LANG_SCORE].dataType == T.DoubleType()
    assert S.to_spark_schema(S.LEDGER_SCHEMA).names[:7] == [
        "id", "domain", "stage", "reason", "score", "duplicate_of", "cluster",
    ]  # fmt: skip


def test_every_schema_extends_the_record_columns_consistently():
    for schema in (S.INGEST_SCHEMA, S.ANNOTATED_SCHEMA, S.DECISION_SCHEMA, S.LEDGER_SCHEMA):
        for field in schema:
            if field.name in S.RECORD_SCHEMA.names:
                assert field.type == S.RECORD_SCHEMA.field(field.name).type, field.name


def test_conform_fills_nullable_columns_and_refuses_missing_required():
    t = S.conform(pa.table({"id": ["a"], "domain": ["d"], "text": ["x"]}), S.RECORD_SCHEMA)
    assert t.schema == S.RECORD_SCHEMA and t.column(S.LANG).null_count == 1
    with pytest.raises(KeyError, match="text"):
        S.conform(pa.table({"id": ["a"], "domain": ["d"]}), S.RECORD_SCHEMA)


def test_manifest_counts_and_conservation():
    m = build_manifest(
        [
            Count("cc", "ru-CC", None, None, 10),
            Count("cc", "en-CC", None, None, 5),
            Count("cc", "cc", "langid", "lang_other", 4),
            Count("cc", "ru-CC", "exact_dedup", "exact_duplicate", 3),
            Count("wiki", "wiki", "length", "too_short", 2),
        ],
        stage="dataset-1",
    )
    assert (m["rows_in"], m["rows_out"]) == (24, 15)
    assert m["removed"] == {"exact_duplicate": 3, "lang_other": 4, "too_short": 2}
    assert m["per_domain"]["cc"]["outputs"] == {"en-CC": 5, "ru-CC": 10}
    assert m["per_domain"]["wiki"] == {
        "rows_in": 2, "rows_out": 0, "removed": {"too_short": 2},
        "removed_by_stage": {"length": 2}, "outputs": {},
    }  # fmt: skip
    m["per_domain"]["cc"]["rows_out"] -= 1
    with pytest.raises(ConservationError, match="cc: rows_in 22 != 14 out"):
        check_conservation(m)
