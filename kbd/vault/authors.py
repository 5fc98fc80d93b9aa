"""Who wrote a clipping, as the page gives it: authors from the first property that names someone,
from a title that ends with its authors, or from a 'by A & B' byline near the top; and whether a
string reads as a person's name. kbd/vault/note.py reads a clipping's metadata with these."""

from __future__ import annotations

import html
import re
from typing import Any

from kbd.vault.layout import clean_title
from kbd.vault.markdown import Document

_WIKILINK_TEXT = re.compile(r"^\[\[([^\]|]*)(?:\|([^\]]*))?\]\]$")

def text_value(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    # Entities are the clipper's HTML showing through (`Tom &amp; Jerry`): the property is the text.
    text = clean_title(html.unescape(str(value)))
    return text or None

MAX_AUTHORS = 50

AUTHOR_KEYS = ("author", "authors", "citation_author", "citation_authors", "dc.creator", "creator")

def author_names(value: Any) -> tuple[list[str], int]:
    """The names an author property holds, and how many of its entries are not names. A YAML list
    of wikilinks (the Web Clipper's), of `{name: …}` entries (a paper's metadata), or one string
    naming several ("Khanna and Peter", "N. Raillard et al.")."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    dropped = 0
    for item in items:
        if isinstance(item, dict):
            item = item.get("name")
        text = text_value(item)
        if not text:
            continue
        m = _WIKILINK_TEXT.match(text)
        text = (m.group(2) or m.group(1)) if m else text
        parts = [text] if m or isinstance(value, list) else _BETWEEN_NAMES.split(_ET_AL.sub("", text))
        for part in parts:
            name = clean_title(part.strip("[]# ,;"))
            if not name:
                continue
            if is_person_name(name):
                if name not in names:
                    names.append(name)
            else:
                dropped += 1
    return names, dropped

_ET_AL = re.compile(r",?\s+et\s+al\.?\s*$", re.IGNORECASE)

_BETWEEN_NAMES = re.compile(r"\s*(?:;|&|\band\b)\s*")

# A title that ends with its authors and year, as SAGE Journals and others title their pages.
_TITLE_AUTHORS = re.compile(r"\s[-–—|]\s+([^-–—|]+?),\s*(?:19|20)\d\d\s*$")

def authors_in_title(title: str) -> list[str]:
    m = _TITLE_AUTHORS.search(title)
    if not m:
        return []
    names = [clean_title(n) for n in m.group(1).split(",")]
    if all(" " in n and is_person_name(n) for n in names):
        return names
    return []

# A byline in the body or the description: "by Kurt Cagle & Chloe Shannon".
_BYLINE = re.compile(r"^by\s+(.{4,200})$", re.IGNORECASE)

_BYLINE_BLOCKS = 10

def byline_authors(document: Document, description: str | None, title: str) -> list[str]:
    """The authors a byline near the top of the page names, when every one of them is a full name. A
    byline under a heading that is not the page's title is another article's, listed on this page (a
    home page's teaser: "As U.S. and E.U. Retreat on Climate… By Isabel Hilton" on *Yale Environment 360*)."""
    lines = [b.text for b in document.blocks[:_BYLINE_BLOCKS]
             if b.kind == "paragraph" and _under_the_title(document, b.section, title)]
    for line in [description or "", *lines]:
        m = _BYLINE.match(line.strip(" *_"))
        if m:
            names = [clean_title(n.strip(" *_.")) for n in re.split(r"\s*(?:,|;|&|\band\b)\s*", m.group(1))]
            if names and all(" " in n and is_person_name(n) for n in names):
                return names
    return []

def _under_the_title(document: Document, section: int, title: str) -> bool:
    """Whether a block stands before any heading or under one that is the page's title (either may hold
    the other: "Article — Site" and "Article")."""
    if section < 0 or not title:
        return True
    heading, page = document.headings[section].casefold().strip(), title.casefold().strip()
    return bool(heading) and (heading in page or page in heading)


# What the Web Clipper picks up as `author` on journal pages that is not a person: section names,
# degrees, site furniture.
_NOT_NAMES = frozenset("""
abstract acknowledgements acknowledgments affiliations article articles author authors
author information authors and affiliations citation cite close comments competing interests
conclusion conclusions contact contributions copyright correspondence corresponding author
data availability declarations discussion download editor editors editorial email ethics
figures footnotes funding highlights home introduction keywords login log in menu methods
metrics more notes open access pdf permissions references related results rights
rights and permissions search share sign in star methods subscribe summary supplementary
supplementary information supplementary material tables twitter facebook linkedin view
md phd msc bsc ma ba mph rn do dds mbbs frcp facp jr sr ii iii iv staff admin anonymous
unknown n/a na none null undefined
""".strip().split("\n"))

_NOT_NAME_WORDS = frozenset(w for line in _NOT_NAMES for w in line.split())

# Words no byline holds: an entry with one of these is a link of the page's chrome ("Google Scholar",
# "Submission Guidelines", "View ORCID profile") or a place from an affiliation ("Western Australia").
_CHROME_WORDS = frozenset("""
scholar pubmed medline crossref scopus orcid guidelines guideline submission submissions profile reprints
preprint metrics permissions citations cite bibtex endnote ris export alerts alert rss feed
australia austria belgium brazil canada chile china denmark england finland france germany greece india
ireland israel italy japan korea mexico netherlands norway poland portugal russia scotland singapore
spain sweden switzerland taiwan turkey ukraine usa u.s.a. wales zealand
western eastern northern southern
""".split())

_NAME_PARTICLES = frozenset("de da del della der di du dos van von la le el al bin ibn y st. zu ten ter".split())

def is_person_name(text: str) -> bool:
    """Whether an `author` entry reads as a name (a person's or a publisher's): short, no digits,
    no e-mail or web address, no sentence, not a section heading or a degree."""
    words = text.split()
    if not words or len(words) > 6 or len(text) > 60:
        return False
    if re.search(r"[\d@/\\<>{}=+*|;:!?()\[\]%$#_\"]|https?|www\.", text, re.IGNORECASE):
        return False
    folded = " ".join(w.strip(".,") for w in words).casefold()
    if folded in _NOT_NAMES or all(w.strip(".,").casefold() in _NOT_NAME_WORDS for w in words):
        return False
    if any(w.strip(".,").casefold() in _CHROME_WORDS for w in words):
        return False
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 2 or (len(words) == 1 and len(letters) < 3):
        return False
    # No word of a name starts in lower case, except a particle ("van", "de"): a lower-case word means
    # a piece of a sentence.
    return all(not w[0].islower() or w.casefold() in _NAME_PARTICLES for w in words)
