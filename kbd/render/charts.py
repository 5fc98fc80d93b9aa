"""Charts of the numbers cited passages state: which numbers are comparable, and the SVG that
shows them. Standard library only; the SVG is drawn from a fixed vocabulary (rect, line, polyline,
circle, text) with every piece of text escaped, so it passes `svg_problems` by construction.

A number is charted only as the passage writes it: each point keeps the exact string (`shown`)
and `grounded` drops any point whose string is not in its passage, whoever proposed it.
"""

from __future__ import annotations

import html
import math
import re
from collections import defaultdict
from dataclasses import replace

from kbd.engines.answers import Answer, Passage
from kbd.engines.base import singular
from kbd.engines.decks import Chart, ChartPoint
from kbd.render.slides import chart_caption

MAX_POINTS = 8
MIN_POINTS = 2
WIDTH, HEIGHT = 800, 400
MAX_DIGITS = 15  # digits a charted number may have: a float holds 15 exactly
MAX_MAGNITUDE = 1e12  # beyond this no stated figure is charted (the axis arithmetic stays finite)
MAX_TICKS = 12
MAX_NUMBER_CHARS = 40  # what `_value` looks at: a longer "number" is never one it keeps
COLOURS = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#eeca3b", "#9d755d")

_NUM = r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?|-?\.\d+"
_PERCENT = re.compile(rf"(?<![\w.,])({_NUM})\s?(%|percent\b|per cent\b)")
_MEASURE = re.compile(r"\b(effect sizes?|odds ratios?|hazard ratios?|risk ratios?|Cohen['’]s d|Hedges['’] g)"
                      rf"(?:\s+(?:of|was|is|were|=))?\s*:?\s*(?:\w+\s*=\s*)?({_NUM})(?![\d%])", re.IGNORECASE)
_SHORT_MEASURE = re.compile(rf"(?<![\w.])(d|g|r|OR|RR|HR|SMD)\s*=\s*({_NUM})(?![\d%])")
_COUNT = re.compile(rf"(?<![\w.,-])({_NUM})\s+([a-z]{{3,}}s)\b")
_CONFIDENCE = re.compile(r"\s*(?:CI\b|Cr?I\b|confidence|credible)", re.IGNORECASE)
_YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")
# "79 551 participants": digits grouped by a (thin, no-break) space are one number, which a chart must
# not read as 551; such a number is never charted (the other rules stay as strict as they are).
_GROUP_BEFORE = re.compile(r"\d[ \u00a0\u2009\u202f]$")
_GROUP_AFTER = re.compile(r"[ \u00a0\u2009\u202f]\d{3}(?!\d)")
_CLAUSE = re.compile(r"[,;:()]|\s(?:and|but|while|whereas|versus|vs\.?|compared with|than)\s", re.IGNORECASE)
_FILLER = {"a", "an", "the", "of", "by", "to", "in", "on", "at", "was", "were", "is", "are", "about", "around",
           "nearly", "roughly", "approximately", "only", "just", "some", "with", "for", "from", "had", "has",
           "have", "that", "which", "who", "reached", "rose", "fell", "least", "almost", "over", "under"}
_VERBS = {"went", "were", "was", "had", "have", "has", "reached", "improved", "showed", "reported", "achieved", "got",
          "experienced", "saw", "remained", "recovered", "entered", "did", "are", "is", "fell", "rose", "stayed"}
_MEASURE_NAMES = {"d": "Cohen's d", "g": "Hedges' g", "r": "correlation r", "or": "odds ratio", "rr": "risk ratio",
                  "hr": "hazard ratio", "smd": "standardised mean difference"}


