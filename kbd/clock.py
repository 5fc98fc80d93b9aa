"""The one clock kbd reads.

Honours SOURCE_DATE_EPOCH (the reproducible-builds convention) so that two runs over the same
input can be compared byte for byte, which is how the crash-recovery tests prove idempotence.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime


def now() -> datetime:
    """Local wall-clock time without microseconds, or SOURCE_DATE_EPOCH when it is set."""
    fixed = os.environ.get("SOURCE_DATE_EPOCH")
    if fixed:
        return datetime.fromtimestamp(int(fixed), UTC).replace(tzinfo=None)
    return datetime.now().replace(microsecond=0)


def stamp(moment: datetime) -> str:
    """ISO timestamp as written into frontmatter (Obsidian's datetime property format)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S")
