"""`kbd lint` behind the CLI: run under the vault lock, and the text and JSON the CLI prints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kbd import interrupt
from kbd.config import Config
from kbd.lint.findings import LintReport
from kbd.lint.run import LintOptions, run_lint
from kbd.lock import VaultLock
from kbd.vault.layout import VaultLayout

JSON_VERSION = 1


def lint_vault(root: Path, config: Config, options: LintOptions | None = None) -> LintReport:
    from kbd.compile.run import open_state

    layout = VaultLayout.from_config(root, config)
    with VaultLock(layout.state_dir):
        state = open_state(layout)
        try:
            report = run_lint(layout, config, state, options, stop=interrupt.current())
            interrupt.checkpoint()
            return report
        finally:
            state.close()


def report_json(report: LintReport) -> dict[str, Any]:
    """The `--json` schema (version 1): stable keys, findings in report order."""
    return {
        "version": JSON_VERSION,
        "date": report.date,
        "report": report.path or None,
        "counts": report.counts,
        "previous": report.previous_counts,
        "checks": [{"name": r.name, "title": r.title, "count": len(r.findings) if r.skipped is None else None,
                    "skipped": r.skipped} for r in report.checks],
        "findings": [f.to_json() for f in report.findings],
        "applied": [{"id": a.fix_id, "kind": a.kind, "ok": a.ok, "record": a.record, "report": a.report or None}
                    for a in report.applied],
    }


def summary_lines(report: LintReport) -> list[str]:
    lines = []
    for a in report.applied:
        lines.append(f"{'fixed' if a.ok else 'could not fix'}: {_plain(a.record)}")
    for run in report.checks:
        if run.skipped is not None:
            lines.append(f"  {run.title}: not checked ({run.skipped})")
            continue
        before = report.previous_counts.get(run.name)
        now = len(run.findings)
        shown = f"{before} → {now}" if before is not None and before != now else str(now)
        lines.append(f"  {run.title}: {shown}")
    total = len(report.findings)
    fixable = sum(1 for f in report.findings if f.fix is not None)
    where = f"; report: {report.path}" if report.path else ""
    lines.append(f"{total} findings, {fixable} fixable by ticking a box{where}")
    return lines


def _plain(markdown: str) -> str:
    import re

    from kbd.vault.sanitize import render_as_text

    return render_as_text(re.sub(r"\[\[[^\]|]*\|([^\]]*)\]\]", r"\1", markdown))
