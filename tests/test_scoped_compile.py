"""The daemon compiles just the paths its watcher reported. Whatever those changes are, the
result must be what a full scan of the vault would have produced."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from kbd.compile.run import Compiler, open_state
from kbd.compile.scan import ScanResult, scan_raw
from kbd.config import load_config
from kbd.vault.layout import VaultLayout
from tests.conftest import Vault, clipper_note

BODY = ("The buffer pool keeps hot pages in memory and evicts cold pages first. A write-ahead log makes every "
        "change durable before the page itself is written. {}")


def _note(title: str) -> str:
    return clipper_note(title, BODY.format(f"This note is about {title}."))


def _additions(root: Path) -> list[str]:
    """Changes that add or alter files (an edit, a new clip, a folder moved in, a touch, a
    dot-folder, a symlinked folder, a user edit to a summary); returns what a watcher reports
    for them (a folder, not its files, when one moves in)."""
    raw = root / "raw"
    (raw / "Edited.md").write_text(_note("Edited") + "One more sentence about the buffer pool.\n")
    (raw / "New one.md").write_text(_note("New one"))
    moved_in = root / "outside"
    moved_in.mkdir()
    (moved_in / "In a folder.md").write_text(_note("In a folder"))
    (moved_in / "In a folder too.md").write_text(_note("In a folder too"))
    moved_in.rename(raw / "moved in")
    (raw / ".hidden").mkdir()
    (raw / ".hidden" / "Secret.md").write_text(_note("Secret"))
    os.symlink(root / "outside-target", raw / "linked folder")
    (raw / "Untouched.md").touch()
    kept = root / "wiki" / "sources" / "Kept.md"
    kept.write_text(kept.read_text() + "\nMy own note on this source.\n")
    return ["wiki/sources/Kept.md", "raw/Edited.md", "raw/New one.md", "raw/moved in", "raw/.hidden/Secret.md",
            "raw/linked folder", "raw/Untouched.md", "wiki/index.md", "Elsewhere.md"]


def _removals(root: Path) -> list[str]:
    """A delete, a rename and a deleted folder; returns what a watcher reports for them."""
    raw = root / "raw"
    (raw / "Deleted.md").unlink()
    (raw / "Renamed.md").rename(raw / "Renamed (moved).md")
    shutil.rmtree(raw / "old folder")
    return ["raw/Deleted.md", "raw/Renamed.md", "raw/Renamed (moved).md", "raw/old folder"]


def _make_changes(root: Path) -> list[str]:
    return _additions(root) + _removals(root)


def _vault_before(vault: Vault) -> None:
    for title in ("Edited", "Deleted", "Renamed", "Untouched", "Kept"):
        vault.clip(f"{title}.md", _note(title))
    (vault.raw / "old folder").mkdir()
    vault.clip("old folder/Gone with its folder.md", _note("Gone with its folder"))
    (vault.root / "outside-target").mkdir()
    vault.compile()


def _summary(scan: ScanResult) -> tuple[object, ...]:
    return (sorted(c.path for c in scan.changed), sorted(c.path for c in scan.touched), sorted(scan.gone),
            sorted(scan.forgotten), sorted(r.path for r, _, _ in scan.rejected), sorted(r.path for r in scan.ignored))


def _scan(vault: Vault, only: list[str] | None) -> ScanResult:
    layout = VaultLayout.from_config(vault.root, load_config(vault.root))
    state = open_state(layout)
    try:
        return scan_raw(layout, state, 1 << 20, only)
    finally:
        state.close()


def test_scanning_reported_paths_finds_what_a_full_scan_finds_there(vault: Vault) -> None:
    _vault_before(vault)
    reported = _additions(vault.root)
    (vault.raw / "Kept.md").write_text(_note("Kept") + "An edit the watcher never reported.\n")
    vault.sync_raw()
    changed, touched, gone, _, rejected, _ = _summary(_scan(vault, reported))
    assert changed == ["raw/Edited.md", "raw/New one.md", "raw/moved in/In a folder too.md",
                       "raw/moved in/In a folder.md"]
    assert (touched, gone, rejected) == (["raw/Untouched.md"], [], ["raw/linked folder"])
    # A full scan finds the same, and the unreported edit that the next reconcile will pick up. It
    # may find more touched files: one read within 2 s of its last change is hashed again (fsread).
    full = _summary(_scan(vault, None))
    assert full[0] == ["raw/Edited.md", "raw/Kept.md", *changed[1:]] and full[2:] == (gone, [], rejected, [])
    assert set(touched) <= set(full[1])


def test_a_move_is_recognised_even_when_the_watcher_reports_only_its_old_path(vault: Vault) -> None:
    _vault_before(vault)
    _removals(vault.root)
    vault.sync_raw()
    changed, _, gone, _, _, _ = _summary(_scan(vault, ["raw/Renamed.md"]))
    assert "raw/Renamed (moved).md" in changed and "raw/Renamed.md" in gone
    assert gone == ["raw/Deleted.md", "raw/Renamed.md", "raw/old folder/Gone with its folder.md"]


def test_a_compile_of_reported_paths_leaves_the_wiki_a_full_compile_leaves(vault: Vault, tmp_path: Path) -> None:
    _vault_before(vault)
    twin_root = tmp_path / "Twin"
    shutil.copytree(vault.root, twin_root, symlinks=True)
    reported = _make_changes(vault.root)
    _make_changes(twin_root)
    vault.sync_raw()

    for root, only in ((vault.root, reported), (twin_root, None)):
        config = load_config(root)
        layout = VaultLayout.from_config(root, config)
        state = open_state(layout)
        try:
            report = Compiler(layout, config, state, only=only).run()
        finally:
            state.close()
        assert (report.ingested, report.moved, report.removed) == (4, 1, 2)
        assert report.kept_user_edits == ["wiki/sources/Kept.md"]

    def wiki(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "wiki").rglob("*.md"))}

    assert wiki(vault.root) == wiki(twin_root)
