"""The typed values lint passes between its stages: a `Finding` (one problem a check saw), the
`Fix` a ticked checkbox asks for, and the `LintReport` a run produces. Plain data; no I/O."""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, field

# Why a check did not run, in kbd's own words: the report shows them as written (`models:` as code);
# any other reason (an exception's message, which may quote a note) is escaped.
NEEDS_MODEL = "needs a model: add `models:` to kbd/config.yaml"
SWITCHED_OFF = "switched off in kbd/config.yaml (`lint:`)"
KBD_REASONS = frozenset({NEEDS_MODEL, SWITCHED_OFF})


class Severity(enum.IntEnum):
    """How much a finding matters; the report lists the worse ones first."""

    INFO = 0  # worth knowing (a concept with a single source)
    WARNING = 1  # something a reader meets (a broken link, a stale summary)
    ERROR = 2  # kbd cannot do its job on this note (invalid frontmatter, a note kbd stopped managing)


@dataclass(frozen=True)
class Fix:
    """A safe change kbd can make when the user ticks the finding's checkbox.

    `kind` names an applier registered with `registry.fixer` (e.g. "merge-concepts"); `args` are
    the applier's inputs as sorted (name, value) text pairs. The fix is identified by `fix_id`, a
    hash of kind and args: the report line carries only that id (as an Obsidian block id), and the
    args are kept in state.db, so nothing a user types into a report can become an applier's input.
    """

    kind: str
    args: tuple[tuple[str, str], ...]
    label: str  # the checkbox text, markdown, e.g. "Merge [[LLM]] into [[Large language model]]"

    @staticmethod
    def make(kind: str, label: str, **args: str) -> Fix:
        return Fix(kind, tuple(sorted(args.items())), label)

    @property
    def fix_id(self) -> str:
        digest = hashlib.sha256(json.dumps([self.kind, self.args]).encode("utf-8")).hexdigest()
        return digest[:12]

    def arg(self, name: str) -> str:
        return dict(self.args)[name]


@dataclass(frozen=True)
class Finding:
    check: str  # the registered check's name, e.g. "broken-links"
    severity: Severity
    path: str  # vault-relative path of the note it is about ("" for the vault as a whole)
    message: str  # one line, markdown; links written by kbd's own link helpers
    fix: Fix | None = None
    line: int | None = None  # 1-based line in `path`, when the finding is about one place
    detail: tuple[tuple[str, str], ...] = ()  # extra facts for --json and tests (e.g. ("target", "Foo"))

    @property
    def key(self) -> str:
        """Identity across runs (same check, note, message): used to count what is new."""
        return hashlib.sha256(f"{self.check}\0{self.path}\0{self.message}".encode()).hexdigest()[:16]

    def to_json(self) -> dict[str, object]:
        return {"check": self.check, "severity": self.severity.name.lower(), "path": self.path,
                "line": self.line, "message": self.message, "detail": dict(self.detail),
                "fix": None if self.fix is None else {"id": self.fix.fix_id, "kind": self.fix.kind,
                                                      "label": self.fix.label, "args": dict(self.fix.args)}}


@dataclass(frozen=True)
class CheckRun:
    """One check's part of a run: its findings, or why it did not run."""

    name: str
    title: str
    findings: tuple[Finding, ...] = ()
    skipped: str | None = None  # "switched off in lint:", "needs a model", an error message
    seconds: float = 0.0


@dataclass(frozen=True)
class AppliedFix:
    """What a ticked checkbox did (or why it could not be done): the record a report keeps."""

    fix_id: str
    kind: str
    label: str
    ok: bool
    record: str  # one line, markdown: "Merged [[LLM]] into [[Large language model]] on 2026-11-26"
    report: str = ""  # the report the tick was read from


@dataclass(frozen=True)
class LintReport:
    date: str  # YYYY-MM-DD
    checks: tuple[CheckRun, ...]
    previous_counts: dict[str, int] = field(default_factory=dict)  # check name → count in the last report
    applied: tuple[AppliedFix, ...] = ()  # ticks applied at the start of this run
    path: str = ""  # the report note written ("" when not written, e.g. --json without writing)

    @property
    def findings(self) -> list[Finding]:
        return [f for run in self.checks for f in run.findings]

    @property
    def counts(self) -> dict[str, int]:
        return {run.name: len(run.findings) for run in self.checks if run.skipped is None}
