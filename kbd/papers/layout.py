"""From positioned text on PDF pages to the markdown of a paper, in reading order.

Pure functions over `Fragment`s (what pypdf reports for each piece of text it shows, with where).
A content stream's order is not reading order: some generators draw a two-column page row by row.
So lines are rebuilt from positions, each line is put in the left or right column or marked as
spanning both (title, abstract, wide figures), and a page is read band by band: spanning lines
break bands; within a band the left column is read before the right.

Dropped: running headers and footers (text repeated in the top or bottom margin of most pages),
page numbers, rotated text (arXiv's side stamp), and the reference list (up to an appendix).
Joined: words hyphenated at a line end.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from statistics import median

from kbd.papers.authors import authors_from_title_block


@dataclass(frozen=True)
class Fragment:
    x: float
    y: float  # baseline, from the bottom of the page
    size: float
    text: str


@dataclass
class Page:
    width: float
    height: float
    fragments: list[Fragment]


@dataclass
class Line:
    x: float
    y: float
    size: float
    text: str
    column: str = "span"  # "left", "right" or "span"
    page: int = 0


@dataclass
class Paper:
    markdown: str
    title: str | None = None  # the largest text near the top of the first page
    has_abstract: bool = False
    chars: int = 0
    dropped: list[str] = field(default_factory=list)  # what was left out, for the warning
    authors: list[str] = field(default_factory=list)  # from the title block (kbd/papers/authors.py)


MARGIN = 0.08  # top and bottom share of a page where headers, footers and page numbers live
AVG_CHAR_EM = 0.42  # mean glyph width of body text, in ems (measured on arXiv papers: 0.41)

_HEADING = re.compile(r"^(?:(?:\d{1,2}(?:\.\d{1,2})*|[IVX]+|[A-H](?:\.\d{1,2})*)\.?\s+)?[A-Z][^.!?]{1,80}$")
_NUMBERED = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*|[IVX]+)\.?\s+[A-Z]")
_ABSTRACT = re.compile(r"^a\s?bstract\s*(?:$|([.:—–-])\s*)", re.IGNORECASE)  # "A BSTRACT": small caps
_REFERENCES = re.compile(r"^(?:\d+\.?\s*|[IVX]+\.\s*)?(references|bibliography|literature cited)$", re.IGNORECASE)
_APPENDIX = re.compile(r"^(?:appendix|appendices|supplementary material|[A-H]\.?\s+[A-Z][a-z])", re.IGNORECASE)
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?(?:\d{1,4}|[ivxlc]{1,6})(?:\s*(?:/|of)\s*\d{1,4})?$", re.IGNORECASE)
_KNOWN_HEADINGS = {"abstract", "introduction", "conclusion", "conclusions", "related work", "discussion",
                   "acknowledgements", "acknowledgments", "results", "methods", "background"}


def lines_of(page: Page, number: int) -> list[Line]:
    """The page's fragments grouped into lines (top to bottom, left to right)."""
    frags = sorted((f for f in page.fragments if f.text.strip()), key=lambda f: (-f.y, f.x))
    groups: list[list[Fragment]] = []
    for f in frags:
        # A superscript sits a little above its line: the tolerance is a share of the font size.
        if groups and abs(groups[-1][0].y - f.y) <= max(2.0, 0.45 * max(f.size, groups[-1][0].size)):
            groups[-1].append(f)
        else:
            groups.append([f])
    right = _right_column_start(page, groups)
    lines: list[Line] = []
    for group in groups:
        group.sort(key=lambda f: f.x)
        parts = [group]
        if right is not None:
            cut = next((i for i, f in enumerate(group) if i and f.x >= right - 2 and f.x <= right + 3 * f.size
                        and group[i - 1].x < right - 2), None)
            if cut is not None:
                parts = [group[:cut], group[cut:]]
        for part in parts:
            text = clean_text(_small_caps(_join_fragments(part)))
            size = max(f.size for f in part)
            line = Line(part[0].x, part[0].y, size, text, page=number)
            if right is not None:
                # A line spans both columns only if it reaches well into the right one: the width
                # estimate is rough (±10 % over a column's line), a title's or a full-width
                # abstract's overshoot is not.
                end = part[-1].x + AVG_CHAR_EM * part[-1].size * len(part[-1].text.strip())
                if part[0].x >= right - 2:
                    line.column = "right"
                elif end < right + 4 * size or len(parts) == 2:
                    line.column = "left"
            lines.append(line)
    return lines


