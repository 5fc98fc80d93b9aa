"""The writer is the only door into the vault; these are its locks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kbd.config import Config
from kbd.render.frontmatter import render_frontmatter, yaml_str
from kbd.state import State
from kbd.vault.layout import MAX_NAME_BYTES, VaultLayout, safe_note_name, unique_name
from kbd.vault.sanitize import property_text
from kbd.vault.write import Outcome, VaultWriter, WriteRefused


@pytest.fixture
def writer(tmp_path: Path) -> VaultWriter:
    (tmp_path / "wiki").mkdir()
    layout = VaultLayout.from_config(tmp_path, Config())
    return VaultWriter(layout, State(tmp_path / ".kbd/state.db"))


@pytest.mark.parametrize("rel", ["raw/x.md", "kbd/config.yaml", "wiki/../raw/x.md", "/etc/passwd", "x.md",
                                 "wikiother/x.md"])
def test_writes_outside_the_wiki_folder_are_refused(writer: VaultWriter, rel: str) -> None:
    with pytest.raises(WriteRefused):
        writer.write(rel, "x")


def test_writes_through_a_symlinked_folder_are_refused(writer: VaultWriter, tmp_path: Path) -> None:
    outside = tmp_path.parent / "outside-target"
    outside.mkdir(exist_ok=True)
    os.symlink(outside, tmp_path / "wiki/sources")
    with pytest.raises(WriteRefused, match="symlink"):
        writer.write("wiki/sources/x.md", "x")
    assert list(outside.iterdir()) == []


def test_a_symlinked_note_is_not_followed(writer: VaultWriter, tmp_path: Path) -> None:
    target = tmp_path / "precious.md"
    target.write_text("precious")
    os.symlink(target, tmp_path / "wiki/index.md")
    with pytest.raises(WriteRefused):
        writer.write("wiki/index.md", "overwritten?")
    assert target.read_text() == "precious"


def test_unchanged_bytes_are_not_rewritten(writer: VaultWriter, tmp_path: Path) -> None:
    assert writer.write("wiki/a.md", "hello\n") is Outcome.WRITTEN
    mtime = (tmp_path / "wiki/a.md").stat().st_mtime_ns
    assert writer.write("wiki/a.md", "hello\n") is Outcome.UNCHANGED
    assert (tmp_path / "wiki/a.md").stat().st_mtime_ns == mtime


def test_a_crash_after_replace_is_not_mistaken_for_a_user_edit(writer: VaultWriter, tmp_path: Path) -> None:
    writer.write("wiki/a.md", "v1\n")
    # Simulate a crash between the replace and the ledger update: pending recorded, file replaced.
    from kbd.vault.write import sha256_bytes
    writer.state.output_pending("wiki/a.md", sha256_bytes(b"v2\n"))
    (tmp_path / "wiki/a.md").write_bytes(b"v2\n")
    assert writer.write("wiki/a.md", "v3\n") is Outcome.WRITTEN
    assert (tmp_path / "wiki/a.md").read_text() == "v3\n"


def test_stray_temp_files_are_removed(writer: VaultWriter, tmp_path: Path) -> None:
    (tmp_path / "wiki/.a.md.kbd-tmp").write_text("half")
    assert writer.remove_stray_temp_files() == 1
    assert not (tmp_path / "wiki/.a.md.kbd-tmp").exists()


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


@settings(max_examples=300, deadline=None)
@given(title=_text, tags=st.lists(_text, max_size=4), flag=st.booleans())
def test_frontmatter_reads_back_exactly_as_written(title: str, tags: list[str], flag: bool) -> None:
    assert yaml.safe_load("x: " + yaml_str(title)) == {"x": title}, "the YAML scalar escape loses nothing"
    text = render_frontmatter([("title", title), ("tags", tags), ("verified", flag)])
    data = yaml.safe_load(text.split("---\n")[1])
    # Properties are data: what reads back is the text with links, tags and entities made plain.
    assert data == {"title": property_text(title), "tags": [property_text(t) for t in tags], "verified": flag}
    assert "<%" not in text


@settings(max_examples=500, deadline=None)
@given(title=st.text(max_size=300))
def test_every_title_gets_a_safe_file_name(title: str) -> None:
    name = safe_note_name(title)
    assert name and not set('\\/:*?"<>|#^[]%') & set(name)
    assert name == name.strip(" .") and len((name + ".md").encode()) <= MAX_NAME_BYTES
    assert all(ord(c) >= 32 and ord(c) != 127 for c in name)


def test_names_are_unique_ignoring_case() -> None:
    taken: set[str] = set()
    names = [unique_name(safe_note_name(t), taken) for t in ["Same", "SAME", "same", "Same (2)"]]
    assert len({n.casefold() for n in names}) == 4
