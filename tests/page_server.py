"""A real HTTP server on 127.0.0.1 serving web pages whose content, headers and misbehaviour a
test sets (redirects, cookies, ETags, gzip bombs, slow drips), recording every request it gets.

A page with an `etag` or `last_modified` answers a matching conditional request with 304, as a
real server does. Only loopback: monitors reach it only under a config that allows private
networks, or through `translate_connections` (a public address the test resolver hands out is
connected to here instead, and every connection kbd makes is recorded).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpcore
import pytest

PUBLIC_IP = "93.184.215.14"  # a public address the test resolver hands out; never contacted


@dataclass
class Page:
    body: bytes = b""
    status: int = 200
    content_type: str | None = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0  # seconds before answering
    drip: float = 0.0  # seconds between the body's bytes
    chunked: bool = False  # no content-length: the body ends when the connection closes


@dataclass
class Request:
    path: str
    headers: dict[str, str]


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up mid-answer (a cap or a timeout doing its job) is not an error here


class PageServer:
    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.requests: list[Request] = []
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def page(self, path: str, html: str | bytes, **options: Any) -> str:
        self.pages[path] = Page(html.encode() if isinstance(html, str) else html, **options)
        return self.url + path

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                site.requests.append(Request(self.path, headers))
                page = site.pages.get(self.path)
                if page is None:
                    page = Page(b"not found", status=404, content_type="text/plain")
                if page.delay:
                    time.sleep(page.delay)
                fresh = (page.etag is not None and headers.get("if-none-match") == page.etag) or \
                        (page.last_modified is not None and headers.get("if-modified-since") == page.last_modified)
                try:
                    if fresh:
                        self.send_response(304)
                        self.send_header("content-length", "0")
                        self.end_headers()
                        return
                    self.send_response(page.status)
                    if page.content_type:
                        self.send_header("content-type", page.content_type)
                    for key, value in {**page.headers, **({"etag": page.etag} if page.etag else {}),
                                       **({"last-modified": page.last_modified} if page.last_modified else {})}.items():
                        self.send_header(key, value)
                    if page.chunked or page.drip:
                        self.send_header("connection", "close")
                        self.close_connection = True
                    else:
                        self.send_header("content-length", str(len(page.body)))
                    self.end_headers()
                    if page.drip:
                        for i in range(len(page.body)):
                            self.wfile.write(page.body[i:i + 1])
                            self.wfile.flush()
                            time.sleep(page.drip)
                    else:
                        self.wfile.write(page.body)
                except OSError:
                    pass  # the client gave up (a timeout or a size cap)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


@contextmanager
def page_server() -> Iterator[PageServer]:
    site = PageServer()
    thread = threading.Thread(target=site.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.server.shutdown()
        site.server.server_close()


def resolver(names: dict[str, list[str]], calls: list[str] | None = None) -> Callable[..., list[tuple[Any, ...]]]:
    """A getaddrinfo for made-up names (and nothing else): name → the addresses it resolves to."""
    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        if calls is not None:
            calls.append(host)
        if host not in names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (ip, port, 0, 0) if ":" in ip else (ip, port)) for ip in names[host]]
    return getaddrinfo


def translate_connections(monkeypatch: pytest.MonkeyPatch, site: PageServer | int) -> list[str]:
    """Connections kbd makes to PUBLIC_IP reach the page server instead (a stand-in for the
    internet); any other address is refused. Returns the list of addresses kbd connected to."""
    connected: list[str] = []
    real = httpcore.SyncBackend.connect_tcp

    def connect_tcp(self: httpcore.SyncBackend, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        connected.append(host)
        if host != PUBLIC_IP:
            raise httpcore.ConnectError(f"the test network has no route to {host}")
        return real(self, "127.0.0.1", site if isinstance(site, int) else site.port, *args, **kwargs)

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", connect_tcp)
    return connected
