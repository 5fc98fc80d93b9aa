"""The typed results between deck building and rendering: a `Deck` of `Slide`s, the `Passage`s
they were made from, and the `Chart`s drawn from numbers those passages state."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_BULLETS = 5  # a slide with more is a page of text, not a slide
BULLET_CHARS = 110  # a bullet longer than this is cut at a clause or word; the whole sentence goes to the notes
TITLE_CHARS = 70
NOTES_CHARS = 1200


@dataclass(frozen=True)
class Passage:
    """Text a deck may draw from: a verbatim piece of one wiki note."""

    note: str  # vault-relative path of the note, with .md
    title: str  # the note's title, as its readers know it
    text: str
    heading: str | None = None  # the heading it sits under, for a link to that section


@dataclass(frozen=True)
class ChartPoint:
    label: str
    value: float
    shown: str  # the number exactly as the passage writes it ("47%", "0.62", "1,200")
    passage: int  # index into the deck's passages


@dataclass(frozen=True)
class Chart:
    title: str
    unit: str  # "%", "d", "participants", … what the values count
    kind: str  # bar | line
    points: tuple[ChartPoint, ...]
    asset: str = ""  # vault-relative path of the SVG once placed


@dataclass(frozen=True)
class Slide:
    title: str
    bullets: tuple[str, ...] = ()
    notes: str = ""  # speaker notes (plain text)
    cites: tuple[int, ...] = ()  # indices into the deck's passages
    chart: int | None = None  # index into the deck's charts


@dataclass(frozen=True)
class Deck:
    title: str
    subtitle: str
    slides: tuple[Slide, ...]  # the content slides: the title and Sources slides are the renderer's
    passages: tuple[Passage, ...]
    engine: str
    generated: str  # YYYY-MM-DDTHH:MM:SS
    charts: tuple[Chart, ...] = ()
    verified: bool = True
    objections: tuple[str, ...] = ()
    query: str | None = None
    concept: str | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def cited_notes(self) -> list[Passage]:
        """One passage per cited note, in order of first citation: the deck's sources."""
        seen: dict[str, Passage] = {}
        for slide in self.slides:
            for i in slide.cites:
                seen.setdefault(self.passages[i].note, self.passages[i])
        for chart in self.charts:
            for point in chart.points:
                seen.setdefault(self.passages[point.passage].note, self.passages[point.passage])
        return list(seen.values())
