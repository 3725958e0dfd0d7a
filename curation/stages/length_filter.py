"""Stage 3: the length filter: documents shorter than ``min_chars`` Unicode characters go."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from curation import schema as S
from curation.config import LengthConfig

REASON_SHORT = "too_short"


def too_short(table: pa.Table, cfg: LengthConfig) -> pa.Array:
    """Boolean per row: removed by the length filter (null length -> false)."""
    return pc.fill_null(pc.less(table.column(S.N_CHARS), cfg.min_chars), False)
