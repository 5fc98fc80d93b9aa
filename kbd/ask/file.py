"""Filing an answer back: state.db records it (with the content hash of every note it cites and
the concepts it draws on), and its note, those concept notes, index.md and log.md are queued for
the compile render, which writes them through the vault writer.

One answer per normalised question: asking again replaces the answer in place (same note).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass

from kbd.ask.retrieve import RetrievalPlan
from kbd.config import Config
from kbd.engines.answers import Answer
from kbd.state import State
from kbd.vault.layout import VaultLayout, clean_title, safe_note_name, unique_name
from kbd.vault.write import VaultWriter

_EDGE = re.compile(r"^[\s?!.…¿¡:;,\"'“”‘’]+|[\s?!.…¿¡:;,\"'“”‘’]+$")


@dataclass(frozen=True)
class Filed:
    path: str  # vault-relative path of the note it goes to
    answer_id: int | None  # row in `answers` (None for a format that keeps no answer row)
    render: list[str]  # render-queue keys it marked dirty (answer:<id>, concept:<key>, index, log)


@dataclass(frozen=True)
class FormatContext:
    """What a format's filer gets: the checked answer and everything it was made from."""

    layout: VaultLayout
    config: Config
    state: State  # the caller holds the vault lock; the filer writes through the render queue only
    question: str
    plan: RetrievalPlan
    answer: Answer
    asked: str  # ISO timestamp (kbd.clock)


def question_key(question: str) -> str:
    """The normalised question: re-asking it (other case, spacing, final punctuation) is the same question."""
    text = unicodedata.normalize("NFKC", question).casefold()
    return _EDGE.sub("", re.sub(r"\s+", " ", text))


def answers_folder(layout: VaultLayout) -> str:
    return f"{layout.wiki}/answers"


def answer_path(layout: VaultLayout, state: State, question: str) -> str:
    """Where the answer to `question` lives: its existing note, else a new unique name in wiki/answers/."""
    row = state.db.execute("SELECT note_name FROM answers WHERE question_key=?", (question_key(question),)).fetchone()
    if row is not None:
        return f"{answers_folder(layout)}/{row[0]}.md"
    taken = {r[0].casefold() for r in state.db.execute("SELECT note_name FROM answers")}
    folder = layout.abs(answers_folder(layout))
    if folder.is_dir():  # a note of the user's there keeps its name
        taken |= {p.name[:-3].casefold() for p in folder.iterdir() if p.name.lower().endswith(".md")}
    return f"{answers_folder(layout)}/{unique_name(safe_note_name(clean_title(question)), taken)}.md"


def user_edited(layout: VaultLayout, state: State, path: str) -> bool:
    """Whether the note at `path` is the user's now: edited since kbd wrote it, or never kbd's."""
    VaultWriter(layout, state).check_user_edits([path])
    record = state.output(path)
    if record is not None:
        return record.user_edited
    return layout.abs(path).exists()


def file_answer(layout: VaultLayout, state: State, answer: Answer, plan: RetrievalPlan, asked: str) -> Filed:
    """Record `answer` (replacing the earlier answer to the same question) and queue its note."""
    key = question_key(answer.question)
    path = answer_path(layout, state, answer.question)
    note_name = path.rsplit("/", 1)[-1][:-3]
    hashes = {c.path: c.note_hash or plan.notes[c.path].sha256 for claim in answer.claims for c in claim.citations}
    with state.transaction():
        db = state.db
        row = db.execute("SELECT id FROM answers WHERE question_key=?", (key,)).fetchone()
        values = (answer.question, asked, answer.engine, int(answer.verified),
                  json.dumps(answer.to_json(), ensure_ascii=False))
        if row is None:
            answer_id = int(db.execute(
                "INSERT INTO answers(question, asked, engine, verified, result, question_key, note_name) "
                "VALUES(?, ?, ?, ?, ?, ?, ?)", (*values, key, note_name)).lastrowid or 0)
            before: set[str] = set()
        else:
            answer_id = int(row[0])
            db.execute("UPDATE answers SET question=?, asked=?, engine=?, verified=?, result=? WHERE id=?",
                       (*values, answer_id))
            before = {r[0] for r in db.execute("SELECT key FROM answer_concepts WHERE answer_id=?", (answer_id,))}
        db.execute("DELETE FROM answer_sources WHERE answer_id=?", (answer_id,))
        db.executemany("INSERT INTO answer_sources(answer_id, path, sha256) VALUES(?, ?, ?)",
                       [(answer_id, p, h) for p, h in hashes.items()])
        concepts = drawn_on(layout, state, answer, plan)
        db.execute("DELETE FROM answer_concepts WHERE answer_id=?", (answer_id,))
        db.executemany("INSERT INTO answer_concepts(answer_id, key) VALUES(?, ?)", [(answer_id, k) for k in concepts])
        db.execute("INSERT INTO log_entries(time, kind, title, source_id, detail) VALUES(?, 'ask', ?, NULL, ?)",
                   (asked, answer.question, path))
        render = [f"answer:{answer_id}", "index", "log", *(f"concept:{k}" for k in sorted(before | set(concepts)))]
        state.mark_dirty(render)
    return Filed(path, answer_id, render)


def drawn_on(layout: VaultLayout, state: State, answer: Answer, plan: RetrievalPlan) -> list[str]:
    """Keys of the concepts an answer draws on: the concept notes it cites, and those of the
    concept notes whose passages it was given that the sources it cites (their summaries or
    their clippings) discuss."""
    cited = set(answer.cited_paths())
    concepts = f"{layout.concepts}/"
    sources = f"{layout.sources}/"
    names = {p[len(concepts):-3] for p in cited if p.startswith(concepts)}
    retrieved = {p[len(concepts):-3] for p in plan.chosen_notes() if p.startswith(concepts)}
    keys: list[str] = []
    for name in sorted(names):
        row = state.db.execute("SELECT key FROM concepts WHERE note_name=?", (name,)).fetchone()
        if row:
            keys.append(row[0])
    query = ("SELECT c.key, c.note_name FROM sources s JOIN source_concepts sc ON sc.source_id=s.id "
             "JOIN concepts c ON c.key=sc.key WHERE ")
    for path in sorted(cited - {f"{concepts}{n}.md" for n in names}):
        # A cited summary, or a cited clipping: the concepts of its source note.
        where = ("s.note_name=?", path[len(sources):-3]) if path.startswith(sources) else ("s.raw_path=?", path)
        for row in state.db.execute(query + where[0], (where[1],)):
            if row[1] in retrieved and row[0] not in keys:
                keys.append(row[0])
    return keys


def file_answer_note(ctx: FormatContext) -> Filed:
    """The `md` format of `kbd ask` (kbd.ask.command.FORMATS)."""
    return file_answer(ctx.layout, ctx.state, ctx.answer, ctx.plan, ctx.asked)