def find_chart(passages: list[Passage] | tuple[Passage, ...], title: str) -> Chart | None:
    """The best chart the passages support: the largest group of comparable numbers (two or more
    of one kind: percentages, one effect-size measure, counts of one noun), or None."""
    groups: dict[str, list[ChartPoint]] = defaultdict(list)
    years: dict[tuple[int, str], str | None] = {}
    for index, passage in enumerate(passages):
        for sentence in re.split(r"(?<=[.!?])\s+", _flat(passage.text)):
            for kind, start, end, shown in _mentions(sentence):
                value = _value(shown)
                if value is None:
                    continue
                label = _label(sentence, start, end) or passage.title
                point = ChartPoint(label=label[:40], value=value, shown=shown, passage=index)
                # One point per number and note title: a clipping and its summary state it twice.
                if all((p.shown, passages[p.passage].title.casefold()) != (shown, passage.title.casefold())
                       for p in groups[kind]):
                    groups[kind].append(point)
                    found = _YEAR.findall(sentence.replace(shown, ""))
                    years[(index, shown)] = found[0] if len(set(found)) == 1 else None
    order = ["percent", *sorted(k for k in groups if k.startswith("measure:")),
             *sorted(k for k in groups if k.startswith("count:"))]
    best = max((k for k in order if len(groups[k]) >= MIN_POINTS), key=lambda k: len(groups[k]), default=None)
    if best is None:
        return None
    points = _distinct_labels(groups[best][:MAX_POINTS], passages)
    unit, what = _unit(best)
    kind = "bar"
    point_years = [years.get((p.passage, p.shown)) for p in points]
    if len(points) >= 3 and all(point_years) and len(set(point_years)) == len(points):
        kind = "line"
        points = sorted((replace(p, label=y or p.label) for p, y in zip(points, point_years, strict=True)),
                        key=lambda p: p.label)
    return Chart(title=f"{title}: {what}", unit=unit, kind=kind, points=tuple(points))


def grounded(points: list[ChartPoint], passages: list[Passage] | tuple[Passage, ...]) -> list[ChartPoint]:
    """The points whose number occurs, exactly as shown, in the passage they cite."""
    kept = []
    for point in points:
        if not 0 <= point.passage < len(passages):
            continue
        shown = _flat(point.shown)
        if shown and _value(shown) is not None and _occurs(shown, _flat(passages[point.passage].text)):
            kept.append(replace(point, shown=shown, value=_value(shown) or 0.0))
    return kept


def _occurs(shown: str, text: str) -> bool:
    """`shown` in `text`, not as part of a longer number (47% is not in 147%)."""
    return re.search(rf"(?<![\d.,]){re.escape(shown)}(?![\d]|[.,]\d)", text) is not None


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _mentions(sentence: str) -> list[tuple[str, int, int, str]]:
    found = []
    taken: list[tuple[int, int]] = []
    for m in _PERCENT.finditer(sentence):
        taken.append(m.span())
        if not _CONFIDENCE.match(sentence, m.end()):  # "95% CI" is the interval's level, not a finding
            found.append(("percent", m.start(), m.end(), m.group(0)))
    for m in _MEASURE.finditer(sentence):
        name = m.group(1).lower().rstrip("s").replace("’", "'")
        key = {"cohen's d": "d", "hedges' g": "g"}.get(name, name)
        found.append((f"measure:{key}", m.start(2), m.end(2), m.group(2)))
        taken.append(m.span())
    for m in _SHORT_MEASURE.finditer(sentence):
        if not any(a <= m.start() < b for a, b in taken):
            found.append((f"measure:{m.group(1).lower()}", m.start(2), m.end(2), m.group(2)))
            taken.append(m.span())
    for m in _COUNT.finditer(sentence):
        if any(a <= m.start() < b for a, b in taken) or _YEAR.fullmatch(m.group(1)):
            continue
        found.append((f"count:{singular(m.group(2))}", m.start(), m.end(), m.group(1)))
    return [f for f in found if not _space_grouped(sentence, f[1])]


def _space_grouped(sentence: str, start: int) -> bool:
    """Whether the number starting at `start` is one group of a number written with thousands spaces."""
    number = re.match(_NUM, sentence[start:])
    end = start + (len(number.group(0)) if number else 0)
    return bool(_GROUP_BEFORE.search(sentence[max(0, start - 2):start])) or bool(_GROUP_AFTER.match(sentence, end))


