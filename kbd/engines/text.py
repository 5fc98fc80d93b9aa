"""Main-text extraction for clipped pages: what the article says, without what the page wraps it in.

Web Clipper brings along reference lists, figure captions and download links, citation brackets,
cookie/subscribe/share blocks, site navigation and author affiliation blocks. The offline engine
reads only what `clean_document` keeps, and marks the article's own abstract, summary, highlights
and conclusions so that they weigh more. Pure functions of a parsed `Document`: no files, no I/O.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from kbd.engines.calls_to_action import holds_furniture
from kbd.engines.sections import (
    DIGEST_LEAD,
    asks_its_reader,
    dropped_section,
    is_conclusion_section,
    is_digest_section,
    names_exercises,
    section_items,
)
from kbd.vault.markdown import WORD, Block, Document, split_sentences
from kbd.vault.maths import stays_maths

# Blocks that are page furniture wherever they stand. Matched on the block's (or sentence's) text,
# and only when it contains one of _TRIGGERS: a search over every sentence of a long clipping
# must cost a few substring tests, not a pass of this whole pattern.
_BOILERPLATE = re.compile(
    r"\bcookies?\b.{0,80}\b(?:use|consent|accept|settings|preferences|polic(?:y|ies)|improve|experience)"
    r"|\b(?:we|this (?:site|website)) uses? cookies|\baccept (?:all|cookies)|\breject all\b|\bmanage (?:cookies|"
    r"preferences|consent)|\bprivacy (?:policy|settings|notice|preferences)"
    r"|\bterms (?:of (?:use|service)|and conditions)"
    r"|\bsubscribe\b|\bsign (?:up|in)\b|\blog ?in\b|\bcreate (?:an|a free) account|\bnewsletter|\bunsubscribe"
    r"|\bshare (?:this|on|via|article)|\b(?:facebook|twitter|linkedin|whatsapp|reddit|pinterest)\b.*\b(?:facebook|"
    r"twitter|linkedin|whatsapp|reddit|pinterest|email|x)\b|\bcopy link\b|\bskip to (?:main )?(?:content|navigation)"
    r"|\bjump to\b|\bback to top\b|\bopens? in (?:a )?new (?:window|tab)|\bdownload (?:high-res|full[- ]size|figure"
    r"|image|pdf|citation|slide|powerpoint)|\bopen in (?:figure )?viewer|\bview (?:larger|full[- ]size) image"
    r"|\bpowerpoint slide|\ball rights reserved|©|\(c\) \d{4}|\bcopyright \d{4}|\bcorresponding author"
    r"|\bgoogle scholar|\bpubmed\b|\bcrossref\b|\bweb of science\b|\bdoi:\s*10\.|\bdoi\.org/|\borcid\b"
    r"|\bcreative commons\b|\bcc[ -]by\b|\bopen access\b.*\blicen[cs]e|\breceived:? \d|\baccepted:? \d"
    r"|\bpublished online\b|\bfirst published\b|\barticle history\b|\bcitation:\s|\bcite this\b"
    r"|\badvertisement\b|\bsponsored\b|\bread (?:more|next)\b|\bcontinue reading\b|\brelated:\s"
    r"|\bclick here\b|\bsupport (?:our|independent) journalism|\bdonate\b|\bpaywall|\bregister to\b"
    r"|\bthis (?:article|story) (?:was|is) (?:originally )?(?:published|updated)|\blast (?:updated|modified)\b"
    r"|\b\d+[- ]min(?:ute)?s? read\b|\bwas this (?:page|article|post) (?:helpful|useful)"
    r"|\bedit (?:this page|on github)|\bcorrespondent\b|\breporter\b|\bstaff writer\b"
    r"|\b(?:listed|available|shown|provided|reported) in (?:the )?(?:online )?supplement|\bsee (?:the )?supplement"
    r"|\bphotograph:|\bphoto(?:graph)? by\b|\bimage (?:credit|source):|\bgetty images\b|\billustration:"
    # The banner of every U.S. federal site (the U.S. Web Design System's "banner" component).
    r"|\ban official website of the united states government|\bofficial websites use \.gov|\.gov website belongs to"
    r"|\bsecure \.gov websites|\.gov means it.s official|\bwebsites often end in \.gov|\bconnected to the \.gov"
    r"|\bhttps:// ensures that you are connecting"
    # Affiliate disclosures (the FTC's endorsement guides make sites print one on every page), in the
    # site's own voice: not "Real estate agents may earn a commission", nor news about affiliate links.
    r"|\bwe may earn\b|\bmay earn us\b|\bmay earn (?:a portion of sales|compensation on sales)\b"
    r"|\bour affiliate (?:partnerships?|links?|programs?|link policy)\b|\baffiliate link policy\b"
    r"|\b(?:buy|purchase)\w*\b[^.]{0,40}\blinks?\b[^.]{0,60}\bmay earn\b",
    re.IGNORECASE)
_TRIGGERS = tuple(t.replace("_", " ") for t in """cookie accept reject_all manage_ privacy terms_of terms_and subscri
sign_up sign_in log_in login account newsletter share_ facebook twitter linkedin whatsapp reddit pinterest copy_link
skip_to jump_to back_to_top new_window new_tab download viewer view_larger view_full powerpoint rights_reserved ©
(c)_ copyright corresponding scholar pubmed crossref web_of_science doi orcid creative_commons cc_by cc-by
open_access received published_online first_published article_history citation cite_this advertisement sponsored
read_more read_next continue_reading min_read mins_read minute_read minutes_read related: click_here journalism
donate paywall register_to this_article this_story last_updated last_modified was_this edit_this edit_on
correspondent reporter staff_writer supplement photograph photo_by image_credit image_source getty
illustration: .gov https:// official_website affiliate may_earn""".split())
# Who a credit names: capitalised words and initials ("Jack C.", "Dr. Smith"), or a handle ("@swyx", "(@swyx)").
_CREDIT_WORD = r"(?:[A-Z][\w'’-]*\.?|\(?@\w+\)?)"
_CREDITED = rf"{_CREDIT_WORD}(?:\s+{_CREDIT_WORD}){{0,4}}"
# Furniture recognised by how a block starts (case matters: "By Jane Doe", not "by the way").
_BOILER_START = re.compile(
    r"(?i:posted|published|written|updated) (?i:on|by|in)\b|By [A-Z][^.!?]{0,100}$|(?i:tags?):"
    r"|(?i:filed|posted) under\b|(?i:previous|next) (?i:topic|page|post|article):"
    r"|(?:[A-Z]\.\s?)+[A-Z][\w'’-]+\d*(?:,\s*(?:[A-Z]\.\s?)+[A-Z][\w'’-]+\d*)+\.?$"
    # A hat tip on a line of its own, "h/t Dillon Hafer": a credit, as a byline is (a TIL collection credits
    # colleagues at the foot of 120 notes; one name made a page of ten). Only names after it: "Hat tip to Julia
    # Evans, whose zine taught me…" and "Hat tip: use git rebase --autosquash…" are prose.
    r"|(?i:h/t|hat[ -]?tip)(?:\s+(?i:to))?:?\s+" + _CREDITED + r"(?:\s*(?:,|and|&)\s*" + _CREDITED + r"){0,4}\s*[.!]?$")
