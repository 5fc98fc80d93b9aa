"""Acceptance 8: bad input never crashes a run, never yields a partial note, and is explained."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from kbd.vault.layout import TEMP_SUFFIX
from tests.conftest import Vault, clipper_note

GOOD_BODY = ("The buffer pool keeps hot pages in memory. A buffer pool with a clock sweep evicts cold pages "
             "first. Sizing the buffer pool is the most important tuning decision for a database server.")
ALIAS_BOMB = "---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n" \
             "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n---\n"


def _body(n: int) -> str:
    """GOOD_BODY made distinct: clippings with the same text would be one article."""
    return f"{GOOD_BODY} Server number {n} has its own buffer pool."


def _bad_vault(vault: Vault, tmp_path_factory_dir: os.PathLike[str]) -> None:
    vault.clip("empty.md", b"")
    vault.clip("frontmatter only.md", "---\ntitle: Only properties\ntags: [a]\n---\n")
    vault.clip("binary.md", b"PK\x03\x04\x00\x00binary zip data" + bytes(range(256)))
    vault.clip("latin1.md", "Caf\xe9 cr\xe8me br\xfbl\xe9e is a dessert.".encode("latin-1"))
    vault.clip("huge.md", b"word " * (10 * 1024 * 1024))  # 50 MB
    vault.clip("deep yaml.md", "---\ntitle: " + "[" * 2000 + "]" * 2000 + "\n---\n" + _body(1))
    vault.clip("alias bomb.md", ALIAS_BOMB + _body(2))
    vault.clip("duplicate keys.md", "---\ntitle: One\ntitle: Two\n---\n" + _body(3))
    vault.clip("broken yaml.md", "---\ntitle: [unclosed\nsource: x\n---\n" + _body(4))
    outside = os.path.join(tmp_path_factory_dir, "outside.md")
    with open(outside, "w") as fh:
        fh.write(GOOD_BODY)
    os.symlink(outside, vault.raw / "link outside.md")
    os.symlink(vault.raw / "loop b.md", vault.raw / "loop a.md")
    os.symlink(vault.raw / "loop a.md", vault.raw / "loop b.md")
    vault.clip("Why B-trees stay shallow.sync-conflict-20260101-101010-ABCDEFG.md", GOOD_BODY)
    vault.clip("Why B-trees stay shallow (Conflicted copy 2026-01-01 101010).md", GOOD_BODY)
    vault.clip("with spaces and ünïcödé 日本.md", clipper_note("Spaces and unicode", _body(5)))
    vault.clip("hash # and 100% done.md", clipper_note("Hash and percent", _body(6)))
    vault.clip("n" * 240 + ".md", clipper_note("Long file name", _body(7)))
    vault.clip("nested/deeper/good.md", clipper_note("A good note", _body(8)))
    vault.sync_raw()


def test_bad_input_is_reported_and_good_input_still_compiles(vault: Vault, tmp_path: Path) -> None:
    _bad_vault(vault, tmp_path)
    result = vault.kbd("compile", ".")
    assert "skipped 8" in result.stdout, result.stdout

    status = vault.status()
    expected = {
        "raw/empty.md": "empty file",
        "raw/frontmatter only.md": "no body text (frontmatter only)",
        "raw/binary.md": "binary file",
        "raw/latin1.md": "not valid UTF-8 (byte 0xe9 at offset 3)",
        "raw/huge.md": "52.4 MB is over the 5 MB limit",
        "raw/link outside.md": "symlink to outside the vault",
        "raw/loop a.md": "symlink loop",
        "raw/loop b.md": "symlink loop",
    }
    skipped = status.split("## Skipped files", 1)[1].split("##", 1)[0]
    for path, reason in expected.items():
        line = next((ln for ln in skipped.splitlines() if ln.startswith(f"- {path.replace('/', '/')}")), None)
        assert line is not None and reason in line.replace("\\", ""), f"{path}: {reason!r} not in Status.md"
    warnings = status.split("## Compiled with warnings", 1)[1].split("##", 1)[0].replace("\\", "")
    assert "raw/deep yaml.md — frontmatter ignored: nested more than 20 levels deep" in warnings
    assert "raw/alias bomb.md — frontmatter ignored: YAML anchors and aliases are not allowed" in warnings
    assert "raw/duplicate keys.md — frontmatter ignored: duplicate key `title` at line 3" in warnings
    assert "raw/broken yaml.md — frontmatter ignored: invalid YAML" in warnings
    ignored = status.split("## Ignored", 1)[1].replace("\\", "")
    assert "sync-conflict" in ignored and "(Conflicted copy" in ignored
    assert "kbd: skipped raw/empty.md: empty file" in result.stderr
    assert (vault.root / ".kbd/kbd.log").read_text().count("skipped raw/") == 8

    titles = {vault.note(p)["title"] for p in vault.generated() if p.startswith("wiki/sources/")}
    assert titles == {"Spaces and unicode", "Hash and percent", "Long file name", "A good note", "deep yaml",
                      "alias bomb", "duplicate keys", "broken yaml"}
    for path, text in vault.generated().items():
        yaml.safe_load(text.split("---\n", 2)[1])  # every note is whole: its frontmatter parses
        assert text.endswith("\n"), path
    assert not [p for p in vault.root.rglob(f"*{TEMP_SUFFIX}")]


def test_a_note_that_turns_bad_loses_its_summary_and_says_why(vault: Vault) -> None:
    vault.clip("note.md", clipper_note("Buffer pools", GOOD_BODY))
    vault.compile()
    assert (vault.wiki / "sources/Buffer pools.md").exists()
    vault.clip("note.md", b"\x00\x01binary now")
    vault.compile()
    assert not (vault.wiki / "sources/Buffer pools.md").exists()
    assert "raw/note.md — binary file" in vault.status().replace("\\", "")


def test_a_fixed_file_is_picked_up_and_leaves_the_report(vault: Vault) -> None:
    vault.clip("note.md", b"")
    vault.compile()
    assert "raw/note.md" in vault.status()
    vault.clip("note.md", clipper_note("Buffer pools", GOOD_BODY))
    vault.compile()
    assert "## Skipped files" not in vault.status()
    assert (vault.wiki / "sources/Buffer pools.md").exists()


def test_rejected_files_are_not_reread_on_every_run(vault: Vault) -> None:
    vault.clip("empty.md", b"")
    vault.clip("binary.md", b"\x00" * 10)
    vault.compile()
    before = vault.mtimes()
    report = vault.compile()
    assert report.engine_calls == 0 and report.newly_skipped == 0
    assert vault.mtimes() == before