def _value(shown: str) -> float | None:
    """The number `shown` starts with, or None when it is not one a chart can draw: more than
    MAX_DIGITS digits (a clipping can hold a 400-digit "percentage") or beyond MAX_MAGNITUDE.
    Bounded here, where text becomes a number, so that no infinity reaches the drawing."""
    m = re.match(rf"^({_NUM})", shown.strip()[:MAX_NUMBER_CHARS])
    if not m:
        return None
    digits = m.group(1).replace(",", "")
    if sum(c.isdigit() for c in digits) > MAX_DIGITS:
        return None
    try:
        value = float(digits)
    except ValueError:
        return None
    return value if math.isfinite(value) and abs(value) <= MAX_MAGNITUDE else None


def _label(sentence: str, start: int, end: int) -> str:
    """A few words around a number that say what it is: its clause before it, else after it."""
    left = [w for w in _CLAUSE.split(sentence[:start])[-1].split()]
    while left and left[-1].lower().strip(".") in _FILLER:
        left.pop()
    while left and left[0].lower() in _FILLER:
        left.pop(0)
    if left:
        return " ".join(left[-5:]).strip(" .")
    right = _CLAUSE.split(sentence[end:])[0].split()
    while right and right[0].lower() in _FILLER:
        right.pop(0)
    for i, word in enumerate(right):  # "of patients who exercised went into remission": up to the verb
        if i and word.lower() in _VERBS:
            right = right[:i]
            break
    return " ".join(right[:5]).strip(" .")


def _distinct_labels(points: list[ChartPoint], passages: list[Passage] | tuple[Passage, ...]) -> list[ChartPoint]:
    """Two points with the same label get the title of their source after it."""
    counts: dict[str, int] = defaultdict(int)
    for p in points:
        counts[p.label.casefold()] += 1
    return [replace(p, label=f"{p.label} ({passages[p.passage].title})"[:60]) if counts[p.label.casefold()] > 1
            else p for p in points]


def _unit(kind: str) -> tuple[str, str]:
    if kind == "percent":
        return "%", "percentages the sources state"
    if kind.startswith("measure:"):
        key = kind.split(":", 1)[1]
        name = _MEASURE_NAMES.get(key, key)
        return key, f"{name} as the sources state it"
    noun = kind.split(":", 1)[1]
    return noun, f"number of {noun}s the sources state"


# -- SVG ----------------------------------------------------------------------------------------

