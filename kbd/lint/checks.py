"""The deterministic checks (no model), each registered with `registry.check`."""

from __future__ import annotations
