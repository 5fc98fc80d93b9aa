"""Failure isolation: the one place where work on one note runs (DESIGN.md, "Failure isolation").

The rule. Work done for one note — summarise a clipping, render a note (its chart included),
index a note for search, read a note for lint, answer one question note — runs through
`contain()`. An exception there fails that note and nothing else:

- the note is recorded as failed with a one-line reason, and Status.md and `kbd status` name it:
  a render, index or lint failure in `note_failures` (state.db, by `settle`: "Failed notes"); a
  summary as its failed ingest job ("Failed jobs"); a question note in the questions ledger
  ("Question notes");
- it is tried again when its inputs change: the queue that asked for the work (the render
  queue, the ingest job keyed by the clipping's hash, the search index's change list, the
  question's hash) asks again only then, and a unit that succeeds or goes away is cleared;
- every other note proceeds, and nothing partial is written for the failed one.

`contain()` is pure (no state, no I/O besides the log), so it also runs inside worker
processes, which hand their `NoteFailure`s back to the parent to record. Only `Exception` is
contained: a KeyboardInterrupt or SystemExit still stops the run, as the user asked.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from kbd.state import State

log = logging.getLogger("kbd.isolation")
T = TypeVar("T")
MAX_REASON_CHARS = 300  # an exception message can quote a whole hostile note


@dataclass(frozen=True)
class NoteFailure:
    key: str  # the unit of work, "<stage>:<what>": render:answer:3, index:raw/x.md, lint:raw/x.md
    stage: str  # summarise | render | index | lint
    note: str  # vault-relative path of the note the work was for
    reason: str  # one line, for Status.md and `kbd status`


def describe(exc: BaseException) -> str:
    """An exception as one short line: its type and message, with control characters dropped."""
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return text if len(text) <= MAX_REASON_CHARS else text[:MAX_REASON_CHARS - 1] + "…"


def contain(stage: str, note: str | Callable[[], str], work: Callable[..., T], *args: Any, key: str | None = None,
            passes: tuple[type[Exception], ...] = ()) -> T | NoteFailure:
    """Run `work(*args)` for one note: its result, or the NoteFailure that says why it failed. `note` may
    be a function, called only on a failure (finding a note's path can cost a query). Exceptions
    in `passes` are the caller's own outcomes (a refusal it reports its way) and go through."""
    try:
        return work(*args)
    except passes:
        raise
    except Exception as exc:  # the rule of this module: one note's failure is that note's alone
        reason = describe(exc)
        try:
            note = note() if callable(note) else note
        except Exception as lookup:  # the name is for the user; a failure to find it is not a second crash
            note = f"(unknown note: {describe(lookup)})"
        failure = NoteFailure(key or f"{stage}:{note}", stage, note, reason)
        log.error("%s failed for %s: %s; the rest of the vault goes on", stage, note, failure.reason)
        log.debug("traceback of the %s failure for %s", stage, note, exc_info=True)
        return failure


def _record(state: State, failures: Iterable[NoteFailure], now: str) -> int:
    """Record failures (the caller holds a transaction); returns how many are new or changed."""
    changed = 0
    for f in failures:
        row = state.db.execute("SELECT note, reason FROM note_failures WHERE key=?", (f.key,)).fetchone()
        state.db.execute(
            "INSERT INTO note_failures(key, stage, note, reason, since) VALUES(?, ?, ?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET note=excluded.note, reason=excluded.reason, attempts=attempts+1",
            (f.key, f.stage, f.note, f.reason, now))
        changed += row is None or tuple(row) != (f.note, f.reason)
    return changed


def _clear(state: State, keys: Iterable[str]) -> int:
    """The units that succeeded or no longer exist (the caller holds a transaction); returns how
    many recorded failures that cleared."""
    return sum(state.db.execute("DELETE FROM note_failures WHERE key=?", (k,)).rowcount for k in keys)


def note_failures(state: State) -> list[NoteFailure]:
    return [NoteFailure(r["key"], r["stage"], r["note"], r["reason"]) for r in
            state.db.execute("SELECT * FROM note_failures ORDER BY note, stage")]


def settle(state: State, failures: Iterable[NoteFailure], succeeded: Iterable[str], now: str) -> bool:
    """Record what failed and clear what succeeded (the caller holds a transaction); True when the
    recorded failures changed, so that Status.md is rendered again."""
    failures = list(failures)
    failed = {f.key for f in failures}
    changed = _record(state, failures, now)
    changed += _clear(state, [k for k in succeeded if k not in failed])
    if changed:
        state.mark_dirty(["status"])
    return bool(changed)
