"""`kbd serve`: the search page's HTTP side, without a browser (tests/test_serve_browser.py drives one)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from kbd.serve import SearchServer
from kbd.serve.render import render_note
from kbd.vault.read import NoteRefused, read_note_text
from tests.conftest import FIXED_EPOCH, Vault
from tests.events import wait_for
from tests.serving import get, get_json, hostile_clipping, running_server

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


@pytest.fixture
def compiled(sample_vault: Vault) -> Vault:
    sample_vault.clip("Zanzibar.md", hostile_clipping("http://127.0.0.1:9"))
    sample_vault.compile()
    return sample_vault


def test_every_response_carries_a_strict_content_security_policy(compiled: Vault) -> None:
    with running_server(compiled.root) as server:
        for path in ("/", "/static/app.js", "/static/style.css", "/api/search?q=tree",
                     "/api/note?path=raw/Zanzibar.md", "/status", "/nothing-here", "/api/note?path=../x.md"):
            status, headers, _ = get(server, path)
            assert status in (200, 404), path
            assert headers["content-security-policy"] == CSP, path
            assert headers["x-content-type-options"] == "nosniff", path
            assert headers["x-frame-options"] == "DENY", path
            assert headers["referrer-policy"] == "no-referrer", path
        assert get(server, "/static/app.js")[1]["content-type"].startswith("text/javascript")


def _raw_request(server: SearchServer, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes no HTTP client would, read the answer up to the server closing the connection."""
    with socket.create_connection(server.server_address[:2], timeout=30) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(("request_bytes", "expected"), [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n", 431),
    (b"BREW / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 501),
    (b"GET / HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n", 505),
])
def test_the_standard_librarys_own_error_pages_carry_the_security_headers(
        vault: Vault, request_bytes: bytes, expected: int) -> None:
    with running_server(vault.root) as server:
        status, headers, body = _raw_request(server, request_bytes)
    assert status == expected
    assert headers["content-security-policy"] == CSP
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["content-type"] == "text/plain; charset=utf-8" and b"<" not in body


@pytest.mark.parametrize("sent", [b"", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"])
def test_a_connection_that_goes_quiet_is_closed_by_the_server(vault: Vault, sent: bytes) -> None:
    with running_server(vault.root, idle_seconds=0.2) as server:
        with socket.create_connection(server.server_address[:2], timeout=30) as sock:
            sock.sendall(sent)
            assert sock.recv(65536) == b""  # the server hung up; the client's 30 s never ran out
        assert get(server, "/")[0] == 200  # and it still answers everyone else


def test_a_query_the_parser_cannot_read_is_a_400_with_the_reason(compiled: Vault) -> None:
    folder = compiled.root / ".kbd" / "search"
    with running_server(compiled.root) as server:
        get(server, "/api/search?q=tree")
        before = folder.stat().st_ino
        status, data = get_json(server, "/api/search?q=NOT%20NOT%20sleep")
        assert status == 400 and data["error"].startswith("the query cannot be read: an operator")
        assert folder.stat().st_ino == before  # no rebuild
        assert get_json(server, "/api/search?q=tree")[0] == 200


@pytest.mark.parametrize(("path", "message"), [
    ("/api/search?q=" + "tree+" * 250, "the query is 1,250 characters long; the most kbd searches for is 1,000"),
    ("/api/note?ref=" + "x" * 30_000, "ref is 30,000 characters long; the most kbd accepts is 1,000"),
    ("/api/note?path=" + "x/" * 600, "path is 1,200 characters long; the most kbd accepts is 1,000"),
    ("/api/note?ref=B-tree&from=" + "x" * 1_001, "from is 1,001 characters long; the most kbd accepts is 1,000"),
])
def test_every_request_input_has_a_length_cap(compiled: Vault, path: str, message: str) -> None:
    with running_server(compiled.root) as server:
        status, data = get_json(server, path)
    assert (status, data) == (400, {"error": message})


def test_the_page_has_no_inline_script_and_loads_nothing_remote(compiled: Vault) -> None:
    with running_server(compiled.root) as server:
        for path in ("/", "/status"):
            page = get(server, path)[2].decode()
            scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page, re.S)
            assert scripts == [(' src="/static/app.js"', "")], path
            assert not re.search(r"\son[a-z]+\s*=", page), path
            assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), path


def test_search_api_answers_with_the_search_json_schema_and_filters_by_type(compiled: Vault) -> None:
    with running_server(compiled.root) as server:
        status, data = get_json(server, "/api/search?q=shallow")
        assert status == 200
        assert data["total"] >= 2 and data["query"] == "shallow"
        top = data["hits"][0]
        assert set(top) == {"path", "title", "type", "score", "snippet", "highlights", "uri", "also"}
        assert top["title"] == "Why B-trees stay shallow"
        start, end = top["highlights"][0]
        assert top["snippet"][start:end].lower().startswith("shallow")
        assert top["uri"].startswith("obsidian://open?vault=Vault&file=")
        status, data = get_json(server, "/api/search?q=tree&type=concept")
        assert status == 200 and data["hits"]
        assert {h["type"] for h in data["hits"]} == {"concept"}
        status, data = get_json(server, "/api/search?q=tree&type=bogus")
        assert status == 400 and "unknown type" in data["error"]


def test_note_preview_is_rendered_and_inert(compiled: Vault) -> None:
    with running_server(compiled.root) as server:
        status, data = get_json(server, "/api/note?path=raw/Zanzibar.md")
    assert status == 200
    assert data["title"] == "Zanzibar hostile page"
    assert data["uri"] == "obsidian://open?vault=Vault&file=raw%2FZanzibar"
    live = _live_parts(data["html"])
    assert live == [], live
    # What the note says is still there to read, as text.
    assert "&lt;script&gt;document.body.dataset.pwned" in data["html"]
    assert "<h1>Zanzibar hostile page</h1>" in data["html"]


class _LiveParts(HTMLParser):
    """Elements, attributes and URLs in rendered HTML that could run or load anything."""

    ALLOWED = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "p", "a", "ul", "ol", "li", "em", "strong", "code",
                         "pre",
               "blockquote", "table", "thead", "tbody", "tr", "th", "td", "del", "span", "br", "hr", "input",
               "section", "sup", "div"})

    def __init__(self) -> None:
        super().__init__()
        self.live: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.ALLOWED:
            self.live.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("src", "srcdoc", "style", "formaction"):
                self.live.append(f"{tag} {name}={value}")
            if name == "href" and value and not re.match(r"^(https?://|mailto:|#|/\?note=)", value):
                self.live.append(f"{tag} href={value}")


