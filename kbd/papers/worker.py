"""The process a PDF is read in: `python -m kbd.papers.worker MAX_PAGES MEMORY_MB CPU_SECONDS`,
the PDF's bytes on stdin, one JSON object (`extract.Extracted`) on stdout.

Its caps are set by the process itself before it reads a byte: address space (a decompression
bomb or a deep object graph fails its allocation, MemoryError), CPU seconds (SIGXCPU, then SIGKILL
from the kernel), no core files, no child processes. The parent adds a wall-clock deadline and
kills it (kbd/papers/read.py). Nothing here writes anywhere but stdout.
"""

from __future__ import annotations

import json
import logging
import resource
import sys
from dataclasses import asdict


def cap(memory_mb: int, cpu_seconds: int) -> None:
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if hasattr(resource, "RLIMIT_NPROC"):
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))


def die_with_parent() -> None:
    """On Linux, the kernel kills this process when the one that started it dies (a compile killed
    mid-PDF leaves no reader running on its own); elsewhere the CPU cap ends it."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # 1: PR_SET_PDEATHSIG


def main() -> int:
    die_with_parent()
    max_pages, memory_mb, cpu_seconds = (int(a) for a in sys.argv[1:4])
    data = sys.stdin.buffer.read()
    cap(memory_mb, cpu_seconds)
    logging.disable(logging.CRITICAL)  # pypdf warns about every repaired xref; the parent says what matters
    sys.setrecursionlimit(3000)
    try:
        from kbd.papers.extract import extract

        result = asdict(extract(data, max_pages))
    except MemoryError:
        result = {"problem": f"needs more than {memory_mb} MB to read (a decompression bomb?)"}
    except RecursionError:
        result = {"problem": "its objects nest too deep to read"}
    except Exception as exc:  # a broken or hostile file: one clear line, never a traceback
        result = {"problem": f"cannot be read as a PDF ({type(exc).__name__}: {str(exc)[:160]})"}
    sys.stdout.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
