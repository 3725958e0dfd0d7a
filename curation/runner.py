"""Every stage a declared object, and the one runner that builds, skips or refuses it.

A :class:`Stage` says what its output is a function of - its parent stages, the config it reads
(whole sections, or single fields), a code version, and, where the config cannot say it, inputs
found at run time (the input files of Dataset-1, a tokenizer file's hash, the backend a device
resolves to) - and how to build it. From that declaration alone the runner derives the stage's
*fingerprint*:

    sha256(name, version, the parents' fingerprints, every result field of the declared config,
           the run-time inputs)

Fields declared with :func:`curation.config.tuning` (batch sizes, worker counts, devices whose
results are defined to be equal, sample sizes of inspection outputs) never enter it; every other
field of a declared section does - a field added to a section later enters it without any other
edit, so a forgotten field cannot reuse a stale result.

For each stage of a job, :func:`run` (in order):

1. checks the parents are finished, and that a parent outside the job is not stale itself (a
   stage it derives from, directly or further up, rebuilt after it: refused, naming both);
2. derives the fingerprint (the whole job's chain first, before anything is built);
3. *skips* a stage finished with the same fingerprint from the same parent builds, *refuses*
   (:class:`~curation.run_layout.StageConflictError`) one finished with another fingerprint unless
   ``run.force`` - before building anything - and *rebuilds* it otherwise. ``cache`` stages (the
   steps before a dataset: clusters, similarities, annotations) are reused whenever their
   fingerprint matches, even with ``run.force``, and rebuilt silently when it does not;
4. builds into ``<run>/_staging/<name>`` (or, for a ``resumable`` stage, into its final folder,
   where its per-shard outputs survive a killed job), checks conservation when the stage is a
   dataset, and commits: manifest, rename, ``_SUCCESS`` last (:class:`~curation.run_layout.StageDir`).

``_SUCCESS`` records the fingerprint, a *build* stamp (unique per build) and the
parents' build stamps. A stage whose parents were rebuilt since (same fingerprint, other files: a
forced rebuild) is stale and is rebuilt without ``--force``.

The whole job holds the run folder's lock (:mod:`curation.run_lock`): a second job on the same
run folder fails at once with "run folder in use by PID on HOST".
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from curation.config import PipelineConfig, result_values
from curation.errors import CurationError
from curation.manifest import check_conservation
from curation.run_layout import SUCCESS, StageConflictError, StageDir
from curation.run_lock import RunLock
from curation.storage import Storage, join

log = logging.getLogger(__name__)

Kind = Literal["dataset", "output", "cache"]


class MissingStageError(CurationError, RuntimeError):
    """A stage needs an earlier one that is not finished."""


@dataclass(frozen=True)
class Reads:
    """Config a stage reads: a whole section, only some of its fields, or all but some."""

    section: str
    only: tuple[str, ...] = ()
    without: tuple[str, ...] = ()

    @classmethod
    def parse(cls, spec: str | Reads) -> Reads:
        """``"kmeans"`` (the section), ``"hdbscan.eps"`` (one field) or a :class:`Reads`."""
        if isinstance(spec, Reads):
            return spec
        section, _, name = spec.partition(".")
        return cls(section, (name,) if name else ())

    def values(self, cfg: PipelineConfig) -> dict[str, Any]:
        """The result fields of the section that this declaration covers."""
        section = getattr(cfg, self.section)
        values = result_values(section)
        names = [f.name for f in dataclasses.fields(section)]
        unknown = [n for n in self.only + self.without if n not in names]
        if unknown:
            raise ValueError(f"stage reads unknown field(s) {unknown} of section {self.section!r}")
        if self.only:
            values = {k: v for k, v in values.items() if k in self.only}
        return {k: v for k, v in values.items() if k not in self.without}


@dataclass
class Build:
    """What a stage's build function gets: where to write, and everything it may read."""

    stage: Stage
    run: str  # the run folder URI
    cfg: PipelineConfig
    storage: Storage
    fingerprint: str
    out: str  # URI to write into: the staging folder, or the final one when resumable
    spark: Any = None  # a SparkSession when the job runs on Spark
    extra: dict[str, Any] = field(default_factory=dict)  # job arguments (e.g. the input folder)

    def path(self, *parts: str) -> str:
        """A path inside the output folder."""
        return join(self.out, *parts)

    def parent(self, name: str) -> StageDir:
        """The finished parent stage ``name``."""
        return StageDir(self.storage, self.run, name)


