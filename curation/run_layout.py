"""The run folder (../shared/docs/run-layout.md) and the rule that makes stage outputs atomic.

A stage writes everything into ``<run>/_staging/<name>/``, then renames that folder to
``<run>/<name>/`` and writes ``_SUCCESS`` last. So a folder without ``_SUCCESS`` is never a result:
a killed job leaves either a staging folder (removed on the next run) or a final folder without
``_SUCCESS`` (also removed and redone). A *resumable* stage (the embeddings) writes its per-shard
outputs straight into its final folder, each atomically, and is finished the same way: manifest,
then ``_SUCCESS``.

``_SUCCESS`` holds the stage's fingerprint (what its result is a function of, derived by
:mod:`curation.runner`), its *build* stamp (new at every build, even from the same fingerprint:
a forced rebuild may name or order its files differently) and the build stamps of the stages it
was built from.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass

from curation.errors import CurationError
from curation.storage import Storage, join

log = logging.getLogger(__name__)

SUCCESS = "_SUCCESS"
MANIFEST = "_MANIFEST.json"
DATA = "data"
REMOVED = "removed"

DATASET_1 = "dataset-1"
DATASET_2 = "dataset-2"
DATASET_3 = "dataset-3"
EMBEDDINGS = "embeddings"
CLUSTERS = "clusters"
KMEANS = f"{CLUSTERS}/kmeans"
"""k-means centroids and assignments (Dataset-2)."""
KMEANS_SIMILARITY = f"{KMEANS}/similarity"
"""M and max_id of every Dataset-1 document inside its k-means cluster."""
HDBSCAN = f"{CLUSTERS}/hdbscan"
"""UMAP + HDBSCAN points and clusters (Dataset-3)."""
HDBSCAN_SIMILARITY = f"{HDBSCAN}/similarity"
"""M and max_id inside the HDBSCAN clusters."""
TOKENS = "tokens"
ANNOTATED = "_work/annotated"


class StageConflictError(CurationError, RuntimeError):
    """A finished stage exists in the run with a different config or input."""


@dataclass(frozen=True)
class StageDir:
    """One stage output folder of a run."""

    storage: Storage
    run: str  # run root URI
    name: str  # e.g. "dataset-1", "_work/annotated"

    @property
    def final(self) -> str:
        return join(self.run, self.name)

    @property
    def staging(self) -> str:
        return join(self.run, "_staging", self.name)

    def path(self, *parts: str) -> str:
        return join(self.final, *parts)

    def success(self) -> dict:
        """The content of ``_SUCCESS`` (fingerprint, build, parents); {} when unfinished."""
        marker = join(self.final, SUCCESS)
        if not self.storage.exists(marker):
            return {}
        return json.loads(self.storage.read_text(marker) or "{}")

    def is_finished(self) -> bool:
        return self.storage.exists(join(self.final, SUCCESS))

    def begin(self) -> str:
        """Clear leftovers (staging, unfinished or forced final folder); return the staging URI."""
        for leftover in (self.staging, self.final):
            if self.storage.exists(leftover):
                log.info("removing unfinished or replaced output %s", leftover)
                self.storage.delete(leftover)
        self.storage.mkdirs(self.staging)
        return self.staging

    def begin_in_place(self, force: bool = False) -> str:
        """Start a resumable build in the final folder: a finished one (being replaced) or a
        forced one is cleared, an unfinished one is kept for the build to resume; its final URI."""
        if self.storage.exists(self.staging):
            self.storage.delete(self.staging)
        if self.storage.exists(self.final) and (self.is_finished() or force):
            log.info("removing %s to recompute it", self.final)
            self.storage.delete(self.final)
        for name in (MANIFEST,):
            if self.storage.exists(join(self.final, name)):
                self.storage.delete(join(self.final, name))
        self.storage.mkdirs(self.final)
        return self.final

    def commit(
        self,
        manifest: dict,
        fingerprint: str,
        parents: dict[str, str] | None = None,
        in_place: bool = False,
    ) -> dict:
        """Write the manifest, move staging into place (unless the stage was built in place),
        then write ``_SUCCESS``; return the manifest."""
        manifest = {**manifest, "fingerprint": fingerprint}
        folder = self.final if in_place else self.staging
        self.storage.write_text(join(folder, MANIFEST), json.dumps(manifest, indent=2) + "\n")
        if not in_place:
            self.storage.rename(self.staging, self.final)
            self._remove_empty_staging()
        success = {
            "fingerprint": fingerprint,
            "build": uuid.uuid4().hex[:16],
            "parents": dict(sorted((parents or {}).items())),
        }
        self.storage.write_text(join(self.final, SUCCESS), json.dumps(success))
        log.info("%s finished", self.final)
        return manifest

    def _remove_empty_staging(self) -> None:
        """Remove the now-empty ``_staging/...`` parents of this stage's staging folder."""
        root = join(self.run, "_staging")
        folder = self.staging.rsplit("/", 1)[0]
        while folder.startswith(root) and self.storage.exists(folder):
            if self.storage.list_dir(folder):
                return
            self.storage.delete(folder)
            folder = folder.rsplit("/", 1)[0]

    def manifest(self) -> dict:
        return json.loads(self.storage.read_text(join(self.final, MANIFEST)))
