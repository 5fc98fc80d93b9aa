"""The one table from a job's name to the function that runs it. The CLI, the daemon and config
validation (`config.BUILTIN_JOBS`, kept equal to `JOBS` by a test) all go through it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from kbd.config import Config
from kbd.state import State
from kbd.vault.layout import VaultLayout


@dataclass(frozen=True)
class JobContext:
    layout: VaultLayout
    config: Config
    state: State
    stop: threading.Event
    changed: frozenset[str] | None = None  # paths a watcher reported; None: look at the whole vault


@dataclass(frozen=True)
class JobResult:
    summary: str
    failed: bool = False


def run_compile(ctx: JobContext, params: dict[str, str]) -> JobResult:
    from kbd.compile.run import Compiler

    report = Compiler(ctx.layout, ctx.config, ctx.state, stop=ctx.stop, only=ctx.changed).run()
    summary = (f"compiled {report.ingested}, removed {report.removed}, moved {report.moved}, "
               f"failed {report.failed}, skipped {report.newly_skipped}; wrote {report.written} notes")
    if report.stopped:
        summary += " (stopped early; the rest is queued)"
    return JobResult(summary, failed=bool(report.failed))


def run_ask(ctx: JobContext, params: dict[str, str]) -> JobResult:
    """Answer the question notes in kbd/questions/ that are new or changed."""
    from kbd.ask.questions import answer_question_notes

    report = answer_question_notes(ctx.layout.root, ctx.config, ctx.state)
    if report.changed:
        from kbd.compile.run import Compiler

        Compiler(ctx.layout, ctx.config, ctx.state, stop=ctx.stop, only=frozenset()).run()  # Status.md
    return JobResult(report.summary(), failed=bool(report.failed))


def run_index(ctx: JobContext, params: dict[str, str]) -> JobResult:
    """Regenerate index.md (and anything else pending)."""
    with ctx.state.transaction():
        ctx.state.mark_dirty(["index"])
    return run_compile(ctx, params)


JOBS: dict[str, Callable[[JobContext, dict[str, str]], JobResult]] = {
    "compile": run_compile,
    "index": run_index,
    "ask": run_ask,
}
