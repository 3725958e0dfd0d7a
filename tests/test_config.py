"""Config: frozen per-stage dataclasses from safe-loaded YAML presets, checked keys and types."""

from __future__ import annotations

import dataclasses
import json

import pytest

from curation.config import (
    ConfigError,
    LangIdConfig,
    PipelineConfig,
    config_hash,
    load_config,
    preset_names,
)


def test_packaged_presets_load():
    assert {"reference", "demo"} <= set(preset_names())
    ref = load_config("reference")
    assert ref.langid.engine == "polyglot" and ref.langid.keep == ("ru", "en")
    assert ref.length.min_chars == 150 and ref.exact_dedup.scope == "domain"
    demo = load_config("demo")
    assert demo.langid.engine == "cld2"  # demo extends reference and overrides one key
    assert demo.length == ref.length


def test_overrides_parse_yaml_values():
    cfg = load_config("reference", ["langid.keep=[ru, en, uk]", "length.min_chars=200",
                                    "langid.require_reliable=true",
                                    "spark.conf={spark.executor.memory: 8g}"])  # fmt: skip
    assert cfg.langid.keep == ("ru", "en", "uk")
    assert cfg.length.min_chars == 200
    assert cfg.langid.require_reliable is True
    assert cfg.spark.conf == {"spark.executor.memory": "8g"}


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("length.min_chars=many", "length.min_chars must be int, got 'many'"),
        ("length.min_char=3", "unknown key(s) length.min_char"),
        ("lenght.min_chars=3", "unknown key(s) lenght"),
        ("langid.engine=cld3", "langid.engine must be one of ['polyglot', 'cld2', 'fasttext']"),
        ("langid.min_score=1.5", "langid.min_score must be in [0, 1]"),
        ("langid.route={cc: ru-CC}", "lacks '{lang}'"),
        ("langid.route={cc: '../{lang}'}", "not a valid domain name"),
        ("ingest.domain=../escape", "not a valid domain name"),
        ("exact_dedup.scope=planet", "must be one of ['domain', 'global']"),
        ("length=3", "must look like section.key=value"),
        ("spark.shuffle_partitions=0", "shuffle_partitions must be > 0"),
    ],
)
def test_bad_config_is_a_clear_error(override, message):
    with pytest.raises(ConfigError) as err:
        load_config("reference", [override])
    assert message in str(err.value)


def test_yaml_is_loaded_safely(tmp_path):
    evil = tmp_path / "evil.yaml"
    evil.write_text("length: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(evil)


def test_yaml_file_extends_a_preset(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text("extends: reference\nlangid:\n  keep: [uk]\n  route: {cc: 'uk-{lang}'}\n")
    cfg = load_config(mine)
    assert cfg.langid.keep == ("uk",) and cfg.langid.route == {"cc": "uk-{lang}"}
    assert cfg.langid.engine == "polyglot"
    loop = tmp_path / "loop.yaml"
    loop.write_text(f"extends: {loop}\n")
    with pytest.raises(ConfigError, match="extends itself"):
        load_config(loop)
    with pytest.raises(ConfigError, match="no preset named 'nope'"):
        load_config("nope")


def test_configs_are_frozen_and_hashable_by_content():
    cfg = load_config("reference")
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.length.min_chars = 1  # type: ignore[misc]
    assert config_hash(cfg.langid) == config_hash(LangIdConfig())
    assert config_hash(cfg.langid) != config_hash(dataclasses.replace(cfg.langid, keep=("ru",)))
    assert PipelineConfig().to_dict()["langid"]["keep"] == ["ru", "en"]


SPARK_CONF_REFUSED = (
    "spark.conf key {!r} is not allowed: a preset may set only resource, memory, parallelism, "
    "shuffle, SQL-tuning, UI, event-log and storage-access keys "
    "(curation.config.SPARK_CONF_ALLOWED); keys that change what code runs (Python, JVM options, "
    "jars, class paths, plugins) go on the spark-submit command line (--conf) or in "
    "spark-defaults.conf"
)


@pytest.mark.parametrize(
    "key",
    [
        "spark.pyspark.python", "spark.pyspark.driver.python", "spark.executorEnv.LD_PRELOAD",
        "spark.driver.extraJavaOptions", "spark.executor.extraClassPath", "spark.jars",
        "spark.jars.packages", "spark.plugins", "spark.sql.extensions", "spark.python.daemon.module",
        "spark.hadoop.fs.file.impl", "a",
    ],
)  # fmt: skip
def test_spark_conf_refuses_keys_that_choose_what_runs(key, tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config("reference", [f"spark.conf={{{key}: x}}"])
    assert str(err.value) == SPARK_CONF_REFUSED.format(key)
    preset = tmp_path / "p.yaml"
    preset.write_text(f"extends: demo\nspark:\n  conf:\n    {key}: /tmp/evil\n")
    with pytest.raises(ConfigError, match="is not allowed"):
        load_config(str(preset))


def test_spark_conf_allows_tuning_and_storage_keys():
    conf = {
        "spark.executor.memory": "8g", "spark.memory.fraction": "0.7", "spark.local.dir": "/scratch",
        "spark.sql.adaptive.skewJoin.enabled": "true", "spark.hadoop.fs.s3a.endpoint": "http://s3",
        "spark.dynamicAllocation.maxExecutors": "50", "spark.default.parallelism": "64",
    }  # fmt: skip
    cfg = load_config("reference", ["spark.conf=" + json.dumps(conf)])
    assert cfg.spark.conf == conf
