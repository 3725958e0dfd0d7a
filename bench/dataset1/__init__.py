"""``make bench-dataset1``: the Dataset-1 job against a plain Python loop and datatrove.

Modules: :mod:`.inputs` (the replicated corpus), :mod:`.plain_loop` (a), :mod:`.datatrove_peer`
(b, in its own venv), :mod:`.spark_job` (c, with the event log and /proc CPU), :mod:`.report`
(medians, ratios, phases, fit, agreement) and ``__main__`` (the run; it fails when the sides do
not agree on the kept documents).
"""
