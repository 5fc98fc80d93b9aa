"""`kbd serve`: the local search page, on the standard library's threading HTTP server.

Routes (GET and HEAD only):
  /                      the search page (static HTML; its script and style are static files too)
  /static/app.js|style.css
  /api/search?q=&type=&limit=   the `kbd search --json` schema
  /api/note?path=  or  ?ref=    one note rendered to inert HTML (path: vault path; ref: a link target)
  /status                wiki/reports/Status.md, rendered

Every response, the standard library's own error pages included (400, 414, 431, 501, 505),
carries a strict Content-Security-Policy (scripts and styles from this server only, nothing
remote, no framing), `X-Content-Type-Options: nosniff` and no referrer. A connection that sends
nothing for IDLE_SECONDS is closed, so idle sockets cannot hold the server's threads. The server
binds to 127.0.0.1 unless told otherwise, and then answers only requests addressed to a loopback
name, so a web page the browser visits cannot reach it through DNS rebinding.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from kbd.config import Config
from kbd.search import NOTE_TYPES, IndexUnavailable, QueryError, ensure_index, release_build, reserve_build
from kbd.serve.notes import TooLong, check_length, find_note, note_title_and_type, note_uri, search_notes
from kbd.serve.render import page, render_note
from kbd.vault.layout import VaultLayout
from kbd.vault.read import NoteRefused, read_note_text

log = logging.getLogger("kbd.serve")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
MAX_LIMIT = 50
REFRESH_SECONDS = 5.0
IDLE_SECONDS = 30.0  # a connection silent this long (no request line, no header, no body) is closed
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
                                "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
                                "frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
_STATIC = {"index.html": "text/html; charset=utf-8", "app.js": "text/javascript; charset=utf-8",
           "style.css": "text/css; charset=utf-8"}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Site:
    """What every request needs: the vault, its config and the static files (read once)."""

    root: Path
    config: Config
    static: dict[str, bytes]

    @classmethod
    def load(cls, root: Path, config: Config) -> Site:
        folder = resources.files("kbd.serve") / "static"
        return cls(root=root, config=config, static={name: (folder / name).read_bytes() for name in _STATIC})

    @property
    def layout(self) -> VaultLayout:
        return VaultLayout.from_config(self.root, self.config)


class SearchServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: Site, host: str, port: int, idle_seconds: float = IDLE_SECONDS) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.site = site
        self.idle_seconds = idle_seconds
        self.check_host = is_loopback(host)
        self._refresh_lock = threading.Lock()
        self._refreshing = False
        self._last_refresh = time.monotonic()
        super().__init__((host, port), _Handler)

    def refresh_index_soon(self) -> None:
        """Bring the index up to date with notes edited since the last look, in the background:
        without `kbd run`, nothing else would. At most every REFRESH_SECONDS, and only while
        someone is searching; the search under way reads the last committed state meanwhile."""
        with self._refresh_lock:
            if self._refreshing or time.monotonic() - self._last_refresh < REFRESH_SECONDS:
                return
            self._refreshing = True
        threading.Thread(target=self._refresh_index, name="kbd-serve-index", daemon=True).start()

    def build_index_in_background(self) -> threading.Thread:
        """At start-up: build a missing index (or bring an old one up to date) on a thread, so the
        page answers at once; searches meanwhile answer from what exists and say so (`notice`)."""
        with self._refresh_lock:
            self._refreshing = True
        reserve_build(self.site.root, self.site.config)  # a search leaves a missing index to this thread
        thread = threading.Thread(target=self._refresh_index, args=(True,), name="kbd-serve-index", daemon=True)
        thread.start()
        return thread

    def _refresh_index(self, reserved: bool = False) -> None:
        try:
            ensure_index(self.site.root, self.site.config)
        except IndexUnavailable as exc:
            log.info("search index not refreshed: %s", exc)
        except Exception:
            log.exception("kbd serve: refreshing the search index failed")
        finally:
            if reserved:
                release_build(self.site.root, self.site.config)
            with self._refresh_lock:
                self._refreshing = False
                self._last_refresh = time.monotonic()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else str(host)
        return f"http://{shown}:{port}/"


def make_server(root: Path, config: Config, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                idle_seconds: float = IDLE_SECONDS) -> SearchServer:
    """A server bound to host:port (port 0: any free port), not yet serving."""
    return SearchServer(Site.load(root, config), host, port, idle_seconds)


class _Handler(BaseHTTPRequestHandler):
    server: SearchServer
    server_version = "kbd"
    sys_version = ""
    # The standard library's error pages (send_error) as plain text: nothing in them is markup.
    error_content_type = "text/plain; charset=utf-8"
    error_message_format = "%(code)d %(message)s: %(explain)s\n"
    # A request line that cannot be parsed is answered as HTTP/1.0 (status line and headers), not as
    # HTTP/0.9, the standard library's default, which is a bare body without a single header.
    default_request_version = "HTTP/1.0"

    def setup(self) -> None:
        self.timeout = self.server.idle_seconds  # StreamRequestHandler.setup sets it on the socket
        super().setup()

    def end_headers(self) -> None:
        """Every response passes here, send_error's included: the security headers go on all of them."""
        self.send_header("Cache-Control", "no-store")
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        super().end_headers()

    def do_HEAD(self) -> None:
        self.do_GET(head=True)

    def do_GET(self, head: bool = False) -> None:
        self.head = head
        if self.server.check_host and not self._addressed_to_loopback():
            self._send_text(HTTPStatus.MISDIRECTED_REQUEST, "this server answers only requests to 127.0.0.1 "
                                                            "or localhost")
            return
        url = urlsplit(self.path)
        try:
            params = {k: v[0] for k, v in parse_qs(url.query, max_num_fields=20).items()}
        except ValueError:
            self._send_text(HTTPStatus.BAD_REQUEST, "too many query parameters")
            return
        try:
            self._route(url.path, params)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser went away (a newer keystroke's request replaced this one)
        except Exception:
            log.exception("kbd serve: %s failed", self.path)
            self._send_text(HTTPStatus.INTERNAL_SERVER_ERROR, "kbd could not answer this; see .kbd/kbd.log")

    def _route(self, route: str, params: dict[str, str]) -> None:
        if route == "/":
            self._send(HTTPStatus.OK, _STATIC["index.html"], self.server.site.static["index.html"])
        elif route.startswith("/static/") and route[len("/static/"):] in _STATIC:
            name = route[len("/static/"):]
            self._send(HTTPStatus.OK, _STATIC[name], self.server.site.static[name])
        elif route == "/api/search":
            self._search(params)
        elif route == "/api/note":
            self._note(params)
        elif route == "/status":
            self._status()
        else:
            self._send_text(HTTPStatus.NOT_FOUND, "not found")

    def do_POST(self) -> None:
        self._send_text(HTTPStatus.METHOD_NOT_ALLOWED, "the search page only reads")

    do_PUT = do_DELETE = do_PATCH = do_POST

    def _addressed_to_loopback(self) -> bool:
        host = self.headers.get("Host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return is_loopback(name)

    def _search(self, params: dict[str, str]) -> None:
        site = self.server.site
        query = params.get("q", "")  # kbd.search refuses one over its cap, with the reason
        note_type = params.get("type") or None
        if note_type is not None and note_type not in NOTE_TYPES:
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": f"unknown type; use one of {', '.join(NOTE_TYPES)}"})
            return
        try:
            limit = min(max(int(params.get("limit", "20")), 1), MAX_LIMIT)
        except ValueError:
            limit = 20
        self.server.refresh_index_soon()
        try:
            results = search_notes(site.root, site.config, query, limit=limit, note_type=note_type)
        except QueryError as exc:
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
            return
        except IndexUnavailable as exc:
            self._send_json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": str(exc)})
            return
        self._send_json(HTTPStatus.OK, results.to_json())

    def _note(self, params: dict[str, str]) -> None:
        site = self.server.site
        ref = params.get("ref", "")
        try:
            for name in ("path", "ref", "from"):
                check_length(name, params.get(name, ""))
        except TooLong as exc:
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
            return
        try:
            requested = params.get("path") or find_note(site.root, site.config, ref, params.get("from", ""))
            if not requested:
                raise NoteRefused(f"no note is called {ref!r}")
            rel, text = read_note_text(site.root, requested, site.config.compile.max_note_bytes)
        except NoteRefused as exc:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": str(exc)})
            return
        title, kind = note_title_and_type(site.layout, rel, text)
        self._send_json(HTTPStatus.OK, {"path": rel, "title": title, "type": kind,
                                        "uri": note_uri(site.root, rel), "html": render_note(text)})

    def _status(self) -> None:
        site = self.server.site
        try:
            _, text = read_note_text(site.root, site.layout.status_note, site.config.compile.max_note_bytes)
            body = render_note(text)
        except NoteRefused:
            body = (f"<h1>Status</h1><p>No status report yet: {site.layout.status_note} is written by "
                    "<code>kbd compile</code> and <code>kbd run</code>.</p>")
        self._send(HTTPStatus.OK, _STATIC["index.html"], page("Status", body, "status").encode("utf-8"))

    def _send_json(self, status: HTTPStatus, value: Any) -> None:
        body = json.dumps(value, ensure_ascii=False).encode("utf-8")
        self._send(status, "application/json; charset=utf-8", body)

    def _send_text(self, status: HTTPStatus, text: str) -> None:
        self._send(status, "text/plain; charset=utf-8", (text + "\n").encode("utf-8"))

    def _send(self, status: HTTPStatus, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not getattr(self, "head", False):
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)
