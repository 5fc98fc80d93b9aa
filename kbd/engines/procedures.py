"""Procedures: a lead-in and the list items after it ("To create a new empty vault:", then "To the right of Create
new vault, click Create.", …). For "How do I …?" a procedure that does what is asked is the answer, quoted whole:
one of its steps alone, or its lead-in alone, answers nothing. The offline answerer ranks them
(kbd/engines/offline_answer.py), and retrieval puts a note's first such passage first (kbd/ask/retrieve.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kbd.engines.answers import Passage
from kbd.engines.base import word_key
from kbd.engines.lexicon import STOPWORDS
from kbd.vault.markdown import split_sentences

_HOW_TO = re.compile(r"^\s*how\s+(?:(?:do|can|could|should|would)\s+(?:i|you|we|one)|to)\s+([a-z][\w-]*)",
                     re.IGNORECASE)
_POINTS_ONWARD = re.compile(r"\b(?:the following|as follows)\b", re.IGNORECASE)
MAX_STEPS = 12
_DETERMINERS = frozenset({"the", "a", "an", "this", "that", "these", "those", "your", "its", "their", "our", "each",
                          "every", "any"})
_WORD = re.compile(r"\w+", re.UNICODE)


def asked_action(question: str) -> str:
    """The verb of "How do I <verb> …?" ("create" for "How do I create a vault?"), in lowercase; "" for any other
    question."""
    m = _HOW_TO.match(question)
    return m.group(1).casefold() if m else ""


def is_lead_in(sentence: str) -> bool:
    """A sentence that introduces a list or code ("Create today's daily note:", "You can create a new canvas
    using the following methods."): alone, it answers nothing."""
    return sentence.rstrip().endswith(":") or bool(_POINTS_ONWARD.search(sentence))


@dataclass(frozen=True)
class Steps:
    """A procedure's list items, as the passage has them."""

    lines: tuple[str, ...]
    numbered: bool  # a numbered list's ("1. Open Settings."): "Repeat step 5 for each device." counts on it


def procedures(passage: Passage) -> dict[str, Steps]:
    """Each lead-in of the passage that list items follow, with those items (at most MAX_STEPS): the steps it
    introduces. Not a lead-in that is a list item itself (every line of an outline is one: Logseq's pages), nor in
    kbd's own notes, whose lists are key points. What a lead-in introduces may be code, which passages leave out;
    then no item follows it."""
    if not passage.items or passage.kbd_owned:
        return {}
    lines = passage.text.split("\n")
    found: dict[str, Steps] = {}
    for at, line in enumerate(lines):
        if at in passage.items or at + 1 not in passage.items:
            continue
        sentences = split_sentences(line)
        if sentences and is_lead_in(sentences[-1]):
            found[sentences[-1]] = _steps(passage, lines, at + 1)
    return found


def headed_steps(passage: Passage) -> Steps | None:
    """The list a passage opens its section with, where its heading is the list's lead-in (Obsidian's "### Log in
    with your Obsidian account", then "1. Open Settings.", "2. In the sidebar, select General.", …): two items or
    more. Not in kbd's own notes (a summary's "Key points")."""
    if passage.kbd_owned or not passage.opens_section or not passage.heading or 0 not in passage.items:
        return None
    steps = _steps(passage, passage.text.split("\n"), 0)
    return steps if len(steps.lines) > 1 else None


def _steps(passage: Passage, lines: list[str], first: int) -> Steps:
    """The list items from line `first` on, at most MAX_STEPS."""
    end = first
    while end < len(lines) and end in passage.items and end - first < MAX_STEPS:
        end += 1
    return Steps(tuple(lines[first:end]), all(at in passage.numbered for at in range(first, end)))


def lead_in_and_steps(quote: str) -> tuple[str, list[str]]:
    """An extractive quote of several lines as a procedure: its lead-in ("To create a new empty vault:") and its steps,
    one a line; ("", steps) where the quote is a section's list, whose lead-in is its heading."""
    lines = [line for line in quote.split("\n") if line.strip()]
    if len(lines) > 1 and is_lead_in(lines[0]):
        return lines[0], lines[1:]
    return ("", lines) if len(lines) > 1 else (quote, [])


def introduces(lead_in: str, action: str, things: set[str], passage: Passage) -> bool:
    """Whether a procedure's lead-in introduces steps that do what "How do I <action> <things>?" asks: the action
    opens it or follows a "to" in it ("To exclude a specific folder from syncing:", "If you want to completely reset
    your local Zettlr installation, follow these steps:", "There are three ways to define menu entries:", "To start
    using GistPad…"), and it, its section's heading or its page's title names one of the things (`things`: word keys,
    kbd.engines.base.word_key) — "To enable it, please follow these steps:" under *Enabling E2EE* on "End-To-End
    Encryption (E2EE)"."""
    words = [w.casefold() for w in _WORD.findall(lead_in)]
    if not words or not action:
        return False
    forms = {action, f"{action}s", f"{action}ing", f"{action}ed", f"{action}d", f"{action.removesuffix('e')}ing"}
    # A verb among its first words, not a noun after a determiner ("The merge request is made up of three things:").
    start = 1 if words[0] == "to" else 0
    opening = {w for i, w in enumerate(words[start:start + 3], start) if i == 0 or words[i - 1] not in _DETERMINERS}
    # The verb after each "to", past a word in -ly and "start"/"begin": "to completely reset", "to start using".
    after_to = set()
    for i, word in enumerate(words[:-1]):
        if word == "to":
            rest = [w for w in words[i + 1:i + 4] if not w.endswith("ly")]
            if rest and rest[0] in ("start", "begin") and len(rest) > 1:
                rest = rest[1:]
            if rest[:2] != ["make", "sure"]:  # "Things to be aware of, to make sure your Tasks searches work…:"
                after_to.update(rest[:1])
    context = {word_key(w) for w in _WORD.findall(f"{lead_in} {passage.heading or ''} {passage.title}".casefold())
               if w not in STOPWORDS and len(w) > 1}
    return bool(forms & (opening | after_to)) and bool(context & things)