def _live_parts(html: str) -> list[str]:
    parser = _LiveParts()
    parser.feed(html)
    return parser.live


def test_render_keeps_markdown_and_obsidian_syntax_readable() -> None:
    html = render_note("---\ntitle: X\n---\n# Head\n\nSee [[B-tree|the tree]] and ![[diagram.png]] %% hidden %%\n\n"
                       "> [!warning] Careful\n> body\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
                       "[site](https://example.org) ![pic](https://example.org/p.png)\n")
    assert "<h1>Head</h1>" in html
    assert '<a class="note-link" href="/?note=B-tree" data-note="B-tree">the tree</a>' in html
    assert "embedded: diagram.png" in html and "hidden" not in html and "title: X" not in html
    assert '<p class="callout-title">Careful</p>' in html
    assert "<td>1</td>" in html
    assert 'href="https://example.org" rel="noopener noreferrer nofollow" target="_blank">site</a>' in html
    assert "<img" not in html and ">pic</a>" in html
    assert _live_parts(html) == []


@pytest.mark.parametrize("requested", [
    "../outside.md", "raw/../../outside.md", "/etc/passwd", "%2e%2e/outside.md", "..%2Foutside.md",
    ".kbd/state.db", ".obsidian/app.md", "raw\\..\\..\\outside.md", "raw/escape.md", "linked/secret.md",
])
def test_note_requests_cannot_leave_the_vault(compiled: Vault, requested: str) -> None:
    outside = compiled.root.parent / "outside.md"
    outside.write_text("# Secret\nTOP-SECRET-OUTSIDE\n", encoding="utf-8")
    (compiled.root / "linked").mkdir()
    (compiled.root / "linked" / "secret.md").symlink_to(outside)
    os.symlink(outside, compiled.root / "raw" / "escape.md")
    compiled.sync_raw()
    with running_server(compiled.root) as server:
        for param in ("path", "ref"):
            status, _, body = get(server, f"/api/note?{param}={requested}")
            assert status == 404, (param, requested)
            assert b"TOP-SECRET" not in body
            assert b"error" in body


