"""The one table from a job's name to the function that runs it. The CLI and the daemon go through
it; config validation reads the same registrations (kbd/configbase.py). Each feature declares its
jobs in its own `jobs` module; kbd/features.py imports them all, and no feature imports this."""

from __future__ import annotations

from collections.abc import Callable

import kbd.features  # noqa: F401  (every feature's jobs and config section are registered first)
from kbd.config import SKILL_JOB
from kbd.configbase import registered_jobs
from kbd.custom_skills.jobs import run_skill
from kbd.jobbase import JobContext, JobResult

Job = Callable[[JobContext, dict[str, str]], JobResult]
JOBS: dict[str, Job] = {name: spec.run for name, spec in registered_jobs().items() if not spec.internal}
# Jobs kbd runs by itself, never named by a trigger.
INTERNAL_JOBS: dict[str, Job] = {name: spec.run for name, spec in registered_jobs().items() if spec.internal}
__all__ = ["INTERNAL_JOBS", "JOBS", "JobContext", "JobResult", "job_for"]


def job_for(run: str) -> Callable[[JobContext, dict[str, str]], JobResult]:
    """The function a trigger's `run:` names: a job of the table, or `skill:NAME`."""
    if run.startswith(SKILL_JOB):
        name = run[len(SKILL_JOB):]
        return lambda ctx, params: run_skill(ctx, params, name)
    return {**INTERNAL_JOBS, **JOBS}[run]
