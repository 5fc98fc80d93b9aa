"""Lint's memory in state.db: the fixes reports offered, what became of each, and the counts of
every run (for "broken links 14 → 9"). Also reads the ticked boxes out of report notes."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from kbd.lint.findings import Fix
from kbd.state import State

# `- [x] anything ^kbd-fix-<id>`: only the id is taken from the note; the fix itself is in state.db.
TICKED = re.compile(r"^\s*[-*+] \[[xX]\] .*\^kbd-fix-([0-9a-f]{12})\s*$")


@dataclass(frozen=True)
class Tick:
    report: str  # vault-relative path of the report
    line: int  # 0-based line index
    fix_id: str


def find_ticks(report: str, text: str) -> list[Tick]:
    return [Tick(report, i, m.group(1)) for i, line in enumerate(text.split("\n"))
            if (m := TICKED.match(line))]


def offer(state: State, fixes: list[Fix], report: str) -> None:
    """Remember every fix a report offers; one already applied or failed keeps its record."""
    state.db.executemany(
        "INSERT INTO lint_fixes(id, kind, args, label, offered, state) VALUES(?, ?, ?, ?, ?, 'offered') "
        "ON CONFLICT(id) DO UPDATE SET offered=excluded.offered, label=excluded.label "
        "WHERE lint_fixes.state='offered'",
        [(f.fix_id, f.kind, json.dumps(f.args), f.label, report) for f in fixes])


def offered(state: State, fix_id: str) -> Fix | None:
    row = state.db.execute("SELECT kind, args, label FROM lint_fixes WHERE id=? AND state='offered'",
                           (fix_id,)).fetchone()
    if row is None:
        return None
    return Fix(row[0], tuple((str(k), str(v)) for k, v in json.loads(row[1])), row[2])


def settled(state: State, fix_id: str) -> tuple[str, str] | None:
    """(state, record) of a fix already applied or failed."""
    row = state.db.execute("SELECT state, record FROM lint_fixes WHERE id=? AND state<>'offered'",
                           (fix_id,)).fetchone()
    return (row[0], row[1] or "") if row else None


def settle(state: State, fix_id: str, ok: bool, record: str, when: str) -> None:
    state.db.execute("UPDATE lint_fixes SET state=?, record=?, done=? WHERE id=?",
                     ("applied" if ok else "failed", record, when, fix_id))


def previous_counts(state: State) -> dict[str, int]:
    """The counts of the last report written (a `--no-write` run is not a report to compare with)."""
    row = state.db.execute("SELECT counts FROM lint_runs WHERE report<>'' ORDER BY id DESC LIMIT 1").fetchone()
    return {str(k): int(v) for k, v in json.loads(row[0]).items()} if row else {}


def record_run(state: State, when: str, report: str, counts: dict[str, int]) -> None:
    state.db.execute("INSERT INTO lint_runs(time, report, counts) VALUES(?, ?, ?)",
                     (when, report, json.dumps(counts, sort_keys=True)))
