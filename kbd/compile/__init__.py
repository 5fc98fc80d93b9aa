"""The compile pipeline: scan raw notes, ingest what changed, reconcile concepts, render, write."""
