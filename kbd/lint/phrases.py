"""Names: finding many in many notes at once (`unlinked_names`), and telling which two are spelt
alike or one abbreviates the other (`duplicate_concepts`)."""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
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


# Where a note points, not what it says: a link's destination, an autolink, a bare URL. "Auth0" in
# "github.com/simonw/datasette-auth0" is no mention of it (a 289-TIL vault offered it for three notes, one of them
# only a link's address).
_ADDRESS = re.compile(r"\]\((?:[^()\s]|\([^()\s]*\))*\)|<[A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s]*>"
                      r"|\b(?:[A-Za-z][A-Za-z0-9+.-]{1,31}://|www\.)\S+")


def without_addresses(text: str) -> str:
    """The text with every link's destination and URL blanked: what a reader reads, for counting names."""
    return _ADDRESS.sub(" ", text) if "://" in text or "](" in text or "www." in text else text


class PhraseMatcher:
    """Every occurrence of a set of word sequences in one pass over a text's words: a trie over
    the phrases' words (Aho–Corasick without failure links, enough for phrases of a few words)."""

    def __init__(self, phrases: Iterable[tuple[str, ...]],
                 written_so: dict[tuple[str, ...], str] | None = None) -> None:
        """`written_so`: phrases that count only where a text writes them as given, capitals and all (a name in
        capitals that spells an everyday word: "LIST" is no "list")."""
        self._exact = {phrase: re.compile(rf"(?<![\w-]){re.escape(written)}(?![\w-])")
                       for phrase, written in (written_so or {}).items()}
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
        case, punctuation and plurals ignored; a phrase `written_so` as written)."""
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
                node = starts[raw] = trie.get(word_key(raw))
            j = i + 1
            while node is not None:
                phrase = node.get("")
                if phrase is not None:
                    counts[phrase] += 1
                if j >= n:
                    break
                word = words[j]
                key = keyed.get(word)
                if key is None:
                    key = keyed[word] = word_key(word)
                node = node.get(key)
                j += 1
        for phrase, pattern in self._exact.items():
            if counts.get(phrase):
                counts[phrase] = len(pattern.findall(text))
        return counts


_UNSEEN: Any = object()
_MEMO_WORDS = 50_000


def one_deletion_groups(keys: list[str]) -> Iterator[list[str]]:
    """Groups of keys that share a one-letter deletion (or where one is the other minus a letter):
    every pair one edit apart is in a group. One variant length at a time, so only one length's
    variants are in memory (all of them at once were the peak of a 13,000-concept lint)."""
    by_length: dict[int, list[str]] = defaultdict(list)
    for key in keys:
        by_length[len(key)].append(key)
    for length in sorted(set(by_length) | {n - 1 for n in by_length}):
        variants: dict[str, list[str]] = defaultdict(list)
        for key in by_length.get(length, ()):
            variants[key].append(key)
        for key in by_length.get(length + 1, ()):
            for variant in {key[:i] + key[i + 1:] for i in range(len(key))}:
                variants[variant].append(key)
        yield from (group for group in variants.values() if len(group) > 1)


def one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    ops = [op for op in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if op[0] != "equal"]
    return len(ops) == 1 and max(ops[0][2] - ops[0][1], ops[0][4] - ops[0][3]) == 1


def differs_in_letter(a: str, b: str) -> bool:
    """`Raft v2` and `Raft v3` are two things; `consensus` and `consenus` are one misspelt."""
    return not any(ch.isdigit() for ch in set(a) ^ set(b))


WORD = re.compile(r"[^\W_]+")


def initials(name: str) -> str:
    """`Multi-version concurrency control` → `mvcc`; "" for a name of fewer than two words."""
    words = WORD.findall(name)
    return "".join(w[0] for w in words).casefold() if len(words) >= 2 else ""


def is_abbreviation(name: str) -> bool:
    """One word of 2-8 letters written mostly in capitals: `MVCC`, `WAL`, `SSOs` is not one."""
    return 2 <= len(name) <= 8 and name.isalpha() and sum(c.isupper() for c in name) >= max(2, len(name) - 1)
