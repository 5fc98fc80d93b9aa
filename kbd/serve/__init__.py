"""`kbd serve`: a local search page over the vault (standard-library HTTP server, no framework).

Static assets (HTML, one script, one stylesheet) ship as package data in `static/`.
"""

from kbd.serve.server import DEFAULT_HOST, DEFAULT_PORT, SearchServer, is_loopback, make_server

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "SearchServer", "is_loopback", "make_server"]