def test_reads_refuse_a_symlinked_folder_even_inside_the_vault(tmp_path: Path) -> None:
    root = tmp_path / "v"
    (root / "real").mkdir(parents=True)
    (root / "real" / "a.md").write_text("# A\n", encoding="utf-8")
    (root / "alias").symlink_to(root / "real")
    assert read_note_text(root, "real/a.md", 1000) == ("real/a.md", "# A\n")
    with pytest.raises(NoteRefused, match="symlink"):
        read_note_text(root, "alias/a.md", 1000)
    (root / "big.md").write_text("x" * 2000, encoding="utf-8")
    with pytest.raises(NoteRefused, match="limit"):
        read_note_text(root, "big.md", 1000)
    (root / "bin.md").write_bytes(b"# x\x00\x01")
    with pytest.raises(NoteRefused, match="binary"):
        read_note_text(root, "bin.md", 1000)
    os.mkfifo(root / "pipe.md")
    with pytest.raises(NoteRefused, match="not a regular file"):
        read_note_text(root, "pipe.md", 1000)


def test_a_link_target_opens_the_note_obsidian_would_open(compiled: Vault) -> None:
    with running_server(compiled.root) as server:
        status, data = get_json(server, "/api/note?ref=B-tree")
        assert status == 200 and data["path"] == "wiki/concepts/B-tree.md"
        status, data = get_json(server, "/api/note?ref=Why%20B-trees%20stay%20shallow&from=wiki/concepts/B-tree.md")
        assert status == 200 and data["path"] == "raw/Why B-trees stay shallow.md"
        status, data = get_json(server, "/api/note?ref=No%20such%20note")
        assert status == 404 and "no note is called" in data["error"]


def test_status_page_shows_the_status_report(compiled: Vault) -> None:
    with running_server(compiled.root) as server:
        status, headers, body = get(server, "/status")
    assert status == 200 and headers["content-type"].startswith("text/html")
    page = body.decode()
    assert "<h1>kbd status</h1>" in page and "4 sources" in page


def test_status_page_explains_when_there_is_no_report_yet(vault: Vault) -> None:
    with running_server(vault.root) as server:
        status, _, body = get(server, "/status")
    assert status == 200 and b"No status report yet" in body and b"kbd compile" in body


def test_requests_addressed_to_another_host_name_are_refused(compiled: Vault) -> None:
    """DNS rebinding: a web page cannot reach the server through a name it controls."""
    with running_server(compiled.root) as server:
        port = server.server_address[1]
        status, _, body = get(server, "/api/search?q=tree", headers={"Host": f"attacker.example:{port}"})
        assert status == 421 and b"hits" not in body
        assert get(server, "/", headers={"Host": f"localhost:{port}"})[0] == 200
        assert get(server, "/", method="POST")[0] == 405
        assert get(server, "/api/search?" + "&".join(f"p{i}=x" for i in range(30)))[0] == 400
        assert get(server, "/api/search?q=tree")[0] == 200  # and it keeps serving


