"""The whole of `kbd ask`, for the CLI and the job table: retrieve, plan or answer, file back.

Filing holds the vault lock (one kbd process writes a vault at a time); `--plan` and `--no-file`
write nothing into the vault. The answer note, the concept notes it draws on, index.md and log.md
are rendered and written by the compile's render step (through the job table), so they look and
behave like every other generated note: written atomically by the vault writer, sanitised, kept
when the user edited them, and indexed for search.
"""

from __future__ import annotations

import importlib
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kbd import clock, interrupt
from kbd.ask.answer import answer_question
from kbd.ask.file import Filed, FormatContext, answer_path, answers_folder, question_key, user_edited
from kbd.ask.retrieve import RetrievalPlan, retrieve
from kbd.compile.run import Compiler
from kbd.config import Config
from kbd.engines import make_answerer
from kbd.engines.answers import Answer, CallEstimate, code_json
from kbd.lock import VaultLock
from kbd.render.answer import anchor, citation_link
from kbd.state import State
from kbd.vault.layout import VaultLayout

Progress = Callable[[str], None]  # one line saying what is happening now
MAX_QUESTION_CHARS = 1_000


class AskError(Exception):
    """The question cannot be asked as given (empty, too long, an unknown format): exit code 2."""


class AskFailed(Exception):
    """Answering failed (the model call failed or the budget refused it); nothing was filed: exit code 1."""

    def __init__(self, message: str, budget: bool = False) -> None:
        super().__init__(message)
        self.budget = budget  # a spending cap refused the call: later questions would be refused too


@dataclass(frozen=True)
class AskOptions:
    plan_only: bool = False  # --plan: retrieval and the cost estimate; no model call, nothing written
    file: bool = True  # False (--no-file): answer, write nothing into the vault
    format: str = "md"  # md | marp (see FORMATS)


# `--format NAME` → "module:function", a `Callable[[FormatContext], Filed]` imported when used. The
# filer records what it made in state.db and marks its notes dirty; `ask` then renders the queue.
Filer = Callable[[FormatContext], Filed]
FORMATS: dict[str, str] = {"md": "kbd.ask.file:file_answer_note", "marp": "kbd.ask.slides:file_deck"}


@dataclass(frozen=True)
class AskResult:
    question: str
    engine: str
    plan: RetrievalPlan
    estimate: CallEstimate
    answer: Answer | None  # None with --plan
    note: str | None  # the note it was filed to
    filed: str  # planned | not-filed | written | unchanged | kept-user-edit
    spent_usd: float = 0.0
    calls: int = 0  # model requests made (0 when answered offline or from the cache)

    def to_json(self) -> dict[str, Any]:
        """The `kbd ask --json` schema (documented in docs/ask.md; keep it stable)."""
        answer = self.answer
        return {
            "question": self.question,
            "engine": self.engine,
            "extractive": answer.extractive if answer else None,
            "verified": answer.verified if answer else None,
            "filed": self.filed,
            "note": self.note,
            "claims": [{"text": c.text, "citations": [
                {"path": q.path, "title": q.title, "anchor": anchor(q), "link": citation_link(q), "quote": q.quote}
                for q in c.citations], **({"numbered": True} if c.numbered else {}), **code_json(c.code)}
                for c in answer.claims]
            if answer else [],
            "dropped": [{"claim": t, "reason": r} for t, r in answer.dropped] if answer else [],
            "objections": list(answer.objections) if answer else [],
            "retrieval": self.plan.to_json(),
            "estimate": {"calls": self.estimate.calls, "input_tokens": self.estimate.input_tokens,
                         "output_tokens": self.estimate.output_tokens, "usd": round(self.estimate.usd, 6)},
            "spent": {"calls": self.calls, "usd": round(self.spent_usd, 6)},
        }


def ask(root: Path, config: Config, question: str, options: AskOptions, progress: Progress | None = None
        ) -> AskResult:
    say = progress or (lambda _: None)
    question = clean_question(question)
    filer = _filer(options.format) if options.file and not options.plan_only else None
    layout = VaultLayout.from_config(root, config)
    say("searching the wiki")
    # The earlier answer to this same question is what is being redone: never a source for it.
    plan = retrieve(root, config, question, exclude=_earlier(layout, question))
    if options.plan_only:
        return _plan(root, config, layout, plan)
    if not options.file or not plan.passages:  # no note matches: nothing worth filing
        state = State(layout.state_dir / "state.db")
        try:
            answer, spent, calls = _answer(root, config, state, plan, say)
        finally:
            state.close()
        return AskResult(question, answer.engine, plan, CallEstimate(), answer, None, "not-filed", spent, calls)
    assert filer is not None
    with VaultLock(layout.state_dir):
        state = State(layout.state_dir / "state.db")
        try:
            return _file(root, config, state, question, plan, filer, options.format, say)
        finally:
            state.close()


