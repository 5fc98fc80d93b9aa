"""`kbd compile --batch`: queued summaries go through the provider's batch interface at half price;
later runs (`kbd compile`, or `kbd run` at start-up and each full rescan) collect them.

Sending: for each queued clipping, the first calls of its summary (the source, or each part of a
long one) are built exactly as the engine would make them; those the cache cannot answer go into
a batch, as many clippings as the spending caps allow with the batch reserved at its pessimistic
cost until it is collected. The batch id and what each request is for go into state.db, and the
clippings' jobs wait in state `batched`: no synchronous call is made for them, and a restart
changes nothing.

Collecting: a run polls each batch it knows; once a batch has ended, every answer is recorded at
the batch price and, when valid, cached where the engine looks for it, and the jobs go back into
the queue. The same run then summarises those clippings: their first calls come from the cache,
and what follows them (combining a long source's parts, the verifier) is called normally. A
request that failed, expired or came back invalid is retried normally, never batched again.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from kbd.config import Config
from kbd.engines import make_engine
from kbd.engines.base import SourceInput
from kbd.engines.errors import ModelError
from kbd.engines.skills import load_skill, system_prompt, task_prompt
from kbd.state import Job, State
from kbd.vault.layout import VaultLayout
from kbd.vault.note import Rejection, read_raw_note

if TYPE_CHECKING:  # imported when used: the offline path never loads httpx
    from kbd.engines.batch import BatchClient
    from kbd.engines.llm import LLMEngine

log = logging.getLogger("kbd.compile")


@dataclass
class BatchReport:
    sent: list[str] = field(default_factory=list)  # "batch id: N clippings, up to $x"
    waiting: list[str] = field(default_factory=list)  # "batch id: status (done of total)"
    collected: int = 0  # answers collected and cached
    failed: int = 0  # answers that failed, expired or were invalid (their clippings are retried normally)
    problems: list[str] = field(default_factory=list)
    held: set[int] = field(default_factory=set)  # jobs this run must not run synchronously


@dataclass
class _Request:
    job: Job
    key: str
    body: dict[str, object]
    reserve: float


def outstanding(state: State) -> int:
    return state.db.execute("SELECT COUNT(*) FROM batches WHERE state='submitted'").fetchone()[0]


def submit(state: State, layout: VaultLayout, config: Config, jobs: list[Job], run: str, now: str,
           report: BatchReport) -> None:
    """Send the model calls of queued ingest jobs as batches (see the module docstring)."""
    from kbd.engines.batch import BATCH_DISCOUNT, MAX_REQUESTS, BatchClient
    from kbd.engines.client import Usage
    from kbd.engines.gateway import PESSIMISTIC_CHARS_PER_TOKEN, tool_name
    from kbd.engines.llm import LLMEngine

    jobs = [j for j in jobs if j.kind == "ingest" and j.payload.get("batch") != "failed"]
    if not jobs:
        return
    known = {r[0]: r[1] for r in state.db.execute("SELECT key, note_name FROM concepts")}
    engine = make_engine(config, layout.root, state.path, run, known)
    try:
        if not isinstance(engine, LLMEngine):
            report.problems.append("--batch needs a model (`models:` in kbd/config.yaml); compiled without one")
            return
        gateway, skill = engine.gateway, engine.skill
        role = gateway.roles[skill.role]
        client = BatchClient(gateway.clients[skill.role])
        system = system_prompt(skill, gateway.constraints)
        groups: list[list[_Request]] = []
        reserved = 0.0
        for job in jobs:
            note = read_raw_note(layout.root, job.payload["path"], config.compile.max_note_bytes)
            if isinstance(note, Rejection):
                continue  # the normal path records why
            group = []
            for prefix, task in engine.map_calls(SourceInput(note.title, note.document, note.meta,
                                                             label=job.payload["path"])):
                if gateway.cached(skill, f"{prefix}\n\n{task}"):
                    continue
                body = client.body(system, prefix, task_prompt(skill, task), skill.schema, skill.max_output_tokens,
                                   tool_name(skill))
                out = int(body.get("max_tokens") or body.get("max_completion_tokens") or skill.max_output_tokens)
                worst = Usage(math.ceil(len(json.dumps(body, ensure_ascii=False)) / PESSIMISTIC_CHARS_PER_TOKEN), out)
                group.append(_Request(job, gateway.cache_key(skill, task, prefix), body,
                                      role.prices.cost(worst) * BATCH_DISCOUNT))
            if not group:
                continue  # answered from the cache: it runs now, for nothing
            cost = sum(r.reserve for r in group)
            with gateway.lock:
                refusal = gateway.over_cap(reserved + cost)
            if refusal:
                with state.transaction():
                    state.job_paused(job.id, refusal.replace("the next call", "its batch requests"), now)
                report.held.add(job.id)
                continue
            reserved += cost
            if not groups or len(groups[-1]) + len(group) > MAX_REQUESTS:
                groups.append([])
            groups[-1].extend(group)
        for requests in groups:
            _send(state, client, requests, skill.name, run, report)
    finally:
        engine.close()


def _send(state: State, client: BatchClient, requests: list[_Request], skill: str, run: str,
          report: BatchReport) -> None:
    jobs = {r.job.id: r.job for r in requests}
    report.held |= set(jobs)
    try:
        batch_id = client.submit([(f"r{i}", r.body) for i, r in enumerate(requests)])
    except ModelError as exc:
        report.problems.append(f"batch not sent ({exc}); its {len(jobs)} clippings stay queued for the next run")
        return
    reserved = sum(r.reserve for r in requests)
    spec = client.spec
    with state.transaction():
        state.db.execute(
            "INSERT INTO batches(id, role, provider, model, state, status, submitted, requests, reserved_usd, run) "
            "VALUES(?, 'worker', ?, ?, 'submitted', 'sent', ?, ?, ?, ?)",
            (batch_id, spec.provider, spec.model, _now(), len(requests), reserved, run))
        state.db.executemany(
            "INSERT INTO batch_requests(batch_id, custom_id, cache_key, skill, job) VALUES(?, ?, ?, ?, ?)",
            [(batch_id, f"r{i}", r.key, skill, r.job.dedupe_key) for i, r in enumerate(requests)])
        state.db.executemany("UPDATE jobs SET state='batched', last_error=NULL WHERE id=?", [(i,) for i in jobs])
    log.info("sent %d requests for %d clippings to batch %s (%s:%s)", len(requests), len(jobs), batch_id,
             spec.provider, spec.model)
    report.sent.append(f"{batch_id}: {len(jobs)} clipping{'s' if len(jobs) != 1 else ''}, "
                       f"{len(requests)} request{'s' if len(requests) != 1 else ''} to {spec.provider}:{spec.model}, "
                       f"up to ${reserved:.4f} reserved")


def collect(state: State, layout: VaultLayout, config: Config, run: str, report: BatchReport) -> None:
    """Poll every batch not yet collected; bring the answers of ended ones home."""
    from kbd.engines.batch import BatchClient
    from kbd.engines.llm import LLMEngine

    batches = list(state.db.execute("SELECT * FROM batches WHERE state='submitted' ORDER BY submitted"))
    if not batches:
        return
    known = {r[0]: r[1] for r in state.db.execute("SELECT key, note_name FROM concepts")}
    engine = make_engine(config, layout.root, state.path, run, known)
    try:
        for batch in batches:
            role = engine.gateway.roles.get(batch["role"]) if isinstance(engine, LLMEngine) else None
            if role is None or (role.spec.provider, role.spec.model) != (batch["provider"], batch["model"]):
                report.problems.append(f"batch {batch['id']} went to {batch['provider']}:{batch['model']}, which "
                                       "the config no longer names; its clippings are compiled normally")
                _release(state, layout, batch["id"], "abandoned", set())
                continue
            assert isinstance(engine, LLMEngine)
            _collect_one(state, layout, engine, BatchClient(engine.gateway.clients[batch["role"]]), batch, report,
                         config.compile.max_note_bytes)
    finally:
        engine.close()


def _collect_one(state: State, layout: VaultLayout, engine: LLMEngine, client: BatchClient, batch: sqlite3.Row,
                 report: BatchReport, max_bytes: int) -> None:
    from kbd.engines.batch import BATCH_DISCOUNT
    from kbd.engines.gateway import tool_name

    batch_id = batch["id"]
    try:
        status = client.poll(batch_id)
    except ModelError as exc:
        report.problems.append(f"batch {batch_id} could not be checked ({exc}); trying again on the next run")
        return
    with state.transaction():
        state.db.execute("UPDATE batches SET status=? WHERE id=?", (status.status, batch_id))
    if not status.ended:
        report.waiting.append(f"{batch_id}: {status.status} ({status.done} of {status.total} done)")
        return
    rows = list(state.db.execute("SELECT * FROM batch_requests WHERE batch_id=?", (batch_id,)))
    skills = {engine.skill.name: engine.skill}
    for name in {r["skill"] for r in rows} - set(skills):
        skills[name] = load_skill(name, layout.root / "kbd" / "skills")
    try:
        results = client.results(batch_id, engine.skill.schema, tool_name(engine.skill)) if status.done else {}
    except ModelError as exc:
        report.problems.append(f"batch {batch_id}: results could not be read ({exc}); trying again on the next run")
        return
    gateway = engine.gateway
    failed_jobs: set[str] = set()
    for row in rows:
        job = f"{row['job']} (batch {batch_id} {row['custom_id']})"
        result = results.get(row["custom_id"])
        if result is None or result.data is None:
            failed_jobs.add(row["job"])
            report.failed += 1
        else:
            report.collected += 1
        if result is None or gateway.db.execute("SELECT 1 FROM llm_calls WHERE job=?", (job,)).fetchone():
            continue  # nothing billed, or recorded by a run that stopped before it finished collecting
        cost = gateway.roles[batch["role"]].prices.cost(result.usage) * BATCH_DISCOUNT
        gateway.record_batched(job, skills[row["skill"]], result.usage, cost, row["cache_key"], result.data,
                               result.problem)
    _follow_new_concepts(state, layout, engine, rows, max_bytes)
    if status.problem:
        report.problems.append(f"batch {batch_id} {status.status}: {status.problem}; its clippings are compiled "
                               "normally")
    _release(state, layout, batch_id, "collected", failed_jobs)


def _follow_new_concepts(state: State, layout: VaultLayout, engine: LLMEngine, rows: list[sqlite3.Row],
                         max_bytes: int) -> None:
    """A request names the existing concepts that occur in its source, as a hint for naming. When
    concepts were added while the batch ran, the engine now asks with a longer hint, and would miss
    the batch's answers in the cache and pay for each again: the answers are filed under the new
    requests too (same source, same skill and model; only the naming hint differs)."""
    by_job: dict[str, list[sqlite3.Row]] = {}
    for row in rows:
        by_job.setdefault(row["job"], []).append(row)
    gateway, skill = engine.gateway, engine.skill
    for job_key, sent in by_job.items():
        job = state.db.execute("SELECT payload FROM jobs WHERE dedupe_key=?", (job_key,)).fetchone()
        if job is None:
            continue
        path = json.loads(job["payload"])["path"]
        note = read_raw_note(layout.root, path, max_bytes)
        if isinstance(note, Rejection):
            continue
        calls = engine.map_calls(SourceInput(note.title, note.document, note.meta, label=path))
        now = [gateway.cache_key(skill, task, prefix) for prefix, task in calls]
        then = [r["cache_key"] for r in sorted(sent, key=lambda r: int(r["custom_id"][1:]))]
        if len(now) != len(then):
            continue  # another part size: the source is summarised afresh
        with gateway.lock:
            for new, old in zip(now, then, strict=True):
                if new != old:
                    gateway.db.execute("INSERT OR IGNORE INTO llm_cache(key, result, created) "
                                       "SELECT ?, result, created FROM llm_cache WHERE key=?", (new, old))


def _release(state: State, layout: VaultLayout, batch_id: str, outcome: str, failed_jobs: set[str]) -> None:
    """The batch's jobs go back into the queue (those whose answer failed, never to a batch again);
    a job superseded meanwhile by a newer version of its clipping, or whose clipping is gone, is
    dropped."""
    with state.transaction():
        for row in state.db.execute("SELECT id, payload FROM jobs WHERE state='batched' AND dedupe_key IN "
                                    "(SELECT job FROM batch_requests WHERE batch_id=?)", (batch_id,)).fetchall():
            if not (layout.root / json.loads(row["payload"])["path"]).is_file():
                state.db.execute("DELETE FROM jobs WHERE id=?", (row["id"],))
        for (key,) in state.db.execute("SELECT DISTINCT job FROM batch_requests WHERE batch_id=?",
                                       (batch_id,)).fetchall():
            state.db.execute(
                "DELETE FROM jobs WHERE dedupe_key=? AND state='batched' AND (EXISTS (SELECT 1 FROM jobs other WHERE "
                "other.kind='ingest' AND other.dedupe_key<>jobs.dedupe_key AND "
                "json_extract(other.payload, '$.path') = json_extract(jobs.payload, '$.path')) OR EXISTS (SELECT 1 "
                "FROM files f WHERE f.path = json_extract(jobs.payload, '$.path') AND f.status='ok' AND "
                "f.sha256 <> json_extract(jobs.payload, '$.sha256')))", (key,))
            state.db.execute("UPDATE jobs SET state='pending', payload=CASE WHEN ? THEN json_set(payload, '$.batch', "
                             "'failed') ELSE payload END WHERE dedupe_key=? AND state='batched'",
                             (key in failed_jobs or outcome == "abandoned", key))
        state.db.execute("UPDATE batches SET state=?, finished=? WHERE id=?", (outcome, _now(), batch_id))


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()