_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                            "\ufb05": "st", "\ufb06": "st"})
# TeX sets an accent as a spacing mark before its letter ("conf´erence"): made one character again.
_SPACING_ACCENTS = {"´": "\u0301", "`": "\u0300", "ˆ": "\u0302", "¨": "\u0308", "˜": "\u0303", "¸": "\u0327",
                    "ˇ": "\u030c"}
_ACCENTED = re.compile(f"([{''.join(_SPACING_ACCENTS)}])\\s?([A-Za-z])")


def clean_text(text: str) -> str:
    """Ligatures spelled out and TeX's spacing accents joined to their letters (search and quotes
    match the words a reader types)."""
    text = text.translate(_LIGATURES)
    return unicodedata.normalize("NFC", _ACCENTED.sub(lambda m: m.group(2) + _SPACING_ACCENTS[m.group(1)], text))


def _small_caps(text: str) -> str:
    """"N EURAL MACHINE TRANSLATION": small capitals are set as a letter and a smaller word."""
    return re.sub(r"\b([A-Z]) ([A-Z]{2,})", r"\1\2", text) if text.upper() == text else text


def _join_fragments(part: list[Fragment]) -> str:
    """Pieces of one line usually carry their own spaces (" test"); pieces placed apart without
    one (words positioned one by one) get a space when the gap between them is wider than a
    letter's."""
    out = ""
    for prev, f in zip([None, *part], part, strict=False):
        piece = f.text.replace("\n", " ")
        if prev is not None and out and not out.endswith(" ") and not piece.startswith(" "):
            end = prev.x + AVG_CHAR_EM * prev.size * len(prev.text.rstrip("\n"))
            if f.x - end > 0.25 * f.size:
                out += " "
        out += piece
    return re.sub(r"\s+", " ", out).strip()


def _right_column_start(page: Page, groups: list[list[Fragment]]) -> float | None:
    """Where the right column's lines start, if the page has two columns: a left edge in the middle
    of the page shared by many lines."""
    starts = Counter()
    for group in groups:
        for f in group:
            if 0.38 * page.width <= f.x <= 0.68 * page.width:
                starts[round(f.x)] += 1
    if not starts:
        return None
    x, count = starts.most_common(1)[0]
    return float(x) if count >= max(4, 0.2 * len(groups)) else None


def reading_order(lines: list[Line]) -> list[Line]:
    """Band by band: spanning lines in place; between them, the left column, then the right."""
    out: list[Line] = []
    left: list[Line] = []
    right: list[Line] = []
    for line in lines:  # top to bottom
        if line.column == "span":
            out += left + right + [line]
            left, right = [], []
        elif line.column == "left":
            left.append(line)
        else:
            right.append(line)
    return out + left + right


def furniture(pages: list[list[Line]], heights: list[float]) -> set[tuple[int, int]]:
    """(page, index) of running headers, footers and page numbers."""
    bands: Counter[str] = Counter()
    keys: dict[tuple[int, int], str] = {}
    for p, (lines, height) in enumerate(zip(pages, heights, strict=True)):
        seen: set[str] = set()
        for i, line in enumerate(lines):
            if height * MARGIN < line.y < height * (1 - MARGIN):
                continue
            key = re.sub(r"\d+", "#", line.text.lower())
            keys[(p, i)] = key
            if key not in seen:
                bands[key] += 1
                seen.add(key)
    repeated = {k for k, n in bands.items() if n >= 3 and n >= 0.4 * len(pages)}
    return {pos for pos, key in keys.items()
            if key in repeated or _PAGE_NUMBER.match(pages[pos[0]][pos[1]].text.strip())}


def _is_heading(line: Line, body_size: float) -> bool:
    text = line.text.strip()
    if len(text) > 90 or text.endswith((",", ";", "-")):
        return False
    if text.lower().rstrip(".:") in _KNOWN_HEADINGS or _REFERENCES.match(text):
        return True
    bigger = line.size >= body_size * 1.08
    return bool(_HEADING.match(text)) and (bigger or bool(_NUMBERED.match(text)))


