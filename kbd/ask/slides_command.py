"""`kbd slides` and the `slides` job: make or refresh decks, then write them through the compile
render (a compile limited to the decks: it ingests nothing)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kbd import clock, interrupt
from kbd.ask.decksettings import DEFAULT_MAX_SLIDES, MAX_SLIDES, MIN_SLIDES, DeckSpec
from kbd.ask.slides import DeckOutcome, refresh_deck
from kbd.compile.run import Compiler
from kbd.config import Config
from kbd.engines import make_slide_maker
from kbd.engines.errors import BudgetExceeded, ModelError
from kbd.lock import VaultLock
from kbd.state import State
from kbd.vault.layout import VaultLayout

Progress = Callable[[str], None]


class SlidesError(Exception):
    """The request cannot be carried out as given (exit code 2)."""


@dataclass(frozen=True)
class SlidesRequest:
    title: str | None = None  # None with no concept and no note: refresh the decks in the config
    concept: str | None = None
    note: str | None = None  # --from: a note of the vault, vault-relative
    max_slides: int = DEFAULT_MAX_SLIDES
    force: bool = False


def spec_for(request: SlidesRequest) -> DeckSpec:
    title = " ".join((request.title or request.concept or "").split())
    if not title and request.note:
        title = request.note.rsplit("/", 1)[-1].removesuffix(".md")
    if not title:
        raise SlidesError("give the deck a title, e.g. kbd slides ~/Vault \"Sleep and mood\" (or --concept NAME)")
    if request.concept and request.note:
        raise SlidesError("give --concept or --from, not both")
    if not MIN_SLIDES <= request.max_slides <= MAX_SLIDES:
        raise SlidesError(f"--max-slides must be from {MIN_SLIDES} to {MAX_SLIDES} (the title and Sources slides "
                          "count)")
    query = None if request.concept or request.note else title
    return DeckSpec(title=title[:200], query=query, concept=request.concept, answer=request.note,
                    max_slides=request.max_slides)


def make_slides(root: Path, config: Config, request: SlidesRequest, progress: Progress | None = None
                ) -> list[DeckOutcome]:
    """One deck (a title, a concept or a note), or with none of them every deck in the config."""
    say = progress or (lambda _: None)
    layout = VaultLayout.from_config(root, config)
    specs = [spec_for(request)] if request.title or request.concept or request.note else list(config.decks)
    if not specs:
        raise SlidesError("no deck to make: give a title (kbd slides ~/Vault \"Sleep and mood\"), --concept or "
                          "--from, or list decks under `decks:` in kbd/config.yaml")
    with VaultLock(layout.state_dir):
        state = State(layout.state_dir / "state.db")
        try:
            outcomes = refresh_all(layout, config, state, specs, interrupt.current(), request.force, say)
            interrupt.checkpoint()
            return outcomes
        finally:
            state.close()


def refresh_all(layout: VaultLayout, config: Config, state: State, specs: list[DeckSpec], stop: threading.Event,
                force: bool = False, say: Progress | None = None) -> list[DeckOutcome]:
    """Make each deck that is out of date (all of them with `force`), then write what was queued."""
    say = say or (lambda _: None)
    run = state.db.execute("INSERT INTO runs(kind, started) VALUES('slides', ?)",
                           (clock.stamp(clock.now()),)).lastrowid
    outcomes = []
    for spec in specs:
        if stop.is_set():
            break
        say(f"deck {spec.title!r}")
        try:
            outcome = refresh_deck(layout, config, state, spec,
                                   lambda: make_slide_maker(config, layout.root, state.path, f"slides:{run}"), force)
        except BudgetExceeded as exc:
            outcome = DeckOutcome(spec.title, None, False, f"paused: {exc}; the deck is made on a later run")
        except ModelError as exc:
            outcome = DeckOutcome(spec.title, None, False, f"failed: the model could not make it ({exc}); the "
                                                           "deck kept its earlier version")
        outcomes.append(outcome)
    state.db.execute("UPDATE runs SET finished=?, summary=? WHERE id=?",
                     (clock.stamp(clock.now()), f"{sum(o.made for o in outcomes)} decks made", run))
    if state.dirty():
        say("writing")
        _render(layout, config, state, {o.path for o in outcomes if o.path})
    for i, outcome in enumerate(outcomes):
        record = state.output(outcome.path) if outcome.path else None
        if record is not None and record.user_edited:
            outcomes[i] = DeckOutcome(outcome.title, outcome.path, False, "kept your edited version (run `kbd adopt` "
                                      "on it to let kbd regenerate it)", outcome.slides, outcome.deck_id)
    return outcomes


def _render(layout: VaultLayout, config: Config, state: State, paths: set[str]) -> None:
    Compiler(layout, config, state, stop=threading.Event(), only=frozenset(paths)).run()
