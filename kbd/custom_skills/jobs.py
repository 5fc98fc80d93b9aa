"""The custom skills' job: `run: skill:NAME` runs kbd/skills/NAME.md (kbd/jobs.py resolves the
name to this function)."""

from __future__ import annotations

from kbd.custom_skills.run import run_custom_skill
from kbd.jobbase import JobContext, JobResult


def run_skill(ctx: JobContext, params: dict[str, str], name: str) -> JobResult:
    """A custom skill (kbd/skills/NAME.md) from a trigger: planned, budgeted, verified, written."""
    run = run_custom_skill(ctx.layout, ctx.config, ctx.state, name, ctx.stop)
    return JobResult(run.message, failed=run.failed)