# Wikipedia's hatnotes: pointers to other pages ("See also: …", "Main article: …", "For the journal, see …"),
# not the article. A block is one when every sentence of it is such a pointer, short (HATNOTE_WORDS), and it
# has links or is shorter still: "See also: the buttermilk pancake recipe, which uses both…" in a user's note,
# "Not to be confused with baking soda, baking powder is…" and "For the science behind it, see below. In
# short, …" are prose. After "… redirects here." every sentence is the hatnote's ("For the 2004 film, see …").
_HATNOTE = re.compile(
    r"(?:For (?:other uses|the [^.,;:]{1,80}), see\b|See also:|Main articles?:|Further information:"
    r"|This (?:section|article) is an excerpt from\b)")
_NOT_CONFUSED = re.compile(r"Not to be confused with\b")
_REDIRECT = re.compile(r"\"[^\"]{1,80}\" redirects here\b")
_FOR_SEE = re.compile(r"For [^.,;:]{1,100}, see\b")
HATNOTE_WORDS, UNLINKED_HATNOTE_WORDS, NOT_CONFUSED_WORDS = 25, 12, 12
# A caption: "Figure 2.", "Fig 3:", "Table 1 —", "Supplementary Figure S1".
_CAPTION = re.compile(r"^(?:supplementary\s+)?(?:fig(?:ure)?s?|table|chart|graph|plate|box|video|image|scheme)\.?\s*"
                      r"S?\d+[A-Za-z]?\b|^(?:source|credit|caption):", re.IGNORECASE)
