"""Stage 3: the length filter: documents shorter than ``min_chars`` Unicode characters go."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from curation import schema as S
from curation.config import LengthConfig

REASON_SHORT = "too_short"


def add_length(table: pa.Table) -> pa.Table:
    """Set ``n_chars``: the text's length in code points (not bytes); null text -> null."""
    n = pc.utf8_length(table.column(S.TEXT)).cast(pa.int64())
    idx = table.schema.get_field_index(S.N_CHARS)
    if idx >= 0:
        return table.set_column(idx, S.N_CHARS, n)
    return table.append_column(S.N_CHARS, n)


def too_short(table: pa.Table, cfg: LengthConfig) -> pa.Array:
    """Boolean per row: removed by the length filter (null length -> false)."""
    return pc.fill_null(pc.less(table.column(S.N_CHARS), cfg.min_chars), False)
