"""The compile feature's jobs: `compile` (what changed) and `index` (index.md again, with anything
pending). Registered with kbd/configbase.py; kbd/jobs.py is the table that runs them.

The work is imported when a job runs: every command registers every job (kbd/features.py), and
no command should load a feature's work to start (tests/test_architecture.py)."""

from __future__ import annotations

from kbd.configbase import JobSpec, register_job
from kbd.jobbase import JobContext, JobResult


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


register_job(JobSpec("compile", run_compile))
register_job(JobSpec("index", run_index))
