"""Which of an article's sections are its prose: never its references, share buttons or comments (dropped); its
own abstract or summary (its digest) and its conclusions weigh more; a textbook's exercises are read for names and
never quoted. Split from engines/text.py, which reads the blocks under these headings."""

from __future__ import annotations

import re

from kbd.vault.markdown import Block

# Sections that are never the article's prose: everything under such a heading is dropped, up to
# the next heading of the same or a higher level.
_DROP_SECTION = re.compile(
    r"^\W*(?:\d+(?:\.\d+)*\.?\s+)?(?:references?|bibliography|works cited|literature cited|citations?|sources|notes"
    r"|footnotes|endnotes|acknowledge?ments?|funding(?: information| sources)?|author(?:s'?)? (?:information|"
    r"contributions?|details|affiliations?)|affiliations?|about the authors?|conflicts? of interest"
    r"|competing interests?|declarations?|disclosures?|ethics(?: statement| declarations)?|data availability"
    r"(?: statement)?|supplementary (?:material|information|data)|supporting information|additional information"
    r"|rights and permissions|permissions|copyright(?: information)?|cite this article|article information"
    r"|metrics|cited by|related (?:articles|stories|posts|content|reading)|recommended(?: articles| for you)?"
    r"|read (?:more|next)|more (?:from|on|like this|stories)|further reading|see also|keep reading|share(?: this)?"
    r"(?: article| story| post)?|comments?|leave a (?:comment|reply)|newsletter|subscribe|sign up|follow us"
    r"|you (?:may|might) also like|popular(?: now| stories)?|trending|most read|advertisement|footer|navigation"
    r"|tags|topics|categories|peer review(?: information)?|publisher'?s note|abbreviations|keywords"
    r"|table of contents|contents|in this article|on this page|jump to)\W*$", re.IGNORECASE)
# A textbook's or course's tasks for its reader ("## Exercises" closes every chapter of D2L): what they ask is no
# finding ("Try out gradient descent and momentum for a quadratic problem…" led a deck on momentum), but what they
# name is the chapter's (*Perplexity*, *K-fold cross-validation*): read for names, never quoted. A fitness clipping's
# "Exercises" are its content: only a list that asks its reader questions is a textbook's (`asks_its_reader`).
_EXERCISES = re.compile(r"^\W*(?:\d+(?:\.\d+)*\.?\s+)?(?:exercises|homework|quiz(?:zes)?|review questions"
                        r"|practice (?:exercises|problems|questions)|check your understanding|self-check)\W*$",
                        re.IGNORECASE)

# The article's own digest: these sections weigh more when choosing the summary.
_DIGEST_SECTION = re.compile(
    r"^\W*(?:\d+(?:\.\d+)*\.?\s+)?(?:abstract|summary|highlights|key (?:points|findings|takeaways)|tl;?dr"
    r"|in brief|at a glance|structured abstract|plain language summary|lay summary|the bottom line|takeaways)\W*$",
    re.IGNORECASE)
_CONCLUSION_SECTION = re.compile(
    r"^\W*(?:\d+(?:\.\d+)*\.?\s+)?(?:conclusions?|concluding remarks|discussion(?: and conclusions?)?"
    r"|implications|interpretation|final thoughts|wrapping up|summary and conclusions?)\W*$", re.IGNORECASE)
# "Abstract" or "Background:" written as a paragraph's lead-in rather than as a heading.
DIGEST_LEAD = re.compile(r"^(?:abstract|summary|highlights|tl;?dr|background|objectives?|methods|results"
                         r"|conclusions?|purpose|findings|interpretation)\s*[:.—–-]\s+", re.IGNORECASE)


def asks_its_reader(items: list[str], closes_the_page: bool) -> bool:
    """Whether a list under an "Exercises" heading is a textbook's: one that closes the page and asks a question (148
    of D2L's 160 chapters), or one a third of whose items ask one. A fitness clipping's exercises in the middle of the
    page, one of four asking "Can't do a full push-up?", are its content."""
    questions = sum("?" in item for item in items)
    return questions > 0 and (closes_the_page or 3 * questions >= len(items))


def section_items(blocks: list[Block], start: int, level: int) -> tuple[list[str], bool]:
    """The list items of the section from `start`, up to a heading of `level` or higher, and whether no such heading
    follows (the section closes the page)."""
    items = []
    for b in blocks[start:]:
        if b.kind == "heading" and (b.level or 1) <= level:
            return items, False
        if b.kind == "item":
            items.append(b.text)
    return items, True


def dropped_section(heading: str) -> bool:
    """A heading whose section is never the article's prose (references, affiliations, share, …)."""
    return bool(_DROP_SECTION.match(heading))


def is_digest_section(heading: str) -> bool:
    """A heading of the article's own digest (abstract, summary, highlights, key points, …)."""
    return bool(_DIGEST_SECTION.match(heading))


def is_conclusion_section(heading: str) -> bool:
    """A heading of the article's conclusions (discussion, implications, final thoughts, …)."""
    return bool(_CONCLUSION_SECTION.match(heading))


def names_exercises(heading: str) -> bool:
    """A heading "Exercises" (or "Quiz"…): a textbook's tasks for its reader where its list asks questions."""
    return bool(_EXERCISES.match(heading))
