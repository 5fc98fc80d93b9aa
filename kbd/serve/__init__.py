"""`kbd serve`: a local search page over the vault (standard-library HTTP server, no framework).

Static assets (HTML, one script, one stylesheet) ship as package data in `static/`.
Public: `make_server` → `SearchServer`, `is_loopback`, `DEFAULT_HOST`, `DEFAULT_PORT`; they load on
first use (PEP 562), so the CLI's parser does not load the server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kbd.serve.server import DEFAULT_HOST, DEFAULT_PORT, SearchServer, is_loopback, make_server

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "SearchServer", "is_loopback", "make_server"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'kbd.serve' has no attribute {name!r}")
    value = getattr(importlib.import_module("kbd.serve.server"), name)
    globals()[name] = value
    return value
