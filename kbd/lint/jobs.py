"""The lint feature's jobs: `lint` (apply ticked fixes, write today's report) and, run by kbd itself
when a report changes, `lint_ticks`. Registered with kbd/configbase.py.

The work is imported when a job runs: every command registers every job (kbd/features.py), and
no command should load a feature's work to start (tests/test_architecture.py)."""

from __future__ import annotations

from kbd.configbase import JobSpec, register_job
from kbd.jobbase import JobContext, JobResult


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


register_job(JobSpec("lint", run_lint))
register_job(JobSpec("lint_ticks", run_lint_ticks, internal=True))
