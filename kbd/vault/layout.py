"""Where things live in a vault, which files kbd looks at, and how generated notes are named."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from kbd.config import CONFIG_RELPATH, Config

STATE_DIR = ".kbd"
CONTROL_DIR = "kbd"
TEMP_SUFFIX = ".kbd-tmp"
MAX_NAME_BYTES = 200


@dataclass(frozen=True)
class VaultLayout:
    root: Path
    raw: str
    wiki: str

    @classmethod
    def from_config(cls, root: Path, config: Config) -> VaultLayout:
        return cls(root=root.resolve(), raw=config.paths.raw.strip("/"), wiki=config.paths.wiki.strip("/"))

    # Vault-relative POSIX paths: how notes link to each other and how the ledger names files.
    @property
    def sources(self) -> str:
        return f"{self.wiki}/sources"

    @property
    def concepts(self) -> str:
        return f"{self.wiki}/concepts"

    @property
    def reports(self) -> str:
        return f"{self.wiki}/reports"

    @property
    def index_note(self) -> str:
        return f"{self.wiki}/index.md"

    @property
    def log_note(self) -> str:
        return f"{self.wiki}/log.md"

    @property
    def status_note(self) -> str:
        return f"{self.reports}/Status.md"

    def is_lint_report(self, rel: str) -> bool:
        """A dated lint report: a note the user is meant to edit (ticking boxes), not a stopped one."""
        folder, _, name = rel.rpartition("/")
        return folder == self.reports and bool(_LINT_REPORT.match(name))

    @property
    def questions(self) -> str:
        """Where the user drops question notes; the only notes outside the wiki kbd writes into
        (inside their managed region)."""
        return f"{CONTROL_DIR}/questions"

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    def abs(self, rel: str) -> Path:
        return self.root / rel


_LINT_REPORT = re.compile(r"^Lint \d{4}-\d{2}-\d{2}( \(\d+\))?\.md$")


def enclosing_vault(folder: Path) -> Path | None:
    """The nearest folder above `folder` that is a kbd vault (has `.kbd/` or `kbd/config.yaml`): a
    command run inside `raw/` must point to that vault, not suggest making a new one there."""
    for parent in folder.parents:
        if (parent / STATE_DIR).is_dir() or (parent / CONFIG_RELPATH).is_file():
            return parent
    return None


_CONFLICT_PATTERNS = (
    re.compile(r"\.sync-conflict-\d{8}-\d{6}"),  # Syncthing
    # Obsidian Sync, Dropbox, Nextcloud: "(… conflicted copy 2026-01-01 …)"; the date keeps a title like
    # "CRDTs (conflict-free replicated data types)" from being mistaken for one.
    re.compile(r" \([^)]*\bconflict(?:ed copy)?\b[^)]*\d{4}-?\d{2}-?\d{2}[^)]*\)", re.IGNORECASE),
)
_TEMP_PATTERNS = re.compile(r"(~$|\.swp$|\.swx$|\.tmp$|\.temp$|\.part$|\.crdownload$|\.kbd-tmp$|^\.#|^#.*#$)")


# What kbd compiles from the raw folder: clipped notes, and PDF papers (kbd/papers).
SOURCE_SUFFIXES = (".md", ".pdf")


def is_source_name(name: str) -> bool:
    return name.lower().endswith(SOURCE_SUFFIXES) and not is_ignored_name(name)


def is_conflict_copy(name: str) -> bool:
    return any(p.search(name) for p in _CONFLICT_PATTERNS)


def is_ignored_name(name: str) -> bool:
    """Dot-files, editor temp and backup files: never content, never reported."""
    return name.startswith(".") or bool(_TEMP_PATTERNS.search(name))


# Characters Obsidian forbids or that break links, backticks (a code span around a link's target
# would swallow it), plus control characters.
_FORBIDDEN = re.compile(r'[\\/:*?"<>|#^\[\]%`\x00-\x1f\x7f]')


def clean_title(text: str) -> str:
    """A title fit for display: one line, no control characters, bounded length."""
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)
    text = re.sub(r"\s+", " ", text).strip()
    return text[:300]


def safe_note_name(title: str) -> str:
    """A file name (without .md) that Obsidian, every OS and every sync tool accept."""
    name = unicodedata.normalize("NFC", title)
    name = _FORBIDDEN.sub(" ", name)
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp", "Cs"))
    name = re.sub(r"\s+", " ", name).strip(" .")
    if not name:
        name = "Untitled"
    budget = MAX_NAME_BYTES - len(".md") - 8  # room for " (NNNN)" de-duplication
    if len(name.encode("utf-8")) > budget:
        name = name.encode("utf-8")[:budget].decode("utf-8", "ignore").rstrip(" .")
    if name.upper().split(".")[0] in _WINDOWS_RESERVED:
        name = f"{name} note"
    return name


_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                     *(f"LPT{i}" for i in range(1, 10))}


def unique_name(base: str, taken: set[str]) -> str:
    """`base`, or `base (2)`, `base (3)`… so that no two names are equal ignoring case.

    `taken` holds casefolded names and is updated.
    """
    name, n = base, 1
    while name.casefold() in taken:
        n += 1
        name = f"{base} ({n})"
    taken.add(name.casefold())
    return name


def glob_to_regex(glob: str) -> re.Pattern[str]:
    """`raw/**/*.md` style globs: `**` spans folders, `*` and `?` stay inside one."""
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("".join(out) + r"\Z", re.IGNORECASE)
