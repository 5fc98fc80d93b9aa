"""The one table from a job's name to the function that runs it. The CLI, the daemon and config
validation (`config.BUILTIN_JOBS`, kept equal to `JOBS` by a test) all go through it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

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


def run_index(ctx: JobContext, params: dict[str, str]) -> JobResult:
    """Regenerate index.md (and anything else pending)."""
    with ctx.state.transaction():
        ctx.state.mark_dirty(["index"])
    return run_compile(ctx, params)


def run_monitor(ctx: JobContext, params: dict[str, str]) -> JobResult:
    """Check the web monitor `name` (a url trigger), or every monitor in the config."""
    from kbd.monitor.check import MonitorChecker

    checker = MonitorChecker(ctx.layout, ctx.config, ctx.state)
    try:
        results = checker.check_all([params["name"]] if "name" in params else None, stop=ctx.stop)
    finally:
        checker.close()
    if not results:
        return JobResult(f"no web monitor called {params['name']!r} in the config" if "name" in params
                         else "no web monitors in the config", failed="name" in params)
    summary = JobResult("; ".join(f"{r.name}: {r.detail}" for r in results), failed=any(r.problem for r in results))
    clippings = frozenset(r.clipping for r in results if r.clipping)
    if not clippings:
        return summary
    # `ingest: true`: the new versions flow through compile now, whatever other triggers the config has.
    compiled = run_compile(replace(ctx, changed=clippings), {})
    return JobResult(f"{summary.summary}; {compiled.summary}", failed=summary.failed or compiled.failed)


JOBS: dict[str, Callable[[JobContext, dict[str, str]], JobResult]] = {
    "compile": run_compile,
    "index": run_index,
    "monitor": run_monitor,
}