def _start_serve(root: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH}
    proc = subprocess.Popen([sys.executable, "-P", "-m", "kbd", "serve", str(root), "--port", "0", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, line


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.terminate()
    _, err = proc.communicate(timeout=600)
    return err


def test_kbd_serve_listens_on_loopback_only_unless_told_otherwise(compiled: Vault) -> None:
    proc, line = _start_serve(compiled.root)
    try:
        m = re.search(r"at http://127\.0\.0\.1:(\d+)/", line)
        assert m, line
        with urllib.request.urlopen(f"http://127.0.0.1:{m.group(1)}/api/search?q=tree", timeout=600) as resp:
            assert resp.status == 200 and b"B-tree" in resp.read()
    finally:
        err = _stop(proc)
    assert "warning" not in err
    proc, line = _start_serve(compiled.root, "--host", "0.0.0.0")
    err = _stop(proc)
    assert "http://0.0.0.0:" in line
    assert "warning: listening on 0.0.0.0: anyone who can reach this address can read every note" in err


def test_kbd_serve_says_so_when_the_port_is_taken(compiled: Vault) -> None:
    with running_server(compiled.root) as server:
        port = server.server_address[1]
        proc = subprocess.run([sys.executable, "-P", "-m", "kbd", "serve", str(compiled.root), "--port", str(port)],
                              capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr and "--port" in proc.stderr


def test_a_huge_note_previews_its_beginning_and_says_where_the_rest_is() -> None:
    text = "# Big\n\n" + "".join(f"Paragraph {i} about B-trees.\n\n" for i in range(50_000))
    html = render_note(text, max_chars=10_000)
    assert "Paragraph 0 about" in html and "Paragraph 40000" not in html
    assert html.rstrip().endswith("open the note in Obsidian to read the rest.</p>")
    assert render_note("# Small\n\nAll of it.\n", max_chars=10_000).endswith("<p>All of it.</p>\n")


def test_a_note_saved_while_the_page_is_open_is_found_without_a_restart(
        compiled: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kbd.serve.server.REFRESH_SECONDS", 0.0)
    with running_server(compiled.root) as server:
        assert get_json(server, "/api/search?q=quokka")[1]["hits"] == []
        (compiled.root / "Quokka facts.md").write_text("# Quokka facts\n\nThe quokka smiles.\n", encoding="utf-8")
        hits = wait_for(lambda: get_json(server, "/api/search?q=quokka")[1]["hits"], what="the new note")
    assert hits[0]["path"] == "Quokka facts.md"


def test_many_searches_at_once_all_get_their_own_answer(compiled: Vault) -> None:
    queries = ["shallow", "tree", "compaction", "fan-out", "write", "log", "page", "merge"] * 3
    with running_server(compiled.root) as server, ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda q: (q, get_json(server, f"/api/search?q={q}")), queries))
    for query, (status, data) in answers:
        assert status == 200 and data["query"] == query and data["hits"], query


def test_the_page_answers_while_the_index_builds_and_says_so(compiled: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 22: `kbd serve` builds a missing index on a thread; the page answers meanwhile, saying so.
    Both moments are held: before the thread takes the build lock, and while it indexes notes."""
    import kbd.search.index as search_index
    import kbd.serve.server as serve_server

    shutil.rmtree(compiled.root / ".kbd/search")
    checking, may_check = threading.Event(), threading.Event()
    indexing, may_index = threading.Event(), threading.Event()
    real_ensure, real_fill = serve_server.ensure_index, search_index.fill

    def held_ensure(*args: Any, **kwargs: Any) -> None:
        checking.set()
        may_check.wait(timeout=600)
        real_ensure(*args, **kwargs)

    def held_fill(*args: Any, **kwargs: Any) -> int:
        indexing.set()
        may_index.wait(timeout=600)
        return real_fill(*args, **kwargs)

    monkeypatch.setattr(serve_server, "ensure_index", held_ensure)
    monkeypatch.setattr(search_index, "fill", held_fill)
    with running_server(compiled.root) as server:
        server.build_index_in_background()
        for moment, reached, release in (("before the build begins", checking, may_check),
                                         ("while notes are indexed", indexing, may_index)):
            assert reached.wait(timeout=600), moment
            status, data = get_json(server, "/api/search?q=tree")
            assert status == 200 and data["hits"] == [], moment
            assert "search index is being built" in data["notice"], moment
            assert get(server, "/")[0] == 200, moment
            release.set()
        hits = wait_for(lambda: get_json(server, "/api/search?q=tree")[1]["hits"], what="the built index")
        assert get_json(server, "/api/search?q=tree")[1]["notice"] is None
    assert any(h["title"] == "B-tree" for h in hits)


def test_kbd_serve_starts_at_once_and_says_the_index_is_being_built(compiled: Vault) -> None:
    shutil.rmtree(compiled.root / ".kbd/search")
    proc, line = _start_serve(compiled.root)
    err = _stop(proc)
    assert "at http://127.0.0.1:" in line
    assert "building the search index in the background" in err
