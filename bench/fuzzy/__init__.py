"""``make bench-fuzzy``: fuzzy dedup (issue 14) against datatrove 0.10.1's MinHash steps and a
single-process MinHash-library loop, on the same input in the same run (see bench/README.md)."""
