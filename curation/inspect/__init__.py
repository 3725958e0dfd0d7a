"""Read-only views of a finished run: ``curation stats``, ``explain``, ``report`` and the notebooks.

Everything here reads the files a run leaves on disk (../shared/docs/run-layout.md) and nothing
else: no embedding is recomputed, no text is loaded in bulk. Large tables are aggregated batch by
batch with pyarrow, scatter plots use a sample, and single documents are found by id with
row-group pruning (:mod:`curation.inspect.lookup`).
"""
