"""The stage runner's rules, on throwaway stages (no Spark, no models): fingerprints from the
declaration, skip / refuse / rebuild, caches, stale parents, resumable stages, conservation,
and the run folder's lock."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from curation import runner
from curation.config import LengthConfig, load_config, tuning
from curation.manifest import ConservationError
from curation.run_layout import StageConflictError
from curation.run_lock import LOCK, RunLock
from curation.runner import Build, MissingStageError, Reads, Stage, fingerprint_of
from curation.storage import LocalStorage, local_path

CALLS: list[str] = []


def _write(ctx: Build, name: str = "out.txt") -> dict:
    """Write what the stage saw (its config and parents' files) and count the call."""
    CALLS.append(ctx.stage.name)
    seen = {"min_chars": ctx.cfg.length.min_chars, "parents": {}}
    for p in ctx.stage.parents:
        seen["parents"][p] = (local_path(ctx.parent(p).final) / name).read_text()
    (local_path(ctx.out) / name).write_text(json.dumps(seen, sort_keys=True))
    return {"stage": ctx.stage.name, "rows_in": 1, "rows_out": 1, "removed": {}}


A = Stage("a", _write, kind="output", reads=("length", "ingest"))
C = Stage("c", _write, kind="cache", parents=("a",), reads=(Reads("langid", only=("keep",)),))
D = Stage("d", _write, kind="dataset", parents=("c", "a"), reads=("exact_dedup",))


def _cfg(*sets: str):
    return load_config("reference", list(sets))


def _run(run: Path, stages, *sets: str) -> dict:
    CALLS.clear()
    return runner.run(stages, str(run), _cfg(*sets), LocalStorage())


def _success(run: Path, name: str) -> dict:
    return json.loads((run / name / "_SUCCESS").read_text())


@pytest.fixture
def run(tmp_path) -> Path:
    r = tmp_path / "run"
    _run(r, [A])
    _run(r, [C, D])
    return r


def test_first_run_builds_in_order_and_a_rerun_skips_everything(run):
    assert (run / "d" / "_SUCCESS").is_file() and (run / "c" / "_MANIFEST.json").is_file()
    _run(run, [A])
    _run(run, [C, D])
    assert CALLS == []


def test_a_tuning_field_changes_nothing_a_result_field_is_refused_then_forced(run):
    _run(run, [A], "ingest.batch_rows=17")  # speed only: skipped, not refused
    assert CALLS == []
    with pytest.raises(StageConflictError, match="different config"):
        _run(run, [A], "length.min_chars=7")
    assert CALLS == []  # refused before anything was built
    _run(run, [A], "length.min_chars=7", "run.force=true")
    assert CALLS == ["a"]
    assert json.loads((run / "a" / "out.txt").read_text())["min_chars"] == 7


def test_a_field_outside_the_declared_fields_changes_nothing(run):
    _run(run, [A], "langid.keep=[ru]")  # A does not read langid
    _run(run, [C, D], "langid.min_score=0.9")  # C reads only langid.keep
    assert CALLS == []


def test_children_of_a_rebuilt_parent_are_refused_not_skipped(run):
    """A parent rebuilt from another config changes every descendant's fingerprint."""
    _run(run, [A], "length.min_chars=7", "run.force=true")
    with pytest.raises(StageConflictError, match=r"/d was finished from a different config"):
        _run(run, [C, D], "length.min_chars=7")
    _run(run, [C, D], "length.min_chars=7", "run.force=true")
    assert CALLS == ["c", "d"]  # the cache too: its parent changed


def test_a_parent_rebuilt_from_the_same_config_makes_its_children_stale(run):
    before = _success(run, "d")
    _run(run, [A], "run.force=true")  # same fingerprint, new build
    assert _success(run, "a")["build"] != before["parents"]["a"]
    _run(run, [C, D])  # no --force needed: same config, new input
    assert CALLS == ["c", "d"]
    assert _success(run, "d")["parents"] == {"a": _success(run, "a")["build"]}


def test_caches_survive_force_and_a_deleted_cache_is_not_rebuilt_for_a_finished_dataset(run):
    _run(run, [C, D], "run.force=true")
    assert CALLS == ["d"]  # the cache's fingerprint matched: reused
    (run / "c" / "_SUCCESS").unlink()
    _run(run, [C, D])
    assert CALLS == []  # d is finished from the same inputs: c is not needed
    _run(run, [C, D], "exact_dedup.scope=global", "run.force=true")  # d rebuilt: c is needed
    assert CALLS == ["c", "d"]


def test_a_changed_cache_is_rebuilt_silently_but_its_dataset_is_refused(run):
    with pytest.raises(StageConflictError):
        _run(run, [C, D], "langid.keep=[ru]")
    assert CALLS == []
    _run(run, [C, D], "langid.keep=[ru]", "run.force=true")
    assert CALLS == ["c", "d"]


def test_missing_parent_is_a_clear_error(tmp_path):
    with pytest.raises(MissingStageError, match=r"/a is not finished .*c needs it"):
        _run(tmp_path / "empty", [C])


def test_a_dataset_that_loses_rows_is_not_committed(tmp_path):
    def lossy(ctx: Build) -> dict:
        return {"rows_in": 3, "rows_out": 1, "removed": {"x": 1}, "per_domain": {}}

    with pytest.raises(ConservationError, match="rows_in 3 != 1 out \\+ 1 removed"):
        _run(tmp_path / "r", [Stage("lossy", lossy, kind="dataset")])
    assert not (tmp_path / "r" / "lossy").exists()


def test_a_field_added_to_a_declared_section_enters_the_fingerprint_by_itself():
    """No list to update: a new result field changes the fingerprint, a new tuning one does not."""
    cfg = _cfg()
    extended = dataclasses.make_dataclass(
        "LengthConfigPlus",
        [("new_rule", int, dataclasses.field(default=1)), ("new_speed", int, tuning(4))],
        bases=(LengthConfig,),
        frozen=True,
    )
    throwaway = Stage("throwaway", _write, reads=("length",))
    fp = {
        (rule, speed): fingerprint_of(
            throwaway,
            dataclasses.replace(cfg, length=extended(new_rule=rule, new_speed=speed)),
            {},
        )
        for rule in (1, 2)
        for speed in (4, 8)
    }
    assert fp[(1, 4)] != fp[(2, 4)]
    assert fp[(1, 4)] == fp[(1, 8)] and fp[(2, 4)] == fp[(2, 8)]
    assert fp[(1, 4)] != fingerprint_of(throwaway, cfg, {})


def test_a_section_switched_off_is_only_its_switch_in_the_fingerprint():
    """Fuzzy dedup off (the reference preset): its other fields, and a field a later version adds
    to it, change nothing; switched on, each of them changes the fingerprint."""
    from curation.config import FuzzyDedupConfig

    cfg = _cfg()
    reader = Stage("reader", _write, reads=("fuzzy_dedup",))
    plus = dataclasses.make_dataclass(
        "FuzzyPlus", [("new_rule", int, dataclasses.field(default=1))], bases=(FuzzyDedupConfig,),
        frozen=True,
    )  # fmt: skip

    def fp(**fields) -> str:
        return fingerprint_of(reader, dataclasses.replace(cfg, fuzzy_dedup=plus(**fields)), {})

    assert reader.config_values(cfg) == {"fuzzy_dedup": {"enabled": False}}
    off = fp(enabled=False)
    assert off == fp(enabled=False, threshold=0.5) == fp(enabled=False, new_rule=2)
    assert off == fingerprint_of(reader, cfg, {})
    on = fp(enabled=True)
    assert len({off, on, fp(enabled=True, threshold=0.5), fp(enabled=True, new_rule=2)}) == 4


def test_declared_single_fields_and_exclusions():
    cfg = _cfg()
    only = Stage("s", _write, reads=(Reads("hdbscan", only=("eps",)),))
    without = Stage("s", _write, reads=(Reads("hdbscan", without=("eps",)),))
    assert only.config_values(cfg) == {"hdbscan": {"eps": cfg.hdbscan.eps}}
    assert "eps" not in without.config_values(cfg)["hdbscan"]
    assert "device" not in without.config_values(cfg)["hdbscan"]  # a tuning field
    assert "min_cluster_size" in without.config_values(cfg)["hdbscan"]
    with pytest.raises(ValueError, match="unknown field"):
        Stage("s", _write, reads=("hdbscan.nope",)).config_values(cfg)


def test_resumable_stage_keeps_its_finished_parts_after_a_crash(tmp_path):
    attempts = []

    def parts(ctx: Build) -> dict:
        out = local_path(ctx.out)
        for i in range(3):
            part = out / f"part-{i}"
            if part.is_file():
                continue
            if i == 2 and not attempts:
                attempts.append("crashed")
                raise RuntimeError("killed")
            part.write_text(ctx.fingerprint)
        attempts.append("done")
        return {"parts": 3}

    stage = Stage("parts", parts, resumable=True)
    with pytest.raises(RuntimeError, match="killed"):
        _run(tmp_path / "r", [stage])
    assert not (tmp_path / "r" / "parts" / "_SUCCESS").exists()
    first = (tmp_path / "r" / "parts" / "part-0").stat().st_mtime_ns
    _run(tmp_path / "r", [stage])
    assert (tmp_path / "r" / "parts" / "part-0").stat().st_mtime_ns == first  # kept
    assert (tmp_path / "r" / "parts" / "part-2").is_file() and attempts == ["crashed", "done"]
    assert (
        _success(tmp_path / "r", "parts")["fingerprint"]
        == json.loads((tmp_path / "r" / "parts" / "_MANIFEST.json").read_text())["fingerprint"]
    )


def test_a_second_job_on_the_same_run_folder_fails_with_the_owner(tmp_path):
    storage = LocalStorage()
    run = str(tmp_path / "r")
    with RunLock(storage, run, job="dataset-2"):
        holder = json.loads((tmp_path / "r" / LOCK).read_text())
        assert holder["pid"] == os.getpid() and holder["job"] == "dataset-2"
        code = (
            "import sys; from curation.run_lock import RunLock; "
            "from curation.storage import LocalStorage\n"
            f"with RunLock(LocalStorage(), {run!r}, job='other'): pass"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode != 0
        assert f"run folder {run} is in use by PID {os.getpid()}" in done.stderr
        assert "job dataset-2" in done.stderr
    assert not (tmp_path / "r" / LOCK).exists()  # released


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True)  # fmt: skip
    lock = tmp_path / "r" / LOCK
    lock.parent.mkdir(parents=True)
    holder = {"host": os.uname().nodename, "pid": int(dead.stdout), "job": "x", "heartbeat": 0}
    lock.write_text(json.dumps(holder))
    _run(tmp_path / "r", [A])
    assert CALLS == ["a"] and not lock.exists()


def test_stage_runs_under_the_lock(tmp_path):
    seen = []

    def check(ctx: Build) -> dict:
        seen.append(json.loads((Path(local_path(ctx.run)) / LOCK).read_text())["job"])
        return {}

    _run(tmp_path / "r", [Stage("x", check), Stage("y", check, parents=("x",))])
    assert seen == ["x,y", "x,y"]
    with RunLock(LocalStorage(), str(tmp_path / "r"), "outer"):  # a job running stages itself
        _run(tmp_path / "r", [Stage("z", check)])
    assert seen[-1] == "outer" and not (tmp_path / "r" / LOCK).exists()


E = Stage("e", _write, kind="dataset", parents=("d",), reads=())
"""A stage whose only parent (d) derives from a: a stage two steps below a."""


def test_a_parent_outside_the_job_derived_from_a_rebuilt_stage_is_refused(run):
    """Issue 16 item 3, all the way down: e's own parent d is unchanged, but d was built from
    an a that has been rebuilt since; e is refused naming both, not skipped, until d is rebuilt."""
    _run(run, [E])
    _run(run, [A], "run.force=true")  # the same fingerprint, a new build of a
    assert CALLS == ["a"]
    with pytest.raises(StageConflictError, match=r"/d is stale: a was rebuilt after it"):
        _run(run, [E])
    assert CALLS == []
    _run(run, [C, D])  # d (stale) is rebuilt without --force, then e follows
    assert CALLS == ["c", "d"]
    _run(run, [E])
    assert CALLS == ["e"]


def test_a_parent_copied_without_the_stages_it_derives_from_is_usable(run, tmp_path):
    """A dataset copied into another run folder on its own (tests, hand-made runs) has no
    recorded ancestor there to be stale against."""
    other = tmp_path / "other"
    other.mkdir()
    shutil.copytree(run / "d", other / "d")
    _run(other, [E])
    assert CALLS == ["e"]
