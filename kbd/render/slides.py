"""A `Deck` as a Marp note: pure, no I/O. Marp reads the frontmatter's `marp`, `theme`,
`paginate` and `title`; Obsidian reads the rest, `sources` included, as properties. Slides are
separated by `---` lines, each ends with its speaker notes in an HTML comment (Marp's presenter
notes), and the last slide names the sources in plain text: Marp shows a wikilink as its
brackets, so the links live in the frontmatter, where Obsidian shows them."""

from __future__ import annotations

import posixpath
from urllib.parse import quote

from kbd.engines.decks import Chart, Deck, Slide
from kbd.render.answer import fenced_code
from kbd.render.frontmatter import DateTime, Link, render_frontmatter
from kbd.vault.links import wikilink
from kbd.vault.sanitize import comment_text, escape_text, link_alias, link_target

THEME = "default"
SOURCES_ON_SLIDE = 10  # more than this would overflow the slide; the rest are counted


def render_deck(deck: Deck, path: str) -> str:
    """The deck note that will live at vault-relative `path`."""
    sources = deck.cited_notes()
    front = render_frontmatter([
        ("marp", True),
        ("theme", THEME),
        ("paginate", True),
        ("title", deck.title),
        ("type", "slides"),
        ("query", deck.query),
        ("concept", deck.concept),
        # A note no wikilink can name ("raw/E2EE (Joplin) #sync.md") is in the Sources slide only: a link to it
        # would name another note, and lint reported it broken.
        ("sources", [Link(wikilink(p.path, link_alias(p.title))) for p in sources
                     if link_target(p.path.removesuffix(".md"))]),
        ("tags", ["kbd/slides"]),
        ("engine", deck.engine),
        ("generated", DateTime(deck.generated)),
        ("verified", deck.verified),
    ])
    slides = [_title_slide(deck, len(sources))]
    slides += [_slide(deck, slide, path) for slide in deck.slides]
    slides.append(_sources_slide(deck, sources))
    return front + "\n" + "\n\n---\n\n".join(slides) + "\n"


def _title_slide(deck: Deck, count: int) -> str:
    lines = [f"# {escape_text(deck.title)}", "", escape_text(deck.subtitle)]
    if not deck.verified:
        lines += ["", escape_text("Not verified: the checker objected to parts of this deck (see the notes).")]
    about = f"Deck about {deck.concept!r}" if deck.concept else f"Deck for the query {deck.query!r}" if deck.query \
        else "Deck"
    notes = f"{about}, made by {deck.engine} from {count} {'note' if count == 1 else 'notes'}."
    if deck.objections:
        notes += " Objections: " + " ".join(deck.objections)
    if deck.warnings:
        notes += " " + " ".join(deck.warnings)
    return "\n".join(lines) + "\n\n" + _notes(notes)


def _slide(deck: Deck, slide: Slide, path: str) -> str:
    lines = [f"## {escape_text(slide.title)}", ""]
    lines += [f"- {escape_text(b)}" for b in slide.bullets]
    if slide.code is not None:
        lines += ["", *fenced_code(slide.code, "")] if slide.bullets else fenced_code(slide.code, "")
    if slide.chart is not None:
        chart = deck.charts[slide.chart]
        if lines[-1]:
            lines.append("")
        lines += [_image(chart, path), "", escape_text(_short_caption(deck, chart))]
    notes = slide.notes
    if slide.chart is not None:
        notes = (notes + " " if notes else "") + caption(deck, deck.charts[slide.chart])
    cited = sorted({deck.passages[i].title for i in slide.cites})
    if cited:
        notes += (" " if notes else "") + "From: " + "; ".join(cited) + "."
    return "\n".join(lines) + "\n\n" + _notes(notes)


def _image(chart: Chart, path: str) -> str:
    """A markdown image both Marp and Obsidian show: relative to the deck, spaces encoded. `h:` is
    Marp's height keyword; Obsidian shows it as part of the alt text."""
    target = quote(posixpath.relpath(chart.asset, posixpath.dirname(path)))
    alt = escape_text(chart.title).replace("]", "\\]")
    return f"![{alt} h:420]({target})"


def caption(deck: Deck, chart: Chart) -> str:
    """The charted numbers as the passages state them, each with the note it comes from."""
    return chart_caption(chart, [deck.passages[p.passage].title for p in chart.points])


def chart_caption(chart: Chart, titles: list[str]) -> str:
    """A chart's numbers as the passages state them, each with its note's title (`titles[i]` for point i)."""
    parts = [f"{p.label}: {p.shown} ({titles[i]})" for i, p in enumerate(chart.points)]
    return "Chart of the numbers the sources state: " + "; ".join(parts) + "."


def _short_caption(deck: Deck, chart: Chart) -> str:
    """One line under a chart on a slide (the numbers are on the bars, the full caption in the notes)."""
    titles = list(dict.fromkeys(deck.passages[p.passage].title for p in chart.points))
    named = "; ".join(titles)
    return "Numbers as stated in " + (named if len(named) <= 80 else f"{len(titles)} sources") + "."


def _sources_slide(deck: Deck, sources: list) -> str:
    lines = ["## Sources", ""]
    for passage in sources[:SOURCES_ON_SLIDE]:
        lines.append(f"- {escape_text(passage.title)} ({escape_text(passage.path)})")
    if len(sources) > SOURCES_ON_SLIDE:
        lines.append(f"- {escape_text(f'and {len(sources) - SOURCES_ON_SLIDE} more, listed in the note’s sources')}")
    if not sources:
        lines.append(escape_text("No note was cited."))
    return "\n".join(lines) + "\n\n" + _notes("Every source is linked in the deck's sources property in Obsidian.")


def _notes(text: str) -> str:
    """Speaker notes: one HTML comment that hostile text can neither close nor turn into a Marp
    directive (comment_text; the leading `Notes:` makes any YAML reading of it a mapping whose
    one key is `Notes`, which is no directive)."""
    return f"<!-- Notes: {comment_text(text)} -->"