@dataclass(frozen=True)
class Stage:
    """One output folder of a run, and what it is a function of.

    ``check(build_context)`` raises an expected error when the stage cannot be built from this
    config and these parents (called first, before anything is decided or built);
    ``inputs(build_context)`` returns JSON-able facts found at run time that shape the result and
    that no config field states (also called before the build, with ``out`` unset); ``build``
    writes the output and returns the manifest (without ``fingerprint``: the runner adds it)."""

    name: str
    build: Callable[[Build], dict]
    kind: Kind = "output"
    parents: tuple[str, ...] = ()
    reads: tuple[str | Reads, ...] = ()
    version: int = 1
    inputs: Callable[[Build], Any] | None = None
    check: Callable[[Build], None] | None = None
    resumable: bool = False
    description: str = ""

    def config_values(self, cfg: PipelineConfig) -> dict[str, dict[str, Any]]:
        """Every result field this stage declares it reads, by section."""
        out: dict[str, dict[str, Any]] = {}
        for spec in self.reads:
            r = Reads.parse(spec)
            out.setdefault(r.section, {}).update(r.values(cfg))
        return {k: out[k] for k in sorted(out)}


def fingerprint_of(
    stage: Stage, cfg: PipelineConfig, parents: dict[str, str], inputs: Any = None
) -> str:
    """The stage's fingerprint from its declaration, its parents' fingerprints and run-time inputs."""
    blob = {
        "stage": stage.name,
        "version": stage.version,
        "parents": {p: parents[p] for p in stage.parents},
        "config": stage.config_values(cfg),
        "inputs": inputs,
    }
    text = json.dumps(_plain(blob), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# --- the runner -------------------------------------------------------------------------------------


@dataclass
class _Plan:
    stage: Stage
    dir: StageDir
    fingerprint: str
    state: str  # absent | different | done: the stage's own _SUCCESS against its fingerprint
    anchors: dict[str, str | None]  # builds of the non-cache stages it derives from (None: rebuilt)
    stale: bool  # done, but the stages it derives from were rebuilt since
    rebuild: bool = False


def _success(storage: Storage, run: str, name: str) -> dict:
    return StageDir(storage, run, name).success()


def _stale_source(
    storage: Storage, run: str, name: str, done: dict, seen: set[str] | None = None
) -> str | None:
    """The first stage that ``name`` (finished, not in this job; ``done`` its ``_SUCCESS``)
    derives from and that was rebuilt after ``name`` was built - directly or further up - or None
    when ``name`` is current (a stage it derives from that is not in the run folder at all does
    not count)."""
    seen = set() if seen is None else seen
    if name in seen:
        return None
    seen.add(name)
    for anchor, build in (done.get("parents") or {}).items():
        now = _success(storage, run, anchor)
        if not now:  # not in this run folder (a dataset copied on its own): nothing to compare
            continue
        if now.get("build", "") != build:
            return anchor
        upstream = _stale_source(storage, run, anchor, now, seen)
        if upstream is not None:
            return upstream
    return None


def plan(
    stages: Sequence[Stage],
    run: str,
    cfg: PipelineConfig,
    storage: Storage,
    *,
    spark: Any = None,
    extra: dict[str, Any] | None = None,
) -> list[_Plan]:
    """Fingerprint, state and decision of every stage of a job (nothing is built).

    A stage records in ``_SUCCESS`` the builds of the non-cache stages it derives from (its
    *anchors*: a non-cache parent, or the anchors of a cache parent). A non-cache stage is rebuilt
    when it is absent, of another fingerprint, forced, or when an anchor's build changed; a cache
    only when a stage rebuilt in this job needs it and it is absent, of another fingerprint or
    stale - so a deleted cache under a finished dataset is not rebuilt for nothing."""
    in_job = {s.name: s for s in stages}
    plans: dict[str, _Plan] = {}
    for stage in stages:
        parent_fps: dict[str, str] = {}
        anchors: dict[str, str | None] = {}
        for p in stage.parents:
            if p in plans:
                parent_fps[p] = plans[p].fingerprint
                if in_job[p].kind == "cache":
                    anchors.update(plans[p].anchors)
                else:
                    anchors[p] = None if plans[p].rebuild else plans[p].dir.success().get("build")
                continue
            done = _success(storage, run, p)
            if not done:
                raise MissingStageError(
                    f"{join(run, p)} is not finished (no {SUCCESS}): {stage.name} needs it; "
                    "run its job first"
                )
            rebuilt = _stale_source(storage, run, p, done)
            if rebuilt is not None:
                raise StageConflictError(
                    f"{join(run, p)} is stale: {rebuilt} was rebuilt after it; rerun the job of "
                    f"{p} first (it asks for --force), or use a new run folder"
                )
            parent_fps[p] = done.get("fingerprint", "")
            anchors[p] = done.get("build", "")
        ctx = Build(stage, run, cfg, storage, "", "", spark, dict(extra or {}))
        if stage.check is not None:
            stage.check(ctx)
        inputs = stage.inputs(ctx) if stage.inputs is not None else None
        fp = fingerprint_of(stage, cfg, parent_fps, inputs)
        sdir = StageDir(storage, run, stage.name)
        done = sdir.success()
        state = "absent" if not done else "done" if done.get("fingerprint") == fp else "different"
        stale = state == "done" and (
            None in anchors.values() or done.get("parents") != dict(sorted(anchors.items()))
        )
        p = _Plan(stage, sdir, fp, state, anchors, stale)
        if stage.kind != "cache":
            p.rebuild = state != "done" or stale or cfg.run.force
        plans[stage.name] = p
    for stage in reversed(stages):  # caches: only where a rebuilt stage of the job needs them
        p = plans[stage.name]
        if stage.kind == "cache":
            needed = any(plans[c.name].rebuild for c in stages if stage.name in c.parents)
            p.rebuild = needed and (p.state != "done" or p.stale)
    return [plans[s.name] for s in stages]


def run(
    stages: Sequence[Stage],
    run_uri: str,
    cfg: PipelineConfig,
    storage: Storage,
    *,
    spark: Any = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, dict]:
    """Build the job's ``stages`` (in order) as the rules of this module say; return the
    manifest of every non-cache stage (and of every cache that was built or exists) by name."""
    with RunLock(storage, run_uri, job=",".join(s.name for s in stages)):
        plans = plan(stages, run_uri, cfg, storage, spark=spark, extra=extra)
        for p in plans:
            if p.state == "different" and p.stage.kind != "cache" and not cfg.run.force:
                raise StageConflictError(
                    f"{p.dir.final} was finished from a different config or input; use a new "
                    "run folder, or --force (run.force=true) to recompute it"
                )
        manifests: dict[str, dict] = {}
        builds: dict[str, str] = {}
        for p in plans:
            if not p.rebuild:
                if p.state == "done":
                    if p.stage.kind == "cache" and any(q.rebuild for q in plans):
                        log.info("reusing %s (fingerprint %s)", p.dir.final, p.fingerprint)
                    else:
                        log.info("%s is finished (fingerprint %s): skipped", p.dir.final,
                                 p.fingerprint)  # fmt: skip
                    manifests[p.stage.name] = p.dir.manifest()
                    builds[p.stage.name] = p.dir.success().get("build", "")
                continue
            if p.stale:
                log.info("%s: the stages it derives from were rebuilt: building it again",
                         p.dir.final)  # fmt: skip
            anchors = _resolve(p, plans, builds)
            manifests[p.stage.name] = _build(p, run_uri, cfg, storage, spark, extra, anchors)
            builds[p.stage.name] = p.dir.success()["build"]
        return manifests


def _resolve(p: _Plan, plans: list[_Plan], builds: dict[str, str]) -> dict[str, str]:
    """The anchors' builds as they are now (stages rebuilt in this job included)."""
    by_name = {q.stage.name: q for q in plans}
    out: dict[str, str] = {}
    for parent in p.stage.parents:
        q = by_name.get(parent)
        if q is None:
            out[parent] = p.anchors[parent] or ""
        elif q.stage.kind == "cache":
            out.update(_resolve(q, plans, builds))
        else:
            out[parent] = builds.get(parent) or q.dir.success().get("build", "")
    return dict(sorted(out.items()))


def _build(
    p: _Plan,
    run_uri: str,
    cfg: PipelineConfig,
    storage: Storage,
    spark: Any,
    extra: dict[str, Any] | None,
    anchors: dict[str, str],
) -> dict:
    stage = p.stage
    out = p.dir.begin_in_place(force=cfg.run.force) if stage.resumable else p.dir.begin()
    ctx = Build(stage, run_uri, cfg, storage, p.fingerprint, out, spark, dict(extra or {}))
    log.info("%s: building (fingerprint %s)", p.dir.final, p.fingerprint)
    manifest = stage.build(ctx)
    if stage.kind == "dataset":
        check_conservation(manifest)
    manifest.setdefault("config", _declared_sections(stage, cfg))
    return p.dir.commit(manifest, p.fingerprint, parents=anchors, in_place=stage.resumable)


def _declared_sections(stage: Stage, cfg: PipelineConfig) -> dict[str, Any]:
    """Every field (tuning ones too) of the config sections a stage declares it reads."""
    sections = sorted({Reads.parse(r).section for r in stage.reads})
    return {s: _plain(dataclasses.asdict(getattr(cfg, s))) for s in sections}
