"""`kbd run` with a heap probe, for `python bench/soak.py --heap FILE`.

    python bench/heap_probe.py FILE run VAULT

Runs the daemon as `kbd run` does and, after a job (at most every 20 s), appends one JSON line to
FILE: RSS, CPython's live small-object blocks (`sys.getallocatedblocks`), glibc's bytes in use
and free inside its heaps (`mallinfo2`), and the log's length. RSS that grows while the live
figures stay flat is memory the allocator keeps, not objects kbd keeps. Linux with glibc only.
"""

from __future__ import annotations

import ctypes
import json
import sys
import time
from pathlib import Path


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    out = Path(sys.argv[1])
    mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
    mallinfo2.restype = _MallInfo2
    from kbd.cli import main as kbd_main
    from kbd.daemon import service

    run_job = service.Daemon._run_job
    last = [0.0]

    def probed(self: service.Daemon, *args: object, **kwargs: object) -> None:
        run_job(self, *args, **kwargs)
        if time.monotonic() - last[0] < 20:
            return
        last[0] = time.monotonic()
        info = mallinfo2()
        entries = self.state.db.execute("SELECT COUNT(*) FROM log_entries").fetchone()[0]
        with out.open("a") as fh:
            fh.write(json.dumps({"t": round(time.time(), 1), "rss_mb": round(_rss_mb(), 1),
                                 "py_blocks": sys.getallocatedblocks(),
                                 "malloc_in_use_mb": round(info.uordblks / 2**20, 1),
                                 "malloc_free_mb": round(info.fordblks / 2**20, 1),
                                 "log_entries": entries}) + "\n")

    service.Daemon._run_job = probed  # type: ignore[method-assign]
    return kbd_main(sys.argv[2:])


if __name__ == "__main__":  # never when a pool worker re-imports this as its main module
    sys.exit(main())
