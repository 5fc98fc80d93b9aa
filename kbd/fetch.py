"""Fetch one web page (a monitored page, an image a clipping embeds), treating the network as hostile
(DESIGN.md section 7). It sits below the features: kbd/monitor and kbd/images both use it.

- http and https only; a URL carrying a user name or password is refused.
- SSRF guard: the host name is resolved (A and AAAA) once per hop, and every address it resolves
  to must be public: not private, loopback, link-local (where cloud metadata lives, at
  169.254.169.254), carrier-grade NAT, multicast, reserved or unspecified, nor an IPv6 form that
  embeds one of those (IPv4-mapped, 6to4, NAT64). Otherwise the fetch is refused, unless
  `monitor.allow_private_networks: true`. The connection then goes to the address that was
  checked: the transport's network backend maps the host to it and never resolves the name again,
  so a DNS answer that changes between the check and the connect (DNS rebinding) leads nowhere
  else. The Host header and TLS (SNI and certificate check) still use the URL's host name.
- Redirects are followed by hand, each hop checked as above, at most `max_redirects`.
- Time: a connect timeout per connection, and one deadline for the whole fetch that every socket
  operation honours, so a server dripping one byte a second cannot hold kbd past it.
- Size: the body is counted after decompression, and decompressed in bounded steps, so a small
  gzip bomb costs at most `max_bytes` of memory before it is refused.
- No cookies (a jar that accepts none), no proxy or certificate settings from environment
  variables (trust_env=False), conditional requests with ETag / Last-Modified.
"""

from __future__ import annotations

import ipaddress
import math
import socket
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpcore
import httpx

REDIRECTS = (301, 302, 303, 307, 308)
DEFAULT_PORTS = {"http": 80, "https": 443}
ACCEPT = "text/html,application/xhtml+xml,text/plain;q=0.9,application/json;q=0.9,*/*;q=0.1"
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., list[tuple[Any, ...]]]  # socket.getaddrinfo's signature


class FetchRefused(Exception):
    """kbd will not fetch this (a safety rule): reported, never retried."""


class FetchFailed(Exception):
    """The fetch did not work this time (name lookup, network, timeout, an HTTP error status)."""


@dataclass(frozen=True)
class FetchSettings:
    allow_private_networks: bool = False
    max_bytes: int = 2_000_000
    connect_timeout: float = 10.0
    timeout: float = 30.0  # the whole fetch, redirects included
    max_redirects: int = 5
    user_agent: str = "kbd-monitor/1 (+https://github.com/kbd)"


@dataclass(frozen=True)
class Validators:
    """What the last answer said about its version, for a conditional request to the same URL."""

    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Fetched:
    url: str  # where the page was found, after redirects
    status: int  # a 2xx, or 304 (not modified since the validators)
    content_type: str  # the media type, lowercase; "" when the server sent none
    charset: str | None
    body: bytes  # decompressed; empty for 304
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def check_url(url: str | httpx.URL) -> httpx.URL:
    """The URL if kbd may fetch it at all (scheme, host, no credentials); else FetchRefused."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise FetchRefused(f"{str(url)[:200]!r} is not a valid URL ({exc})") from None
    if parsed.scheme not in DEFAULT_PORTS:
        raise FetchRefused(f"only http and https pages can be monitored, not {parsed.scheme or 'this'}: URLs")
    if not parsed.host:
        raise FetchRefused(f"{str(url)[:200]!r} has no host name")
    if parsed.userinfo:
        raise FetchRefused("the URL carries a user name or password; kbd sends no credentials")
    return parsed.copy_with(fragment=None)


def why_not_public(ip: IPAddress) -> str | None:
    """None for a public address; otherwise what kind of address it is, in words."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (
            ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None)
        if embedded is not None:
            inner = why_not_public(embedded)
            return f"{inner} (inside the IPv6 address)" if inner else None
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local (where cloud metadata services such as 169.254.169.254 live)"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "carrier-grade NAT"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local):
        return "private"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "not publicly routable"
    return None


