"""The first hour of a new user: no command leaves debris, advice fits where it is run from, exit
codes follow the README, and every message names the real problem."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kbd.config import ConfigError, parse_config, trigger_jobs
from kbd.daemon.install import service_file
from kbd.jobs import JOBS
from kbd.lock import VaultLock
from tests.conftest import SAMPLES, Vault, run_kbd, tree_bytes

REPO = Path(__file__).resolve().parent.parent


def test_doctor_on_a_mistyped_path_creates_nothing_and_says_so(tmp_path: Path) -> None:
    typo = tmp_path / "typo" / "path"
    result = run_kbd("doctor", str(typo))
    assert result.returncode == 2
    assert "does not exist" in result.stdout and "1 problem to fix" in result.stdout
    assert not (tmp_path / "typo").exists()


def test_read_only_commands_leave_a_folder_exactly_as_they_found_it(tmp_path: Path) -> None:
    plain = tmp_path / "Documents"
    plain.mkdir()
    (plain / "note.md").write_text("mine")
    for command in ("doctor", "status", "plan", "compile"):
        result = run_kbd(command, str(plain))
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert tree_bytes(plain) == {"note.md": b"mine"}, command


def test_status_plan_and_doctor_on_a_vault_never_compiled_create_no_state(vault: Vault) -> None:
    vault.clip("a.md", (SAMPLES / "Why B-trees stay shallow.md").read_text())
    before = tree_bytes(vault.root)
    assert vault.kbd("status").returncode == 0
    plan = vault.kbd("plan")
    assert "1 clipping to compile" in plan.stdout
    doctor = vault.kbd("doctor")
    assert "does not exist yet" in doctor.stdout
    assert tree_bytes(vault.root) == before
    assert not (vault.root / ".kbd").exists()


def test_a_command_run_inside_raw_points_to_the_vault_not_to_kbd_init(vault: Vault) -> None:
    for command in ("compile", "status", "plan"):
        result = run_kbd(command, cwd=vault.raw)
        assert result.returncode == 2
        assert f"inside the vault {vault.root}" in result.stderr, result.stderr
        assert f"`kbd {command} ..`" in result.stderr and "kbd init" not in result.stderr
    doctor = run_kbd("doctor", cwd=vault.raw)
    assert doctor.returncode == 2 and f"inside the vault {vault.root}" in doctor.stdout
    assert not (vault.raw / ".kbd").exists() and not (vault.raw / "raw").exists()


def test_init_inside_a_vault_refuses_to_nest_one(vault: Vault) -> None:
    result = run_kbd("init", ".", cwd=vault.raw)
    assert result.returncode == 2 and f"inside the vault {vault.root}" in result.stderr
    assert not (vault.raw / "kbd").exists() and not (vault.raw / "wiki").exists()


def test_init_creates_the_raw_folder_the_config_names(tmp_path: Path) -> None:
    root = tmp_path / "Vault"
    (root / "kbd").mkdir(parents=True)
    (root / "kbd/config.yaml").write_text("paths:\n  raw: Clippings\n")
    result = run_kbd("init", str(root), "--samples")
    assert result.returncode == 0, result.stderr
    assert (root / "Clippings/assets").is_dir() and not (root / "raw").exists()
    assert (root / "Clippings/Why B-trees stay shallow.md").is_file()
    assert "clip articles into Clippings/" in result.stdout
    compiled = run_kbd("compile", str(root))
    assert compiled.returncode == 0, compiled.stderr
    assert (root / "wiki/sources/Why B-trees stay shallow.md").is_file()


def test_compile_advice_for_a_missing_configured_raw_folder_is_kbd_init_and_it_works(vault: Vault) -> None:
    (vault.root / "kbd/config.yaml").write_text("paths:\n  raw: Clippings\n")
    result = vault.kbd("compile", check=False)
    assert result.returncode == 2 and "no Clippings/ folder" in result.stderr and "`kbd init .`" in result.stderr
    vault.kbd("init", ".")
    assert (vault.root / "Clippings").is_dir()
    assert vault.kbd("compile").returncode == 0


def test_init_with_a_broken_config_refuses_before_creating_anything(tmp_path: Path) -> None:
    root = tmp_path / "Vault"
    (root / "kbd").mkdir(parents=True)
    (root / "kbd/config.yaml").write_text("paths:\n  raws: Clippings\n")
    result = run_kbd("init", str(root))
    assert result.returncode == 2 and "key `paths.raws`" in result.stderr
    assert sorted(p.name for p in root.iterdir()) == ["kbd"]


def test_a_vault_held_by_another_process_is_a_refusal_with_exit_code_2(sample_vault: Vault) -> None:
    with VaultLock(sample_vault.root / ".kbd"):
        result = sample_vault.kbd("compile", check=False)
    assert result.returncode == 2 and "another kbd process" in result.stderr


def test_adopting_a_missing_note_says_it_does_not_exist(sample_vault: Vault) -> None:
    sample_vault.compile()
    result = sample_vault.kbd("adopt", "wiki/sources/No such note.md", check=False)
    assert result.returncode == 2
    assert "does not exist" in result.stdout and "did not write" not in result.stdout
    (sample_vault.root / "Daily.md").write_text("mine")
    theirs = sample_vault.kbd("adopt", "Daily.md", check=False)
    assert theirs.returncode == 2 and "kbd did not write this note" in theirs.stdout


def test_service_units_for_two_vaults_with_the_same_name_differ(tmp_path: Path) -> None:
    a, b = tmp_path / "a" / "Vault", tmp_path / "b" / "Vault"
    home = tmp_path / "home"
    for platform in ("linux", "darwin"):
        unit_a, unit_b = service_file(a, home, platform), service_file(b, home, platform)
        assert unit_a.path != unit_b.path
        assert unit_a.path.name.startswith(("kbd-Vault-", "dev.kbd.Vault-"))
        assert service_file(a, home, platform).path == unit_a.path, "the name is stable for one vault"


def test_index_says_truthfully_what_happens_to_edits(sample_vault: Vault) -> None:
    sample_vault.compile()
    index = (sample_vault.wiki / "index.md").read_text()
    assert "edits here are not kept" not in index
    assert "kbd keeps your version" in index and "kbd adopt" in index


def test_trigger_parameters_are_checked_against_the_job_table() -> None:
    assert set(trigger_jobs()) == set(JOBS)
    assert trigger_jobs()["ask"].params == ("refresh_stale",) and trigger_jobs()["monitor"].params == ("name",)
    parse_config("triggers:\n  - {name: t, on: {start: true}, run: ask, with: {refresh_stale: true}}\n")
    with pytest.raises(ConfigError, match="refresh_stale"):
        parse_config("triggers:\n  - {name: t, on: {start: true}, run: ask, with: {refresh_stal: true}}\n")


def test_the_repository_keeps_its_promises_about_itself() -> None:
    assert "MIT License" in (REPO / "LICENSE").read_text()
    assert 'license = {text = "MIT"}' in (REPO / "pyproject.toml").read_text()
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True).stdout.split()
    for line in (REPO / "requirements.in").read_text().splitlines():
        for word in line.split():
            if word.endswith(".md"):
                assert word in tracked, f"requirements.in refers to {word}, which is not in the repository"
    for doc in ("docs/models.md", "config.example.yaml"):
        text = (REPO / doc).read_text()
        assert "verifier" in text
        assert "Not in this version yet: a verifier" not in text and "Coming in a later version" not in text
