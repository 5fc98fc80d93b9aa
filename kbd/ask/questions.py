"""Question notes: a note the user drops into `kbd/questions/` is answered once, and a link to the
answer goes into the note's managed region (`%% kbd:begin answer %%`). Editing the question re-asks
it; deleting the note leaves the answer; sync-conflict copies and templates are ignored.

What counts as the question is the note without kbd's region: kbd's own region write therefore
never looks like an edit (no re-ask from kbd's echo), and the ledger of questions (`questions` in
state.db) says which question each note was last answered for.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from kbd import clock
from kbd.config import Config
from kbd.isolation import NoteFailure, contain
from kbd.state import State
from kbd.vault.fsread import Unreadable, read_snapshot
from kbd.vault.layout import VaultLayout, is_conflict_copy, is_ignored_name
from kbd.vault.links import wikilink
from kbd.vault.note import split_frontmatter
from kbd.vault.region import Malformed, find, without
from kbd.vault.sanitize import escape_text, link_alias
from kbd.vault.write import RegionOutcome, VaultWriter

log = logging.getLogger("kbd.questions")
REGION = "answer"
MAX_QUESTION_BYTES = 64_000
FORMATS = ("md", "marp")
# "Question template.md", "Template - question.md", a templates/ folder (Templater's and core
# Templates' convention), and notes still holding a Templater tag: not questions.
_TEMPLATE = re.compile(r"(^|[^a-z])templates?([^a-z]|$)", re.IGNORECASE)
# kbd's own copy of a version the user saved while kbd wrote (kbd.vault.atomic): a conflict copy.
_KBD_CONFLICT = re.compile(r" \(edited while kbd wrote \d+\)")
_COMMENT = re.compile(r"%%.*?%%", re.DOTALL)


@dataclass(frozen=True)
class Question:
    path: str
    text: str  # the question, whitespace collapsed
    format: str  # md | marp
    sha256: str  # of (format, text): what "the same question" means


@dataclass
class QuestionsReport:
    asked: list[tuple[str, str]] = field(default_factory=list)  # question note, answer note
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # question note, why
    failed: list[tuple[str, str]] = field(default_factory=list)  # question note, why (tried again later)
    regions: list[tuple[str, str]] = field(default_factory=list)  # question note, why its region was not written
    forgotten: int = 0  # question notes deleted since (their answers stay)
    changed: bool = False  # something Status.md reports changed

    def summary(self) -> str:
        parts = [f"answered {len(self.asked)} question notes", f"{self.unchanged} unchanged"]
        if self.failed:
            parts.append(f"{len(self.failed)} failed (tried again later)")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        if self.regions:
            parts.append(f"{len(self.regions)} links not written")
        return ", ".join(parts)


def is_template(rel: str, questions: str) -> bool:
    inside = PurePosixPath(rel).relative_to(questions)
    return any(_TEMPLATE.search(part[:-3] if part.lower().endswith(".md") else part) for part in inside.parts)


def question_notes(layout: VaultLayout) -> list[str]:
    """Every note in the questions folder that is a question (no templates, no conflict copies,
    no hidden or temporary files), symlinks not followed."""
    top = layout.abs(layout.questions)
    if any(os.path.islink(p) for p in (layout.abs("kbd"), top)):
        return []  # a folder swapped for a symlink leads out of the vault: not followed
    found: list[str] = []
    for folder, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not os.path.islink(os.path.join(folder, d)))
        for name in sorted(files):
            if not name.lower().endswith(".md") or is_ignored_name(name) or is_conflict_copy(name) \
                    or _KBD_CONFLICT.search(name) or os.path.islink(os.path.join(folder, name)):
                continue
            rel = (PurePosixPath(layout.questions) / os.path.relpath(os.path.join(folder, name), top)).as_posix()
            if not is_template(rel, layout.questions):
                found.append(rel)
    return found


def read_question(layout: VaultLayout, rel: str) -> Question | str:
    """The question a note asks, or why it is not one."""
    try:
        data = read_snapshot(layout.root, rel, MAX_QUESTION_BYTES).data
    except FileNotFoundError:
        return "deleted while kbd read it"
    except Unreadable as exc:
        return exc.reason
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "not valid UTF-8 text"
    if "<%" in text:
        return "holds a Templater tag (`<% … %>`): a template, not a question"
    try:
        find(text, REGION)
    except Malformed as exc:
        return f"kbd's answer markers are broken ({exc}); remove them and kbd asks it"
    meta, body, _ = split_frontmatter(without(text, REGION))
    fmt = meta.get("format", "md")
    if not isinstance(fmt, str) or fmt.strip().lower() not in FORMATS:
        return f"`format: {fmt}` is not one of {', '.join(FORMATS)}; fix the property and kbd asks it"
    fmt = fmt.strip().lower()
    question = " ".join(_COMMENT.sub(" ", body).split()).lstrip("# ").strip()
    if not question:  # an empty note: its name is the question
        question = PurePosixPath(rel).stem.strip()
    digest = hashlib.sha256(json.dumps([fmt, question]).encode("utf-8")).hexdigest()
    return Question(rel, question, fmt, f"sha256:{digest}")


def region_text(answer_path: str, title: str, asked: str, engine: str, note: str = "") -> str:
    """What the question note's region says: a link to the answer, when and how it was made."""
    when = asked.replace("T", " ")[:16]
    line = f"**Answer**: {wikilink(answer_path, link_alias(title))} — {escape_text(engine)}, {when}"
    return line + (f"\n{escape_text(note)}" if note else "")