def fetch(url: str, settings: FetchSettings, validators: Validators | None = None,
          resolve: Resolver = socket.getaddrinfo) -> Fetched:
    """GET `url` under the rules above. Raises FetchRefused (a safety rule said no) or FetchFailed."""
    deadline = time.monotonic() + settings.timeout
    backend = _PinnedBackend(deadline)
    headers = {"user-agent": settings.user_agent, "accept": ACCEPT, "accept-encoding": "gzip, deflate"}
    current = check_url(url)
    with httpx.Client(transport=_PinnedTransport(backend), trust_env=False, follow_redirects=False,
                      cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
                      timeout=httpx.Timeout(settings.timeout, connect=settings.connect_timeout)) as client:
        for _ in range(settings.max_redirects + 1):
            host, port = current.raw_host.decode("ascii"), current.port or DEFAULT_PORTS[current.scheme]
            backend.pin(host, port, _checked_address(host, port, settings, deadline, resolve))
            conditional = {}
            if validators is not None and validators.url == str(current):
                if validators.etag:
                    conditional["if-none-match"] = validators.etag
                if validators.last_modified:
                    conditional["if-modified-since"] = validators.last_modified
            try:
                with client.stream("GET", current, headers={**headers, **conditional}) as response:
                    if response.status_code in REDIRECTS:
                        location = response.headers.get("location")
                        if not location:
                            raise FetchFailed(f"the server answered {response.status_code} without saying where to")
                        current = check_url(current.join(location))  # httpx has refused an invalid one
                        continue
                    return _answer(current, response, settings)
            except httpx.TimeoutException:
                if time.monotonic() >= deadline:
                    raise FetchFailed(f"took longer than {settings.timeout:g} s in all "
                                      "(monitor.timeout_seconds)") from None
                raise FetchFailed(f"{host} did not answer in time (monitor.connect_timeout_seconds "
                                  f"{settings.connect_timeout:g} s)") from None
            except httpx.HTTPError as exc:
                raise FetchFailed(f"network error talking to {host}: {exc or type(exc).__name__}") from None
            except httpx.InvalidURL as exc:  # not an HTTPError: httpx reads a redirect's Location (`http:x`) itself
                raise FetchFailed(f"{host} answered with an address that is not a valid URL ({exc})") from None
        raise FetchFailed(f"more than {settings.max_redirects} redirects (monitor.max_redirects)")


def _answer(url: httpx.URL, response: httpx.Response, settings: FetchSettings) -> Fetched:
    media, charset = _content_type(response.headers.get("content-type", ""))
    etag, modified = response.headers.get("etag"), response.headers.get("last-modified")
    if response.status_code == 304:
        return Fetched(str(url), 304, media, charset, b"", etag, modified)
    if not 200 <= response.status_code < 300:
        raise FetchFailed(f"the server answered {response.status_code} {response.reason_phrase}".rstrip())
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > settings.max_bytes:
        raise FetchFailed(f"the page is {int(length):,} bytes, over monitor.max_bytes ({settings.max_bytes:,})")
    body = read_body(response.iter_raw(), response.headers.get("content-encoding", ""), settings.max_bytes)
    return Fetched(str(url), response.status_code, media, charset, body, etag, modified)


def read_body(chunks: Iterable[bytes], encoding: str, max_bytes: int) -> bytes:
    """The body from its raw (content-encoded) chunks, decompressed in steps that never produce
    more than `max_bytes` in all; FetchFailed as soon as it would be larger."""
    codings = [c.strip().lower() for c in encoding.split(",") if c.strip() and c.strip().lower() != "identity"]
    if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
        raise FetchFailed(f"the page is sent encoded as {encoding!r}, which kbd does not decode")
    too_big = f"the page is over monitor.max_bytes ({max_bytes:,} bytes once decompressed)"
    out = bytearray()
    received = 0
    inflate = _Inflater(codings[0]) if codings else None
    for chunk in chunks:
        received += len(chunk)
        if received > max_bytes:
            raise FetchFailed(too_big)
        for piece in (inflate.feed(chunk, max_bytes - len(out) + 1) if inflate else [chunk]):
            out += piece
            if len(out) > max_bytes:
                raise FetchFailed(too_big)
    return bytes(out)


