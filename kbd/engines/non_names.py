"""Words an article writes that look like names and are not: a month beside a number ("NOV 4, 2025"), the
modifier keys of a shortcut ("Cmd/Ctrl+V"). Split from engines/concept_mentions.py, which asks these before
it scores a candidate."""

from __future__ import annotations

import calendar
import re
from collections import Counter

from kbd.engines.prose import ProseSentence


def date_words(sentences: list[ProseSentence]) -> set[str]:
    """Month names as the article writes them beside a number ("NOV 4, 2025", "12 NOV 25", "January
    2024"): a date, never a name. The months are the C locale's (calendar), not a word list of ours."""
    dated = set()
    for s in sentences:
        tokens = s.tokens
        for i, token in enumerate(tokens):
            if token[0].isdigit():  # numbers are few: look at their neighbours only
                dated.update(tokens[j] for j in (i - 1, i + 1)
                             if 0 <= j < len(tokens) and tokens[j].casefold() in _MONTHS)
    return dated


_MONTHS = frozenset(m.casefold() for m in (*calendar.month_name[1:], *calendar.month_abbr[1:]))

# Modifier keys, as keyboards and shortcut notations (CodeMirror's "Mod") name them: a closed set, like
# the months. Only where the article writes one joined to another key ("Cmd/Ctrl+V", "Mod-Shift-p") is it a key.
_MODIFIERS = r"(?:Ctrl|Control|Cmd|Command|Alt|Option|Opt|Shift|Meta|Super|Win|Fn|Mod)"
# A modifier joined by "+" to anything, or by "-" to a key (a capital, one letter, a sign: "Mod-Shift-p",
# "Alt-ArrowDown", "Mod-."), not to a word ("Command-line", "Meta-analysis", "Opt-out"). At most three
# alternatives ("Cmd/Ctrl+V"), so a line of "Cmd/Cmd/…" costs no more than its length.
_CHORD = re.compile(rf"\b{_MODIFIERS}(?:\s?/\s?{_MODIFIERS}){{0,3}}(?:\s?\+\s?|-(?=[A-Z]|[a-z](?![a-z])|[^\sA-Za-z]))")
_MODIFIER = re.compile(rf"\b{_MODIFIERS}\b")
_CHORD_PART = re.compile(r"[+-]")


def shortcut_keys(sentences: list[ProseSentence]) -> set[str]:
    """The modifier keys the article writes mostly in shortcuts ("Cmd/Ctrl+V", "Mod-. l"): keys, never names
    ("Alt text", "Command palette", "Shift" as a key's name in prose stay words)."""
    pressed: Counter[str] = Counter()
    for s in sentences:
        if "+" in s.text or "-" in s.text:  # no shortcut without them: the common case costs one look
            for chord in _CHORD.finditer(s.text):
                pressed.update(_MODIFIER.findall(chord.group(0)))
    if not pressed:
        return set()
    written = Counter(key for s in sentences for key in _MODIFIER.findall(s.text))
    return {key for key, n in pressed.items() if 2 * n >= written[key]}


def holds_a_key(form: str, keys: set[str]) -> bool:
    """Whether a name has a word that is, on this page, a pressed key ("Mac Mod", "Alt-ArrowDown")."""
    return any(_CHORD_PART.split(word, 1)[0] in keys for word in form.split())
