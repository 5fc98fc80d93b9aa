"""Authors from a paper's title block, for PDFs whose metadata names none (most LaTeX papers).

The lines between the title and the abstract hold names, affiliations and e-mail addresses. Name
lines are split where the paper separates names (commas, "and", "&", footnote marks); a run of
names with nothing between them ("Kaiming He Xiangyu Zhang") is read as given names and surnames,
a middle initial going with its name. A wrong author is worse than none: the names are kept only
if every name line reads cleanly and, when the block lists e-mail addresses, their count agrees.
"""

from __future__ import annotations

import re

_AFFILIATION = re.compile(r"\b(universit|institut|college|school|department|dept\b|laborator|lab\b|labs\b|research|"
                          r"inc\b|ltd\b|corp|centre|center|google|microsoft|facebook|meta\b|openai|deepmind|brain\b|"
                          r"academy|hospital|faculty|group\b|technolog|germany|usa\b|canada|china|france|uk\b)",
                          re.IGNORECASE)
_MARKS = re.compile(r"[∗*†‡§¶#\d]+")
_SEPARATORS = re.compile(r"\s*(?:,|;|&|\band\b|∗|\*|†|‡)\s*")
_GIVEN = re.compile(r"^[A-ZÀ-ÖØ-ÞŁ][a-zà-öø-ÿł'’-]*(?:[A-Z][a-z]+)?$")  # "KyungHyun", "Jean-Luc"
_INITIAL = re.compile(r"^(?:[A-Z]\.)+(?:-[A-Z]\.)?$")
_PARTICLES = {"de", "van", "von", "der", "den", "da", "di", "la", "le", "del", "dos", "du"}
MAX_AUTHORS = 20


def authors_from_title_block(lines: list[str]) -> list[str]:
    names: list[str] = []
    addresses: list[str] = []
    for line in lines:
        text = line.strip()
        if "@" in text or "{" in text or "}" in text:
            addresses.append(text)
            continue
        if not text or "http" in text or _AFFILIATION.search(text):
            continue
        parsed = _names(text)
        if parsed is None:
            return []
        names += parsed
    emails = _email_count(" ".join(addresses))
    # One address for several names is common (a corresponding author); several that disagree are not.
    if not names or len(names) > MAX_AUTHORS or (emails > 1 and emails != len(names)):
        return []
    return names


def _email_count(text: str) -> int:
    """`a@x.org` is one address; `{a, b, c}@x.org` is three."""
    groups = re.findall(r"\{([^}]*)\}\s*@", text)
    return text.count("@") - len(groups) + sum(len([n for n in g.split(",") if n.strip()]) for g in groups)


def _names(line: str) -> list[str] | None:
    out: list[str] = []
    for chunk in _SEPARATORS.split(line):
        tokens = [t for t in _MARKS.sub(" ", chunk).split() if t]
        if not tokens:
            continue
        if not all(_GIVEN.match(t) or _INITIAL.match(t) or t in _PARTICLES for t in tokens):
            return None
        if len(tokens) <= 3:
            out.append(" ".join(tokens))
            continue
        run = _pairs(tokens)
        if run is None:
            return None
        out += run
    return out


def _pairs(tokens: list[str]) -> list[str] | None:
    """"Andrew G. Howard Menglong Zhu" → ["Andrew G. Howard", "Menglong Zhu"]: given name, any
    initials, surname. None when the run cannot be cut that way."""
    names: list[str] = []
    i = 0
    while i < len(tokens):
        name = [tokens[i]]
        i += 1
        while i < len(tokens) and _INITIAL.match(tokens[i]):
            name.append(tokens[i])
            i += 1
        while i < len(tokens) and tokens[i] in _PARTICLES:
            name.append(tokens[i])
            i += 1
        if i >= len(tokens) or _INITIAL.match(tokens[i]):
            return None
        name.append(tokens[i])
        i += 1
        names.append(" ".join(name))
    return names
