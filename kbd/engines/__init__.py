"""Engines turn typed inputs into typed results and never touch files.

Features get their engine from `make_engine`; none imports a concrete engine.
"""

from __future__ import annotations

from kbd.config import Config
from kbd.engines.base import Engine


def make_engine(config: Config) -> Engine:
    """The engine the config asks for. With no `models:` section that is the offline engine."""
    from kbd.engines.offline import OfflineEngine

    return OfflineEngine(max_concepts=config.compile.max_concepts_per_source)
