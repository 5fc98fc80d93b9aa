"""The status page (wiki/reports/Status.md) the wiki model renders: read from state.db only."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from kbd.compile.redo import count_out_of_date
from kbd.compile.stale import stale_answers
from kbd.isolation import note_failures
from kbd.render.notes import StatusReport, render_status
from kbd.state import State
from kbd.vault.layout import VaultLayout


def status_text(state: State, layout: VaultLayout) -> str:
    """wiki/reports/Status.md: counts, what was skipped or failed and why, spend, what needs the user."""
    db = state.db
    rejected = [(r["path"], r["reason"]) for r in
                db.execute("SELECT path, reason FROM files WHERE status='rejected' ORDER BY path")]
    ignored = [(r["path"], r["reason"]) for r in
               db.execute("SELECT path, reason FROM files WHERE status='ignored' ORDER BY path")]
    warnings = [(r["raw_path"], w) for r in db.execute(
        "SELECT raw_path, warnings FROM sources WHERE warnings <> '[]' ORDER BY raw_path")
                for w in json.loads(r["warnings"])]
    edited = [r["path"] for r in db.execute("SELECT path FROM outputs WHERE user_edited=1 ORDER BY path")
              if not layout.is_lint_report(r["path"])]  # ticking its boxes is how a report is used
    failed = [(r["dedupe_key"], r["last_error"] or "") for r in state.failed_jobs()]
    refused = json.loads(state.get_meta("refused_writes") or "{}")
    failed += [(f"write:{path}", reason) for path, (reason, _) in sorted(refused.items())]
    last = state.get_meta("last_change")
    daemon = state.get_meta("daemon")
    spend = cache = None
    if db.execute("SELECT 1 FROM llm_calls LIMIT 1").fetchone():
        today = datetime.now(UTC).date().isoformat()
        day_cost, day_calls = db.execute("SELECT COALESCE(SUM(cost_usd), 0), COUNT(*) FROM llm_calls "
                                         "WHERE day=? AND outcome='ok'", (today,)).fetchone()
        total = db.execute("SELECT COALESCE(SUM(cost_usd), 0) FROM llm_calls").fetchone()[0]
        spend = (float(day_cost), float(total), int(day_calls))
        cached, everything = db.execute("SELECT COALESCE(SUM(cached_tokens), 0), COALESCE(SUM(input_tokens), 0) "
                                        "FROM llm_calls").fetchone()
        cache = (int(cached), int(everything))
    paused = db.execute("SELECT last_error FROM jobs WHERE state='pending' AND last_error IS NOT NULL "
                        "ORDER BY updated DESC LIMIT 1").fetchone()
    unverified = [f"{layout.sources}/{r[0]}.md" for r in db.execute(
        "SELECT note_name FROM sources WHERE json_extract(result, '$.summary.verified') = 0 ORDER BY note_name")]
    return render_status(StatusReport(
        sources=db.execute("SELECT COUNT(*) FROM sources").fetchone()[0],
        concepts=db.execute("SELECT COUNT(*) FROM concepts").fetchone()[0],
        last_change=last.replace("T", " ")[:16] if last else None,
        rejected=rejected, ignored=ignored, warnings=warnings, user_edited=edited,
        failed_jobs=failed, pending_jobs=state.count_jobs("pending"),
        daemon=json.loads(daemon) if daemon else None, spend=spend, prompt_cache=cache,
        paused=f"model calls wait: {paused[0]}" if paused else None, unverified=unverified,
        out_of_date=count_out_of_date(state, layout),
        model_failed=db.execute("SELECT COUNT(*) FROM sources WHERE engine LIKE 'offline (model failed%'"
                                ).fetchone()[0],
        batches=[(r["id"], r["status"], r["requests"], r["reserved_usd"]) for r in db.execute(
            "SELECT id, status, requests, reserved_usd FROM batches WHERE state='submitted' ORDER BY submitted")],
        stale_answers=[(f"{layout.wiki}/answers/{name}.md", why) for name, why in stale_answers(state)],
        questions=_question_problems(state, layout),
        monitors=[(r["name"], r["url"], r["checked"] or "", r["outcome"]) for r in db.execute(
            "SELECT name, url, checked, outcome FROM monitors WHERE url <> '' ORDER BY name")],
        failed_notes=[(f.note, f.stage, f.reason) for f in note_failures(state)]))

def _question_problems(state: State, layout: VaultLayout) -> list[tuple[str, str]]:
    """Question notes kbd could not answer (tried again on its next run) or link, and why."""
    db = state.db

    def what(path: str) -> str:  # a question's answer link, or the region a custom skill writes
        return "answer link" if path.startswith(layout.questions + "/") else "custom skill's region"

    out = [(r["path"], r["outcome"].split(": ", 1)[1]) for r in db.execute(
        "SELECT path, outcome FROM questions WHERE outcome LIKE 'failed: %' OR outcome LIKE 'skipped: %' "
        "ORDER BY path")]
    out += [(r["path"], f"kbd no longer updates its {what(r['path'])} there: {r['reason']} "
                        f"(`kbd adopt {r['path']}` hands it back)")
            for r in db.execute("SELECT path, reason FROM regions WHERE user_edited=1 ORDER BY path")]
    return out
