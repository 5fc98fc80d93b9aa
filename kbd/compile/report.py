"""What a compile is asked to do (CompileOptions) and what it reports (CompileReport): the typed
values between `kbd compile`'s caller and kbd/compile/run.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from kbd.compile.backfill import BatchReport


@dataclass
class CompileReport:
    ingested: int = 0
    removed: int = 0
    moved: int = 0
    failed: int = 0
    newly_skipped: int = 0
    written: int = 0
    deleted: int = 0
    kept_user_edits: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # notes not written: a symlink or FIFO in the way
    sources: int = 0
    concepts: int = 0
    skipped: int = 0  # rejected raw files in the vault now
    engine_calls: int = 0
    stopped: bool = False  # ended early on request; the rest is still queued
    paused: int = 0  # jobs waiting because a spending cap was reached
    redone: int = 0  # summaries made again by the configured engine (`--redo`)
    batches: BatchReport = field(default_factory=BatchReport)  # sent, waiting and collected (`--batch`)
    out_of_date: int = 0  # summaries an older engine made, after this run
    duplicates: int = 0  # clippings that joined the source note of the same article
    retired: int = 0  # concept pages the rules keep no more (log.md names them)

    @property
    def changed_anything(self) -> bool:
        return bool(self.ingested or self.removed or self.moved or self.written or self.deleted or self.duplicates)


@dataclass(frozen=True)
class CompileOptions:
    redo: str | None = None  # "stale": summaries an older engine made; "all": every summary
    limit: int | None = None  # redo at most this many
    batch: bool = False  # send the queued summaries through the provider's batch interface