def ask_and_file(root: Path, config: Config, state: State, question: str, format: str = "md",
                 progress: Progress | None = None) -> AskResult:
    """Answer and file `question` for a caller that already holds the vault lock and `state` (the
    daemon's jobs: question notes, stale answers)."""
    say = progress or (lambda _: None)
    question = clean_question(question)
    filer = _filer(format)
    layout = VaultLayout.from_config(root, config)
    plan = retrieve(root, config, question, exclude=_earlier(layout, question))
    return _file(root, config, state, question, plan, filer, format, say)


def clean_question(question: str) -> str:
    """The question on one line; AskError when it is empty or too long to be a question."""
    question = " ".join(question.split())
    if not question:
        raise AskError("the question is empty; e.g. kbd ask ~/Vault \"Why do B-trees stay shallow?\"")
    if len(question) > MAX_QUESTION_CHARS:
        raise AskError(f"the question is over {MAX_QUESTION_CHARS} characters; ask something shorter")
    return question


def _file(root: Path, config: Config, state: State, question: str, plan: RetrievalPlan, filer: Filer,
          format: str, say: Progress) -> AskResult:
    layout = VaultLayout.from_config(root, config)
    path = answer_path(layout, state, question)
    edited = format == "md" and user_edited(layout, state, path)
    interrupt.checkpoint()  # safe points of a handed-over `kbd ask`: before the model call and before filing
    answer, spent, calls = _answer(root, config, state, plan, say)
    interrupt.checkpoint()
    if edited:
        return AskResult(question, answer.engine, plan, CallEstimate(), answer, path, "kept-user-edit",
                         spent, calls)
    say("filing the answer")
    asked = clock.stamp(clock.now())
    filed = filer(FormatContext(layout, config, state, question, plan, answer, asked))
    before = state.output(filed.path)
    _render(layout, config, state, filed.path)
    after = state.output(filed.path)
    outcome = "kept-user-edit" if after is not None and after.user_edited else \
        "unchanged" if before is not None and after is not None and before.sha256 == after.sha256 else "written"
    return AskResult(question, answer.engine, plan, CallEstimate(), answer, filed.path, outcome, spent, calls)


def _earlier(layout: VaultLayout, question: str) -> set[str]:
    path = layout.state_dir / "state.db"
    if not path.exists():
        return set()
    state = State(path)
    try:
        row = state.db.execute("SELECT note_name FROM answers WHERE question_key=?",
                               (question_key(question),)).fetchone()
    finally:
        state.close()
    return {f"{answers_folder(layout)}/{row[0]}.md"} if row else set()


def _filer(name: str) -> Filer:
    spec = FORMATS.get(name)
    if spec is None:
        raise AskError(f"unknown format {name!r}; use one of: {', '.join(FORMATS)}")
    module, _, function = spec.partition(":")
    try:
        return getattr(importlib.import_module(module), function)  # type: ignore[no-any-return]
    except (ImportError, AttributeError):
        raise AskError(f"--format {name} needs the slides feature, which this version of kbd does not have yet; "
                       "use --format md") from None


def _answer(root: Path, config: Config, state: State, plan: RetrievalPlan, say: Progress
            ) -> tuple[Answer, float, int]:
    from kbd.engines.errors import BudgetExceeded, ModelError

    run = state.db.execute("INSERT INTO runs(kind, started) VALUES('ask', ?)",
                           (clock.stamp(clock.now()),)).lastrowid
    run_id = f"ask:{run}"
    answerer = make_answerer(config, root, state.path, run_id)
    try:
        say(f"answering with {answerer.name} from {len(plan.passages)} passages")
        answer = answer_question(plan, answerer)
    except ModelError as exc:
        raise AskFailed(f"the model could not answer: {exc}; nothing was filed",
                        budget=isinstance(exc, BudgetExceeded)) from None
    finally:
        answerer.close()
    spent, calls = state.db.execute("SELECT COALESCE(SUM(cost_usd), 0), COALESCE(SUM(requests), 0) FROM llm_calls "
                                    "WHERE run=?", (run_id,)).fetchone()
    state.db.execute("UPDATE runs SET finished=? WHERE id=?", (clock.stamp(clock.now()), run))
    return answer, float(spent), int(calls)


def _render(layout: VaultLayout, config: Config, state: State, path: str) -> None:
    """Write what filing queued (the note, concept notes, index, log) through the compile the job table
    runs, limited to `path`: it renders the queue and indexes what it wrote, and ingests nothing."""
    Compiler(layout, config, state, stop=threading.Event(), only=frozenset({path})).run()


def _plan(root: Path, config: Config, layout: VaultLayout, plan: RetrievalPlan) -> AskResult:
    """What answering would take and cost, spending nothing and creating nothing in the vault (a
    vault without state.db is planned against an empty one in a temporary folder)."""
    folder = None
    state_path = layout.state_dir / "state.db"
    if not state_path.exists():
        folder = tempfile.mkdtemp(prefix="kbd-ask-plan-")
        state_path = Path(folder) / "state.db"
    try:
        if folder is not None:
            State(state_path).close()
        answerer = make_answerer(config, root, state_path, "plan")
        try:
            estimate = answerer.estimate(plan.question, plan.passages) if plan.passages else CallEstimate()
        finally:
            answerer.close()
        return AskResult(plan.question, answerer.name, plan, estimate, None, None, "planned")
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
