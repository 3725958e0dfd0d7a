"""Counting in one place: a stage's manifest from its (domain, stage, reason) counts.

Every stage reports the same shape (run-layout.md): ``rows_in``, ``rows_out``, ``removed``
(per reason), ``removed_by_stage``, and the same per domain, with ``rows_in == rows_out +
sum(removed)`` overall and per domain. :func:`check_conservation` verifies it and every stage calls
it before committing, so a stage that loses rows fails instead of writing a wrong result.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from curation import __version__


@dataclass(frozen=True)
class Count:
    """``n`` rows of ``domain`` (the per-domain key) that ended as ``stage``/``reason``.

    ``stage`` None = kept, then ``out_domain`` is the domain the rows were written under.
    """

    domain: str
    out_domain: str
    stage: str | None
    reason: str | None
    n: int


class ConservationError(AssertionError):
    """rows_in != rows_out + removed somewhere: a stage lost or invented rows."""


def _bucket() -> dict[str, Any]:
    return {"rows_in": 0, "rows_out": 0, "removed": {}, "removed_by_stage": {}, "outputs": {}}


def _add(bucket: dict[str, Any], c: Count) -> None:
    bucket["rows_in"] += c.n
    if c.stage is None:
        bucket["rows_out"] += c.n
        bucket["outputs"][c.out_domain] = bucket["outputs"].get(c.out_domain, 0) + c.n
    else:
        bucket["removed"][c.reason] = bucket["removed"].get(c.reason, 0) + c.n
        bucket["removed_by_stage"][c.stage] = bucket["removed_by_stage"].get(c.stage, 0) + c.n


def _sorted(bucket: dict[str, Any]) -> dict[str, Any]:
    return {k: dict(sorted(v.items())) if isinstance(v, dict) else v for k, v in bucket.items()}


def build_manifest(counts: Iterable[Count], *, stage: str, **extra: Any) -> dict[str, Any]:
    """The manifest of ``stage`` from its counts; ``extra`` keys (config, inputs ...) are added."""
    total = _bucket()
    per_domain: dict[str, dict[str, Any]] = {}
    for c in counts:
        _add(total, c)
        _add(per_domain.setdefault(c.domain, _bucket()), c)
    return _finish(stage, total, per_domain, extra)


def by_output_domain(counts: Iterable[Count]) -> dict[str, dict[str, Any]]:
    """The same counts keyed by the domain rows ended in (routed, or the source domain for rows
    removed before routing), each conserving rows_in = rows_out + removed."""
    out: dict[str, dict[str, Any]] = {}
    for c in counts:
        _add(out.setdefault(c.out_domain, _bucket()), c)
    return {d: _sorted(b) for d, b in sorted(out.items())}


def _finish(stage: str, total: dict, per_domain: dict, extra: dict) -> dict[str, Any]:
    manifest = {
        "stage": stage,
        "code_version": __version__,
        **_sorted(total),
        "per_domain": {d: _sorted(b) for d, b in sorted(per_domain.items())},
        **extra,
    }
    check_conservation(manifest)
    return manifest


def check_conservation(manifest: dict[str, Any]) -> None:
    """Raise :class:`ConservationError` unless rows_in = rows_out + removed everywhere."""
    problems = []
    scopes = [("overall", manifest)] + list(manifest.get("per_domain", {}).items())
    for name, b in scopes:
        removed = sum(b["removed"].values())
        if b["rows_in"] != b["rows_out"] + removed:
            problems.append(
                f"{name}: rows_in {b['rows_in']} != {b['rows_out']} out + {removed} removed"
            )
    per_domain_in = sum(b["rows_in"] for b in manifest.get("per_domain", {}).values())
    if manifest.get("per_domain") and per_domain_in != manifest["rows_in"]:
        problems.append(f"per-domain rows_in sum {per_domain_in} != overall {manifest['rows_in']}")
    if problems:
        raise ConservationError("; ".join(problems))
