"""What a ticked checkbox does: one applier per fix kind, registered with `registry.fixer`."""

from __future__ import annotations
