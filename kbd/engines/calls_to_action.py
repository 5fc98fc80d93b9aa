"""Calls to action ("Subscribe", "Sign in", "Read more") in a page's text: the site's furniture, or what the text
is about. kbd/engines/text.py asks, for a block, a sentence or a description that holds a furniture word."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

from kbd.engines.lexicon import STOPWORD_ALTERNATION

# What a page asks its reader to do ("Subscribe", "Sign in to save", "Jump to Membership") is furniture where it
# opens a block or a sentence, where it is a menu's item ("Home · Blog · Sign in", "Home Blog About Sign in"), where
# it ends the text with no sentence after it ("…a new camera Continue reading"), where it is asked for ("Please sign
# in…", "Don't forget to subscribe!") or offers the site's own ("…to continue", "…to view this content", a newsletter
# "for free"); anywhere else it is what the text is about: "If you don't have one, subscribe from your account
# dashboard.", "Press F12 on a reference to jump to its definition", "…make the SQL read more clearly", "npm login",
# "Click Sign in to open your web browser…". The Obsidian help's refund FAQ ("…even if you subscribe again") and Josh
# Branchaud's Vim notes were lost.
_CALL_TO_ACTION = re.compile(r"subscribe|sign (?:up|in)|log ?in|jump to|read (?:more|next)|continue reading",
                             re.IGNORECASE)
_SUBSCRIBING = re.compile(r"subscribe|sign up", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r"[.!?…](?=\s)|[↬|·•»›]|\s/\s")
_SENTENCE_STOP = re.compile(r"[.!?]")
MAX_CALLS_TO_ACTION = 3
SHORT_EXCLAMATION = 5  # words: "Don't forget to subscribe!" is furniture, "Run npm login first, then npm publish!" not
# Matched from the clause's start (`match` with a position: no "^"): nothing, or a menu's words, two or more ("Home Blog
# About Sign in"), one where it opens the block ("GitHub Sign in"); no sentence's "To read more about sections…".
_MENU_WORDS = r"\s*(?!(?i:" + STOPWORD_ALTERNATION + r")\s)"
_OPENS_AN_ITEM = re.compile(r"\s*$|" + _MENU_WORDS + r"(?:[A-Z][\w'’&-]*\s+){2,8}$")
_OPENS_THE_BLOCK = re.compile(r"\s*$|" + _MENU_WORDS + r"(?:[A-Z][\w'’&-]*\s+){1,8}$")
# A menu has no sentence after its words: the next is a menu's too, or none ("Sign in Get started"); "Click Sign in to
# open…", "Select Login." and "Improved OneDrive login and…" are steps and changelog lines.
_MENU_GOES_ON = re.compile(r"\s+[A-Z]|[\s\])]*$")
_ENDS_THE_TEXT = re.compile(r"[\s\])]*$")
_ASKED_FOR = re.compile(r"\b(?:please|forget to)\s*$", re.IGNORECASE)
_FOR_THE_SITE = re.compile(r"\s+(?:now\s+)?to (?:continue|read|view|comment|save|access|unlock|get|receive)\b",
                           re.IGNORECASE)
# What a newsletter's form offers, beside "subscribe" or "sign up" ("Get the best of the web in your inbox: subscribe
# for free", "Enter your email to subscribe"); not "…if you subscribe to LanguageTool Premium".
_THE_SITES_OWN = re.compile(r"\b(?:full (?:story|article)|this (?:content|article|story|recipe|post)"
                            r"|(?:for|it['’]s) free|newsletter|inbox|your email|members? only)\b", re.IGNORECASE)


def holds_furniture(text: str, matches: Iterable[re.Match[str]]) -> bool:
    """Whether a match of the furniture pattern in `text` (kbd/engines/text.py's `_BOILERPLATE`: cookies,
    subscriptions, sharing, credits…) is furniture: any but a call to action inside a sentence. Each match's
    clause runs from the last sentence end or separator before it to the next sentence end; the breaks are found once
    and each clause is searched once (200 calls to action in one line took 37 ms, each clause read anew). A text that
    asks more than MAX_CALLS_TO_ACTION times is furniture: no prose asks so often, and a hostile note of them took 3 s
    a megabyte."""
    breaks: list[int] | None = None
    offers: dict[tuple[int, int], bool] = {}
    for n, m in enumerate(matches):
        if not _CALL_TO_ACTION.fullmatch(m.group(0)) or n == MAX_CALLS_TO_ACTION:
            return True
        if breaks is None:
            breaks = [b.end() for b in _CLAUSE_BREAK.finditer(text)]
        i = bisect.bisect_right(breaks, m.start())
        start = breaks[i - 1] if i else 0
        after = _SENTENCE_STOP.search(text, m.end())
        end = after.start() if after else len(text)
        if (start, end) not in offers:
            offers[start, end] = (bool(_THE_SITES_OWN.search(text, start, end)) and _SUBSCRIBING.match(m.group(0))
                                  is not None) or (text.startswith("!", end) and
                                                   len(text[start:end].split()) <= SHORT_EXCLAMATION)
        opens = (_OPENS_THE_BLOCK if start == 0 else _OPENS_AN_ITEM).match(text, start, m.start())
        if (opens and (not opens.group(0).strip() or (not after and _MENU_GOES_ON.match(text, m.end())))) or \
                (not after and _ENDS_THE_TEXT.match(text, m.end())) or \
                _ASKED_FOR.search(text, max(start, m.start() - 12), m.start()) or \
                _FOR_THE_SITE.match(text, m.end()) or offers[start, end]:
            return True
    return False
