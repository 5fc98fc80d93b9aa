"""What changed between two versions of a page's main text, paragraph by paragraph (difflib)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Hunk:
    removed: tuple[str, ...]  # paragraphs of the old version, in page order
    added: tuple[str, ...]  # what replaced them in the new version


@dataclass(frozen=True)
class PageDiff:
    hunks: tuple[Hunk, ...]
    kept: int  # paragraphs in both versions

    @property
    def changed(self) -> bool:
        return bool(self.hunks)

    @property
    def added(self) -> list[str]:
        return [p for h in self.hunks for p in h.added]

    @property
    def removed(self) -> list[str]:
        return [p for h in self.hunks for p in h.removed]


def diff_paragraphs(before: list[str], after: list[str]) -> PageDiff:
    """Paragraphs removed and added, grouped where one run of them replaced another."""
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    hunks, kept = [], 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            kept += i2 - i1
        else:
            hunks.append(Hunk(tuple(before[i1:i2]), tuple(after[j1:j2])))
    return PageDiff(tuple(hunks), kept)
