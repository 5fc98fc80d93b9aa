"""Filing an answer back: state.db records it (with the content hash of every note it cites),
and its note, the concept notes it draws on, index.md and log.md are queued for rendering."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kbd.ask.retrieve import RetrievalPlan
from kbd.engines.answers import Answer
from kbd.state import State
from kbd.vault.layout import VaultLayout

if TYPE_CHECKING:
    from kbd.ask.command import FormatContext


@dataclass(frozen=True)
class Filed:
    path: str  # vault-relative path of the note it goes to
    answer_id: int | None  # row in `answers` (None for a format that keeps no answer row)
    render: list[str]  # render-queue keys it marked dirty (answer:<id>, concept:<key>, index, log)


def question_key(question: str) -> str:
    """The normalised question: re-asking it (other case, spacing, final punctuation) is the same question."""
    raise NotImplementedError


def answer_path(layout: VaultLayout, state: State, question: str) -> str:
    """Where the answer to `question` lives: its existing note, else a new unique name in wiki/answers/."""
    raise NotImplementedError


def file_answer(layout: VaultLayout, state: State, answer: Answer, plan: RetrievalPlan, asked: str) -> Filed:
    """Record `answer` (replacing the earlier answer to the same question) and queue its note."""
    raise NotImplementedError


def file_answer_note(ctx: FormatContext) -> Filed:
    """The `md` format of `kbd ask` (kbd.ask.command.FORMATS)."""
    return file_answer(ctx.layout, ctx.state, ctx.answer, ctx.plan, ctx.asked)