# Affiliation lines: departments, universities, postcodes, e-mail addresses.
_AFFILIATION = re.compile(
    r"\b(?:department|dept\.|faculty|school|institute|division|centre|center|laboratory|hospital|university|college)"
    r"\b.{0,120}\b(?:university|institute|hospital|college|[A-Z]{2} \d{5}|\d{4,5}|usa|uk|germany|china|france|"
    r"japan|canada|australia|netherlands|italy|spain|sweden)\b|\S+@\S+\.\w{2,}", re.IGNORECASE)
# A reference-list entry: "Smith J, Doe A. Title. Journal. 2020;12:34–56." and its relatives.
_REFERENCE_START = re.compile(
    r"\[?\d{1,3}[.)\]]\s+[A-Z][\w'’-]+,?\s+(?:[A-Z]\.?\s*){1,3}[,.]"
    r"|[A-Z][\w'’-]+,?\s+(?:[A-Z]\.?\s?){1,3}(?:,\s*[A-Z][\w'’-]+,?\s+(?:[A-Z]\.?\s?){1,3})*(?:,?\s*et al\.?)?"
    r"[.,]?\s*(?:\(\d{4}\)|\d{4}[.;])")
_REFERENCE = re.compile(r"\b\d{4};\s*\d+(?:\(\d+\))?:\s*\d+|\bet al\.,? \(?\d{4}\)?\.\s+\S.*\.\s+\S.*\d+[–-]\d+")
_AFFILIATION_TRIGGERS = ("depart", "dept", "facult", "school", "institut", "division", "centre", "center", "laborator",
                         "hospital", "universit", "college", "@")

# Citation markers inside prose, and what is left of them when the clipper drops the numbers.
_CITATION = re.compile(
    r"\s?\\?\[\s*(?:\d+(?:\s*[-–,]\s*\d+)*|[,\s\\]*|\d+\s*[,–-]?\s*)\\?\]"  # [1], [1-3], [1, 4], [,,,,]
    r"|\s?\[(?:\d+|[a-z])\]\([^)]*\)"  # [12](#ref-CR12) when a link survived
    r"|\s?\((?:[A-Z][\w'’-]+(?: and [A-Z][\w'’-]+| et al\.?)?,? \d{4}[a-z]?(?:;\s*)?)+\)"  # (Smith et al., 2020)
    r"|\s?\((?:\d{1,3}(?:\s*[-–,]\s*\d{1,3})*)\)(?=[.,;:]|\s[A-Z]|$)"  # (1, 2) before punctuation
    r"|(?<=[a-z.,)])(?:\^\d+(?:[,-]\d+)*|[¹²³⁴⁵⁶⁷⁸⁹⁰]+)"  # superscripts
    r"|\s?\[(?:citation needed|edit)\]", re.IGNORECASE)
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:])")
# MathJax's delimiters as a clipper leaves them (`\(\:\beta\:\:\)`, `\[x^2\]`): the page meant maths,
# which Obsidian writes `$…$`. Its spacing commands (`\:`, `\,`, `\;`, `\!`, `\ `) are layout, not content.
_MATHJAX = re.compile(r"\\\((.{1,200}?)\\\)|\\\[(.{1,200}?)\\\]")
_TEX_SPACING = re.compile(r"\\[:;,! ]")
# arXiv's HTML (LaTeXML) as the Web Clipper flattens it: each formula becomes its glyphs, its TeX and its
# speech text run together ("t𝑡𝑖t_{i}italic_t start_POSTSUBSCRIPT italic_i end_POSTSUBSCRIPT"). The speech
# is recognisable; the TeX is the run before it that names the same letters and digits.
_SPEECH_STYLE = (r"(?:bold-italic|bold-fraktur|bold-script|italic|caligraphic|bold|blackboard|fraktur|script"
                 r"|sans-serif|monospace|roman)_[^\s,.;:)\]}]+")
_SPEECH_MARK = _SPEECH_STYLE + r"|(?:start|end)_POST(?:SUB|SUPER)SCRIPT"
_SPEECH = re.compile(
    rf"(?:[(\[{{|]\s|(?<=[^\sA-Za-z])[A-Za-z]+\s(?:[(\[{{|]\s)?)?(?:{_SPEECH_MARK})"
    rf"(?:\s(?:{_SPEECH_MARK})|\s(?:[^\sA-Za-z]{{1,3}}|[A-Za-z]+)(?=(?:\s(?:[^\sA-Za-z]{{1,3}}|[A-Za-z]+)){{0,6}}\s(?:{_SPEECH_MARK})))*"
    r"(?:\s[)\]}|=])*")