def answer_question_notes(root: Path, config: Config, state: State) -> QuestionsReport:
    """Answer every question note that is new or changed; forget deleted ones (their answers stay)."""
    from kbd.ask.command import AskError, AskFailed, ask_and_file

    layout = VaultLayout.from_config(root, config)
    writer = VaultWriter(layout, state)
    report = QuestionsReport()
    known = {r["path"]: r for r in state.db.execute("SELECT * FROM questions")}
    present = question_notes(layout)
    for rel in present:
        question = read_question(layout, rel)
        if isinstance(question, str):
            report.skipped.append((rel, question))
            if rel not in known or known[rel]["outcome"] != f"skipped: {question}":
                _record(state, rel, "", None, f"skipped: {question}")  # listed in Status.md
                report.changed = True
            continue
        row = known.get(rel)
        if row is not None and row["question_sha256"] == question.sha256:
            report.unchanged += 1
            continue
        fmt, note = question.format, ""
        if fmt == "marp" and not _has_slides():
            fmt, note = "md", "Slide decks (`format: marp`) need the slides feature, which this version of kbd " \
                              "does not have yet; answered as a note instead."
        try:  # one question note's failure is that note's (kbd/isolation.py); the others are still asked
            result = contain("ask", rel, ask_and_file, layout.root, config, state, question.text, fmt,
                             passes=(AskError, AskFailed))
            if isinstance(result, NoteFailure):
                raise AskFailed(result.reason)
        except (AskError, AskFailed) as exc:
            report.failed.append((rel, str(exc)))
            log.warning("%s: not answered: %s", rel, exc)
            # Not recorded as answered: tried again on the next run.
            _record(state, rel, "", None, f"failed: {exc}")
            continue
        if result.note is None:
            report.failed.append((rel, "nothing was filed"))
            continue
        if result.filed == "kept-user-edit":
            note = (note + " " if note else "") + "You edited the answer note, so kbd kept your version."
        written = writer.write_region(rel, REGION, region_text(result.note, question.text, clock.stamp(clock.now()),
                                                               result.engine, note))
        if written.outcome not in (RegionOutcome.WRITTEN, RegionOutcome.UNCHANGED):
            report.regions.append((rel, written.reason or written.outcome.value))
        report.asked.append((rel, result.note))
        _record(state, rel, question.sha256, result.note, result.filed)
    gone = set(known) - set(present)
    if gone:
        with state.transaction():
            for rel in gone:
                state.db.execute("DELETE FROM questions WHERE path=?", (rel,))
                state.db.execute("DELETE FROM regions WHERE path=?", (rel,))
        report.forgotten = len(gone)
    report.changed = report.changed or bool(report.asked or report.failed or gone or report.regions)
    if report.changed:
        with state.transaction():
            state.mark_dirty(["status"])
    return report


def _record(state: State, rel: str, sha256: str, answer: str | None, outcome: str) -> None:
    state.db.execute(
        "INSERT INTO questions(path, question_sha256, answer, asked, outcome) VALUES(?, ?, ?, ?, ?) "
        "ON CONFLICT(path) DO UPDATE SET question_sha256=excluded.question_sha256, "
        "answer=COALESCE(excluded.answer, questions.answer), asked=excluded.asked, outcome=excluded.outcome",
        (rel, sha256, answer, clock.stamp(clock.now()), outcome[:500]))


def _has_slides() -> bool:
    try:
        from kbd.ask.slides import file_deck  # noqa: F401
    except ImportError:
        return False
    return True

