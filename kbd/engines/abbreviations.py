"""Names an article defines as one another's ("write-ahead logging (WAL)", "an LSM tree, or log-structured
merge tree", "also called"; "peer-to-peer (P2P)", a digit standing for a word). Used by
engines/concept_mentions.py, which merges such names into one concept; compile/aliases.py carries the pair to
the other sources. Only a definition counts: an initialism beside a name its capitals spell is no sign they are
one ("DoD" in a post about the Definition of Done that mentions the Department of Defense).
"""

from __future__ import annotations

import itertools
import re

from kbd.engines.chunking import TOKEN, noun_chunks
from kbd.engines.prose import ProseSentence

_PAREN_LEAD = re.compile(r"^\s*(?:or|i\.e\.,?|also|aka)\s+", re.IGNORECASE)
_AKA_CUE = re.compile(r"\b(?:also|sometimes|often|commonly)\s+(?:called|known as|referred to as|termed|named"
                      r"|abbreviated(?: as)?)\s+")
ABBREV_TOKEN = re.compile(r"^[A-Z][A-Za-z0-9-]{0,9}$")


def _initials(words: list[str]) -> tuple[str, str]:
    """Initials of a name, per word and per hyphen part: ("wl", "wal") for "write-ahead logging"."""
    per_word = "".join(w[0] for w in words).lower()
    per_part = "".join(p[0] for w in words for p in w.split("-") if p).lower()
    return per_word, per_part


def _abbreviates(short: list[str], long: list[str]) -> bool:
    """Whether `short` ("LSM tree", "WAL") abbreviates `long` ("log-structured merge tree")."""
    while short and long and len(short) > 1 and short[-1].lower() == long[-1].lower():
        short, long = short[:-1], long[:-1]  # a shared head: "LSM tree" / "... merge tree"
    if len(short) != 1 or not long or not ABBREV_TOKEN.match(short[0]):
        return False
    token = short[0]
    letters = token[:-1] if token.endswith("s") and token[:-1].isupper() else token
    if sum(c.isupper() for c in letters) < 2:
        return False
    return not _letter_spellings(letters).isdisjoint(_initials(long))


def _np(text: str, last: bool) -> list[str]:
    chunks = noun_chunks(TOKEN.findall(text), sentence=False)
    if not chunks:
        return []
    return chunks[-1] if last else chunks[0]


def _positions(text: str, marker: str, most: int = 8) -> list[int]:
    """Where `marker` occurs, the first `most` times (a real sentence defines a name or two)."""
    out, start = [], 0
    while len(out) < most and (i := text.find(marker, start)) != -1:
        out.append(i)
        start = i + len(marker)
    return out


def definitions(sentences: list[ProseSentence]) -> list[tuple[str, str]]:
    """(alias, name) pairs this source defines. Each cue ("(", ", or ", "also called") is looked at
    once, with the noun phrases just before and just after it: linear in the text, however long."""
    pairs: dict[tuple[str, str], None] = {}

    def add(short: list[str], long: list[str]) -> None:
        pairs[(" ".join(short), " ".join(long))] = None

    for s in sentences:
        text = s.text
        for i in _positions(text, "(") if "(" in text else ():
            close = text.find(")", i, i + 62)
            if close == -1:
                continue
            before = _np(text[max(0, i - 80):i], last=True)
            inside = _np(_PAREN_LEAD.sub("", text[i + 1:close]), last=False)
            if not before or not inside:
                continue
            # "classic write-ahead logging (WAL)": the tail of the phrase whose initials it spells.
            tail = next((before[k:] for k in range(len(before)) if _abbreviates(inside, before[k:])), None)
            if tail:
                add(inside, tail)
            elif _abbreviates(before[-1:], inside):
                add(before[-1:], inside)
        for i in _positions(text, ", or ") if ", or " in text else ():
            first, second = _np(text[max(0, i - 80):i], last=True), _np(text[i + 5:i + 85], last=False)
            for short, long in ((second, first), (first, second)):
                if short and long and _abbreviates(short, long):
                    add(short, long)
                    break
        cues = _AKA_CUE.finditer(text) if "also" in text or "commonly" in text or "sometimes" in text \
            or "often" in text else iter(())
        for m in itertools.islice(cues, 8):
            first = _np(text[max(0, m.start() - 80):m.start()], last=True)
            second = _np(text[m.end():m.end() + 80], last=False)
            if first and second:
                if _abbreviates(first, second):
                    add(first, second)
                else:
                    add(second, first)
    return list(pairs)


# A digit inside an initialism stands for a word: "E2EE" is end-to-end encryption, "P2P" peer-to-peer,
# "B4" before.
_DIGIT_WORDS = (("2", "t"), ("4", "f"))
_DIGIT_INSIDE = re.compile(r"(?<=[a-z])[24](?=[a-z])")


def _letter_spellings(letters: str) -> set[str]:
    """The initials an abbreviation can stand for: "e2ee" → {"e2ee", "etee"}."""
    plain = letters.lower().replace("-", "")
    return {plain, _DIGIT_INSIDE.sub(lambda m: dict(_DIGIT_WORDS)[m.group(0)], plain)}