_SPEECH_WORDS = re.compile(rf"{_SPEECH_STYLE[:_SPEECH_STYLE.rindex('_')]}_|(?:start|end)_POST(?:SUB|SUPER)SCRIPT")
# A command names no letter the speech says, except a function's name (`\\cos` is said "roman_cos").
_TEX_COMMAND = re.compile(r"\\(?!(?:cos|sin|tan|log|ln|exp|max|min|lim|sup|inf|det|arg)\b)[A-Za-z]+|\\")
_CLOSING = re.compile(r"(?:\s[)\]}|])*")
_TRAILING_WORD = re.compile(r"\s(?:[A-Za-z0-9]+|[^\sA-Za-z0-9]{1,3})(?=\s|$)")
# Mathematical alphanumerics and letterlike symbols: only a formula's glyphs are drawn from them.
_MATH_GLYPH = re.compile("[\u2100-\u214f\U0001d400-\U0001d7ff]")
# A TeX comment: LaTeXML keeps the source's line breaks inside a formula as `%` and a newline.
_TEX_COMMENT = re.compile(r"(?<!\\)%\s*")
_DOLLAR_SPAN = re.compile(r"(\$[^$\n]{1,200}\$)")
_NAV_WORDS = frozenset("""home menu search news world politics business sport sports opinion culture lifestyle
travel tech technology science health video videos podcasts podcast newsletters latest about contact login
sections account subscribe more weather markets entertainment style food arts books docs documentation tutorial
reference guide guides blog posts rss archive archives tags projects faq help support pricing products""".split())


@dataclass
class CleanBlock:
    kind: str
    text: str  # citation markers removed
    section: int
    weight: float  # 1.0 ordinary prose; more in the abstract/summary/highlights and conclusions
    digest: bool  # inside the article's own abstract / summary / highlights
    exercise: bool = False  # a task for its reader (engines/sections.py): its names count, it is never quoted
    code: bool = False  # one piece of inline code and nothing else: its names count, it is never quoted
    # A list item or paragraph that is one link and a word or three ("- [Seeing files opened by a process using
    # opensnoop](…)" under "## See also these TILs", "See [Loading SQLite extensions…](…).", "1.6.4: [Tasks inside
    # callouts…](…)"): another page's name, no finding of this one; its names count, it is never quoted.
    link: bool = False


def mathjax_to_dollars(text: str, code: Iterable[str] = ()) -> str:
    """`\\(\\:\\beta\\:\\)` → `$\\beta$`: MathJax delimiters as Obsidian's inline maths. Not where a delimiter is
    the block's inline `code` (a sed note's "wrapping a pattern in `\\(` and `\\)`" was "in $and$")."""
    if "\\(" not in text and "\\[" not in text:
        return text
    literal = _inside_code(text, code)

    def dollars(m: re.Match[str]) -> str:
        if m.start() in literal or m.end() - 1 in literal:
            return m.group(0)
        tex = " ".join(_TEX_SPACING.sub(" ", m.group(1) or m.group(2)).split())
        return f"${tex}$" if tex and "$" not in tex else m.group(0)

    return _MATHJAX.sub(dollars, text)


def _inside_code(text: str, code: Iterable[str]) -> set[int]:
    """The positions in `text` of what the block wrote as inline code that holds a backslash. The block's code
    comes in its order, each found after the one before it: maths written as text after the code ("wrap it in
    `\\(` and `\\)`; the rate is \\\\(\\\\beta\\\\)") stays maths."""
    inside: set[int] = set()
    at = 0
    for span in code:
        start = text.find(span, at)
        if start < 0:
            continue
        at = start + len(span)
        if "\\" in span:
            inside.update(range(start, at))
    return inside


def _letters(text: str) -> str:
    return "".join(c for c in text if c.isascii() and c.isalnum())


