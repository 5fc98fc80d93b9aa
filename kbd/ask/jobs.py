"""The ask feature's jobs: `slides` (make again the config's decks whose notes changed) and `ask`
(answer the question notes of kbd/questions/; `refresh_stale: true` asks stale answers again).
Registered with kbd/configbase.py.

The work is imported when a job runs: every command registers every job (kbd/features.py), and
no command should load a feature's work to start (tests/test_architecture.py)."""

from __future__ import annotations

from kbd.configbase import JobSpec, register_job
from kbd.jobbase import JobContext, JobResult


def run_slides(ctx: JobContext, params: dict[str, str]) -> JobResult:
    """Make again the decks of the config whose notes changed (kbd/ask/slides.py); the rest cost nothing."""
    from kbd.ask.slides_command import refresh_all

    outcomes = refresh_all(ctx.layout, ctx.config, ctx.state, list(ctx.config.decks), ctx.stop)
    made = [o for o in outcomes if o.made]
    trouble = [f"{o.title}: {o.message}" for o in outcomes if o.path is None]
    summary = f"{len(made)} of {len(outcomes)} decks made again" + (f"; {'; '.join(trouble)}" if trouble else "")
    return JobResult(summary, failed=any(o.message.startswith("failed") for o in outcomes))


def run_ask(ctx: JobContext, params: dict[str, str]) -> JobResult:
    """Answer the question notes in kbd/questions/ that are new or changed; with `refresh_stale:
    true`, also ask again the answers a changed note made stale (within the budget)."""
    from kbd.ask.questions import answer_question_notes
    from kbd.ask.refresh import refresh_with
    from kbd.compile.run import Compiler

    if params.get("refresh_stale", "").lower() in ("true", "yes", "1"):
        refreshed = refresh_with(ctx.layout, ctx.config, ctx.state)
        return JobResult(f"re-asked {len(refreshed.refreshed)} stale answers, {len(refreshed.left)} still stale",
                         failed=bool(refreshed.left))
    report = answer_question_notes(ctx.layout.root, ctx.config, ctx.state)
    if report.changed:
        Compiler(ctx.layout, ctx.config, ctx.state, stop=ctx.stop, only=frozenset()).run()  # Status.md
    return JobResult(report.summary(), failed=bool(report.failed))


register_job(JobSpec("slides", run_slides))
register_job(JobSpec("ask", run_ask, params=("refresh_stale",)))
