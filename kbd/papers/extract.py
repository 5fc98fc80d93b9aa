"""Read a PDF with pypdf: its pages as positioned text (`layout.Fragment`) and its metadata.

Runs only inside the worker process (kbd/papers/worker.py), under its time and memory caps: a
hostile PDF is parsed here and nowhere else.

Why pypdf (issue 20, measured on 12 arXiv papers, 150 pages, and on generated layouts; figures in
docs/papers.md): pure Python with no dependencies, 4.3 MB installed against pdfminer.six's 9.5 MB
plus cryptography (16 MB, compiled) and charset-normalizer; 2.3× the pages per second on the same
papers at the same peak memory. pdfminer.six's advantage, layout analysis for two-column pages, is
had here from the positions pypdf reports for every piece of text (kbd/papers/layout.py).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date

from kbd.papers.layout import Fragment, Page, to_markdown


@dataclass
class Extracted:
    pages: int
    markdown: str = ""
    chars: int = 0
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None  # YYYY-MM-DD
    has_abstract: bool = False
    dropped: list[str] = field(default_factory=list)
    problem: str | None = None  # why no text could be had (too many pages, encrypted, no text layer)


_ARXIV_STAMP = re.compile(r"arXiv:\S+\s+\[[^\]]+\]\s+(\d{1,2})\s+([A-Z][a-z]{2})\s+(\d{4})")
_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), start=1)}
_PLACEHOLDER_TITLE = re.compile(r"(^untitled|^microsoft word|\.(docx?|tex|dvi|pdf)$|^$)", re.IGNORECASE)
MIN_CHARS_PER_PAGE = 40  # below this on average the PDF has no text layer to speak of (a scan)


def extract(data: bytes, max_pages: int) -> Extracted:
    from pypdf import PdfReader  # imported in the worker only

    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted and not reader.decrypt(""):
        return Extracted(0, problem="encrypted; kbd reads only PDFs that open without a password")
    count = len(reader.pages)
    if count > max_pages:
        return Extracted(count, problem=f"{count} pages is over the {max_pages}-page limit for a PDF")
    pages: list[Page] = []
    rotated: list[str] = []
    for page in reader.pages:
        box = page.mediabox
        fragments: list[Fragment] = []

        def visit(text: str, cm: list[float], tm: list[float], _font: object, size: float,
                  fragments: list[Fragment] = fragments, box: object = box) -> None:
            if not text or not text.strip():
                return
            # Rotated text (arXiv's side stamp, axis labels) is never body text; kept for its date.
            if abs(tm[1]) > 0.01 or abs(cm[1]) > 0.01 or tm[0] <= 0:
                rotated.append(text)
                return
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            left, bottom = float(box.left), float(box.bottom)  # type: ignore[attr-defined]
            fragments.append(Fragment(x - left, y - bottom, abs(size * tm[3] * cm[3]) or size, text))

        page.extract_text(visitor_text=visit)
        pages.append(Page(float(box.width), float(box.height), fragments))
    paper = to_markdown(pages)
    if paper.chars < MIN_CHARS_PER_PAGE * max(1, count):
        return Extracted(count, chars=paper.chars,
                         problem="no text layer (a scanned PDF?); kbd reads a PDF's text, not its images: "
                                 "run OCR on it (for example ocrmypdf) and put the result in its place")
    meta = reader.metadata or {}
    title = _text(meta.get("/Title"))
    if not title or _PLACEHOLDER_TITLE.search(title):
        title = paper.title
    named = re.sub(r"\([^)]*@[^)]*\)|<[^>]*@[^>]*>", "", _text(meta.get("/Author")) or "")  # "Ann (ann@x.org)"
    authors = [a.strip() for a in re.split(r";|,|\band\b", named) if a.strip()]
    authors = authors or paper.authors
    return Extracted(count, paper.markdown, paper.chars, title, authors[:20],
                     _stamp_date("".join(rotated)) or _pdf_date(_text(meta.get("/CreationDate"))),
                     paper.has_abstract, paper.dropped)


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = re.sub(r"\s+", " ", str(value)).strip()
    return text[:300] or None


def _stamp_date(text: str) -> str | None:
    """The submission date arXiv prints down the side of page one."""
    m = _ARXIV_STAMP.search(text) or _ARXIV_STAMP.search(text[::-1])
    if not m or m.group(2) not in _MONTHS:
        return None
    return _iso(int(m.group(3)), _MONTHS[m.group(2)], int(m.group(1)))


def _pdf_date(value: str | None) -> str | None:
    """`D:20250314120000Z` → 2025-03-14."""
    m = re.match(r"D:(\d{4})(\d{2})(\d{2})", value or "")
    return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None