def latexml_to_dollars(text: str) -> str:
    """arXiv's flattened formulas as the TeX they hold: "𝒫𝒫\\mathcal{P}caligraphic_P" → "$\\mathcal{P}$" (a
    bare letter or number stays as plain text). A run whose TeX cannot be told apart stays as it is."""
    if "_" not in text or not _MATH_GLYPH.search(text):
        return text
    out: list[str] = []
    at = 0
    for m in _SPEECH.finditer(text):
        if m.start() < at:
            continue
        said, end = _letters(_SPEECH_WORDS.sub("", m.group(0))), m.end()
        spoken = len(said)
        window = max(at, m.start() - 2 * _MAX_TEX_CHARS)  # the TeX and its glyphs are in here
        before = text[window:m.start()]
        tex_at = _tex_starts(before, len(said) + _MAX_TRAILING_LETTERS)
        # A formula's last words ("…, prompt )") can follow the speech's last mark.
        word = _TRAILING_WORD.match(text, end)
        while word and said not in tex_at and len(said) <= spoken + _MAX_TRAILING_LETTERS:
            said, end = said + _letters(word.group(0)), word.end()
            word = _TRAILING_WORD.match(text, end)
        if not said or said not in tex_at:
            continue
        end = _CLOSING.match(text, end).end()
        start = tex_at[said]
        tex = _TEX_COMMENT.sub("", before[start:]).strip()
        while start and not before[start - 1].isspace():
            start -= 1
        start += window
        if not out and not text[end:].strip() and _MATH_GLYPH.search(text[at:start]):
            start = at  # a displayed formula, the whole block: its glyphs have spaces of their own
        out += [text[at:start], f"${tex}$" if stays_maths(tex) else tex]
        at = end
    return "".join(out) + text[at:] if out else text


_MAX_TEX_CHARS = 600  # LaTeXML's TeX of one formula; a longer run before the speech is not searched
_MAX_TRAILING_LETTERS = 40
_TEX_TOKEN = re.compile(r"\\[A-Za-z]+|.", re.DOTALL)


def _tex_starts(before: str, most: int) -> dict[str, int]:
    """Where the TeX that ends `before` could start, by the letters and digits it names: for each key,
    the earliest start (the whole TeX), never at a closing bracket or punctuation (the glyphs' end)."""
    run = len(before)
    while run and before[run - 1].isascii() and len(before) - run < _MAX_TEX_CHARS:
        run -= 1
    tokens = [(t.start() + run, t.group(0)) for t in _TEX_TOKEN.finditer(before[run:])]
    starts: dict[str, int] = {}
    letters: list[str] = []  # the key so far, last letter first
    for at, token in reversed(tokens):
        if not _TEX_COMMAND.fullmatch(token):
            letters += reversed(_letters(token))
        if len(letters) > most:
            break
        if token not in ")]},.;:=":  # closes the glyphs before it: TeX starts after it
            starts["".join(reversed(letters))] = at
    return starts


def strip_citations(text: str) -> str:
    """Remove citation brackets and their residue: `[1]`, `[1–3]`, `\\[,,,\\]`, `(Smith et al., 2020)`."""
    if "[" not in text and "(" not in text and "^" not in text and not _has_superscript(text):
        return text
    out = _CITATION.sub("", text)
    return _SPACE_BEFORE_PUNCT.sub(r"\1", out).strip() if out != text else text


def _has_superscript(text: str) -> bool:
    return any(c in text for c in "¹²³⁴⁵⁶⁷⁸⁹⁰")


def might_hold_boilerplate(text: str) -> bool:
    """Cheap test of a long block: could any of its sentences be furniture?"""
    low = text.lower()
    return any(t in low for t in _TRIGGERS) or ";" in text or any(t in low for t in _AFFILIATION_TRIGGERS)


def is_boilerplate(text: str) -> bool:
    """Page furniture: cookie, subscribe, share, navigation, caption, copyright, reference, affiliation."""
    text = text[:2000]  # furniture is short; a longer text is judged by its start (bounded time)
    if _CAPTION.match(text) or _BOILER_START.match(text) or _REFERENCE_START.match(text):
        return True
    low = text.lower()
    if any(t in low for t in _TRIGGERS) and holds_furniture(text, _BOILERPLATE.finditer(text)):
        return True
    if (";" in text or "et al" in low) and _REFERENCE.search(text):
        return True
    return len(text) < 400 and any(t in low for t in _AFFILIATION_TRIGGERS) and bool(_AFFILIATION.search(text))


