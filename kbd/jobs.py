"""The one table from a job's name to the function that runs it. The CLI, the daemon and config
validation (`config.BUILTIN_JOBS`, kept equal to `JOBS` by a test) all go through it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

import kbd.features  # noqa: F401  (registers every feature's config section and pages before a job runs)
from kbd.config import SKILL_JOB, Config
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
    """Answer the question notes in kbd/questions/ that are new or changed; with `refresh_stale:
    true`, also ask again the answers a changed note made stale (within the budget)."""
    from kbd.ask.questions import answer_question_notes

    if params.get("refresh_stale", "").lower() in ("true", "yes", "1"):
        from kbd.ask.refresh import refresh_with

        refreshed = refresh_with(ctx.layout, ctx.config, ctx.state)
        return JobResult(f"re-asked {len(refreshed.refreshed)} stale answers, {len(refreshed.left)} still stale",
                         failed=bool(refreshed.left))
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


def run_skill(ctx: JobContext, params: dict[str, str], name: str) -> JobResult:
    """A custom skill (kbd/skills/NAME.md) from a trigger: planned, budgeted, verified, written."""
    from kbd.custom_skills.run import run_custom_skill

    run = run_custom_skill(ctx.layout, ctx.config, ctx.state, name, ctx.stop)
    return JobResult(run.message, failed=run.failed)


def run_slides(ctx: JobContext, params: dict[str, str]) -> JobResult:
    """Make again the decks of the config whose notes changed (kbd/ask/slides.py); the rest cost nothing."""
    from kbd.ask.slides_command import refresh_all

    outcomes = refresh_all(ctx.layout, ctx.config, ctx.state, list(ctx.config.decks), ctx.stop)
    made = [o for o in outcomes if o.made]
    trouble = [f"{o.title}: {o.message}" for o in outcomes if o.path is None]
    summary = f"{len(made)} of {len(outcomes)} decks made again" + (f"; {'; '.join(trouble)}" if trouble else "")
    return JobResult(summary, failed=any(o.message.startswith("failed") for o in outcomes))


def run_lint(ctx: JobContext, params: dict[str, str]) -> JobResult:
    """Apply the boxes ticked in lint reports and write today's report (wiki/reports/Lint DATE.md)."""
    from kbd.lint.run import run_lint as lint

    report = lint(ctx.layout, ctx.config, ctx.state, stop=ctx.stop)
    failed = [a for a in report.applied if not a.ok]
    summary = f"{len(report.findings)} findings in {report.path or 'no report (not written)'}"
    if report.applied:
        summary += f"; applied {len(report.applied) - len(failed)} ticked fixes, {len(failed)} could not be done"
    return JobResult(summary, failed=not report.path)


def run_lint_ticks(ctx: JobContext, params: dict[str, str]) -> JobResult:
    """Apply the boxes just ticked in a lint report (the daemon runs this when a report changes)."""
    from kbd.lint.run import apply_ticks_now

    applied = apply_ticks_now(ctx.layout, ctx.config, ctx.state, ctx.stop)
    failed = sum(1 for a in applied if not a.ok)
    return JobResult(f"applied {len(applied) - failed} ticked fixes, {failed} could not be done", failed=bool(failed))


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
    "lint": run_lint,
    "monitor": run_monitor,
    "slides": run_slides,
    "ask": run_ask,
}
# Jobs kbd runs by itself, never named by a trigger.
INTERNAL_JOBS: dict[str, Callable[[JobContext, dict[str, str]], JobResult]] = {"lint_ticks": run_lint_ticks}


def job_for(run: str) -> Callable[[JobContext, dict[str, str]], JobResult]:
    """The function a trigger's `run:` names: a job of the table, or `skill:NAME`."""
    if run.startswith(SKILL_JOB):
        name = run[len(SKILL_JOB):]
        return lambda ctx, params: run_skill(ctx, params, name)
    return {**INTERNAL_JOBS, **JOBS}[run]
