"""Finding many names in many notes at once: what `unlinked_names` counts with."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from kbd.engines.base import plain_words, word_key


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
        self._starts: dict[str, Any] = {}  # raw word → the trie node it starts (None: none)
        self._keyed: dict[str, str] = {}  # raw word → its word_key

    def count(self, text: str) -> dict[tuple[str, ...], int]:
        """How often each phrase occurs in `text`, compared as `phrase_tokens` (whole words,
        case, punctuation and plurals ignored)."""
        words = plain_words(text)
        if len(self._starts) > _MEMO_WORDS:  # identifiers make the vocabulary of code docs unbounded
            self._starts.clear()
            self._keyed.clear()
        counts: dict[tuple[str, ...], int] = defaultdict(int)
        starts, keyed, trie, n = self._starts, self._keyed, self._trie, len(words)
        for i, raw in enumerate(words):
            # One dict lookup per word: most words start no phrase (memoised per raw word).
            node = starts.get(raw, _UNSEEN)
            if node is _UNSEEN:
                node = starts[raw] = trie.get(_key(keyed, raw))
            j = i + 1
            while node is not None:
                phrase = node.get("")
                if phrase is not None:
                    counts[phrase] += 1
                if j >= n:
                    break
                node = node.get(_key(keyed, words[j]))
                j += 1
        return counts


_UNSEEN: Any = object()
_MEMO_WORDS = 50_000


def _key(memo: dict[str, str], raw: str) -> str:
    key = memo.get(raw)
    if key is None:
        key = memo[raw] = word_key(raw)
    return key