def _menu_runs(items: list[Block]) -> list[bool]:
    """For each item of a run of list items, whether the run from it to the end is a site menu: three short
    items or more, no sentence, some of them the menu words or six items at least. One pass from the end:
    a page with 20,000 list items was read anew from every item (minutes)."""
    out = [False] * len(items)
    navish = 0
    for k in range(len(items) - 1, -1, -1):
        words = items[k].text.split()
        if len(words) > 4 or items[k].text.rstrip().endswith((".", "?", "!")):
            break  # every run from here back holds this sentence
        navish += any(x.lower().strip("|·›»") in _NAV_WORDS for x in words)
        length = len(items) - k
        out[k] = length >= 3 and (navish >= 2 or length >= 6)
    return out


def _is_only_code(block: Block) -> bool:
    """A paragraph or list item that is one piece of inline code and nothing else (Tasks' "- `filter by function
    task.description…`", QuickAdd's "`#task {{VALUE:task name}} 📅 …`"): no summary line. Its names still count:
    "- `./prisma/schema.prisma`" mentions Prisma (with such blocks left out of the text, Branchaud's *Prisma* lost its
    page)."""
    return len(block.code) == 1 and "".join(block.text.split()) == "".join(block.code[0].split())


def _is_hatnote(block: Block) -> bool:
    text = block.text
    if not (_HATNOTE.match(text) or _NOT_CONFUSED.match(text) or _REDIRECT.match(text)):
        return False  # the cheap test first: almost no block opens so
    if not block.links and len(WORD.findall(text)) > UNLINKED_HATNOTE_WORDS:
        return False
    sentences = split_sentences(text)
    redirect = bool(_REDIRECT.match(sentences[0]))
    for sentence in sentences[redirect:]:
        words = len(WORD.findall(sentence))
        pointer = _HATNOTE.match(sentence) or (redirect and _FOR_SEE.match(sentence)) or \
            (_NOT_CONFUSED.match(sentence) and words <= NOT_CONFUSED_WORDS)
        if words > HATNOTE_WORDS or not pointer:
            return False
    return True


def _is_link_list(block: Block) -> bool:
    """A block that is links, not prose: a lone link on its line ("[ Web Templates ](…)", a menu entry), or
    a row of links the page's Markdown ran together ("Repositories * Topics * Trending * Collections": a list
    indented under a label continues the label's paragraph): no more words of its own than links, none
    joined as prose enumerates them. A sentence is never one: "Obsidian supports [CommonMark], [GitHub
    Flavored Markdown], and [LaTeX]." stays, and so does "Start with [A], [B] and [C]" in a reading list."""
    if not block.links or _SENTENCE_END.search(strip_citations(block.text)):
        return False
    words = len(WORD.findall(block.text))
    if block.kind == "paragraph" and block.linked >= words:
        return True
    return block.links >= 3 and not block.enumerated and words - block.linked <= block.links


LINK_FRAME_WORDS = 3  # the words around a link that say only where it leads ("See", "Read more in", a version)
_SENTENCE_END = re.compile(r"[.!?…。！？][\"'”’)\]»]*\s*$")


_last: tuple[Document | None, list[CleanBlock]] = (None, [])


def clean_document(document: Document) -> list[CleanBlock]:
    """The article's own prose blocks, in order, with citations stripped and digest sections marked.
    (The engine and the article fingerprint both ask, one after the other: the last answer is kept.)"""
    global _last
    doc, cleaned = _last
    if doc is document:
        return cleaned
    cleaned = _clean(document)
    _last = (document, cleaned)
    return cleaned


