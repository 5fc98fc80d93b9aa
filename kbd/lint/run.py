"""One lint: apply the boxes ticked in earlier reports, check the whole vault, write the dated
report note and remember what it offered. The caller holds the vault lock and owns `state`."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime

import kbd.lint.settings  # noqa: F401  (registers the `lint:` section this module reads as config.lint)
from kbd import clock
from kbd.config import Config
from kbd.isolation import note_failures, settle
from kbd.lint import ledger
from kbd.lint.findings import NEEDS_MODEL, SWITCHED_OFF, AppliedFix, CheckRun, Fix, LintReport
from kbd.lint.registry import FIXERS, FixContext, FixFailed, LintContext, load
from kbd.lint.report import done_line, render_report
from kbd.lint.scan import scan_vault
from kbd.state import State
from kbd.vault.errors import WriteRefused
from kbd.vault.fsread import Unreadable, read_optional
from kbd.vault.layout import VaultLayout
from kbd.vault.write import Outcome, VaultWriter

log = logging.getLogger("kbd.lint")


@dataclass(frozen=True)
class LintOptions:
    write: bool = True  # write the report note (False: only return the report)
    apply_ticks: bool = True  # apply boxes ticked in earlier reports first
    fix_all: bool = False  # apply every safe fix found now, as if each box were ticked (`kbd lint --fix`)


def run_lint(layout: VaultLayout, config: Config, state: State, options: LintOptions | None = None,
             stop: threading.Event | None = None) -> LintReport:
    options = options or LintOptions()
    stop = stop or threading.Event()
    load()
    moment = clock.now()
    when = clock.stamp(moment)
    fix_ctx = fix_context(layout, config, state, stop, moment)
    writer = fix_ctx.writer
    applied: list[AppliedFix] = []
    if options.apply_ticks and config.lint.apply_ticks:
        applied += apply_ticked(fix_ctx, when)
    runs = _check(layout, config, state, stop)
    if options.fix_all:
        fixes = {f.fix.fix_id: f.fix for run in runs for f in run.findings if f.fix is not None}
        if fixes:
            for fix in fixes.values():
                applied.append(_apply(fix_ctx, fix, "", when))
            runs = _check(layout, config, state, stop)
    report = LintReport(fix_ctx.date, tuple(runs), ledger.previous_counts(state), tuple(applied))
    path = ""
    if options.write:
        path = _write_report(layout, state, writer, report, when)
        report = replace(report, path=path)
    with state.transaction():
        ledger.offer(state, [f.fix for f in report.findings if f.fix is not None], path)
        ledger.record_run(state, when, path, report.counts)
    return report


def _check(layout: VaultLayout, config: Config, state: State, stop: threading.Event) -> list[CheckRun]:
    vault = scan_vault(layout, state, config.lint.exclude)
    with state.transaction():  # a note lint could not read is in Status.md until it reads again or goes
        settle(state, vault.failed, [f.key for f in note_failures(state) if f.stage == "lint"],
               clock.stamp(clock.now()))
    ctx = LintContext(layout, config, state, vault, stop)
    runs: list[CheckRun] = []
    for spec in load().values():
        settings = config.lint.for_check(spec)
        if not settings.enabled:
            runs.append(CheckRun(spec.name, spec.title, skipped=SWITCHED_OFF))
            continue
        if spec.needs_model and not config.models:
            runs.append(CheckRun(spec.name, spec.title, skipped=NEEDS_MODEL))
            continue
        started = time.perf_counter()
        try:
            findings = tuple(spec.run(ctx, settings))
        except Exception as exc:  # one broken check must not cost the user the rest of the report
            log.exception("lint check %s failed", spec.name)
            runs.append(CheckRun(spec.name, spec.title, skipped=f"the check failed: {type(exc).__name__}: {exc}"))
            continue
        runs.append(CheckRun(spec.name, spec.title, findings, seconds=time.perf_counter() - started))
    return runs


def _apply(ctx: FixContext, fix: Fix, report: str, when: str) -> AppliedFix:
    applier = FIXERS.get(fix.kind)
    try:
        if applier is None:
            raise FixFailed(f"this version of kbd has no fix called {fix.kind}")
        record, ok = applier(ctx, fix), True
    except (FixFailed, WriteRefused) as exc:
        record, ok = str(exc), False
    except Exception as exc:  # a fix that breaks is recorded, never retried blindly, never a crash
        log.exception("lint fix %s failed", fix.kind)
        record, ok = f"failed: {type(exc).__name__}: {exc}", False
    with ctx.state.transaction():
        ledger.offer(ctx.state, [fix], report)
        ledger.settle(ctx.state, fix.fix_id, ok, record, when)
    return AppliedFix(fix.fix_id, fix.kind, fix.label, ok, record, report)


def apply_ticks_now(layout: VaultLayout, config: Config, state: State,
                    stop: threading.Event | None = None) -> list[AppliedFix]:
    """Apply ticked boxes without a full lint (the daemon, when a report changes)."""
    if not config.lint.apply_ticks or not state.db.execute(
            "SELECT 1 FROM lint_fixes WHERE state='offered' LIMIT 1").fetchone():
        return []
    load()
    moment = clock.now()
    return apply_ticked(fix_context(layout, config, state, stop or threading.Event(), moment), clock.stamp(moment))


def fix_context(layout: VaultLayout, config: Config, state: State, stop: threading.Event,
                moment: datetime) -> FixContext:
    """What every path that applies fixes starts from (`kbd lint`, `--fix`, the daemon's ticks):
    the ledger first learns of the edits the user made since kbd last looked, so that no fix
    replaces, or reports as done, a note that is the user's now."""
    writer = VaultWriter(layout, state)
    with state.transaction():
        writer.check_user_edits()
    return FixContext(layout, config, state, writer, moment.strftime("%Y-%m-%d"), stop)


def report_paths(layout: VaultLayout) -> list[str]:
    folder = layout.abs(layout.reports)
    if not folder.is_dir():
        return []
    return sorted(f"{layout.reports}/{p.name}" for p in folder.iterdir()
                  if layout.is_lint_report(f"{layout.reports}/{p.name}") and p.is_file() and not p.is_symlink())


def apply_ticked(ctx: FixContext, when: str) -> list[AppliedFix]:
    """Apply every box ticked in a lint report, then turn each ticked line into the record of what
    was done. Only those lines change; the rest of the report, ticks and notes included, is kept."""
    applied: list[AppliedFix] = []
    for report in report_paths(ctx.layout):
        try:
            before = read_optional(ctx.layout.root, report)
        except Unreadable:
            continue
        if before is None:
            continue
        try:
            text = before.decode("utf-8")
        except UnicodeDecodeError:
            continue
        lines = text.split("\n")
        patches: dict[int, str] = {}
        for tick in ledger.find_ticks(report, text):
            if ctx.stop.is_set():
                break
            fix = ledger.offered(ctx.state, tick.fix_id)
            if fix is not None:
                done = _apply(ctx, fix, report, when)
                applied.append(done)
                patches[tick.line] = done_line(done.record, done.ok, ctx.date, tick.fix_id)
                continue
            settled = ledger.settled(ctx.state, tick.fix_id)
            if settled and not lines[tick.line].lstrip().startswith(("- [x] Done ", "- [x] Not done ")):
                state_, record = settled
                patches[tick.line] = done_line(record, state_ == "applied", ctx.date, tick.fix_id)
        if patches:
            try:
                if not ctx.writer.patch_lines(report, before, patches):
                    log.warning("%s changed while kbd recorded the fixes in it; they are recorded in the next "
                                "report", report)
            except WriteRefused as exc:
                log.warning("could not record the fixes in %s: %s", report, exc)
    return applied


def _write_report(layout: VaultLayout, state: State, writer: VaultWriter, report: LintReport, when: str) -> str:
    """`Lint DATE.md`; if the user has edited that one (ticked boxes, wrote notes), a fresh
    `Lint DATE (2).md` beside it, so nothing they wrote is replaced."""
    text = render_report(report, when)
    base = f"{layout.reports}/Lint {report.date}"
    for n in range(1, 100):
        path = f"{base}.md" if n == 1 else f"{base} ({n}).md"
        record = state.output(path)
        if record is not None and record.user_edited:
            continue
        try:
            outcome = writer.write(path, text)
        except WriteRefused as exc:
            log.warning("lint report not written: %s", exc)
            continue
        if outcome is not Outcome.KEPT_USER_EDIT:
            return path
    return ""
