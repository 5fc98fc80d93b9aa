"""`kbd mcp`: the vault's search and notes as MCP tools, tested with the official SDK's own client.

In-process (the SDK's in-memory transport) for the tools' behaviour, and once over real stdio
against `kbd mcp VAULT` in a subprocess, as an agent's MCP client would run it.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from kbd.cli import main
from kbd.config import load_config
from kbd.search import ensure_index
from kbd.search.index import SEARCH_DIR
from tests.conftest import FIXED_EPOCH, Vault

mcp = pytest.importorskip("mcp", reason="the optional extra kbd[mcp] is in requirements-dev.lock")

from mcp import Client, StdioServerParameters  # noqa: E402

from kbd.mcp import build_server  # noqa: E402


@pytest.fixture
def compiled(sample_vault: Vault) -> Vault:
    (sample_vault.root / "Journal").mkdir()
    (sample_vault.root / "Journal" / "Reading list.md").write_text(
        "---\ntitle: Things to read\n---\nFinish the fan-out chapter.\n", encoding="utf-8")
    sample_vault.compile()
    return sample_vault


def _with_client(root: Path, body: Callable[[Client], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        async with Client(build_server(root, load_config(root))) as client:
            return await body(client)
    return asyncio.run(run())


def _data(result: Any) -> Any:
    assert not result.is_error, result.content
    if result.structured_content is not None:
        return result.structured_content
    return json.loads(result.content[0].text)


def _error(result: Any) -> str:
    assert result.is_error
    return " ".join(getattr(c, "text", "") for c in result.content)


def test_the_server_offers_search_read_note_and_list_notes(compiled: Vault) -> None:
    async def body(client: Client) -> Any:
        return await client.list_tools()
    tools = {t.name: t for t in _with_client(compiled.root, body).tools}
    assert set(tools) == {"search", "read_note", "list_notes"}
    assert "query" in tools["search"].input_schema["properties"]
    assert "note" in tools["read_note"].input_schema["properties"]


def test_search_tool_answers_with_the_kbd_search_json_schema(compiled: Vault) -> None:
    async def body(client: Client) -> Any:
        return (await client.call_tool("search", {"query": "shallow"}),
                await client.call_tool("search", {"query": "tree", "type": "concept", "limit": 2}),
                await client.call_tool("search", {"query": "tree", "type": "bogus"}))
    plain, filtered, bad = _with_client(compiled.root, body)
    data = _data(plain)
    assert data["hits"][0]["title"] == "Why B-trees stay shallow"
    assert set(data["hits"][0]) == {"path", "title", "type", "score", "snippet", "highlights", "uri", "also"}
    hits = _data(filtered)["hits"]
    assert len(hits) == 2 and {h["type"] for h in hits} == {"concept"}
    assert "unknown note type" in _error(bad)


def test_read_note_finds_a_note_by_path_link_target_or_title(compiled: Vault) -> None:
    async def body(client: Client) -> Any:
        return [await client.call_tool("read_note", {"note": ref}) for ref in (
            "wiki/concepts/B-tree.md", "B-tree", "wiki/concepts/B-tree", "Things to read")]
    by_path, by_link, by_path_no_ext, by_title = (_data(r) for r in _with_client(compiled.root, body))
    assert by_path["path"] == by_link["path"] == by_path_no_ext["path"] == "wiki/concepts/B-tree.md"
    assert by_path["text"] == (compiled.root / "wiki/concepts/B-tree.md").read_text(encoding="utf-8")
    assert by_path["type"] == "concept" and by_path["truncated"] is False
    assert by_path["uri"] == "obsidian://open?vault=Vault&file=wiki%2Fconcepts%2FB-tree"
    assert by_title["path"] == "Journal/Reading list.md" and by_title["title"] == "Things to read"


def test_read_note_cuts_long_text_and_says_so(compiled: Vault) -> None:
    async def body(client: Client) -> Any:
        return await client.call_tool("read_note", {"note": "raw/Why B-trees stay shallow.md", "max_chars": 100})
    data = _data(_with_client(compiled.root, body))
    assert data["truncated"] is True and len(data["text"]) == 100


def test_read_note_refuses_anything_outside_the_vault(compiled: Vault) -> None:
    outside = compiled.root.parent / "secret.md"
    outside.write_text("TOP-SECRET\n", encoding="utf-8")
    os.symlink(outside, compiled.root / "Journal" / "link.md")
    refs = ["../secret.md", "../secret", "/etc/passwd", str(outside), ".kbd/state.db", "Journal/link.md",
            "Journal/../../secret.md", "No such note at all"]

    async def body(client: Client) -> Any:
        return [await client.call_tool("read_note", {"note": ref}) for ref in refs]
    results = _with_client(compiled.root, body)
    for ref, result in zip(refs, results, strict=True):
        message = _error(result)
        assert "TOP-SECRET" not in message and "root:" not in message, ref
    messages = [_error(r) for r in results]
    assert "outside the vault" in messages[0]
    assert "absolute path" in messages[2]
    assert "hidden folder" in messages[4]
    assert "symlink" in messages[5]
    assert "no note is called" in messages[7]


def test_list_notes_pages_through_the_vault_by_folder_and_type(compiled: Vault) -> None:
    async def body(client: Client) -> Any:
        return (await client.call_tool("list_notes", {}),
                # limit 2: the sample vault makes 3 concept pages (passing mentions get none, issue 23)
                await client.call_tool("list_notes", {"type": "concept", "limit": 2}),
                await client.call_tool("list_notes", {"folder": "Journal"}),
                await client.call_tool("list_notes", {"type": "concept", "limit": 2, "offset": 2}))
    everything, concepts, journal, page2 = (_data(r) for r in _with_client(compiled.root, body))
    paths = [n["path"] for n in everything["notes"]]
    assert paths == sorted(paths) and "raw/Why B-trees stay shallow.md" in paths
    assert not any(p.startswith((".kbd/", "kbd/config")) for p in paths)
    assert everything["total"] == len(paths) and everything["next_offset"] is None
    assert [n["type"] for n in concepts["notes"]] == ["concept"] * 2 and concepts["next_offset"] == 2
    assert {n["path"] for n in concepts["notes"]}.isdisjoint(n["path"] for n in page2["notes"])
    assert journal["notes"] == [{"path": "Journal/Reading list.md", "type": "note",
                                 "modified": journal["notes"][0]["modified"]}]
    assert journal["notes"][0]["modified"].endswith("Z")


def test_kbd_mcp_serves_the_tools_over_stdio(compiled: Vault) -> None:
    params = StdioServerParameters(command=sys.executable, args=["-P", "-m", "kbd", "mcp", str(compiled.root)],
                                   env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}, cwd=str(compiled.root))

    async def run() -> Any:
        async with Client(params) as client:
            return await client.call_tool("search", {"query": "fan-out", "limit": 3})
    data = _data(asyncio.run(run()))
    assert data["hits"] and any("fan-out" in h["snippet"].lower() for h in data["hits"])


def test_kbd_mcp_without_the_extra_says_how_to_install_it(
        compiled: Vault, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name in [m for m in sys.modules if m == "mcp" or m.startswith("mcp.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "mcp", None)  # what an install without the extra looks like to import
    assert main(["mcp", str(compiled.root)]) == 2
    err = capsys.readouterr().err
    assert ".venv/bin/pip install '.[mcp]'" in err


def test_search_tool_finds_a_note_written_after_the_server_started(
        compiled: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kbd.mcp.REFRESH_SECONDS", 0.0)

    async def body(client: Client) -> Any:
        before = await client.call_tool("search", {"query": "quokka"})
        (compiled.root / "Quokka facts.md").write_text("# Quokka facts\n\nThe quokka smiles.\n", encoding="utf-8")
        return before, await client.call_tool("search", {"query": "quokka"})
    before, after = _with_client(compiled.root, body)
    assert _data(before)["hits"] == []
    assert [h["path"] for h in _data(after)["hits"]] == ["Quokka facts.md"]


# -- bad requests (issue 18, item 2) ---------------------------------------------------------------
def test_search_tool_says_what_is_wrong_with_a_query_it_cannot_read(compiled: Vault) -> None:
    async def body(client: Client) -> Any:
        return await client.call_tool("search", {"query": "NOT NOT sleep"})
    assert "the query cannot be read: an operator (AND, OR, NOT" in _error(_with_client(compiled.root, body))


@pytest.mark.parametrize(("tool", "arguments"), [
    ("search", {"query": "tree " * 1_000}),
    ("search", {"query": "tree", "type": "concept" * 1_000}),
    ("read_note", {"note": "B-tree" * 1_000}),
    ("list_notes", {"folder": "wiki/" * 1_000}),
    ("list_notes", {"type": "x" * 5_000}),
])
def test_every_text_argument_has_a_length_cap(compiled: Vault, tool: str, arguments: dict[str, Any]) -> None:
    async def body(client: Client) -> Any:
        return await client.call_tool(tool, arguments)
    message = _error(_with_client(compiled.root, body))
    [(name, value)] = [(k, v) for k, v in arguments.items() if len(v) > 1_000]
    assert f"`{name}` is {len(value):,} characters long; the most kbd accepts is 1,000" in message


def _rpc(proc: subprocess.Popen[bytes], message: dict[str, Any]) -> None:
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(message).encode() + b"\n")
    proc.stdin.flush()


def test_kbd_mcp_exits_when_the_client_closes_stdin_during_a_tool_call(compiled: Vault) -> None:
    # A tool call that cannot finish: the index's table of contents is a FIFO nobody writes to,
    # so reading it blocks (as a read from a hung network disk would).
    ensure_index(compiled.root, load_config(compiled.root))
    [toc] = (compiled.root / ".kbd" / SEARCH_DIR).glob("*.toc")
    toc.unlink()
    os.mkfifo(toc)
    proc = subprocess.Popen([sys.executable, "-P", "-m", "kbd", "mcp", str(compiled.root)], cwd=compiled.root,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH})
    opened: list[int] = []
    writer = threading.Thread(target=lambda: opened.append(os.open(toc, os.O_WRONLY)), daemon=True)
    try:
        _rpc(proc, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}})
        assert proc.stdout is not None and b'"id":1' in proc.stdout.readline()
        _rpc(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        _rpc(proc, {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                    "params": {"name": "search", "arguments": {"query": "tree"}}})
        writer.start()
        writer.join(timeout=60)  # returns when the tool call has opened the FIFO: it is at work now
        assert opened, "the search never reached the index"
        proc.stdin.close()  # type: ignore[union-attr]
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for fd in opened:
            os.close(fd)
        if not opened:  # unblock the writer thread's open
            os.close(os.open(toc, os.O_RDONLY | os.O_NONBLOCK))
