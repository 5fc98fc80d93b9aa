"""What making a deck passes between stages: the engine's `SlideDraft` (slides citing passages),
and the `Deck` kbd assembles from it (with the charts it draws and the passages it cites), which
the renderer (kbd/render/slides.py) and state.db consume. Engines may not import features, so the
types live here, beside the answer types whose `Passage` they share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from kbd.engines.answers import Code, Passage, article_key

MAX_BULLETS = 5  # a slide with more is a page of text, not a slide
BULLET_CHARS = 110  # longer bullets are cut at a clause or word; the whole sentence goes to the notes
TITLE_CHARS = 70
NOTES_CHARS = 1200
FIXED_SLIDES = 2  # the title slide and the Sources slide, which every deck has


@dataclass(frozen=True)
class Slide:
    title: str
    bullets: tuple[str, ...] = ()
    notes: str = ""  # speaker notes (plain text)
    cites: tuple[int, ...] = ()  # indices into the deck's passages
    chart: int | None = None  # index into the deck's charts
    code: Code | None = None  # the code a procedure's lead-in introduces, shown under the bullets


@dataclass(frozen=True)
class SlideDraft:
    """An engine's slides for a deck, every slide citing the passages it rests on."""

    slides: list[Slide]
    verified: bool = True
    objections: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # what kbd removed from the model's slides, and why


@dataclass(frozen=True)
class ChartPoint:
    label: str
    value: float
    shown: str  # the number exactly as the passage writes it ("47%", "0.62", "1,200")
    passage: int  # index into the deck's passages


@dataclass(frozen=True)
class Chart:
    title: str
    unit: str  # "%", "d", "participant", … what the values are
    kind: str  # bar | line
    points: tuple[ChartPoint, ...]
    asset: str = ""  # vault-relative path of its SVG


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
    answer: str | None = None  # the answer note it was made from
    warnings: tuple[str, ...] = ()

    def cited_notes(self) -> list[Passage]:
        """One passage per cited article or note, in order of first citation: the deck's sources (an
        article's summary note stands for its clipping)."""
        seen: dict[str, Passage] = {}
        cited = [i for slide in self.slides for i in slide.cites]
        cited += [point.passage for chart in self.charts for point in chart.points]
        for p in (self.passages[i] for i in cited):
            key = article_key(p.path, p.title, p.note_type)
            if key not in seen or (p.note_type == "source" and seen[key].note_type != "source"):
                seen[key] = p
        return list(seen.values())

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "subtitle": self.subtitle, "engine": self.engine, "generated": self.generated,
                "slides": [{"title": s.title, "bullets": list(s.bullets), "notes": s.notes, "cites": list(s.cites),
                            "chart": s.chart, **({"code": s.code.to_json()} if s.code else {})} for s in self.slides],
                "passages": [_passage_json(p) for p in self.passages],
                "charts": [{"title": c.title, "unit": c.unit, "kind": c.kind, "asset": c.asset,
                            "points": [[p.label, p.value, p.shown, p.passage] for p in c.points]}
                           for c in self.charts],
                "verified": self.verified, "objections": list(self.objections), "query": self.query,
                "concept": self.concept, "answer": self.answer, "warnings": list(self.warnings)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Deck:
        return cls(title=data["title"], subtitle=data["subtitle"], engine=data["engine"], generated=data["generated"],
                   slides=tuple(Slide(s["title"], tuple(s["bullets"]), s["notes"], tuple(s["cites"]), s["chart"],
                                      Code.from_json(s["code"]) if s.get("code") else None)
                                for s in data["slides"]),
                   passages=tuple(Passage(**p) for p in data["passages"]),
                   charts=tuple(Chart(c["title"], c["unit"], c["kind"],
                                      tuple(ChartPoint(*point) for point in c["points"]),
                                      c["asset"]) for c in data["charts"]),
                   verified=data["verified"], objections=tuple(data["objections"]), query=data.get("query"),
                   concept=data.get("concept"), answer=data.get("answer"), warnings=tuple(data.get("warnings", ())))


def _passage_json(p: Passage) -> dict[str, Any]:
    return {"path": p.path, "title": p.title, "note_type": p.note_type, "heading": p.heading, "block": p.block,
            "text": p.text, "tokens": p.tokens, "note_hash": p.note_hash, "score": p.score, "kbd_owned": p.kbd_owned}


class SlideMaker(Protocol):
    """Makes a deck's slides from passages. Two implementations: offline (extractive) and model."""

    name: str  # "offline" or "provider:model", as written in the deck's `engine`
    made_by: str  # what a deck records to notice a change of engine, model or skill

    def slides(self, title: str, passages: list[Passage], max_slides: int) -> SlideDraft:
        """At most `max_slides` content slides, each citing the passages it rests on."""

    def close(self) -> None: ...
