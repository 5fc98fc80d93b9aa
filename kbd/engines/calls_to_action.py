"""Calls to action ("Subscribe", "Sign in", "Read more") in a page's text: the site's furniture, or what the text
is about. kbd/engines/text.py asks, for each furniture word it finds in a short block."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

from kbd.engines.lexicon import STOPWORDS

# What a page asks its reader to do ("Subscribe", "Sign in to save", "Jump to Membership") is furniture where it
# opens a block, a sentence or a menu's item ("Home · Blog · Sign in", "Home Blog About Sign in"), where it is asked
# for ("Please sign in…") or offers the site's own ("…to continue", "…to view this content", "…for free", "your
# inbox"); anywhere else it is what the text is about: "If you don't have one, subscribe from your account
# dashboard.", "Press F12 on a reference to jump to its definition", "…make the SQL read more clearly", "npm login".
# The Obsidian help's refund FAQ ("…even if you subscribe again") and Josh Branchaud's Vim notes were lost.
_CALL_TO_ACTION = re.compile(r"subscribe|sign (?:up|in)|log ?in|jump to|read (?:more|next)|continue reading",
                             re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r"[.!?…](?=\s)|[↬|·•»–—(\[]|\s/\s")
_SENTENCE_STOP = re.compile(r"[.!?]")
MAX_CALLS_TO_ACTION = 3
# Matched from the clause's start (`match` with a position: no "^"): nothing, or a menu's words ("Home Blog About
# Sign in"; one opening the block: "GitHub Sign in"; not a sentence's "To read more about sections…", nor "(Twitter
# login required)"); or asked for.
_MENU_WORDS = r"\s*(?!(?i:" + "|".join(sorted(map(re.escape, STOPWORDS), key=len, reverse=True)) + r")\s)"
_OPENS_AN_ITEM = re.compile(r"\s*$|" + _MENU_WORDS + r"(?:[A-Z][\w'’&-]*\s+){2,8}$")
_OPENS_THE_BLOCK = re.compile(r"\s*$|" + _MENU_WORDS + r"(?:[A-Z][\w'’&-]*\s+){1,8}$")
_ASKED_FOR = re.compile(r"\bplease\s*$", re.IGNORECASE)
_FOR_THE_SITE = re.compile(r"\s+(?:now\s+)?to (?:continue|read|view|comment|save|access|unlock|get|receive)\b",
                           re.IGNORECASE)
_THE_SITES_OWN = re.compile(r"\b(?:full (?:story|article)|this (?:content|article|story|recipe|post)"
                            r"|(?:for|it['’]s) free|today|newsletter|inbox|your email|members? only|premium)\b",
                            re.IGNORECASE)


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
            offers[start, end] = bool(_THE_SITES_OWN.search(text, start, end)) or text.startswith("!", end)
        opens = _OPENS_THE_BLOCK if start == 0 else _OPENS_AN_ITEM
        if opens.match(text, start, m.start()) or _ASKED_FOR.search(text, max(start, m.start() - 12), m.start()) or \
                _FOR_THE_SITE.match(text, m.end()) or offers[start, end]:
            return True
    return False
