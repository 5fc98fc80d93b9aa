"""Monitor fetches (issue 12, acceptance 6 and 7): http(s) only, SSRF guard on every hop, the
connection goes to the address that was checked, caps on bytes (after decompression) and time, no
cookies, no proxy variables, conditional requests. Against a real loopback server."""

from __future__ import annotations

import datetime
import gzip
import ipaddress
import re
import socket
import ssl
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from kbd.fetch import FetchFailed, FetchRefused, FetchSettings, Validators, fetch, why_not_public
from tests.page_server import PUBLIC_IP, PageServer, page_server, resolver, translate_connections

ALLOW = FetchSettings(allow_private_networks=True)  # the explicit test config that lets loopback through
PUBLIC = resolver({"public.test": [PUBLIC_IP]})


@pytest.fixture
def site() -> Iterator[PageServer]:
    with page_server() as server:
        yield server


def test_loopback_is_refused_by_default(site: PageServer) -> None:
    url = site.page("/", "<p>hello</p>")
    with pytest.raises(FetchRefused, match=re.escape("127.0.0.1 is a loopback address")):
        fetch(url, FetchSettings())
    assert site.requests == []  # refused before connecting


def test_loopback_is_fetched_when_the_config_allows_private_networks(site: PageServer) -> None:
    url = site.page("/", "<p>hello</p>")
    fetched = fetch(url, ALLOW)
    assert (fetched.status, fetched.content_type, fetched.charset, fetched.body) == (200, "text/html", "utf-8",
                                                                                       b"<p>hello</p>")


def test_a_name_that_resolves_to_loopback_is_refused(site: PageServer) -> None:
    with pytest.raises(FetchRefused, match=re.escape("intranet.test resolves to 127.0.0.1, which is a loopback")):
        fetch("http://intranet.test/", FetchSettings(), resolve=resolver({"intranet.test": ["127.0.0.1"]}))


def test_every_address_a_name_resolves_to_must_be_public(monkeypatch: pytest.MonkeyPatch, site: PageServer) -> None:
    connected = translate_connections(monkeypatch, site)
    both = resolver({"mixed.test": [PUBLIC_IP, "10.0.0.5"]})
    with pytest.raises(FetchRefused, match=re.escape("10.0.0.5, which is a private address")):
        fetch("http://mixed.test/", FetchSettings(), resolve=both)
    assert connected == []


def test_an_ipv6_only_name_with_a_private_address_is_refused(site: PageServer) -> None:
    with pytest.raises(FetchRefused, match=re.escape("v6.test resolves to fd12::1, which is a private")):
        fetch("https://v6.test/", FetchSettings(), resolve=resolver({"v6.test": ["fd12::1"]}))


def test_a_public_page_is_fetched_from_the_checked_address(monkeypatch: pytest.MonkeyPatch, site: PageServer) -> None:
    connected = translate_connections(monkeypatch, site)
    site.page("/pricing", "<p>Pro: $20</p>")
    fetched = fetch("http://public.test/pricing", FetchSettings(), resolve=PUBLIC)
    assert fetched.body == b"<p>Pro: $20</p>" and connected == [PUBLIC_IP]
    assert site.requests[0].headers["host"] == "public.test"


def test_redirect_to_metadata_address_is_refused(monkeypatch: pytest.MonkeyPatch, site: PageServer) -> None:
    connected = translate_connections(monkeypatch, site)
    site.page("/", "", status=302, headers={"location": "http://169.254.169.254/latest/meta-data/"})
    with pytest.raises(FetchRefused, match=re.escape("169.254.169.254 is a link-local")):
        fetch("http://public.test/", FetchSettings(), resolve=PUBLIC)
    assert connected == [PUBLIC_IP]  # the metadata address was never connected to


def test_redirect_to_loopback_is_refused(monkeypatch: pytest.MonkeyPatch, site: PageServer) -> None:
    translate_connections(monkeypatch, site)
    site.page("/", "", status=301, headers={"location": f"{site.url}/secret"})
    site.page("/secret", "<p>admin panel</p>")
    with pytest.raises(FetchRefused, match="loopback"):
        fetch("http://public.test/", FetchSettings(), resolve=PUBLIC)
    assert site.paths() == ["/"]


def test_redirect_to_a_name_of_a_private_address_is_refused(monkeypatch: pytest.MonkeyPatch,
                                                            site: PageServer) -> None:
    translate_connections(monkeypatch, site)
    site.page("/", "", status=307, headers={"location": "http://router.test/admin"})
    names = resolver({"public.test": [PUBLIC_IP], "router.test": ["192.168.1.1"]})
    with pytest.raises(FetchRefused, match=re.escape("router.test resolves to 192.168.1.1, which is a private")):
        fetch("http://public.test/", FetchSettings(), resolve=names)


