"""PDF bytes written by hand, for tests and the benchmark: papers laid out as arXiv papers are (a
spanning title and abstract, two columns, running header, page numbers, a reference list), a
scanned page (an image, no text), and hostile files (deep object graphs, a decompression bomb, an
xref loop). The real arXiv PDFs measured for issue 20 are not redistributable; these reproduce their
layouts with text this project wrote.

Text is drawn in Helvetica; `interleave` draws a two-column page row by row (left line, right line,
…), the order some generators use, so that a reader taking the content stream's order gets it wrong.
"""

from __future__ import annotations

import textwrap
import zlib
from dataclasses import dataclass

PAGE_W, PAGE_H = 612, 792


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    size: float = 10


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _stream(items: list[Text]) -> bytes:
    ops = []
    for t in items:
        ops.append(f"BT /F1 {t.size:g} Tf 1 0 0 1 {t.x:.2f} {t.y:.2f} Tm ({_escape(t.text)}) Tj ET")
    return "\n".join(ops).encode("latin-1", "replace")


def build_pdf(pages: list[bytes], info: dict[str, str] | None = None, extra_objects: list[bytes] | None = None,
              compress: bool = True, resources: bytes = b"") -> bytes:
    """A PDF with one content stream per page (already serialised operators) and an Info dict."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below
    pages_id = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    kids = []
    for content in pages:
        data = zlib.compress(content) if compress else content
        filt = b" /Filter /FlateDecode" if compress else b""
        stream = add(b"<< /Length %d%s >>\nstream\n" % (len(data), filt) + data + b"\nendstream")
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 %d 0 R >> >> "
                        b"/Contents %d 0 R >>" % (pages_id, PAGE_W, PAGE_H, font, stream)))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id
    objects[pages_id - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    for extra in extra_objects or []:
        add(extra)
    info_id = None
    if info:
        fields = " ".join(f"/{k} ({_escape(v)})" for k, v in info.items())
        info_id = add(f"<< {fields} >>".encode("latin-1", "replace"))
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    trailer = b"<< /Size %d /Root %d 0 R" % (len(objects) + 1, catalog)
    if info_id:
        trailer += b" /Info %d 0 R" % info_id
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


# -- a paper --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Paper:
    title: str
    authors: list[str]
    abstract: str
    sections: list[tuple[str, str]]  # (heading, text)
    references: list[str]
    header: str = "Preprint. Under review."
    date: str = "20250314"


def _wrap(text: str, chars: int) -> list[str]:
    """Lines of at most `chars`, with a word broken by a hyphen at some line ends, as TeX does."""
    lines = []
    for line in textwrap.wrap(text, chars):
        if lines and len(line.split()[0]) > 7 and len(lines[-1]) < chars - 6:
            word = line.split()[0]
            lines[-1] += " " + word[:4] + "-"
            line = word[4:] + line[len(word):]
        lines.append(line)
    return lines


def paper_pdf(paper: Paper, columns: int = 2, interleave: bool = False, min_pages: int = 1, padding: int = 0) -> bytes:
    """The paper laid out on as many pages as it needs (at least `min_pages`, repeating sections);
    `padding` bytes of an unused stream stand in for a paper's figures."""
    col_w = 40 if columns == 2 else 90
    xs = [54, 318] if columns == 2 else [72]
    top, bottom, leading = 700, 80, 12
    flow: list[tuple[str, str]] = []  # ("h", heading) / ("p", line) / ("gap", "")
    lines_per_page = len(xs) * int((top - bottom) / leading)
    while not flow or len(flow) < min_pages * lines_per_page * 1.1:  # long papers: the sections again
        for heading, text in paper.sections:
            flow += [("h", heading)] + [("p", line) for line in _wrap(text, col_w)] + [("gap", "")]
    flow += [("h", "References")] + [("p", line) for ref in paper.references for line in _wrap(ref, col_w)]
    pages: list[list[Text]] = []
    i = 0
    while i < len(flow):
        number = len(pages) + 1
        items = [Text(200, 760, paper.header, 8), Text(300, 40, str(number), 9)]
        y0 = top
        if number == 1:
            items.append(Text(100, 730, paper.title, 16))
            items.append(Text(100, 710, ", ".join(paper.authors), 11))
            items.append(Text(280, 685, "Abstract", 11))
            y = 670
            for line in _wrap(paper.abstract, 95):
                items.append(Text(72, y, line, 10))
                y -= leading
            y0 = y - 10
        columns_items: list[list[Text]] = []
        for x in xs:
            col: list[Text] = []
            y = y0
            while i < len(flow) and y > bottom:
                kind, text = flow[i]
                i += 1
                if kind == "gap":
                    y -= leading / 2
                    continue
                col.append(Text(x, y, text, 11 if kind == "h" else 10))
                y -= leading
            columns_items.append(col)
        if interleave and len(columns_items) == 2:
            left, right = columns_items
            for n in range(max(len(left), len(right))):
                items += left[n:n + 1] + right[n:n + 1]
        else:
            items += [t for col in columns_items for t in col]
        pages.append(items)
    info = {"Title": paper.title, "Author": ", ".join(paper.authors), "CreationDate": f"D:{paper.date}120000Z"}
    figures = [b"<< /Length %d >>\nstream\n" % padding + bytes(padding) + b"\nendstream"] if padding else []
    return build_pdf([_stream(p) for p in pages], info, extra_objects=figures)


