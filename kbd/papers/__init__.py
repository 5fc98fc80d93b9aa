"""PDF papers in the raw folder: text extraction in a capped worker process, reading order, metadata."""