def test_redirects_are_followed_and_each_hop_is_checked(monkeypatch: pytest.MonkeyPatch, site: PageServer) -> None:
    connected = translate_connections(monkeypatch, site)
    calls: list[str] = []
    names = resolver({"public.test": [PUBLIC_IP], "www.public.test": [PUBLIC_IP]}, calls)
    site.page("/old", "", status=301, headers={"location": "http://www.public.test/new"})
    site.page("/new", "<p>moved here</p>")
    fetched = fetch("http://public.test/old", FetchSettings(), resolve=names)
    assert fetched.url == "http://www.public.test/new" and fetched.body == b"<p>moved here</p>"
    assert calls == ["public.test", "www.public.test"] and connected == [PUBLIC_IP, PUBLIC_IP]


def test_connection_goes_to_the_checked_address_without_a_second_lookup(monkeypatch: pytest.MonkeyPatch,
                                                                       site: PageServer) -> None:
    """DNS rebinding: the name answers a public address for the check, then loopback. kbd looks
    the name up once per hop and connects to what it checked."""
    connected = translate_connections(monkeypatch, site)
    answers = iter([[PUBLIC_IP], ["127.0.0.1"], ["127.0.0.1"]])
    calls: list[str] = []

    def rebinding(host: str, port: int, *args: object, **kwargs: object) -> list:
        calls.append(host)
        return resolver({host: next(answers)})(host, port)

    site.page("/", "<p>public page</p>")
    assert fetch("http://rebind.test/", FetchSettings(), resolve=rebinding).body == b"<p>public page</p>"
    assert calls == ["rebind.test"] and connected == [PUBLIC_IP]


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.0.1", "169.254.169.254",
                                     "100.64.0.1", "0.0.0.0", "224.0.0.251", "255.255.255.255", "240.0.0.1",
                                     "::1", "::", "fe80::1", "fc00::1", "fec0::1", "ff02::1", "::ffff:127.0.0.1",
                                     "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:a00:1::1"])
def test_private_and_special_addresses_are_not_public(address: str) -> None:
    assert why_not_public(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "::ffff:1.1.1.1"])
def test_public_addresses_are_public(address: str) -> None:
    assert why_not_public(ipaddress.ip_address(address)) is None


def test_an_ipv4_mapped_loopback_url_is_refused(site: PageServer) -> None:
    with pytest.raises(FetchRefused, match="loopback"):
        fetch(f"http://[::ffff:127.0.0.1]:{site.port}/", FetchSettings())


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "gopher://example.org/",
                                 "javascript:alert(1)", "data:text/html,hi", "//example.org/"])
def test_non_http_schemes_are_refused(url: str) -> None:
    with pytest.raises(FetchRefused):
        fetch(url, ALLOW)


def test_credentials_in_the_url_are_refused(site: PageServer) -> None:
    with pytest.raises(FetchRefused, match="user name or password"):
        fetch(f"http://admin:secret@127.0.0.1:{site.port}/", ALLOW)
    assert site.requests == []


def test_decompression_bomb_is_capped(site: PageServer) -> None:
    bomb = gzip.compress(b"\0" * 50_000_000, compresslevel=9)  # 50 MB of zeros in about 50 KB
    url = site.page("/", bomb, headers={"content-encoding": "gzip"})
    with pytest.raises(FetchFailed, match=re.escape("over monitor.max_bytes")):
        fetch(url, FetchSettings(allow_private_networks=True, max_bytes=1_000_000))


def test_deflate_bomb_is_capped_too(site: PageServer) -> None:
    url = site.page("/", zlib.compress(b"a" * 20_000_000, 9), headers={"content-encoding": "deflate"})
    with pytest.raises(FetchFailed, match=re.escape("over monitor.max_bytes")):
        fetch(url, FetchSettings(allow_private_networks=True, max_bytes=100_000))


def test_a_compressed_page_is_decompressed(site: PageServer) -> None:
    url = site.page("/", gzip.compress(b"<p>small page</p>"), headers={"content-encoding": "gzip"})
    assert fetch(url, ALLOW).body == b"<p>small page</p>"


def test_a_page_over_the_byte_cap_is_refused_without_reading_it_all(site: PageServer) -> None:
    url = site.page("/", b"x" * 300_000, chunked=True)
    with pytest.raises(FetchFailed, match=re.escape("over monitor.max_bytes")):
        fetch(url, FetchSettings(allow_private_networks=True, max_bytes=100_000))
    url = site.page("/declared", b"x" * 300_000)
    with pytest.raises(FetchFailed, match=re.escape("300,000 bytes, over monitor.max_bytes")):
        fetch(url, FetchSettings(allow_private_networks=True, max_bytes=100_000))


