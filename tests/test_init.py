from pathlib import Path

from kbd.init import init_vault
from tests.conftest import run_kbd, tree_bytes


def test_init_on_an_empty_folder_creates_the_layout(tmp_path: Path) -> None:
    result = run_kbd("init", str(tmp_path / "Vault"))
    assert result.returncode == 0, result.stderr
    root = tmp_path / "Vault"
    for folder in ("raw", "raw/assets", "wiki/sources", "wiki/concepts", "wiki/answers", "wiki/slides",
                   "wiki/reports", "kbd/skills", "kbd/questions"):
        assert (root / folder).is_dir(), folder
    assert (root / "kbd/config.yaml").read_text().startswith("# kbd configuration")
    assert (root / "kbd/constraints.md").is_file()
    assert not list(root.rglob(".keep")), "template placeholders must not be copied"
    assert list((root / "raw").glob("*.md")) == [], "no samples unless asked for"


def test_init_on_an_existing_vault_adds_only_what_is_missing(tmp_path: Path) -> None:
    root = tmp_path / "Vault"
    (root / "kbd").mkdir(parents=True)
    (root / "kbd/config.yaml").write_text("compile:\n  concept_min_sources: 3\n")
    (root / "raw").mkdir()
    (root / "raw/My clipping.md").write_text("---\ntitle: mine\n---\nMy own words.\n")
    (root / "Daily note.md").write_text("today")
    (root / ".obsidian").mkdir()
    (root / ".obsidian/app.json").write_text("{}")
    (root / "wiki").mkdir()
    (root / "wiki/index.md").write_text("my hand-made index")
    before = tree_bytes(root)

    report = init_vault(root, samples=True)

    after = tree_bytes(root)
    for rel, data in before.items():
        assert after[rel] == data, f"init changed {rel}"
    assert "kbd/config.yaml" in report.kept
    assert "kbd/constraints.md" in report.created
    assert (root / "wiki/sources").is_dir()
    assert (root / "raw/Why B-trees stay shallow.md").is_file()


def test_init_twice_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "Vault"
    init_vault(root, samples=True)
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*")}
    report = init_vault(root, samples=True)
    assert report.created == []
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*")} == before
