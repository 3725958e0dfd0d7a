"""On-disk formats written and read by several stages."""
