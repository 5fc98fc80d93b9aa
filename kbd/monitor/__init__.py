"""Web monitors: fetch a page safely (fetch.py), take its main text (extract.py), compare it with
the last snapshot (diff.py), and report or ingest what changed (check.py)."""
