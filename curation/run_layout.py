"""The run folder (../shared/docs/run-layout.md) and the rule that makes stage outputs atomic.

A stage writes everything into ``<run>/_staging/<name>/``, then renames that folder to
``<run>/<name>/`` and writes ``_SUCCESS`` last. So a folder without ``_SUCCESS`` is never a result:
a killed job leaves either a staging folder (removed on the next run) or a final folder without
``_SUCCESS`` (also removed and redone). ``_SUCCESS`` holds the stage's fingerprint - a hash of its
config and input - so a rerun skips a finished stage only when nothing that shapes it changed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from enum import Enum

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


class StageState(Enum):
    ABSENT = "absent"  # nothing finished here
    DONE = "done"  # finished with the same fingerprint
    DIFFERENT = "different"  # finished, but from another config or input


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

    def state(self, fingerprint: str) -> StageState:
        marker = join(self.final, SUCCESS)
        if not self.storage.exists(marker):
            return StageState.ABSENT
        done = json.loads(self.storage.read_text(marker) or "{}").get("fingerprint")
        return StageState.DONE if done == fingerprint else StageState.DIFFERENT

    def is_finished(self) -> bool:
        return self.storage.exists(join(self.final, SUCCESS))

    def should_run(self, fingerprint: str, force: bool) -> bool:
        """False when a finished result with this fingerprint exists (and not forced)."""
        state = self.state(fingerprint)
        if state is StageState.DONE and not force:
            log.info("%s is finished (fingerprint %s): skipped", self.final, fingerprint)
            return False
        if state is StageState.DIFFERENT and not force:
            raise StageConflictError(
                f"{self.final} was finished from a different config or input; use a new run "
                "folder, or --force (run.force=true) to recompute it"
            )
        return True

    def begin(self) -> str:
        """Clear leftovers (staging, unfinished or forced final folder); return the staging URI."""
        for leftover in (self.staging, self.final):
            if self.storage.exists(leftover):
                log.info("removing unfinished or replaced output %s", leftover)
                self.storage.delete(leftover)
        self.storage.mkdirs(self.staging)
        return self.staging

    def commit(self, manifest: dict, fingerprint: str) -> dict:
        """Write the manifest, move staging into place, then write ``_SUCCESS``; return it."""
        manifest = {**manifest, "fingerprint": fingerprint}
        self.storage.write_text(join(self.staging, MANIFEST), json.dumps(manifest, indent=2) + "\n")
        self.storage.rename(self.staging, self.final)
        self.storage.write_text(join(self.final, SUCCESS), json.dumps({"fingerprint": fingerprint}))
        self._remove_empty_staging()
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