def to_markdown(pages: list[Page]) -> Paper:
    per_page = [lines_of(page, n) for n, page in enumerate(pages)]
    drop = furniture(per_page, [p.height for p in pages])
    ordered: list[Line] = []
    for p, lines in enumerate(per_page):
        kept = [line for i, line in enumerate(lines) if (p, i) not in drop]
        ordered += reading_order(kept)
    sizes = Counter(round(line.size, 1) for line in ordered for _ in range(max(1, len(line.text) // 20)))
    body = sizes.most_common(1)[0][0] if sizes else 10.0
    title = _title(per_page[0] if per_page else [], body)
    paper = Paper("", title=title)
    paper.authors = authors_from_title_block(_title_block(ordered, body))
    if drop:
        paper.dropped.append(f"{len(drop)} header, footer and page-number lines")
    blocks: list[str] = []
    paragraph: list[str] = []
    last: Line | None = None
    gaps = [a.y - b.y for a, b in itertools.pairwise(ordered)
            if a.page == b.page and a.column == b.column and 0 < a.y - b.y < 3 * body]
    leading = median(gaps) if gaps else body * 1.2
    skipping = False
    before_abstract: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(_join_lines(paragraph))
            paragraph.clear()

    for line in ordered:
        text = line.text.strip()
        if _is_chart_label(text):
            continue
        if _REFERENCES.match(text):
            flush()
            skipping = True
            paper.dropped.append("the reference list")
            continue
        if skipping:
            # The list ends at the next numbered or appendix heading (a book's next chapter).
            if _is_heading(line, body) and (_APPENDIX.match(text) or _NUMBERED.match(text)):
                skipping = False
            else:
                last = line
                continue
        abstract = _ABSTRACT.match(text) if not paper.has_abstract else None
        if abstract and (abstract.end() == len(text) or abstract.group(1)):
            flush()
            # What came before the abstract on page one is the title block (title, authors, affiliations).
            before_abstract = list(blocks)
            blocks.clear()
            paper.has_abstract = True
            blocks.append("## Abstract")
            rest = text[abstract.end():].strip()
            if rest:
                paragraph.append(rest)
            last = line
            continue
        if _is_heading(line, body):
            flush()
            blocks.append("## " + _md_text(text))
            last = line
            continue
        # The short last line of a full-width paragraph looks like a left-column line: one line's
        # leading below a spanning line, it goes on the same paragraph.
        same_flow = last is not None and (last.column == line.column or (last.column, line.column) == ("span", "left"))
        new_paragraph = last is None or last.page != line.page or not same_flow or \
            (last.y - line.y) > leading * 1.45 or (line.x > last.x + 0.8 * body and _ends_sentence(paragraph))
        if new_paragraph and paragraph and not _ends_sentence(paragraph) and text[:1].islower():
            new_paragraph = False  # a sentence running on into the next column or page
        if new_paragraph:
            flush()
        paragraph.append(text)
        last = line
    flush()
    if not paper.has_abstract:
        blocks = before_abstract + blocks
    paper.markdown = "\n\n".join(b if b.startswith("## ") else _md_text(b) for b in blocks) + "\n"
    paper.chars = sum(len(b) for b in blocks)
    return paper


def _title_block(ordered: list[Line], body: float) -> list[str]:
    """Page one's lines between the title (larger type) and the abstract; none without an abstract."""
    lines: list[str] = []
    for line in ordered:
        if line.page != 0:
            return []
        if _ABSTRACT.match(line.text.strip()):
            return lines
        if line.size < body * 1.3:
            lines.append(line.text)
    return []


def _is_chart_label(text: str) -> bool:
    """Axis ticks and labels of a figure ("0 1 2 3 4 5 60", "iter. (1e4)"): mostly not letters."""
    letters = sum(c.isalpha() for c in text)
    return len(text) < 60 and letters < 0.45 * len(text.replace(" ", ""))


def _ends_sentence(paragraph: list[str]) -> bool:
    return bool(paragraph) and paragraph[-1].rstrip().endswith((".", ":", "?", "!"))


def _join_lines(lines: list[str]) -> str:
    out = lines[0]
    for line in lines[1:]:
        # "learn-" + "ing" is one word; "low/mid/high-" + "Level" or "-" + a digit stays as it is.
        if re.search(r"[A-Za-z]-$", out) and line[:1].islower():
            out = out[:-1] + line
        else:
            out += " " + line
    return out


def _md_text(text: str) -> str:
    """Plain text from a PDF as a markdown paragraph: nothing in it may turn into markup (a line
    starting with `#`, `>`, `-` or `1.` would; so would `[[`, backticks and HTML)."""
    text = re.sub(r"([\\`*_\[\]<>#|~$%=^])", r"\\\1", text)
    return re.sub(r"^(\d+)\. ", r"\1\\. ", re.sub(r"^([-+>])", r"\\\1", text))


def _title(first_page: list[Line], body: float) -> str | None:
    """The largest text in the top half of page one (several lines when the title wraps)."""
    if not first_page:
        return None
    top = [line for line in first_page if len(line.text.strip()) > 3]
    if not top:
        return None
    biggest = max(line.size for line in top)
    if biggest < body * 1.15:
        return None
    parts = [line.text.strip() for line in top if line.size >= biggest - 0.5][:3]
    title = " ".join(parts)
    return title if 3 <= len(title) <= 300 else None
