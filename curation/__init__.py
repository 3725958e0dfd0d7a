"""curation: turn raw web, wiki, paper, math and code dumps into deduplicated, token-ready data."""

__version__ = "0.1.0"
