"""The embedded demo corpus: generated text so the pipeline runs with no input data."""
