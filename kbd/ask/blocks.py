"""A note body as plain-text blocks: its paragraphs, list items, quotes and tables under their headings, code left
out, but for the code a lead-in introduces ("To install it, run:"), which its block keeps apart from its text.
Retrieval (kbd/ask/retrieve.py) cuts passages from them, and quotes are checked against them (kbd/ask/answer.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from kbd.engines.answers import Code
from kbd.engines.base import word_key
from kbd.engines.lexicon import STOPWORDS
from kbd.engines.procedures import does_the_action, leads_in_code
from kbd.engines.sections import asks_its_reader, dropped_section, names_exercises
from kbd.engines.text import prose
from kbd.vault.dialects import opens_code
from kbd.vault.markdown import parse_markdown, split_sentences

_WORD = re.compile(r"\w+", re.UNICODE)
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
# Material for MkDocs' admonitions and tabs ("!!! tip", "??? note", '=== "Tab"'): their bodies are indented, no code.
_CONTAINER = re.compile(r"^(?:!!!|\?\?\?\+?|===)\s")
_INLINE_CODE_ALONE = re.compile(r"\s*`([^`\n]{1,4000})`\s*")  # a paragraph that is one code span
_QUOTE_MARKS = re.compile(r"^[ \t]{0,3}(?:>[ \t]?)+")  # a quote's or callout's "> " (nested: "> > ")
# The file a listing goes in, between its lead-in and its code (The Rust book's '<span class="filename">Filename:
# src/main.rs</span>'): it parts nothing, and says nothing to quote.
_FILE_CAPTION = re.compile(r"Filename: [\w./-]+")
# A block that only pulls its code in from a file (mdBook's "{{#rustdoc_include ../listings/…/main.rs}}"): the page
# holds no code to show.
_INCLUDE_ONLY = re.compile(r"(?:\s*\{\{#(?:rustdoc_)?include [^}\n]*\}\})+\s*")
# A line of code that shows an error something printed ("error[E0752]: …", "TypeError: …", a traceback), at the margin
# as a terminal prints it (an indented "error:" is a key of a YAML or JSON object).
_PRINTS_ERROR = re.compile(r"^(?:Traceback \(most recent call last\):|(?:error|Error|ERROR)(?:\[E\d+\])?: "
                           r"|[A-Z]\w*Error: |fatal: |panic: |npm ERR! |thread '[^'\n]*' panicked|Uncaught \w*Error)",
                           re.MULTILINE)
_CODE_NAME = re.compile(r"[A-Za-z][\w.-]")  # an inline code span that can name a command: not "0", "$", "|"
# A definition's first line (Python-Markdown's ":   This property allows…"): its indented lines are its own, no code.
_DEFINITION = re.compile(r":[ \t]+\S")
_INDENTED_CODE = re.compile(r"(?: {4}|\t| {0,3}\t)\s*\S")  # a line of code indented four columns
# A line a program printed: a log line at a level, or a console's result ("=> #<PG::Result…>", "#<User id: 1…>").
_PRINTED = re.compile(r"\s*(?:\[?(?:INFO|WARNING|WARN|DEBUG|ERROR|TRACE)\b|=>|#<)")
_OPENS_COMMENT = re.compile(r" {0,3}<!--")  # an HTML block that is a comment (indented more, it is code)
_CODE_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")  # a thematic break: "---", "* * *"
_NUMBERED = re.compile(r"^\s*(?:>\s*)*\d{1,9}[.)]\s+")
_ITEM = re.compile(r"^\s*(?:>\s*)*(?:[-+*]|\d{1,9}[.)])\s+")
_BLOCK_ID = re.compile(r"\s\^([A-Za-z0-9-]+)\s*$")
_LINKS = re.compile(r"!?\[\[[^\[\]\n]*\]\]|!?\[[^\]\n]*\]\([^)\n]*\)")
CALLOUT = re.compile(r"^\s*>\s*\[!([A-Za-z-]+)\][+-]?")  # a callout's first line: "> [!note] Title"
# The most code a lead-in shows in an answer: a longer block is a program to read in its note, not a step to quote.
MAX_CODE_LINES, MAX_CODE_CHARS = 60, 4000
# A heading's verb that says too little to tell a section's answer from its asides ("Do A Dry-Run Of An Rsync", "Use
# Variables In An Anonymous Function").
_LIGHT_VERBS = frozenset({"do", "use", "make", "get", "have", "go", "be", "let", "try"})


@dataclass(frozen=True)
class Block:
    """One paragraph, list item or quote of a note, as plain text, with where it sits."""

    heading: str | None  # the heading above it, exactly as written; None: above any heading
    block: str | None  # its `^block` id, if it has one
    text: str
    own: str = ""  # `text` without the text of its links: what the block itself says (for scoring)
    code: tuple[str, ...] = ()  # its inline code as written: never maths (kbd/engines/text.py `prose`)
    item: bool = False  # a list item
    numbered: bool = False  # an item of a numbered list ("1. Open Settings.")
    after_code: bool = False  # a code block is right above it: a list item there goes on from no paragraph
    shows: Code | None = None  # the code block it introduces (`_introduces`), right after it: no text of it
    # `shows` is the code its section's heading leads in, after this paragraph, which leads nothing in ("Add a new page
    # to your project.", then the command): only a heading that says what it does makes it a procedure's.
    under_heading: bool = False
    names_code: bool = False  # it names the code its heading leads in, and introduces it as a lead-in does


def article_blocks(blocks: list[Block]) -> list[Block]:
    """A clipping's blocks as the compile reads the article (kbd/engines/text.py): no page furniture
    (authors, affiliations, captions, references, cookie and share text, a textbook's exercises), no citation
    markers."""
    out = []
    # A textbook's exercises, where its list asks questions, as the compile reads them (kbd/engines/sections.py).
    items: dict[str, list[str]] = {}
    for b in blocks:
        if b.item and b.heading and names_exercises(b.heading):
            items.setdefault(b.heading, []).append(b.text)
    last = blocks[-1].heading if blocks else None
    exercises = {heading for heading, listed in items.items() if asks_its_reader(listed, heading == last)}
    for block in blocks:
        if block.heading and (dropped_section(block.heading) or block.heading in exercises):
            continue
        text = prose(block.text, block.code)
        if text is None:
            continue
        out.append(block if text == block.text else
                   replace(block, text=text, own=prose(block.own, block.code) or text))
    return out


def note_blocks(body: str, quoted_lines: bool = False) -> tuple[list[Block], list[str]]:
    """A note body (no frontmatter) as plain-text blocks under their headings: paragraphs, each
    list item, quotes and tables; code blocks are left out (nothing to quote in an answer).
    `quoted_lines`: each line of a quote or callout is a block of its own, as in the notes kbd writes,
    whose summary callout holds one sentence a line; joined, a line without a full stop ran into the
    next and the two became one quote no longer than any answer takes (issue 23's omega-3 finding)."""
    blocks: list[Block] = []
    headings: list[str] = []
    heading: str | None = None
    current: list[str] = []
    code: list[str] | None = None  # the lines of the code block being read (None: not in one)
    opening = None  # what opened it
    code_indent = code_columns = 0  # its fence's indent (characters; columns): a list item's, which its lines share
    code_seen = 0  # its lines, kept or not
    code_quoted = False  # it sits in a quote or callout: its lines are read without their "> "
    code_above = False
    last_added: int | None = None  # the last block kept, if no heading, rule, block of links or code came after it
    introducer: int | None = None  # the block right above the code block being read
    led = _HeadingCode()
    in_comment = False  # in an HTML comment of several lines
    links_only: set[int] = set()  # numbered items that are mostly links
    after_prose = False  # the last block was a paragraph at the margin: an indented item after it is code
    prose_above = False  # the block just read was a paragraph at the margin: indented lines after it are code
    indented: list[str] | None = None  # the lines of an indented code block being read (CommonMark's, no fence)
    code_before = ""  # the text of the last code block read

    def flush() -> None:
        nonlocal after_prose, code_above, last_added, prose_above
        if not current:
            return
        prose_above = not current[0][:1].isspace() and not _ITEM.match(current[0]) and \
            not _CONTAINER.match(current[0]) and not _DEFINITION.match(current[0])
        title = CALLOUT.match(current[0])
        if title and current[0][title.end():].strip() and len(current) > 1:
            # A callout's title is a block of its own: "> [!tip] Keep it running after you log out" ran into the
            # sentence under it ("…log out By default your user manager…").
            body = current[1:]
            del current[1:]
            flush()
            current.extend(body)
        block_id = None
        m = _BLOCK_ID.search(current[-1])
        if m:
            block_id = m.group(1)
        raw = "\n".join(current if after_prose else _outdented(current))
        if _ITEM.match(current[0]):
            after_prose = False
        elif not current[0][:1].isspace() and not _CONTAINER.match(current[0]):
            after_prose = True
        current.clear()
        inline = _INLINE_CODE_ALONE.fullmatch(raw)
        if inline and last_added is not None and _introduces(blocks[last_added], 0):
            # "I used the following one-liner…:" and the command as a paragraph of inline code: the code it introduces.
            blocks[last_added] = replace(blocks[last_added], shows=Code("", inline.group(1).strip()))
            last_added = None
            return
        parsed = parse_markdown(raw)
        plain = re.sub(r"\s+", " ", parsed.plain_text()).strip()
        if not plain or _FILE_CAPTION.fullmatch(plain):
            # A rule ends what a lead-in introduces; a marker that shows nothing (`{% raw %}`, a comment) does not.
            last_added = None if _RULE.match(raw) else last_added
            return
        own = plain
        numbered = bool(_NUMBERED.match(raw))
        if "[" in raw:  # A block that is mostly links (a list of notes, "see also") points elsewhere
            own = re.sub(r"\s+", " ", parse_markdown(_LINKS.sub(" ", raw)).plain_text()).strip()
            # …but a numbered step that is a link ("1. Log into [your Obsidian account](…).") is a step, and the
            # steps after it keep their numbers (kept below where a numbered item of words is beside it).
            if _content_words(own) * 2 < _content_words(plain):
                if not numbered:
                    last_added = None  # code after it is no lead-in's above it: the links stand between
                    return
                links_only.add(len(blocks))
        last_added = len(blocks)
        blocks.append(Block(heading, block_id, plain, own, tuple(c for b in parsed.blocks for c in b.code),
                            item=bool(_ITEM.match(raw)), numbered=numbered, after_code=code_above))
        code_above = False

    def code_ends(shown: Code | None, text: str, columns: int, aside: bool = False) -> None:
        """A code block was read: whose it is, the lead-in's right above it, its heading's or a sentence's that names
        what it runs; `columns`, its indent; `aside`, it sits in a quote or callout."""
        nonlocal code_before
        if shown and introducer is not None and _introduces(blocks[introducer], columns):
            blocks[introducer] = replace(blocks[introducer], shows=shown)
            led.lead_in()
        elif not aside:  # a callout's code is the callout's, an aside's
            above = introducer if introducer is not None and _paragraph_above(blocks[introducer], columns) else None
            names = above is not None and shown is not None and blocks[above].shows is None and \
                _names_its_code(blocks[above], shown.text, code_before if blocks[above].after_code else "")
            led.code(blocks, above, shown, text, under_heading=len(blocks) == led.start)
            if names and above is not None and blocks[above].under_heading and blocks[above].shows is shown:
                # Its heading's, and it names it too: shown with the sentence as well ("To tell `JSON.parse` to use a
                # class other than `Hash`, include the `object_class` option." under *Parse JSON Into An OpenStruct*).
                blocks[above] = replace(blocks[above], names_code=True)
            elif names and above is not None and shown and blocks[above].shows is None:
                # "We can allow HTTPS traffic with the `allow` command.", then `sudo ufw allow https`: a sentence that
                # names what its code runs leads it in, with no colon, where no heading took it.
                blocks[above] = replace(blocks[above], shows=shown)
                led.lead_in()
        code_before = text

    def indented_code_ends() -> None:
        nonlocal indented, introducer, code_above, prose_above
        lines = [line.expandtabs(4) for line in indented or []]
        while lines and not lines[-1].strip():
            lines.pop()
        code_ends(_shown(lines, len(lines), 4, ""), "\n".join(lines), 0)
        indented, introducer, code_above, prose_above = None, None, True, False

    for line in body.split("\n"):
        quote = _QUOTE_MARKS.match(line)
        if indented is not None:
            if not line.strip() or _INDENTED_CODE.match(line):
                indented.append(line)
                continue
            indented_code_ends()
        if code is None and not current and prose_above and not quote and _INDENTED_CODE.match(line) and \
                not opens_code(line):
            # Code indented four spaces after a paragraph, with no fence (CommonMark's indented code: "In one terminal
            # window, run this:", then "    sudo opensnoop 2>/dev/null | grep atuin"). It ends at a line less indented.
            indented, introducer, last_added = [line], last_added, None
            continue
        if code is not None and opening is not None:
            inner = line[quote.end():] if code_quoted and quote else line
            ended = code_quoted and not quote  # a quote's code ends with the quote ("> ```" left unclosed)
            if ended or opening.end.match(inner.lstrip()):
                shown = _shown(code, code_seen, code_indent, opening.language) if opening.shown else None
                if opening.shown:
                    code_ends(shown, "\n".join(code), code_columns, aside=code_quoted)
                code, introducer = None, None
                if not ended:
                    code_above = True
                    continue
            else:
                if len(code) <= MAX_CODE_LINES:
                    code.append(inner)
                code_seen += 1
                code_above = True
                continue
        if in_comment or (_OPENS_COMMENT.match(line) and "-->" not in line):
            # An HTML comment's lines are none of the note's ("# copy the output here" in the Rust book's
            # "<!-- manual-regeneration" notes was a heading); what follows "-->" on its last line is.
            flush()
            if not in_comment or "-->" not in line:
                in_comment = True
                continue
            in_comment, line = False, line.split("-->", 1)[1]
            if not line.strip():
                continue
        # A fence in a quote or a callout ("> ```tasks", Obsidian help's and Tasks' examples) is code as any fence is.
        bare = line[quote.end():] if quote else line
        opened = opens_code(bare)
        if opened:
            flush()
            # Only the block right after it: code after this code is no lead-in's (nor is any, if this is too long).
            code, opening, introducer, last_added, code_seen = [], opened, last_added, None, 0
            prose_above = False
            code_quoted = quote is not None
            code_indent = len(bare) - len(bare.lstrip(" \t"))
            code_columns = len(bare.expandtabs(4)) - len(bare.expandtabs(4).lstrip(" "))  # Obsidian indents with tabs
            continue
        m = _HEADING.match(line)
        if m:
            flush()
            after_prose = prose_above = False  # Logseq's "## Usage" at the margin over "\t- To edit…"
            code_above = False  # a section's list is its own, whatever ended the section before
            last_added = None
            heading = m.group(2).strip()
            led = _HeadingCode(_code_words(heading), len(blocks), verb=_first_word(heading))
            if heading:
                headings.append(heading)
            continue
        if not line.strip() or (line.strip() == ">" and current):
            flush()
            continue
        if _ITEM.match(line) and current:
            flush()
        elif quoted_lines and current and line.lstrip().startswith(">") and current[-1].lstrip().startswith(">") \
                and not CALLOUT.match(current[-1]):
            flush()
        current.append(line)
    if indented is not None:
        indented_code_ends()
    flush()
    # A run of numbered links is a table of contents or a site's menu ("1. [ Home ](/)", "2. [ Voting and
    # elections ](…)"), no steps: a numbered link stays only alone among steps of words.
    steps = [b.numbered and i not in links_only for i, b in enumerate(blocks)]
    beside = [[j for j in (i - 1, i + 1) if 0 <= j < len(blocks)] for i in range(len(blocks))]
    kept = [b for i, b in enumerate(blocks) if i not in links_only or
            (any(steps[j] for j in beside[i]) and not any(j in links_only for j in beside[i]))]
    return kept, headings


def _introduces(block: Block, columns: int) -> bool:
    """Whether the code block right after the block is what it introduces: the block is a lead-in ("To install it,
    run:"), or a list item with the code inside it ("1. Clone the sample plugin using Git.", then the command indented
    under it)."""
    return block.shows is None and ((block.item and columns >= 2) or leads_in_code(split_sentences(block.text)[-1]))


@dataclass
class _HeadingCode:
    """Which code block a section's heading leads in (`Block.under_heading`), as the section is read: its first, or the
    first later one that names a word of the heading where the first does not ("Load Records In Batches With
    find_each": not the `.each` the page shows first, to say what goes wrong), or whose paragraph above does what the
    heading does where the first's does not; shown with the paragraph right above it, where one is."""

    words: set[str] = field(default_factory=set)  # the heading's (`_code_words`)
    start: int = 0  # the number of blocks before the section
    held: int | None = None  # the block that shows it so far
    taken: bool = False  # a code block holds the place, shown or not
    verb: str = ""  # the heading's first word: a task's verb ("Remove Not Null Constraint From A Column")
    names: bool = False  # the code held names a word of the heading
    does: bool = False  # the paragraph above it does what the heading does (its verb)
    # No later code takes its place: the code held names a word of the heading and its paragraph does what the heading
    # does, or it only includes a file (mdBook's listing), or a lead-in in the section introduced code before any (the
    # lead-in says what its code does).
    final: bool = False

    def code(self, blocks: list[Block], above: int | None, shown: Code | None, text: str, under_heading: bool) -> None:
        """A code block of the section that no lead-in introduces: `above`, the paragraph right above it, if any;
        `under_heading`, it opens the section."""
        if self.final or _PRINTS_ERROR.search(text) or not (above is not None or under_heading):
            return  # an error a command printed is no code that does anything; code after code or items is no one's
        if shown is None:  # a listing the page includes, first: the section's code, shown in the book, not here
            self.final = self.final or not self.taken
            self.taken = True
            return
        names = bool(_code_words(shown.text) & self.words)
        # A paragraph that does what the heading does takes the place of code whose paragraph does not: "You can remove
        # a not null constraint from a column, by dropping it.", then `drop not null`, after the `set not null` that
        # adds one, on "Remove Not Null Constraint From A Column"; "Now, to update the URL for that remote, I can use
        # `git remote set-url`…" after `git remote -v`. Not a light verb ("Doing a dry run is a great way to make
        # sure…", "I'm able to use the `author_id` variable…") and not what was done ("We've marked our articles for
        # destruction…").
        does = above is not None and self.verb not in _LIGHT_VERBS and \
            any(does_the_action(sentence, self.verb, past=False) for sentence in split_sentences(blocks[above].text))
        if self.taken and not (names and not self.names) and not (does and not self.does):
            return
        self._release(blocks)
        if above is not None:
            blocks[above] = replace(blocks[above], shows=shown, under_heading=True)
            self.held = above
        self.taken, self.names, self.does = True, names, does
        self.final = names and does

    def lead_in(self) -> None:
        """A lead-in of the section introduced code: no later code is the heading's. Code the heading leads in before
        it stays its ("Allow Associations To Be Optional": `optional: true`, then "Another approach, though I don't
        recommend it, … adding the following line…:")."""
        self.final = True

    def _release(self, blocks: list[Block]) -> None:
        if self.held is not None:
            blocks[self.held] = replace(blocks[self.held], shows=None, under_heading=False)
            self.held = None


def _first_word(heading: str) -> str:
    """The heading's first word, in lowercase: a task's verb ("Remove Not Null Constraint From A Column"). Not
    kbd.engines.title_words.task_verb, which takes only a verb that is no noun: "Update The URL Of A Remote" and "Filter
    ActiveModel Validation Errors" open with one that is."""
    words = _WORD.findall(heading)
    return words[0].casefold() if words else ""


def _code_words(text: str) -> set[str]:
    """The words of code or of a heading, camelCase and snake_case parted ("getMinutes", "find_each"), but for
    stopwords, as word keys (kbd.engines.base.word_key: "Batches" and "batch" are one)."""
    return {word_key(w) for w in map(str.casefold, _CODE_WORD.findall(text)) if len(w) > 2 and w not in STOPWORDS}


def _names_its_code(block: Block, code: str, above: str) -> bool:
    """Whether the paragraph's last sentence names, as inline code, a command, flag or function the code block after it
    runs ("Git's `rev-parse` command is the perfect fit for this.", then `git rev-parse --short HEAD`): a word of
    code, whole on a line of the code that is no log or result line ("=> #<PG::Result…>"), never in code that opens
    with one ("INFO - Started archive creation…", then "example.zip 1.8 kB") or shows an error, nor in the code
    `above` the paragraph, which the sentence may be saying something of ("With `explain`, you get cost estimates…"
    after the `explain`)."""
    last = split_sentences(block.text)[-1]
    lines = [line for line in code.split("\n") if line.strip()]
    if last.rstrip().endswith("?") or _PRINTS_ERROR.search(code) or not lines or _PRINTED.match(lines[0]):
        return False  # a block that opens with what a program printed is its output, all of it
    lines = [line for line in lines if not _PRINTED.match(line)]
    for span in block.code:
        whole = re.compile(rf"(?<![\w-]){re.escape(span)}(?![\w-])")
        if _CODE_NAME.search(span) and span in last and not whole.search(above) and \
                any(whole.search(line) for line in lines):
            return True
    return False


def _paragraph_above(block: Block, columns: int) -> bool:
    """Whether the block is a paragraph at the margin (no list item, no code inside one) that a code block follows."""
    return block.shows is None and not block.item and columns < 2


def _shown(lines: list[str], seen: int, indent: int, language: str) -> Code | None:
    """A code block as an answer shows it: its lines without the indent its fence has (a list item's), no blank lines
    around it; None when it is empty or only includes a file; only its length (`left_out`) when it is longer than
    MAX_CODE_LINES or MAX_CODE_CHARS."""
    text = "\n".join(line[min(indent, len(line) - len(line.lstrip(" \t"))):].rstrip() for line in lines).strip("\n")
    if not text.strip() or _INCLUDE_ONLY.fullmatch(text):
        return None
    if seen > MAX_CODE_LINES or len(text) > MAX_CODE_CHARS:
        return Code(language, "", left_out=seen)
    return Code(language, text)


def _outdented(lines: list[str]) -> list[str]:
    """A nested list item's lines without its indent: parsed alone, "\t- Click to select some text…" (Logseq writes
    every block so) was an indented code block, and the outline's nested blocks were no passage of any answer. Not
    after a paragraph at the margin: there "    - name: Install deps" is a code block."""
    indent = len(lines[0]) - len(lines[0].lstrip(" \t"))
    if not indent or not _ITEM.match(lines[0]):
        return lines
    return [line[min(indent, len(line) - len(line.lstrip(" \t"))):] for line in lines]


def _content_words(text: str) -> int:
    return sum(1 for w in _WORD.findall(text.casefold()) if w not in STOPWORDS)
