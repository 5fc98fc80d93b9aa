"""Finding many names in many notes at once: what `unlinked_names` counts with."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any


def longer_page_names(needles: set[tuple[str, ...]], page_names: set[tuple[str, ...]]
                      ) -> dict[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """needle → the page names that contain it and are longer."""
    out: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
    for page in page_names:
        for i in range(len(page)):
            for j in range(i + 1, len(page) + 1):
                part = page[i:j]
                if part in needles and len(page) > len(part) and page not in out[part]:
                    out[part].append(page)
    return {k: tuple(v) for k, v in out.items()}


class PhraseMatcher:
    """Every occurrence of a set of word sequences in one pass over a text's words: a trie over
    the phrases' words (Aho–Corasick without failure links, enough for phrases of a few words)."""

    def __init__(self, phrases: Iterable[tuple[str, ...]]) -> None:
        self._trie: dict[str, Any] = {}
        for phrase in phrases:
            node = self._trie
            for word in phrase:
                node = node.setdefault(word, {})
            node[""] = phrase  # "" is never a word: it marks the end of a phrase

    def count(self, words: list[str]) -> dict[tuple[str, ...], int]:
        counts: dict[tuple[str, ...], int] = defaultdict(int)
        trie, n = self._trie, len(words)
        for i, word in enumerate(words):
            node = trie.get(word)
            j = i + 1
            while node is not None:
                phrase = node.get("")
                if phrase is not None:
                    counts[phrase] += 1
                if j >= n:
                    break
                node = node.get(words[j])
                j += 1
        return counts
