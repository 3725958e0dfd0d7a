"""Looking up the stored embeddings of given documents (in-process engine)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation import schema as S
from curation.formats import embeddings as E
from curation.runner import MissingStageError


def vectors_of_ids(run: str, ids: pa.Array | pa.ChunkedArray, domains: list[str] | None = None):
    """float32 ``(len(ids), dim)`` embeddings of ``ids``, in their order. Reads the shards of
    ``domains`` when given (all of a domain's rows), else only the rows of ``ids``."""
    if domains is not None:
        where = pc.field(S.DOMAIN).isin(pa.array(domains, pa.string()))
    else:
        where = pc.field(S.ID).isin(ids)
    emb = E.read_embeddings(run, [S.ID, E.EMBEDDING], where=where)
    at = pc.index_in(ids, value_set=emb.column(S.ID))
    if at.null_count:
        raise MissingStageError(
            f"{run}: documents without an embedding (the embeddings are of another Dataset-1?)"
        )
    return E.vectors_of(emb.column(E.EMBEDDING))[np.asarray(at)]