def _xml(text: str) -> str:
    """Text as XML character data or an attribute value: escaped, without characters XML forbids."""
    text = "".join(c for c in text if c in "\t\n" or (ord(c) >= 0x20 and c not in "\ufffe\uffff"
                                                        and not 0xD800 <= ord(c) <= 0xDFFF))
    return html.escape(text, quote=True)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def render_svg(chart: Chart, sources: list[str]) -> str:
    """The chart as a self-contained SVG: no script, no links, no external references, no styles.
    `sources[i]` names the note point i comes from; it is written under the point's label, so the
    picture carries its numbers and their sources wherever it is shown."""
    rotate = len(chart.points) > 4
    left, right, top, bottom = (150 if rotate else 70), 30, 56, 110
    plot_w, plot_h = WIDTH - left - right, HEIGHT - top - bottom
    values = [p.value for p in chart.points]
    if not all(math.isfinite(v) and abs(v) <= MAX_MAGNITUDE for v in values):  # points come through `_value`
        raise ValueError("a chart value is not a finite number within range; nothing is drawn")
    ticks = _ticks(min(0.0, *values), max(0.0, *values))
    low, high = ticks[0], ticks[-1]
    y = lambda v: top + plot_h * (high - v) / (high - low)  # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img">',
           f"<title>{_xml(chart.title)}</title>",
           f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
           f'<text x="{WIDTH // 2}" y="30" font-family="sans-serif" font-size="20" font-weight="bold" '
           f'text-anchor="middle" fill="#222222">{_xml(_short(chart.title, 70))}</text>']
    for v in ticks:
        out.append(f'<line x1="{left}" y1="{y(v):.1f}" x2="{WIDTH - right}" y2="{y(v):.1f}" stroke="#dddddd" '
                   'stroke-width="1"/>')
        out.append(f'<text x="{left - 8}" y="{y(v) + 4:.1f}" font-family="sans-serif" font-size="12" '
                   f'text-anchor="end" fill="#555555">{_xml(_tick(v, chart.unit))}</text>')
    out.append(f'<line x1="{left}" y1="{y(0):.1f}" x2="{WIDTH - right}" y2="{y(0):.1f}" stroke="#444444" '
               'stroke-width="1.5"/>')
    n = len(chart.points)
    slot = plot_w / n
    centres = [left + slot * (i + 0.5) for i in range(n)]
    if chart.kind == "line":
        coords = " ".join(f"{x:.1f},{y(p.value):.1f}" for x, p in zip(centres, chart.points, strict=True))
        out.append(f'<polyline points="{coords}" fill="none" stroke="{COLOURS[0]}" stroke-width="3"/>')
    for i, (x, point) in enumerate(zip(centres, chart.points, strict=True)):
        if chart.kind == "line":
            out.append(f'<circle cx="{x:.1f}" cy="{y(point.value):.1f}" r="5" fill="{COLOURS[0]}"/>')
        else:
            width = min(slot * 0.6, 120)
            top_y, bottom_y = sorted((y(point.value), y(0)))
            out.append(f'<rect x="{x - width / 2:.1f}" y="{top_y:.1f}" width="{width:.1f}" '
                       f'height="{max(bottom_y - top_y, 1):.1f}" rx="3" fill="{COLOURS[i % len(COLOURS)]}"/>')
        out.append(f'<text x="{x:.1f}" y="{min(y(point.value), y(0)) - 8:.1f}" font-family="sans-serif" '
                   f'font-size="15" font-weight="bold" text-anchor="middle" fill="#222222">'
                   f"{_xml(_short(point.shown, 16))}</text>")
        limit = 26 if rotate else max(10, int(slot / 7.5))
        base = HEIGHT - bottom + 22
        for line, (text, size, colour) in enumerate(((point.label, 13, "#333333"),
                                                     (sources[i] if i < len(sources) else "", 11, "#777777"))):
            if not text:
                continue
            label_y = base + line * 16
            anchor, turn = ("end", f' transform="rotate(-20 {x:.1f} {label_y})"') if rotate else ("middle", "")
            out.append(f'<text x="{x:.1f}" y="{label_y}" font-family="sans-serif" font-size="{size}" '
                       f'text-anchor="{anchor}"{turn} fill="{colour}">{_xml(_short(text, limit))}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _ticks(low: float, high: float) -> list[float]:
    """Round gridline values from at most `low` to at least `high` (with room above the tallest bar)."""
    span = (high - low) * 1.12 or 1.0
    raw = span / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = [first]
    # Multiples of the step, not running sums rounded (a step below the rounding never moved on),
    # and never more than MAX_TICKS of them, whatever the values.
    while (ticks[-1] < high * 1.06 or len(ticks) < 2) and len(ticks) < MAX_TICKS:
        ticks.append(first + len(ticks) * step)
    return ticks


def _tick(value: float, unit: str) -> str:
    text = f"{value:.0f}" if value == int(value) else f"{value:.2f}".rstrip("0").rstrip(".")
    return text + ("%" if unit == "%" else "")


def answer_chart(answer: Answer, asset: str) -> tuple[Chart, str, str] | None:
    """The chart an answer's cited quotes support: (chart, its SVG, its caption), or None."""
    quotes: list[Passage] = []
    for claim in answer.claims:
        for c in claim.citations:
            if all((q.path, q.text) != (c.path, c.quote) for q in quotes):
                quotes.append(Passage(path=c.path, title=c.title, note_type="", heading=c.heading, block=c.block,
                                      text=c.quote, tokens=0, note_hash=c.note_hash, score=0.0, kbd_owned=False))
    chart = find_chart(quotes, answer.question[:60])
    if chart is None:
        return None
    points = grounded(list(chart.points), quotes)
    if len(points) < MIN_POINTS:
        return None
    chart = replace(chart, points=tuple(points), asset=asset)
    titles = [quotes[p.passage].title for p in chart.points]
    return chart, render_svg(chart, titles), chart_caption(chart, titles)
