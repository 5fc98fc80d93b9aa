"""`kbd init`: lay out a vault from the packaged template, adding only what is missing."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from kbd.vault.write import create_if_missing

KEEP_FILE = ".keep"  # marks an empty folder in the template; not copied


@dataclass
class InitReport:
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # already there, left untouched


def init_vault(root: Path, samples: bool = False) -> InitReport:
    report = InitReport()
    root.mkdir(parents=True, exist_ok=True)
    template = resources.files("kbd") / "vault_template"
    for rel, item in _walk(template, ""):
        if item.is_dir():
            target = root / rel
            if not target.exists():
                target.mkdir(parents=True)
                report.created.append(rel + "/")
        elif item.name != KEEP_FILE:
            _create(root, rel, item.read_bytes(), report)
    if samples:
        for item in sorted(resources.files("kbd").joinpath("samples").iterdir(), key=lambda t: t.name):
            if item.name.endswith(".md"):
                _create(root, f"raw/{item.name}", item.read_bytes(), report)
    return report


def _create(root: Path, rel: str, data: bytes, report: InitReport) -> None:
    (report.created if create_if_missing(root, rel, data) else report.kept).append(rel)


def _walk(folder: Traversable, prefix: str) -> list[tuple[str, Traversable]]:
    out: list[tuple[str, Traversable]] = []
    for item in sorted(folder.iterdir(), key=lambda t: t.name):
        if item.name == "__pycache__":
            continue
        rel = f"{prefix}{item.name}"
        out.append((rel, item))
        if item.is_dir():
            out.extend(_walk(item, rel + "/"))
    return out
