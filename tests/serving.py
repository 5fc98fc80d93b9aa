"""Helpers for the `kbd serve` tests: a running search server over a real vault, and a hostile note."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kbd.config import load_config
from kbd.serve import SearchServer, make_server


@contextmanager
def running_server(root: Path, host: str = "127.0.0.1", **options: Any) -> Iterator[SearchServer]:
    server = make_server(root, load_config(root), host=host, port=0, **options)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def get(server: SearchServer, path: str, *, method: str = "GET",
        headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), int(port), timeout=30)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def get_json(server: SearchServer, path: str) -> tuple[int, Any]:
    status, _, body = get(server, path)
    return status, json.loads(body)


class Beacon:
    """A loopback HTTP server that records every request: if a hostile note manages to load
    anything (an image, a script, a frame, a fetch), it shows up here."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            do_POST = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


MARKER = "document.body.dataset.pwned"


def hostile_clipping(beacon: str) -> str:
    """A clipped page that tries every way to run script or phone home when it is displayed."""
    return f"""---
title: "Zanzibar hostile page"
source: "https://example.org/zanzibar"
---
# Zanzibar hostile page

The zanzibar spice trade is the cover story; the rest of this page tries to run code.

<script>{MARKER} = "script"; fetch("{beacon}/script")</script>

<img src="{beacon}/img.png" onerror="{MARKER}='onerror'; fetch('{beacon}/onerror')">

<svg onload="{MARKER}='svg'"><circle r="5"/></svg>

<iframe src="{beacon}/frame"></iframe>

<style>body {{ background: url({beacon}/css.png) }}</style>

Click [this zanzibar link](javascript:{MARKER}='js-link';fetch('{beacon}/js-link')) to continue.

<a href="javascript:{MARKER}='raw-link'">a raw HTML link</a> and <b onmouseover="{MARKER}='hover'">hover me</b>.

![tracking pixel]({beacon}/pixel.png)

[data link](data:text/html,<script>alert(1)</script>)

```dataviewjs
dv.paragraph("{MARKER}")
```
"""
