"""PDF papers: pages per second and peak memory of the capped reader (kbd/papers).

    python bench/papers.py [FOLDER_OF_PDFS]

1. A generated 300-page two-column paper (tests/pdf_maker.py, drawn row by row): wall time, pages
   per second, and the worker process's peak resident memory (its own rusage, reported by the
   kernel for the child).
2. With a folder of real PDFs (e.g. arXiv papers fetched for the issue; not shipped, their
   licences do not allow it): per paper, pages, seconds, whether the abstract was found, the
   title found, how many of the offline summary's sentences come from the abstract, and totals.
"""

from __future__ import annotations

import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kbd.engines.base import SourceInput  # noqa: E402
from kbd.engines.offline import OfflineEngine  # noqa: E402
from kbd.papers.read import Caps, read_pdf, run_worker  # noqa: E402
from kbd.vault.note import RawNote  # noqa: E402
from tests.pdf_maker import paper_pdf, sample_paper  # noqa: E402


def machine() -> str:
    load = os.getloadavg()[0]
    return f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, load {load:.1f}"


def read(data: bytes) -> tuple[dict | str, float, float]:
    """(result, seconds, peak MB of the worker): each call runs one worker, so the children's
    maximum RSS grows only if this worker's peak is the largest so far; measured alone first."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    result = run_worker(data, Caps(seconds=600))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return result, seconds, max(peak, before) / 1024


def from_abstract(path: Path) -> tuple[int, int]:
    """(summary sentences found in the paper's abstract, summary sentences) for the offline engine."""
    note = read_pdf(path.parent, path.name, 100_000_000)
    if not isinstance(note, RawNote):
        return 0, 0
    blocks = note.document.blocks
    start = next((i for i, b in enumerate(blocks) if b.text.strip().lower() == "abstract"), None)
    if start is None:
        return 0, 0
    end = next((i for i in range(start + 1, len(blocks)) if blocks[i].kind == "heading"), len(blocks))
    abstract = " ".join(b.text for b in blocks[start + 1:end])
    summary = OfflineEngine().summarize_source(SourceInput(note.title, note.document, note.meta)).summary
    return sum(s in abstract for s in summary), len(summary)


def main() -> None:
    print(f"machine: {machine()}")
    data = paper_pdf(sample_paper(), interleave=True, min_pages=300)
    result, seconds, peak = read(data)
    assert isinstance(result, dict) and not result.get("problem"), result
    pages = result["pages"]
    print(f"generated two-column paper: {pages} pages, {len(data) / 1e6:.1f} MB, {seconds:.1f} s, "
          f"{pages / seconds:.1f} pages/s, worker peak RSS {peak:.0f} MB")
    if len(sys.argv) > 1:
        folder = Path(sys.argv[1])
        total_pages = total_seconds = found = from_abs = sentences = 0
        files = sorted(folder.glob("*.pdf"))
        for path in files:
            result, seconds, _ = read(path.read_bytes())
            if isinstance(result, str) or result.get("problem"):
                print(f"  {path.name}: skipped: {result if isinstance(result, str) else result['problem']}")
                continue
            total_pages += result["pages"]
            total_seconds += seconds
            found += bool(result["has_abstract"])
            inside, said = from_abstract(path)
            from_abs += inside
            sentences += said
            print(f"  {path.name}: {result['pages']} pages, {seconds:.2f} s, abstract "
                  f"{'found' if result['has_abstract'] else 'NOT found'}, summary from abstract {inside}/{said}, "
                  f"title {result['title']!r}")
        if total_seconds:
            print(f"real PDFs: {len(files)} files, {total_pages} pages, {total_pages / total_seconds:.1f} pages/s "
                  f"(with the worker's start-up), abstract found in {found}/{len(files)}, "
                  f"summary sentences taken from the abstract {from_abs}/{sentences}")


if __name__ == "__main__":
    main()
