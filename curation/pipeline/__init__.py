"""Stage drivers: what runs a stage over a whole run folder (locally or on Spark)."""
