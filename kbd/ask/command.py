"""The whole of `kbd ask`, for the CLI and the job table: retrieve, plan or answer, file back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kbd.ask.file import Filed
from kbd.ask.retrieve import RetrievalPlan
from kbd.config import Config
from kbd.engines.answers import Answer, CallEstimate
from kbd.state import State
from kbd.vault.layout import VaultLayout

Progress = Callable[[str], None]  # one line saying what is happening now


@dataclass(frozen=True)
class AskOptions:
    plan_only: bool = False  # --plan: retrieval and the cost estimate; no model call, nothing written
    file: bool = True  # False (--no-file): answer, write nothing into the vault
    format: str = "md"  # md | marp (see FORMATS)


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
    calls: int = 0

    def to_json(self) -> dict[str, Any]:
        raise NotImplementedError


def ask(root: Path, config: Config, question: str, options: AskOptions, progress: Progress | None = None
        ) -> AskResult:
    raise NotImplementedError
