"""The lint report note, rendered from a `LintReport` (pure: no I/O)."""

from __future__ import annotations

from kbd.lint.findings import KBD_REASONS, CheckRun, Finding, LintReport
from kbd.render.frontmatter import Date, DateTime, render_frontmatter
from kbd.vault.sanitize import escape_text

MAX_SHOWN = 200  # findings listed per check; the rest are counted (`kbd lint --json` lists all)


def fix_line(label: str, message: str, fix_id: str) -> str:
    return f"- [ ] {label} — {message} ^kbd-fix-{fix_id}"


def done_line(record: str, ok: bool, date: str, fix_id: str) -> str:
    """What a ticked line becomes once kbd has acted on it: a record, still ticked, same block id."""
    return f"- [x] {'Done' if ok else 'Not done'} {date}: {record} ^kbd-fix-{fix_id}"


def skip_reason(reason: str) -> str:
    """Why a check did not run: kbd's own words as written, anything else (an exception's message) escaped."""
    return reason if reason in KBD_REASONS else escape_text(reason)


def count_line(run: CheckRun, before: int | None) -> str:
    title = run.title[:1].upper() + run.title[1:]
    if run.skipped is not None:
        return f"- {title}: — ({skip_reason(run.skipped)})"
    now = len(run.findings)
    change = f"{before} → {now}" if before is not None and before != now else f"{now}"
    if before is not None and before == now:
        change += " (unchanged)"
    return f"- {title}: {change}"


def render_report(report: LintReport, generated: str) -> str:
    findings = report.findings
    fixable = sum(1 for f in findings if f.fix is not None)
    front = render_frontmatter([("title", f"Lint {report.date}"), ("type", "lint"), ("date", Date(report.date)),
                                ("tags", ["kbd/report"]), ("generated", DateTime(generated))])
    out = [front, f"# Lint {report.date}", "",
           f"{len(findings)} findings; {fixable} can be fixed by kbd. Tick a box: `kbd run` applies that fix as soon "
           "as this note is saved (otherwise the next `kbd lint` does), and the line then records what was done. "
           "Findings without a box need your judgement. kbd never changes a note you own to fix anything.", "",
           "## Counts", ""]
    out += [count_line(run, report.previous_counts.get(run.name) if report.previous_counts else None)
            for run in report.checks]
    out.append("")
    if report.applied:
        out += ["## Done since the last report", ""]
        out += [f"- {'Done' if a.ok else 'Not done'}: {a.record}" for a in report.applied]
        out.append("")
    for run in report.checks:
        if run.skipped is not None or not run.findings:
            continue
        out += [f"## {run.title[:1].upper() + run.title[1:]} ({len(run.findings)})", ""]
        ordered = sorted(run.findings, key=lambda f: (-f.severity, f.fix is None, f.path, f.line or 0))
        offered: set[str] = set()
        out += [_line(f, offered) for f in ordered[:MAX_SHOWN]]
        if len(ordered) > MAX_SHOWN:
            out.append(f"- … and {len(ordered) - MAX_SHOWN} more (`kbd lint --json` lists every one)")
        out.append("")
    skipped = [run for run in report.checks if run.skipped is not None]
    if skipped:
        out += ["## Not checked", ""]
        out += [f"- {run.title[:1].upper() + run.title[1:]}: {skip_reason(run.skipped or '')}" for run in skipped]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _line(finding: Finding, offered: set[str]) -> str:
    """A finding as a list item; with a checkbox the first time its fix is offered (one box per fix)."""
    where = f" (line {finding.line})" if finding.line and finding.line > 1 else ""
    if finding.fix is not None and finding.fix.fix_id not in offered:
        offered.add(finding.fix.fix_id)
        return fix_line(finding.fix.label, finding.message + where, finding.fix.fix_id)
    return f"- {finding.message}{where}"
