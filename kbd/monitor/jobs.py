"""The monitor feature's job: check the web monitors of the config now (a url trigger names one)
and compile the new versions a monitor with `ingest: true` saved. Registered with kbd/configbase.py.

The work is imported when a job runs: every command registers every job (kbd/features.py), and
no command should load a feature's work to start (tests/test_architecture.py)."""

from __future__ import annotations

from dataclasses import replace

from kbd.compile.jobs import run_compile
from kbd.configbase import JobSpec, register_job
from kbd.jobbase import JobContext, JobResult


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


register_job(JobSpec("monitor", run_monitor, params=("name",)))