def _clean(document: Document) -> list[CleanBlock]:
    blocks = document.blocks
    out: list[CleanBlock] = []
    dropping_level = 0  # > 0: inside a dropped section opened by a heading of this level
    digest_level = conclusion_level = exercises_level = 0
    seen_prose = False
    run_start = run_end = 0  # the run of list items being read, and whether each of its tails is a menu
    menu_from: list[bool] = []
    # A page's one level-1 heading, opening it, is its title and no section to drop: Foam's page "# Tags" and
    # Zettlr's "# Footnotes" are about tags and footnotes, and lost every line. Not a second "# Comments" after
    # an article's title, nor "# Contents" above it.
    level_ones = [j for j, block in enumerate(blocks) if block.kind == "heading" and (block.level or 1) == 1]
    title_at = 0 if level_ones == [0] else -1
    i = 0
    while i < len(blocks):
        b = blocks[i]
        if b.kind == "heading":
            level = b.level or 1
            if dropping_level and level <= dropping_level:
                dropping_level = 0
            if digest_level and level <= digest_level:
                digest_level = 0
            if conclusion_level and level <= conclusion_level:
                conclusion_level = 0
            if exercises_level and level <= exercises_level:
                exercises_level = 0
            if not dropping_level:
                if dropped_section(b.text) and i != title_at:
                    dropping_level = level
                elif names_exercises(b.text) and asks_its_reader(*section_items(blocks, i + 1, level)):
                    exercises_level = level
                elif is_digest_section(b.text):
                    digest_level = level
                elif is_conclusion_section(b.text):
                    conclusion_level = level
            i += 1
            continue
        if b.kind == "item":
            if i >= run_end:  # the first item of a run: which of its tails are a menu
                run_start = run_end = i
                while run_end < len(blocks) and blocks[run_end].kind == "item":
                    run_end += 1
                menu_from = _menu_runs(blocks[i:run_end])
            if menu_from[i - run_start] and (not seen_prose or run_end == len(blocks) or not dropping_level):
                i = run_end
                continue
        i += 1
        if dropping_level or b.kind not in ("paragraph", "item", "quote") or _is_link_list(b) or _is_hatnote(b):
            continue
        text = prose(b.text, b.code)
        if text is None:
            continue
        lead = DIGEST_LEAD.match(b.text)
        digest = bool(digest_level) or bool(lead and not seen_prose)
        weight = 1.6 if digest else 1.3 if conclusion_level else 1.0
        out.append(CleanBlock(b.kind, text, b.section, weight, digest, bool(exercises_level), _is_only_code(b),
                              b.links == 1 and len(WORD.findall(b.text)) - b.linked <= LINK_FRAME_WORDS))
        if len(text.split()) >= 8:
            seen_prose = True
    return out


# Placeholder text ("Lorem ipsum dolor sit amet, consectetur adipiscing elit…"): a docs site's example of how a
# note or a list renders, no words of the article (Material for MkDocs' admonition and list pages). Only a
# block that opens with it: an article about the words ("The Latin words dolor sit amet mean…") keeps them.
_FILLER = re.compile(r"^\W{0,3}lorem ipsum dolor\b", re.IGNORECASE)


def prose(text: str, code: Iterable[str] = ()) -> str | None:
    """One block of a clipping as the article's prose: None when it is page furniture or placeholder text,
    else its text without an "Abstract:" lead-in and without citation markers; `code` is the block's inline
    code (no maths in it). (Retrieval for `kbd ask` and `kbd slides` reads clippings through this too.)"""
    # A short block that is furniture goes whole; a long one is filtered sentence by sentence
    # by the engine (a cookie word inside real prose must not cost the paragraph).
    if len(text) < 600 and is_boilerplate(text):
        return None
    if _FILLER.match(text):
        return None
    lead = DIGEST_LEAD.match(text)
    if lead and lead.group(0).lower().startswith(("abstract", "summary", "highlights", "tl")):
        text = text[lead.end():]
    maths = mathjax_to_dollars(latexml_to_dollars(text), code)
    if "$" not in maths:
        return strip_citations(text) or None
    # A superscript inside maths (`$x^2$`, the page's own or MathJax's) is no citation marker: strip only between
    # the formulas (Logseq's "$\ce{Hg^2+ …}$" lost its "^2").
    parts = _DOLLAR_SPAN.split(maths)
    return "".join(p if i % 2 else _keep_edges(p, strip_citations(p)) for i, p in enumerate(parts)).strip() or None


def _keep_edges(before: str, after: str) -> str:
    """`after` with the spaces `before` had at its ends (they separate it from the formulas)."""
    lead, trail = before[:len(before) - len(before.lstrip())], before[len(before.rstrip()):]
    return lead + after.strip() + trail if after.strip() else lead



FINGERPRINT_MIN_WORDS = 30  # shorter texts are too generic to call two clippings one article


def article_fingerprint(document: Document) -> str | None:
    """A hash of the article's own prose, case, punctuation and page furniture ignored: two clippings
    of one article from different pages (other menus, banners, reference styles) share it."""
    words = WORD.findall(" ".join(b.text for b in clean_document(document)).casefold())
    if len(words) < FINGERPRINT_MIN_WORDS:
        return None
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()[:32]