def test_total_timeout_stops_a_slow_drip_server(site: PageServer) -> None:
    # 10 s in all, a byte every 50 ms: only the 1 s total deadline can end it with this message
    url = site.page("/", b"<p>" + b"x" * 200 + b"</p>", drip=0.05)
    with pytest.raises(FetchFailed, match="took longer than 1 s in all"):
        fetch(url, FetchSettings(allow_private_networks=True, timeout=1.0))


def test_a_server_that_never_answers_times_out(site: PageServer) -> None:
    url = site.page("/", "<p>late</p>", delay=5)  # it would answer after 5 s: the 0.8 s deadline ends it first
    with pytest.raises(FetchFailed, match="took longer than"):
        fetch(url, FetchSettings(allow_private_networks=True, timeout=0.8))


def test_the_connect_timeout_bounds_each_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """A host that never completes the TCP handshake (here: the socket layer saying so after the
    timeout kbd gave it) fails with the setting to change, having waited no longer than it."""
    given: list[float] = []

    def unreachable(address: tuple[str, int], timeout: float, **kwargs: object) -> socket.socket:
        given.append(timeout)
        assert address[0] == PUBLIC_IP  # the checked address, not a name
        raise TimeoutError("timed out")

    monkeypatch.setattr(socket, "create_connection", unreachable)
    with pytest.raises(FetchFailed, match=re.escape("did not answer in time (monitor.connect_timeout_seconds 0.5 s)")):
        fetch("http://public.test/", FetchSettings(connect_timeout=0.5), resolve=PUBLIC)
    assert given == [0.5]


def test_no_cookies_are_sent_back(site: PageServer) -> None:
    site.page("/", "", status=302, headers={"location": "/next", "set-cookie": "session=abc; Path=/"})
    url = site.page("/next", "<p>next</p>")
    fetch(site.url + "/", ALLOW)
    assert site.paths() == ["/", "/next"]
    assert all("cookie" not in r.headers for r in site.requests)
    fetch(url, ALLOW)
    assert "cookie" not in site.requests[-1].headers


def test_proxy_variables_are_ignored(monkeypatch: pytest.MonkeyPatch, site: PageServer) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there: a proxy used would fail
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    url = site.page("/", "<p>direct</p>")
    assert fetch(url, ALLOW).body == b"<p>direct</p>"
    assert site.requests[0].path == "/"


def test_conditional_request_sends_etag_and_last_modified(site: PageServer) -> None:
    url = site.page("/", "<p>v1</p>", etag='"v1"', last_modified="Wed, 25 Nov 2026 10:00:00 GMT")
    first = fetch(url, ALLOW)
    assert (first.etag, first.last_modified) == ('"v1"', "Wed, 25 Nov 2026 10:00:00 GMT")
    again = fetch(url, ALLOW, Validators(first.url, first.etag, first.last_modified))
    assert again.not_modified and again.body == b""
    assert site.requests[1].headers["if-none-match"] == '"v1"'
    assert site.requests[1].headers["if-modified-since"] == "Wed, 25 Nov 2026 10:00:00 GMT"


def test_too_many_redirects_fail(site: PageServer) -> None:
    site.page("/loop", "", status=302, headers={"location": "/loop"})
    with pytest.raises(FetchFailed, match="more than 3 redirects"):
        fetch(site.url + "/loop", FetchSettings(allow_private_networks=True, max_redirects=3))
    assert len(site.requests) == 4


def test_a_redirect_to_an_invalid_url_fails_with_the_reason(site: PageServer) -> None:
    site.page("/", "", status=302, headers={"location": "http://[zz]/admin"})
    with pytest.raises(FetchFailed, match="Invalid URL in location header"):
        fetch(site.url + "/", ALLOW)


def test_an_error_status_fails_with_the_status(site: PageServer) -> None:
    with pytest.raises(FetchFailed, match="404 Not Found"):
        fetch(site.url + "/missing", ALLOW)


def test_tls_names_the_host_and_verifies_its_certificate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """kbd connects to the checked address, but TLS is about the name: SNI says `public.test` and a
    certificate no trusted authority signed is refused (no `verify=False` anywhere)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "public.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("public.test")]), critical=False)
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    names: list[str | None] = []
    context.sni_callback = lambda sock, server_name, ctx: names.append(server_name)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        try:
            context.wrap_socket(conn, server_side=True).close()
        except (ssl.SSLError, OSError):
            pass  # the client refused the certificate
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    connected = translate_connections(monkeypatch, listener.getsockname()[1])
    try:
        with pytest.raises(FetchFailed, match="CERTIFICATE_VERIFY_FAILED"):
            fetch("https://public.test/", FetchSettings(timeout=5), resolve=PUBLIC)
    finally:
        thread.join(5)
        listener.close()
    assert connected == [PUBLIC_IP] and names == ["public.test"]
