"""Fixtures: a real vault on disk, kbd run as the user runs it, and a guard on raw/.

Every test that uses `vault` proves acceptance point 5 as a side effect: the fixture records the
bytes of raw/ after each change the test makes itself and, at teardown, asserts that kbd changed
none of them.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import frontmatter
import pytest

import kbd.features  # noqa: F401  (the features register their config sections, as the front doors do)
from kbd.compile.run import CompileReport, compile_vault
from kbd.config import load_config
from kbd.init import init_vault
from kbd.vault.links import WIKILINK, LinkResolver, parse_wikilink

# Fixtures shared by the modules that talk to the fake model (`server`, `key`, `model_reply`).
pytest_plugins = ["tests.model_fixtures"]

# A suite started in the background by a script (`cmd &` without job control) inherits SIGINT
# ignored, and so does every kbd it starts: Python then installs no KeyboardInterrupt, and the tests
# that press Ctrl-C on `kbd serve` or a handed-over command wait forever. A handler here (not an
# ignore) is reset to the default at exec, so each child kbd gets Ctrl-C as a person's terminal gives it.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

FIXED_EPOCH = "1790000000"  # 2026-09-21: generated timestamps are reproducible in tests
REAL_PAGES = Path(__file__).parent / "real_pages"  # whole pages of public corpora (README there)


def tree_bytes(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, bytes]:
    """Every file under `folder` (symlinks as their target text), keyed by relative path."""
    out: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if any(rel == s or rel.startswith(s + "/") for s in skip):
            continue
        if path.is_symlink():
            out[rel] = b"->" + os.readlink(path).encode()
        elif path.is_file():
            out[rel] = path.read_bytes()
    return out


def tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for rel, data in tree_bytes(folder).items():
        digest.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def clipper_note(title: str, body: str, *, source: str | None = None, author: str = "Ada Example",
                 published: str = "2025-03-14", tags: tuple[str, ...] = ("clippings",)) -> str:
    # Two clippings of one URL are one article (they share a source note): each title gets its own.
    source = source or "https://example.org/" + "-".join(re.findall(r"\w+", title.lower()))
    tag_lines = "".join(f'  - "{t}"\n' for t in tags)
    return (f'---\ntitle: "{title}"\nsource: "{source}"\nauthor:\n  - "[[{author}]]"\npublished: {published}\n'
            f"created: 2026-11-20\ntags:\n{tag_lines}---\n{body}\n")


class Vault:
    def __init__(self, root: Path) -> None:
        self.root = root
        init_vault(root)
        self.raw = root / "raw"
        self.wiki = root / "wiki"
        self.expected_raw = tree_hash(self.raw)

    # Changes the *user* makes to raw/ go through these, so the guard knows what to expect.
    def clip(self, name: str, text: str | bytes) -> Path:
        path = self.raw / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        self.sync_raw()
        return path

    def sync_raw(self) -> None:
        self.expected_raw = tree_hash(self.raw)

    def clip_real_pages(self, *pages: str) -> None:
        """Clip whole pages of tests/real_pages (paths under it, as they are there) and compile, images not fetched."""
        self.no_image_downloads()
        for page in pages:
            self.clip(Path(page).name, (REAL_PAGES / page).read_text(encoding="utf-8"))
        self.compile()

    def no_image_downloads(self) -> None:
        """Opt out of image downloads, for a test whose clippings embed images from hosts outside 127.0.0.1."""
        config = self.root / "kbd" / "config.yaml"
        config.write_text(config.read_text(encoding="utf-8") + "\nimages: {download: false}\n", encoding="utf-8")

    def compile(self) -> CompileReport:
        report = compile_vault(self.root, load_config(self.root))
        assert tree_hash(self.raw) == self.expected_raw, "kbd changed a byte under raw/"
        return report

    def kbd(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = run_kbd(*args, cwd=self.root)
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    def note(self, rel: str) -> frontmatter.Post:
        return frontmatter.loads((self.root / rel).read_text(encoding="utf-8"))

    def generated(self) -> dict[str, str]:
        return {p.relative_to(self.root).as_posix(): p.read_text(encoding="utf-8")
                for p in sorted(self.wiki.rglob("*.md"))}

    def mtimes(self) -> dict[str, int]:
        return {p.relative_to(self.root).as_posix(): p.stat().st_mtime_ns
                for p in sorted(self.wiki.rglob("*")) if p.is_file()}

    def status(self) -> str:
        return (self.wiki / "reports" / "Status.md").read_text(encoding="utf-8")


def run_kbd(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 1200) -> subprocess.CompletedProcess[str]:
    # -P: the vault has a kbd/ control folder that would otherwise shadow the package from the cwd.
    full_env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH, **(env or {})}
    return subprocess.run([sys.executable, "-P", "-m", "kbd", *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def unresolved_links(root: Path, files: dict[str, str]) -> list[str]:
    """Wikilinks in `files` (body and frontmatter) that Obsidian could not resolve in `root`."""
    everything = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
                  and ".kbd" not in p.relative_to(root).parts]
    resolver = LinkResolver(everything)
    bad = []
    for path, text in files.items():
        for m in WIKILINK.finditer(text):
            link = parse_wikilink(m.group(2), embed=bool(m.group(1)))
            if resolver.resolve(link.target, path) is None:
                bad.append(f"{path}: [[{m.group(2)}]]")
    return bad


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", FIXED_EPOCH)


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[Vault]:
    v = Vault(tmp_path / "Vault")
    yield v
    assert tree_hash(v.raw) == v.expected_raw, "kbd changed a byte under raw/"


SAMPLES = Path(__file__).resolve().parent.parent / "kbd" / "samples"


@pytest.fixture
def sample_vault(vault: Vault) -> Vault:
    for sample in sorted(SAMPLES.glob("*.md")):
        vault.clip(sample.name, sample.read_bytes())
    return vault


