"""Acceptance 6: a user's edit to a generated note is never overwritten; `kbd adopt` hands it back."""

from __future__ import annotations

from tests.conftest import Vault

NOTE = "wiki/sources/Why B-trees stay shallow.md"


def _edit_raw(vault: Vault) -> None:
    path = vault.raw / "Why B-trees stay shallow.md"
    vault.clip(path.name, path.read_text() + "\nA new closing paragraph about the B-tree buffer pool and its pages.\n")


def test_user_edit_is_never_overwritten(sample_vault: Vault) -> None:
    sample_vault.compile()
    note = sample_vault.root / NOTE
    mine = note.read_text() + "\n## My notes\nThis is what I think.\n"
    note.write_text(mine)
    _edit_raw(sample_vault)

    report = sample_vault.compile()

    assert report.ingested == 1
    assert note.read_text() == mine
    assert NOTE in report.kept_user_edits
    status = sample_vault.status()
    assert "## Notes you edited" in status and "[[wiki/sources/Why B-trees stay shallow|" in status
    assert "kbd adopt" in status
    # and it stays the user's on later runs too
    _edit_raw(sample_vault)
    sample_vault.compile()
    assert note.read_text() == mine


def test_an_edit_is_reported_even_when_nothing_else_changed(sample_vault: Vault) -> None:
    sample_vault.compile()
    note = sample_vault.root / "wiki/concepts/B-tree.md"
    note.write_text(note.read_text() + "\nmine\n")
    sample_vault.compile()
    assert "[[wiki/concepts/B-tree|" in sample_vault.status()


def test_adopt_hands_the_note_back_and_it_is_regenerated(sample_vault: Vault) -> None:
    sample_vault.compile()
    note = sample_vault.root / NOTE
    original = note.read_text()
    note.write_text("my rewrite\n")
    sample_vault.compile()
    assert note.read_text() == "my rewrite\n"

    result = sample_vault.kbd("adopt", str(note))

    assert "adopted wiki/sources/Why B-trees stay shallow.md" in result.stdout
    assert note.read_text() == original
    assert "Notes you edited" not in sample_vault.status()


def test_deleting_a_raw_note_keeps_a_summary_the_user_edited(sample_vault: Vault) -> None:
    sample_vault.compile()
    note = sample_vault.root / NOTE
    note.write_text(note.read_text() + "\nkeep this\n")
    (sample_vault.raw / "Why B-trees stay shallow.md").unlink()
    sample_vault.sync_raw()
    sample_vault.compile()
    assert note.read_text().endswith("keep this\n")


def test_kbd_never_overwrites_a_file_it_did_not_write(sample_vault: Vault) -> None:
    foreign = sample_vault.root / NOTE
    foreign.parent.mkdir(parents=True, exist_ok=True)
    foreign.write_text("a note I made by hand before kbd ran\n")
    sample_vault.compile()
    assert foreign.read_text() == "a note I made by hand before kbd ran\n"
    assert "Notes you edited" in sample_vault.status()
