"""Plan and run one custom skill: pick its notes (bounded), price the call, call the model through the
gateway (cache, budget caps, the model's concurrency cap, usage record), check the result (grounding
and the verify gate), render it and hand it to the writer (sanitiser, ledger, atomic replace).

The planner runs first, always: `kbd skill --plan` stops there; a run prints it before spending.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import frontmatter

from kbd import clock
from kbd.config import Config
from kbd.custom_skills.render import SkillReport, render_skill_body, render_skill_report
from kbd.custom_skills.spec import CustomSkill, load_custom_skill
from kbd.engines.client import Usage
from kbd.engines.errors import BudgetExceeded, ModelError
from kbd.engines.recurring import record_objections
from kbd.engines.skills import Skill, SkillError, load_skill, untrusted
from kbd.render.notes import NoteRef
from kbd.state import State
from kbd.vault.errors import WriteRefused
from kbd.vault.fsread import Unreadable, read_optional
from kbd.vault.layout import VaultLayout, glob_to_regex, safe_note_name
from kbd.vault.read import NoteRefused, read_note_text
from kbd.vault.region import Malformed, find
from kbd.vault.write import Outcome, RegionOutcome, RegionWrite, VaultWriter, missing_markers

VERIFIER = "verify_skill_output"
NEEDS_MODEL = ("the skill `{name}` needs a model: it asks a model to write its result, and the offline engine "
               "cannot. Add `models: {{worker: ...}}` to kbd/config.yaml (see docs/models.md), then run it again")
TASK = ("The notes above, each in its own <untrusted> block labelled with its path, are the material for this "
        "task. To name one of them, write its title in double brackets, e.g. [[Title]]. Reply with the JSON "
        "result only.")
MAX_NOTE_BYTES = 2_000_000


@dataclass
class PickedNote:
    path: str
    title: str
    text: str  # the body, cut to the skill's cap


@dataclass
class SkillPlan:
    skill: str
    description: str
    report: str  # the note it writes
    notes: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "path: why" for notes that cannot be read
    needs_model: str | None = None
    calls: int = 0
    cached: bool = False
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    per_run_cap_usd: float | None = None
    daily_cap_usd: float | None = None
    spent_today_usd: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SkillRun:
    plan: SkillPlan
    outcome: str  # written | unchanged | kept-user-edit | nothing-to-read | needs-model | paused | failed
    message: str
    report: str | None = None
    verified: bool = True
    objections: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.outcome in ("needs-model", "paused", "failed")

    def to_json(self) -> dict[str, Any]:
        return {"plan": self.plan.to_json(), "outcome": self.outcome, "message": self.message,
                "report": self.report, "verified": self.verified, "objections": self.objections}


class SkillRunner:
    """One custom skill over one vault. The caller owns `state` (and, to write, the vault lock)."""

    def __init__(self, layout: VaultLayout, config: Config, state: State, name: str) -> None:
        self.layout = layout
        self.config = config
        self.state = state
        self.custom: CustomSkill = load_custom_skill(layout.root, name)
        self.picked: list[PickedNote] = []

    @property
    def report_title(self) -> str:
        writes = self.custom.writes
        return f"{writes.report} {clock.now().date().isoformat()}" if writes.dated else writes.report

    @property
    def report_path(self) -> str:
        if self.custom.writes.note is not None:
            return self.custom.writes.note
        return f"{self.layout.reports}/{safe_note_name(self.report_title)}.md"

    def _region_problem(self) -> str | None:
        """Why the skill's region cannot be written (checked before any model call), or None."""
        writes = self.custom.writes
        if writes.note is None or writes.region is None:
            return None
        writer = VaultWriter(self.layout, self.state)
        try:
            writer.managed_note(writes.note, writes.note)
            data = read_optional(self.layout.root, writes.note)
        except (WriteRefused, Unreadable) as exc:
            return str(exc)
        if data is None:
            return f"{writes.note} is not there; a skill writes only into a note of yours that exists"
        try:
            found = find(data.decode("utf-8", "replace"), writes.region)
        except Malformed as exc:
            return f"{writes.note}: {exc}"
        return missing_markers(writes.note, writes.region) if found is None else None

    def plan(self) -> SkillPlan:
        custom = self.custom
        plan = SkillPlan(custom.name, custom.skill.description, self.report_path)
        self.picked, plan.left_out, plan.skipped = self._pick()
        plan.notes = [n.path for n in self.picked]
        if not self.config.models:
            plan.needs_model = NEEDS_MODEL.format(name=custom.name)
            return plan
        if not self.picked:
            return plan
        gateway = self._gateway("plan")
        try:
            prefix = self._prefix()
            calls = [(custom.skill, f"{prefix}\n\n{TASK}")]
            if "verifier" in gateway.roles:
                calls.append((load_skill(VERIFIER, self.layout.root / "kbd" / "skills"), f"{prefix}\n\n{TASK}"))
            plan.cached = gateway.cached(custom.skill, calls[0][1])
            for skill, user in [] if plan.cached else calls:
                tokens_in, _, _ = gateway.estimate(skill, user)
                price = gateway.roles[skill.role].prices
                plan.calls += 1
                plan.input_tokens += tokens_in
                plan.output_tokens += skill.expected_output_tokens
                plan.cost_usd += price.cost(Usage(tokens_in, skill.expected_output_tokens, 0))
            plan.per_run_cap_usd = self.config.budget.per_run_usd
            plan.daily_cap_usd = self.config.budget.daily_usd
            plan.spent_today_usd = gateway.spent()[1]
        finally:
            gateway.close()
        return plan

    def run(self, plan: SkillPlan | None = None) -> SkillRun:
        plan = plan or self.plan()
        if plan.needs_model:
            return SkillRun(plan, "needs-model", plan.needs_model)
        if not self.picked:
            why = "no note changed since its last run" if self.custom.reads.since_last_run else "no note matches"
            return SkillRun(plan, "nothing-to-read", f"skill {self.custom.name}: nothing to read ({why} its "
                                                     "`reads:`); no model call, no report")
        problem = self._region_problem()
        if problem is not None:
            return SkillRun(plan, "failed", f"skill {self.custom.name}: {problem}")
        started = time.time_ns()
        run_id = self.state.db.execute("INSERT INTO runs(kind, started) VALUES(?, ?)",
                                       (f"skill:{self.custom.name}", clock.stamp(clock.now()))).lastrowid
        gateway = self._gateway(f"skill:{run_id}")
        job = f"skill:{self.custom.name}"
        try:
            prefix = self._prefix()
            result, objections = self._result(gateway, prefix, job)
            engine = ", ".join(sorted({f"{r.spec.provider}:{r.spec.model}" for r in gateway.roles.values()}))
        except BudgetExceeded as exc:
            return SkillRun(plan, "paused", f"skill {self.custom.name}: paused, {exc}; it runs again at its next "
                                            "trigger or `kbd skill`")
        except ModelError as exc:
            return SkillRun(plan, "failed", f"skill {self.custom.name}: the model call failed: {exc}; nothing "
                                            "was written")
        finally:
            gateway.close()
        from kbd.engines.provenance import skill_label

        report = SkillReport(title=self.report_title, skill=skill_label(self.custom.skill), engine=engine,
                             generated=clock.stamp(clock.now()), result=result, schema=self.custom.skill.schema,
                             notes=[NoteRef(n.path, n.title) for n in self.picked],
                             description=self.custom.skill.description, verified=not objections,
                             objections=objections, left_out=len(plan.left_out))
        writer = VaultWriter(self.layout, self.state)
        if self.custom.writes.region is not None:
            return self._finish_region(plan, writer.write_region(plan.report, self.custom.writes.region,
                                                                 render_skill_body(report), plan.report),
                                       started, objections)
        outcome = writer.write_many([(plan.report, render_skill_report(report))])[0]
        if outcome is Outcome.REFUSED:
            return SkillRun(plan, "failed", f"skill {self.custom.name}: {writer.refused[plan.report]}")
        self.state.set_meta(f"skill_last_run:{self.custom.name}", str(started))
        record_objections(self.state, plan.report, objections)  # recurring kinds become proposed rules
        verdict = "" if not objections else f" (not verified: {len(objections)} objection(s), see the note)"
        if outcome is Outcome.KEPT_USER_EDIT:
            return SkillRun(plan, "kept-user-edit", f"skill {self.custom.name}: you edited {plan.report}, so it was "
                                                    "kept as it is; `kbd adopt` hands it back", plan.report,
                            not objections, objections)
        return SkillRun(plan, "written" if outcome is Outcome.WRITTEN else "unchanged",
                        f"skill {self.custom.name}: wrote {plan.report} from {len(self.picked)} note(s){verdict}",
                        plan.report, not objections, objections)

    def _finish_region(self, plan: SkillPlan, written: RegionWrite, started: int,
                       objections: list[str]) -> SkillRun:
        name, region = self.custom.name, self.custom.writes.region
        if written.outcome is RegionOutcome.USER_EDITED:
            return SkillRun(plan, "kept-user-edit", f"skill {name}: {plan.report}: {written.reason}; kbd no "
                                                    f"longer writes its {region} region there (`kbd adopt "
                                                    f"{plan.report}` hands it back)", plan.report,
                            not objections, objections)
        if written.outcome not in (RegionOutcome.WRITTEN, RegionOutcome.UNCHANGED):
            return SkillRun(plan, "failed", f"skill {name}: {written.reason}; nothing was written")
        self.state.set_meta(f"skill_last_run:{name}", str(started))
        verdict = "" if not objections else f" (not verified: {len(objections)} objection(s))"
        return SkillRun(plan, written.outcome.value, f"skill {name}: wrote the {region} region of {plan.report} "
                                                     f"from {len(self.picked)} note(s){verdict}", plan.report,
                        not objections, objections)

    def _result(self, gateway: Any, prefix: str, job: str) -> tuple[dict[str, Any], list[str]]:
        """The model's result and what is wrong with it: the grounding check (numbers and quotations
        must occur in the notes) for every result, and, with a verifier, the verify gate (one retry
        with its objections, then the result is written marked unverified)."""
        from kbd.engines.llm import grounding_problems

        skill = self.custom.skill
        material = "\n".join(f"{n.title}\n{n.text}" for n in self.picked)
        verifier = load_skill(VERIFIER, self.layout.root / "kbd" / "skills") if "verifier" in gateway.roles \
            else None
        result = gateway.call(skill, TASK, job, prefix=prefix)
        objections = grounding_problems(_strings(result), material)
        if verifier is not None:
            objections += self._verify(gateway, verifier, prefix, result, job)
            if objections:
                retry = TASK + "\n\nA reviewer found these problems in an earlier result; avoid them:\n" + \
                    untrusted("reviewer objections", "\n".join(objections))
                result = gateway.call(skill, retry, job, prefix=prefix)
                objections = grounding_problems(_strings(result), material)
                objections += self._verify(gateway, verifier, prefix, result, job)
        return result, sorted(set(objections))

    @staticmethod
    def _verify(gateway: Any, verifier: Skill, prefix: str, result: dict[str, Any], job: str) -> list[str]:
        verdict = gateway.call(verifier, untrusted("result to check", json.dumps(result, ensure_ascii=False)),
                               f"verify:{job}", prefix=prefix)
        if verdict["ok"]:
            return []
        return [" ".join(str(o).split()) for o in verdict["objections"] if str(o).strip()] or ["rejected"]

    def _gateway(self, run: str) -> Any:
        from kbd.engines import make_gateway

        return make_gateway(self.config, self.layout.root, self.state.path, run)

    def _prefix(self) -> str:
        return "\n\n".join(untrusted(n.path, f"Title: {n.title}\n\n{n.text}") for n in self.picked)

    def _pick(self) -> tuple[list[PickedNote], list[str], list[str]]:
        """The notes the skill reads, newest first (or in search order), at most `limit`, within one
        request's input budget; the rest are named, never silently dropped."""
        reads = self.custom.reads
        writes = self.custom.writes
        own = writes.note or f"{self.layout.reports}/{safe_note_name(writes.report)}"
        candidates = [p for p in self._candidates() if not p.startswith(own)]  # never its own output
        cutoff = None
        if reads.since_hours is not None:
            cutoff = time.time_ns() - reads.since_hours * 3600 * 10**9
        elif reads.since_last_run:
            last = self.state.get_meta(f"skill_last_run:{self.custom.name}")
            cutoff = int(last) if last else None
        if cutoff is not None:
            candidates = [p for p in candidates if self._mtime(p) >= cutoff]
        budget = self._input_chars()
        picked: list[PickedNote] = []
        left_out: list[str] = []
        skipped: list[str] = []
        used = 0
        for rel in candidates:
            if len(picked) >= reads.limit:
                left_out.append(rel)
                continue
            try:
                rel, text = read_note_text(self.layout.root, rel, MAX_NOTE_BYTES)
            except NoteRefused as exc:
                skipped.append(str(exc))
                continue
            title, body = _title_and_body(rel, text)
            body = body[:reads.max_chars_per_note]
            if used + len(body) + len(title) > budget:
                left_out.append(rel)
                continue
            used += len(body) + len(title)
            picked.append(PickedNote(rel, title, body))
        return picked, left_out, skipped

    def _candidates(self) -> list[str]:
        reads = self.custom.reads
        if reads.search is not None:
            from kbd.search import QueryError, search_vault

            try:
                hits = search_vault(self.layout.root, self.config, reads.search, limit=reads.limit * 3)
            except QueryError as exc:
                raise SkillError(f"{self.custom.path}: reads.search: {exc}") from None
            return [h.path for h in hits.hits]
        from kbd.search import walk_notes

        pattern = glob_to_regex(reads.glob or "")
        notes = walk_notes(self.layout.root)
        return sorted((p for p in notes if pattern.fullmatch(p)), key=lambda p: (-notes[p][0], p))

    def _mtime(self, rel: str) -> int:
        try:
            return (self.layout.root / rel).lstat().st_mtime_ns
        except OSError:
            return 0

    def _input_chars(self) -> int:
        """How much note text one request may carry: the worker's input budget, less room for the prompt."""
        from kbd.engines.context import CHARS_PER_TOKEN, default_input_tokens

        if not self.config.models:
            return 10**9
        worker = self.config.models["worker"]
        tokens = worker.max_input_tokens or default_input_tokens(worker.model)
        return max(2_000, int(tokens * CHARS_PER_TOKEN) - 8_000)


def run_custom_skill(layout: VaultLayout, config: Config, state: State, name: str,
                     stop: threading.Event | None = None) -> SkillRun:
    del stop  # one request: nothing to stop between
    return SkillRunner(layout, config, state, name).run()


def _title_and_body(rel: str, text: str) -> tuple[str, str]:
    try:
        post = frontmatter.loads(text)
        title, body = post.metadata.get("title"), post.content
    except Exception:  # frontmatter that does not parse: the whole text is the body
        title, body = None, text
    name = rel.rsplit("/", 1)[-1][:-3]
    return (str(title).strip() if isinstance(title, (str, int, float)) and str(title).strip() else name), body.strip()


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return []