class _Inflater:
    """gzip or deflate, decompressed with a bound on what each step may produce."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self.first = True
        self.inner = zlib.decompressobj(16 + zlib.MAX_WBITS if coding != "deflate" else zlib.MAX_WBITS)

    def feed(self, data: bytes, room: int) -> Iterator[bytes]:
        while data:
            try:
                piece = self.inner.decompress(data, max(room, 1))
            except zlib.error as exc:
                if self.coding == "deflate" and self.first:  # raw deflate, without the zlib header
                    self.inner, self.first = zlib.decompressobj(-zlib.MAX_WBITS), False
                    continue
                raise FetchFailed(f"the page's {self.coding} data is corrupt ({exc})") from None
            self.first = False
            room -= len(piece)
            yield piece
            if room <= 0:
                return
            data = self.inner.unconsumed_tail
            if self.inner.eof and self.inner.unused_data:  # another gzip member follows
                data = self.inner.unused_data
                self.inner = zlib.decompressobj(16 + zlib.MAX_WBITS)


def _content_type(header: str) -> tuple[str, str | None]:
    media, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'").lower()
    return media.strip().lower(), charset


def _checked_address(host: str, port: int, settings: FetchSettings, deadline: float, resolve: Resolver
                     ) -> str:
    addresses = _resolve(host, port, min(settings.connect_timeout, deadline - time.monotonic()), resolve)
    if not settings.allow_private_networks:
        for ip in addresses:
            why = why_not_public(ip)
            if why:
                shown = host if host == str(ip) else f"{host} resolves to {ip}, which"
                raise FetchRefused(f"{shown} is a {why} address; kbd fetches only public addresses "
                                   "(monitor.allow_private_networks: true allows private ones)")
    return str(sorted(addresses, key=lambda ip: ip.version)[0])  # IPv4 first: not every machine routes IPv6


def _resolve(host: str, port: int, timeout: float, resolve: Resolver) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    if timeout <= 0:
        raise FetchFailed(f"no time was left to look up {host}")
    pool = ThreadPoolExecutor(max_workers=1)  # getaddrinfo has no timeout of its own
    try:
        infos = pool.submit(resolve, host, port, type=socket.SOCK_STREAM).result(timeout=timeout)
    except FutureTimeout:
        raise FetchFailed(f"looking up {host} took longer than {timeout:g} s") from None
    except (OSError, UnicodeError) as exc:  # socket.gaierror and friends
        raise FetchFailed(f"the name {host} does not resolve ({getattr(exc, 'strerror', None) or exc})") from None
    finally:
        pool.shutdown(wait=False)
    addresses: list[IPAddress] = []
    for family, _, _, _, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            if ip not in addresses:
                addresses.append(ip)
    if not addresses:
        raise FetchFailed(f"the name {host} has no IPv4 or IPv6 address")
    return addresses


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read, write and TLS handshake waits at most until the deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float) -> None:
        self.inner = inner
        self.deadline = deadline

    def _left(self, timeout: float | None, error: type[Exception]) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise error("the deadline for the whole fetch passed")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, self._left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, self._left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        tls = self.inner.start_tls(ssl_context, server_hostname, self._left(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(tls, self.deadline)

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    """Connects only to addresses the SSRF check passed, by host and port; never resolves a name."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.pins: dict[tuple[str, int], str] = {}
        self.inner = httpcore.SyncBackend()

    def pin(self, host: str, port: int, address: str) -> None:
        self.pins[(host.lower(), port)] = address

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        address = self.pins.get((host.lower(), port))
        if address is None:
            raise httpcore.ConnectError(f"{host}:{port} was not checked; kbd connects only to checked addresses")
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ConnectTimeout("the deadline for the whole fetch passed")
        stream = self.inner.connect_tcp(address, port, min(timeout if timeout is not None else math.inf, left),
                                        local_address, socket_options)
        return _DeadlineStream(stream, self.deadline)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("kbd's monitors do not use Unix sockets")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class _PinnedTransport(httpx.HTTPTransport):
    def __init__(self, backend: _PinnedBackend) -> None:
        context = httpx.create_ssl_context(trust_env=False)
        super().__init__(verify=context, trust_env=False)
        # HTTPTransport's pool uses httpcore's default network backend, which resolves names
        # itself; the same pool with the pinning backend instead (httpx has no parameter for it).
        self._pool.close()
        self._pool = httpcore.ConnectionPool(ssl_context=context, max_connections=2, max_keepalive_connections=0,
                                             network_backend=backend, retries=0)
