"""How an article spells a name: of the spellings its prose gives one concept ("Daily notes", "daily
note"), the one its page and mentions are named by."""

from __future__ import annotations

from collections import Counter

from kbd.engines.chunking import MAX_PHRASE_WORDS, TOKEN


def best_form(forms: Counter[str]) -> str:
    """The spelling used most; a tie goes to the alphabetically first (capitals first)."""
    return sorted(forms.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def drop_code_spellings(forms: dict[str, Counter[str]], code: list[str]) -> None:
    """Take out of each name's spellings the times the article writes them in its inline code: a file
    name `daily-note.md` or an identifier `SYNC_ENDPOINT_MEDIA` is no way the prose spells the name
    ("daily notes", "media"). A name the article spells only in code keeps those spellings."""
    if not code:
        return
    spelled = {f for spellings in forms.values() for f in spellings}
    openers = {f.split(" ", 1)[0] for f in spelled}
    runs: Counter[str] = Counter()  # only the runs that are some name's spelling: a 5 MB span costs no more
    for text in code:
        words = TOKEN.findall(text)
        for i, word in enumerate(words):
            if word not in openers:
                continue
            for j in range(i + 1, min(len(words), i + MAX_PHRASE_WORDS) + 1):
                run = " ".join(words[i:j])
                if run in spelled:
                    runs[run] += 1
    if not runs:
        return
    for spellings in forms.values():
        left = Counter({f: n - runs[f] for f, n in spellings.items() if n > runs[f]})
        if left:
            spellings.clear()
            spellings.update(left)