def sample_paper(seed_words: str = "consensus") -> Paper:
    """A paper of plain sentences whose order can be checked: every sentence names its place."""
    abstract = (f"We study how {seed_words} protocols keep replicas consistent under network partitions. "
                "Our method orders writes with a single leader and recovers quickly after a crash. "
                "Experiments on five clusters show that recovery time falls by forty percent.")
    sections = []
    for s, name in enumerate(["Introduction", "Background", "Method", "Evaluation", "Conclusion"], start=1):
        body = " ".join(f"Section {s} sentence {k} explains how the leader replicates the log to followers "
                        f"and why acknowledgements matter for durability." for k in range(1, 13))
        sections.append((f"{s} {name}", body))
    refs = [f"[{n}] A. Author and B. Writer. A paper about replication number {n}. In Proceedings, 2019."
            for n in range(1, 9)]
    return Paper(f"Fast Recovery for {seed_words.title()} Protocols", ["Ada Example", "Grace Sample"], abstract,
                 sections, refs)


# -- what no reader should choke on ----------------------------------------------------------------

def scanned_pdf(pages: int = 2) -> bytes:
    """Pages holding only an image (a scan): no text layer."""
    side = 64
    pixels = zlib.compress(bytes(side * side))
    image = (b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
             b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % (side, side, len(pixels))
             + pixels + b"\nendstream")
    # The image is the last object before Info: pages reference it by that number.
    image_id = 3 + 2 * pages + 1
    content = b"q 500 0 0 700 50 50 cm /Im1 Do Q"
    return build_pdf([content] * pages, {"Title": "Scanned letter"}, extra_objects=[image],
                     resources=b"/XObject << /Im1 %d 0 R >> " % image_id)


def decompression_bomb(megabytes: int = 1024) -> bytes:
    """A content stream that inflates from about a megabyte to `megabytes` of zeros."""
    compressor = zlib.compressobj(9)
    chunk = b"0" * (1 << 20)
    data = b"".join(compressor.compress(chunk) for _ in range(megabytes)) + compressor.flush()
    stream = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    pdf = build_pdf([b"BT /F1 10 Tf 72 700 Td (x) Tj ET"], {"Title": "Bomb"}, extra_objects=[stream])
    return pdf.replace(b"/Contents 4 0 R", b"/Contents 6 0 R")


def deep_objects(depth: int = 200_000) -> bytes:
    """An array nested `depth` deep in the page's resources."""
    nested = b"[" * depth + b"]" * depth
    pdf = build_pdf([b"BT /F1 10 Tf 72 700 Td (deep) Tj ET"], {"Title": "Deep"})
    return pdf.replace(b"/Type /Page /Parent", b"/Deep " + nested + b" /Type /Page /Parent", 1)


def xref_loop() -> bytes:
    """A trailer whose /Prev points back at its own xref section, and a page tree whose kid is itself."""
    pdf = build_pdf([b"BT /F1 10 Tf 72 700 Td (loop) Tj ET"], {"Title": "Loop"})
    start = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    pdf = pdf.replace(b"/Kids [5 0 R]", b"/Kids [2 0 R]")
    return pdf.replace(b" /Info", b" /Prev %d /Info" % start, 1)
