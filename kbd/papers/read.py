"""A PDF in the raw folder as a `RawNote`: its text read in a worker process under caps, then
parsed as the markdown of a paper, so every engine summarises it as it does a clipping.

The caps, the same for every PDF: size (`compile.max_note_bytes`, at least PDF_MAX_BYTES), pages
(MAX_PAGES), wall-clock time (DEADLINE_SECONDS; the worker is killed), CPU time and address space
(set by the worker on itself, kbd/papers/worker.py). A PDF that breaks one, or has no text layer,
is a `Rejection` with its reason: listed in Status.md, never a note.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from kbd.vault.layout import clean_title
from kbd.vault.markdown import parse_markdown
from kbd.vault.note import ClipperMeta, RawNote, Rejection, file_sha256, read_checked

MAX_PAGES = 1000
# A paper's PDF is mostly its figures: arXiv papers of 10-35 MB are common, while their text is a
# few hundred KB. The text is what the page and memory caps bound; the file itself may be larger.
PDF_MAX_BYTES = 50_000_000
DEADLINE_SECONDS = 120.0
MEMORY_MB = 1024


@dataclass(frozen=True)
class Caps:
    pages: int = MAX_PAGES
    seconds: float = DEADLINE_SECONDS
    memory_mb: int = MEMORY_MB


def is_pdf(rel: str) -> bool:
    return rel.lower().endswith(".pdf")


def pdf_max_bytes(max_note_bytes: int) -> int:
    """The size cap of a PDF: `compile.max_note_bytes`, but at least PDF_MAX_BYTES."""
    return max(max_note_bytes, PDF_MAX_BYTES)


def read_pdf(vault_root: Path, rel: str, max_bytes: int, caps: Caps | None = None) -> RawNote | Rejection:
    caps = caps or Caps()
    max_bytes = pdf_max_bytes(max_bytes)
    snap = read_checked(vault_root, rel, max_bytes)
    if isinstance(snap, Rejection):
        return snap

    def rejection(reason: str) -> Rejection:
        return Rejection(rel, reason, size=snap.size, stamp=snap.stamp)

    if b"%PDF-" not in snap.data[:1024]:
        return rejection("not a PDF (no %PDF- header), though its name ends in .pdf")
    result = run_worker(snap.data, caps)
    if isinstance(result, str):
        return rejection(result)
    if result.get("problem"):
        return rejection(f"PDF: {result['problem']}")
    stem = Path(rel).stem
    title = clean_title(result.get("title") or "") or clean_title(stem)
    meta = ClipperMeta(title=title, author=list(result.get("authors") or []), published=result.get("published"))
    warnings = []
    if not result.get("has_abstract"):
        warnings.append("PDF: no abstract found; the summary is drawn from the whole text")
    document = parse_markdown(result.get("markdown") or "")
    if not document.blocks:
        return rejection("PDF has no readable text")
    return RawNote(path=rel, sha256=file_sha256(snap.data), size=snap.size, title=title, meta=meta,
                   document=document, warnings=warnings, stamp=snap.stamp)


def run_worker(data: bytes, caps: Caps) -> dict | str:
    """The worker's JSON result, or why there is none (killed on the deadline, died on a cap)."""
    # -P: a vault's own kbd/ folder must not shadow the package; cwd "/" for the same reason.
    command = [sys.executable, "-P", "-m", "kbd.papers.worker", str(caps.pages), str(caps.memory_mb),
               str(max(1, int(caps.seconds)))]
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=caps.seconds, cwd="/", env=env,
                              check=False)
    except subprocess.TimeoutExpired:  # subprocess.run kills the worker before raising
        return f"PDF took longer than {caps.seconds:g} s to read; skipped (a hostile or broken file?)"
    if done.returncode != 0 or not done.stdout:
        if done.returncode < 0:
            return f"PDF reader was stopped by signal {-done.returncode} (over its CPU or memory cap)"
        return f"PDF reader failed (exit {done.returncode}) within its {caps.memory_mb} MB memory cap"
    try:
        result = json.loads(done.stdout)
    except ValueError:
        return "PDF reader gave no usable answer"
    return result if isinstance(result, dict) else "PDF reader gave no usable answer"
