"""What `kbd status` reports, read from state.db."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kbd.compile.redo import count_out_of_date
from kbd.compile.stale import stale_answers
from kbd.config import Config
from kbd.engines.provenance import current_made_by
from kbd.engines.skills import SkillError
from kbd.isolation import note_failures
from kbd.state import State
from kbd.vault.layout import VaultLayout


@dataclass
class VaultStatus:
    vault: str
    sources: int = 0
    concepts: int = 0
    last_change: str | None = None
    last_run: dict[str, Any] | None = None
    pending_jobs: int = 0
    failed_jobs: list[dict[str, str]] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)
    ignored: list[dict[str, str]] = field(default_factory=list)
    user_edited: list[str] = field(default_factory=list)
    spend: list[dict[str, Any]] = field(default_factory=list)  # per role and model: today and total
    paused: str | None = None
    engine: str = ""  # the configured engine ("offline" or provider:model)
    out_of_date: int = 0  # summaries made by an older engine (model, skill, constraints)
    batches: list[dict[str, Any]] = field(default_factory=list)  # sent with --batch, not yet collected
    stale_answers: list[dict[str, str]] = field(default_factory=list)  # answer notes a cited note's change made stale
    monitors: list[dict[str, Any]] = field(default_factory=list)  # web monitors: last check and its outcome
    failed_notes: list[dict[str, str]] = field(default_factory=list)  # per-note work that failed (kbd/isolation.py)
    status_note: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def vault_status(root: Path, config: Config) -> VaultStatus:
    layout = VaultLayout.from_config(root, config)
    status = VaultStatus(vault=str(layout.root), status_note=layout.status_note)
    if not (layout.state_dir / "state.db").exists():
        return status
    state = State(layout.state_dir / "state.db")
    try:
        db = state.db
        status.sources = db.execute("SELECT COUNT(*) FROM sources").fetchone()[0]
        status.concepts = db.execute("SELECT COUNT(*) FROM concepts").fetchone()[0]
        status.last_change = state.get_meta("last_change")
        row = db.execute("SELECT * FROM runs WHERE finished IS NOT NULL ORDER BY id DESC LIMIT 1").fetchone()
        if row:
            status.last_run = {"kind": row["kind"], "started": row["started"], "finished": row["finished"],
                               **json.loads(row["summary"] or "{}")}
        status.pending_jobs = state.count_jobs("pending")
        status.failed_jobs = [{"job": r["dedupe_key"], "error": r["last_error"] or "", "attempts": str(r["attempts"])}
                              for r in state.failed_jobs()]
        status.failed_notes = [{"note": f.note, "stage": f.stage, "error": f.reason} for f in note_failures(state)]
        for kind, target in (("rejected", status.rejected), ("ignored", status.ignored)):
            target.extend({"path": r["path"], "reason": r["reason"]} for r in db.execute(
                "SELECT path, reason FROM files WHERE status=? ORDER BY path", (kind,)))
        status.user_edited = [r["path"] for r in db.execute(
            "SELECT path FROM outputs WHERE user_edited=1 ORDER BY path") if not layout.is_lint_report(r["path"])]
        today = datetime.now(UTC).date().isoformat()
        status.spend = [dict(r) for r in db.execute(
            "SELECT role, provider, model, COUNT(*) FILTER (WHERE outcome='ok') AS calls, "
            "COUNT(*) FILTER (WHERE outcome='cached') AS cached, "
            "COALESCE(SUM(cost_usd) FILTER (WHERE day=?), 0) AS today_usd, COALESCE(SUM(cost_usd), 0) AS total_usd, "
            "COALESCE(SUM(input_tokens), 0) AS input_tokens, COALESCE(SUM(output_tokens), 0) AS output_tokens, "
            "COALESCE(SUM(cached_tokens), 0) AS cached_input_tokens "
            "FROM llm_calls GROUP BY role, provider, model ORDER BY role, model", (today,))]
        row = db.execute("SELECT last_error FROM jobs WHERE state='pending' AND last_error IS NOT NULL "
                         "ORDER BY updated DESC LIMIT 1").fetchone()
        status.paused = row[0] if row else None
        status.batches = [dict(r) for r in db.execute(
            "SELECT id, provider, model, status, requests, reserved_usd, submitted FROM batches "
            "WHERE state='submitted' ORDER BY submitted")]
        status.stale_answers = [{"note": f"{layout.wiki}/answers/{name}.md", "changed": why}
                                for name, why in stale_answers(state)]
        status.monitors = [dict(r) for r in db.execute(
            "SELECT name, url, checked, changed, outcome FROM monitors WHERE url <> '' ORDER BY name")]
        try:
            current = current_made_by(config, layout.root)
        except (SkillError, OSError, UnicodeDecodeError):
            current = None  # a broken skill override: `kbd compile` names the problem
        if current is not None:
            status.engine = current.engine
            status.out_of_date = count_out_of_date(state, layout, current)
    finally:
        state.close()
    return status
