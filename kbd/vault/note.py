"""Reading one raw note: every check that stands between a hostile file and the engines.

A file either becomes a `RawNote` (possibly with warnings, e.g. frontmatter that had to be
ignored) or a `Rejection` with a reason a person can act on. Nothing here raises on bad input.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from kbd.vault.authors import AUTHOR_KEYS, MAX_AUTHORS, author_names, authors_in_title, byline_authors, text_value
from kbd.vault.fsread import Snapshot, Unreadable, change_stamp, read_snapshot
from kbd.vault.layout import clean_title
from kbd.vault.markdown import PROSE_KINDS, Block, Document, parse_markdown
from kbd.yaml_limits import MAX_BYTES, MAX_DEPTH, MAX_NODES, SafeLoader, yaml_problem

MAX_FRONTMATTER_BYTES = MAX_BYTES
MAX_FRONTMATTER_DEPTH = MAX_DEPTH
MAX_FRONTMATTER_NODES = MAX_NODES
# python-frontmatter finds the fences; its split keeps the newline that ends the opening `---`, so a
# 0-based line inside the frontmatter plus one is the 1-based line in the file.
_FM_HANDLER = frontmatter.YAMLHandler()
_SafeLoader = SafeLoader


@dataclass(frozen=True)
class Rejection:
    path: str
    reason: str
    kind: str = "rejected"  # rejected | ignored
    # The file's size and change stamp as the reason applies to them; stamp 0 (a race, a file
    # that kept changing) makes the next scan look at the file again.
    size: int = 0
    stamp: int = 0


@dataclass
class ClipperMeta:
    """The Web Clipper properties kbd uses, normalised to one type each."""

    title: str | None = None
    source: str | None = None
    author: list[str] = field(default_factory=list)
    published: str | None = None  # YYYY-MM-DD
    description: str | None = None
    tags: list[str] = field(default_factory=list)


@dataclass
class RawNote:
    path: str  # vault-relative POSIX path
    sha256: str
    size: int
    title: str
    meta: ClipperMeta
    document: Document
    warnings: list[str] = field(default_factory=list)
    stamp: int = 0  # change stamp of the version read (fsread.change_stamp), 0 if too recent to trust
    # The body as the search index reads it (code blocks kept) and the note's own properties: the
    # index takes its text from this parse instead of parsing the clipping a second time.
    searchable: Document | None = None
    properties: dict[str, Any] = field(default_factory=dict)


def file_sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# Sections of kbd's notes that list other notes and change as the wiki grows: an answer never
# rests on them (kbd ask leaves them out of its passages; stale tracking out of its hashes). A source
# note's "Concepts" list is one too: its own sentences again, behind links to concept notes.
NAVIGATION_HEADINGS = frozenset({"Related sources", "Related concepts", "Questions answered here", "Sources", "Chart",
                                 "Concepts"})
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")


def content_sha256(text: str, kbd_owned: bool) -> str:
    """The hash of what an answer can cite in a note: its body (properties left out), and in kbd's
    own notes without the navigation sections, so that filing an answer (which adds it under a
    concept's "Questions answered here") or a new related source does not make answers stale."""
    _, body, _ = split_frontmatter(text)
    lines = body.replace("\r\n", "\n").split("\n")
    if kbd_owned:
        kept, skipping_below = [], 0
        for line in lines:
            m = _HEADING.match(line)
            if m and skipping_below and len(m.group(1)) <= skipping_below:
                skipping_below = 0
            if m and not skipping_below and m.group(2) in NAVIGATION_HEADINGS:
                skipping_below = len(m.group(1))
            if not skipping_below:
                kept.append(line)
        lines = kept
    canonical = "\n".join(line.rstrip() for line in lines).strip()
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_file(vault_root: Path, rel: str, max_bytes: int) -> Rejection | None:
    """Cheap checks that need no read, for a precise reason: symlinks, special files, size. Only a
    hint: what counts is what `read_raw_note` finds on the descriptor it opens."""
    path = vault_root / rel
    try:
        st = os.lstat(path)
    except OSError as exc:
        return Rejection(rel, f"cannot be read ({exc.strerror})")
    rejection = _check_stat(vault_root, rel, st, max_bytes)
    return replace(rejection, size=st.st_size, stamp=change_stamp(st)) if rejection else None


def _check_stat(vault_root: Path, rel: str, st: os.stat_result, max_bytes: int) -> Rejection | None:
    path = vault_root / rel
    if stat.S_ISLNK(st.st_mode):
        try:
            target = path.resolve(strict=True)
        except RuntimeError:
            return Rejection(rel, "symlink loop; kbd does not follow symlinks")
        except OSError:
            return Rejection(rel, "broken symlink; kbd does not follow symlinks")
        if not target.is_relative_to(vault_root):
            return Rejection(rel, "symlink to outside the vault; kbd does not follow symlinks")
        return Rejection(rel, f"symlink to {target.relative_to(vault_root).as_posix()}; "
                              "kbd does not follow symlinks (it compiles the target where it lives)")
    if not stat.S_ISREG(st.st_mode):
        return Rejection(rel, "not a regular file")
    if st.st_size > max_bytes:
        return Rejection(rel, f"{st.st_size / 1e6:.1f} MB is over the {max_bytes / 1e6:g} MB limit "
                              "(raise compile.max_note_bytes in kbd/config.yaml to include it)")
    return None


def read_checked(vault_root: Path, rel: str, max_bytes: int) -> Snapshot | Rejection:
    """The bytes of a raw file (note or PDF) that passed the input checks, or why not."""
    rejected = check_file(vault_root, rel, max_bytes)
    if rejected:
        return rejected
    try:
        return read_snapshot(vault_root, rel, max_bytes)
    except FileNotFoundError:
        return Rejection(rel, "disappeared while kbd read it")
    except Unreadable as exc:
        return Rejection(rel, exc.reason)  # stamp 0: raced with a change, looked at again next scan
    except OSError as exc:
        return Rejection(rel, f"cannot be read ({exc.strerror})")


def read_raw_note(vault_root: Path, rel: str, max_bytes: int) -> RawNote | Rejection:
    snap = read_checked(vault_root, rel, max_bytes)
    if isinstance(snap, Rejection):
        return snap
    note = parse_raw_note(rel, snap.data)
    if isinstance(note, Rejection):
        return replace(note, size=snap.size, stamp=snap.stamp)
    note.stamp = snap.stamp
    return note


def parse_raw_note(rel: str, data: bytes) -> RawNote | Rejection:
    """Turn the bytes of a clipping into a RawNote, or say why not."""
    if not data.strip():
        return Rejection(rel, "empty file")
    if b"\x00" in data[:8192]:
        return Rejection(rel, "binary file (contains NUL bytes), not a markdown note")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Rejection(rel, f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                              "re-save the file as UTF-8")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    warnings: list[str] = []
    meta_raw, body = _split_frontmatter(text, warnings)
    meta = _clipper_meta(meta_raw, warnings)
    searchable = parse_markdown(body, keep_code=True)
    document = searchable.without_code()
    if not document.blocks and meta.description and meta.description.strip():
        # A clipping of just its properties (title, URL, description) is a short source note:
        # the description is its text.
        document = parse_markdown(meta.description)
    if not document.blocks:
        if not body.strip():
            return Rejection(rel, "no body text (frontmatter only) and no `description:` to make a short note of")
        return Rejection(rel, "no readable text (only code, images or markup)")
    # Logseq keeps a page's title and description in its first lines (`title:: …`), not in frontmatter.
    title = note_title(meta.title or text_value(document.fields.get("title")), document, Path(rel).stem,
                       code_texts(searchable))
    if not meta.description:
        meta.description = text_value(document.fields.get("description"))  # cleaned as the property would be
    byline = byline_authors(document, meta.description, title)
    # The page's byline is the authors when the properties name none, or name only some of them.
    if byline and set(meta.author) <= set(byline):
        meta.author = byline[:MAX_AUTHORS]
    return RawNote(path=rel, sha256=file_sha256(data), size=len(data), title=title, meta=meta,
                   document=document, warnings=warnings, searchable=searchable, properties=meta_raw)


def split_frontmatter(text: str, trusted: bool = False) -> tuple[dict[str, Any], str, list[str]]:
    """A note's properties and body, with the same caps and checks as a clipping gets.

    Frontmatter that is unsafe or invalid is ignored (an empty dict) with a warning saying why.
    `trusted`: bytes kbd wrote itself and nobody changed since (the ledger's hash): the YAML
    safety walk (aliases, depth, node count) is skipped; it was a third of lint's vault read."""
    warnings: list[str] = []
    meta, body = _split_frontmatter(text, warnings, trusted)
    return meta, body, warnings


# What editors and the Web Clipper call a note they could not name.
_PLACEHOLDER_TITLE = re.compile(r"^(untitled|new note|no title|document|page)(\s*[-_(]?\s*\d+\)?)?$", re.IGNORECASE)
_FIRST_LINE_TITLE_CHARS = 120


def note_title(from_meta: str | None, document: Document, stem: str,
               code: tuple[str, ...] = ()) -> str:
    """The clipping's real title: the `title` property (or a Logseq page's `title::` line, which the caller
    passes), else its first `#` heading (not one inside a list: Logseq's "- # Usage" is a section), else its
    file name (Logseq's `A___B` read as "A/B"), else its first lower heading, else the first short line of
    text; "Untitled" and friends count as no title.

    An importer that takes a note's first `#` line for its title leaves the page's title in the file
    name: a `title` that is only a comment of one of the note's code blocks (`# SPARQL`, `# Prefixes`
    in a Turtle listing), or the heading of a section below the article's opening text, while the
    file is named otherwise, gives way to the file name."""
    stem = file_title(stem)
    headings = [b for b in document.blocks[:8] if b.kind == "heading"]
    h1 = title_headings(document, stem, headings)
    first_line = next((b.text for b in document.blocks[:3] if b.kind in ("paragraph", "quote", "item")
                       and len(b.text) <= _FIRST_LINE_TITLE_CHARS), None)
    named = clean_title(stem)
    if (from_meta and named and not _PLACEHOLDER_TITLE.match(named) and _letters(named) != _letters(from_meta)
            and ((_in_a_code_comment(from_meta, code) and from_meta not in (b.text for b in headings))
                 or _a_later_section(from_meta, document))):
        return named
    # A lower heading is a section's name ("## Open Settings" of Settings.md), never the note's, while the
    # file has a name of its own: Obsidian shows the file name as a note's title. A file name that is no
    # name (a date, an id, a slug, "index") gives way to the heading.
    named_file = stem if names_a_page(stem) else None
    # A placeholder's word that the file's name says too names the page (Hugo's `methods/site/Page.md` titled
    # "Page"), better than its first sentence; an editor's "Untitled 3.md" titled "Document" names nothing.
    word = clean_title(from_meta or "")
    word = word if word.casefold() in ("page", "document") and word == named else ""
    for candidate in (from_meta, *h1, named_file, *(b.text for b in headings), stem, None if word else first_line):
        title = clean_title(_strip_tags(candidate or ""))
        if title and not _PLACEHOLDER_TITLE.match(title):
            return _with_page_name(title, h1) if candidate is from_meta else title
    return word or "Untitled"


def title_headings(document: Document, stem: str, headings: list[Block] | None = None) -> list[str]:
    """The `#` headings that may title a page named `stem` (search asks too, so both title a page alike).
    Logseq's "- # Usage" is a section, and so is every `#` heading after the page's opening prose while the
    file has a name of its own (SilverBullet's *Manual* opens with two paragraphs, then "# Videos")."""
    if _opening_words(document) >= _OPENING_PROSE_WORDS and names_a_page(file_title(stem)):
        return []
    blocks = headings if headings is not None else (b for b in document.blocks if b.kind == "heading")
    return [b.text for b in blocks if b.level == 1 and not b.listed]


_NAMESPACE_IN_FILE_NAME = re.compile(r"(?<=[^\W_])___(?=[^\W_])")


def file_title(stem: str) -> str:
    """A file name as a title: Logseq writes the page "Whiteboard/Action Bar" to `Whiteboard___Action Bar.md`."""
    return _NAMESPACE_IN_FILE_NAME.sub("/", stem)

# File names that say where a page sits, not what it is called.
_FILE_NAMES = frozenset("index readme home default main page untitled".split())


def names_a_page(stem: str) -> bool:
    """Whether a file name reads as a page's name ("Settings", "Live Preview", "B-tree"), not a date,
    an id or hash, a URL slug ("getting-started-with-sync"), a file name with its extension
    ("sync.html") or a folder's page ("index", "README")."""
    words = re.findall(r"[^\W\d_]{2,}", stem)
    if not words or stem.casefold() in _FILE_NAMES:
        return False
    if " " in stem.strip():
        return True
    if re.search(r"\d|_|\.\w{1,4}$", stem):
        return False  # "20240501103022", "a1b2c3d4", "help_sync", "sync.html"
    return not ("-" in stem and stem == stem.lower())  # "getting-started-with-sync", but "B-tree"


_OPENING_PROSE_WORDS = 30  # a paragraph's worth: a byline or a dateline before the `#` title is less


def _opening_words(document: Document) -> int:
    """How many words of prose come before the page's first heading."""
    words = 0
    for block in document.blocks:
        if block.kind == "heading":
            break
        if block.kind in PROSE_KINDS:
            words += len(block.text.split())
    return words


def _letters(text: str) -> str:
    """A name without its punctuation and case: a file name is its title less what no file name holds."""
    return re.sub(r"[\W_]+", "", text).casefold()


def _a_later_section(title: str, document: Document) -> bool:
    """Whether `title` names a heading that comes after the article's opening text, not before it."""
    blocks = document.blocks
    return any(b.kind == "heading" and _letters(b.text) == _letters(title) for b in blocks[1:]) and not (
        blocks and blocks[0].kind == "heading" and _letters(blocks[0].text) == _letters(title))


def code_texts(document: Document) -> tuple[str, ...]:
    """The text of a document's code blocks (whitespace folded, as the parse keeps it)."""
    return tuple(b.text for b in document.blocks if b.kind == "code")


def _in_a_code_comment(title: str, code: tuple[str, ...]) -> bool:
    """Whether `title` is the text of a comment in one of the code blocks: after a shell, Turtle,
    SPARQL or Python `#`, a C-like `//`, an SQL `--` or an HTML `<!--`, up to the end of a line
    (the parse folds a block's lines into one, so: up to a space, the block's end or `-->`)."""
    comment = re.compile(r"(?:^|\s)(?:#+|//+|--+|<!--)\s*" + re.escape(title) + r"(?=\s|$|-->)", re.IGNORECASE)
    return any(comment.search(text) for text in code)


def _with_page_name(title: str, h1: list[str]) -> str:
    """A one-word `title` is the name of a section or tab of a page ("Treatment"): it keeps the page's
    own name before it ("Circadian rhythm disorders — Treatment")."""
    if " " in title or not h1:
        return title
    page = clean_title(_strip_tags(h1[0]))
    if not page or _PLACEHOLDER_TITLE.match(page) or title.casefold() in page.casefold():
        return title
    return f"{page} — {title}"


# Inline formatting a publisher's HTML title brings along (`<em>Drosophila</em>`): its text is the title.
_INLINE_TAG = re.compile(r"</?(?:em|i|b|strong|sub|sup|span|mark|small|u|br|wbr)\b[^<>]*>", re.IGNORECASE)


def _strip_tags(text: str) -> str:
    return _INLINE_TAG.sub("", text)


def _split_frontmatter(text: str, warnings: list[str], trusted: bool = False) -> tuple[dict[str, Any], str]:
    if not _FM_HANDLER.detect(text):
        return {}, text
    try:
        fm_text, body = _FM_HANDLER.split(text)
    except ValueError:
        return {}, text  # a leading `---` rule with no closing fence: it is all body
    if len(fm_text.encode("utf-8")) > MAX_FRONTMATTER_BYTES:
        warnings.append(f"frontmatter is over {MAX_FRONTMATTER_BYTES // 1024} KB; ignored it")
        return {}, body
    problem = None if trusted else _frontmatter_problem(fm_text)
    if problem:
        warnings.append(f"frontmatter ignored: {problem}")
        return {}, body
    try:
        value = yaml.load(fm_text, Loader=_StrictLoader)
    except _DuplicateKey as exc:
        warnings.append(f"frontmatter ignored: {exc}")
        return {}, body
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        warnings.append(f"frontmatter ignored: invalid YAML{where} ({getattr(exc, 'problem', exc)})")
        return {}, body
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. `!!int "x"`, `!!float 1e999999`
        warnings.append(f"frontmatter ignored: a value cannot be read ({exc})")
        return {}, body
    if value is None:
        return {}, body
    if not isinstance(value, dict):
        warnings.append("frontmatter ignored: it is not a set of `key: value` properties")
        return {}, body
    return value, body


def _frontmatter_problem(fm_text: str) -> str | None:
    problem = yaml_problem(fm_text, MAX_FRONTMATTER_DEPTH, MAX_FRONTMATTER_NODES)
    if problem is None:
        return None
    if problem.message.startswith("invalid YAML") and problem.line is not None:
        return f"invalid YAML at line {problem.line} {problem.message[len('invalid YAML '):]}"
    return problem.message


class _DuplicateKey(yaml.YAMLError):
    pass


class _StrictLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """SafeLoader that refuses duplicate keys instead of silently keeping the last one, and keeps
    dates and times as the text they are: `published: 2024-02-30` is then one bad property
    (left out with a warning), not a failure to read the whole frontmatter."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, (list, dict)):
                raise _DuplicateKey(f"unhashable key at line {key_node.start_mark.line + 1}")
            if key in seen:
                raise _DuplicateKey(f"duplicate key `{key}` at line {key_node.start_mark.line + 1}")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_str)

_TAG_OK = re.compile(r"[^\w\-/]", re.UNICODE)


def _clipper_meta(raw: dict[str, Any], warnings: list[str]) -> ClipperMeta:
    meta = ClipperMeta()
    lower = {str(k).lower(): v for k, v in raw.items()}
    meta.title = text_value(lower.get("title"))
    source = text_value(lower.get("source") or lower.get("url"))
    if source and re.match(r"^https?://[^\s]+$", source, re.IGNORECASE):
        meta.source = source
    elif source:
        warnings.append("`source` is not an http(s) URL; left out of the summary")
    dropped = 0
    # The clipper's `author`, else the page's own citation metadata when the template kept it
    # (`citation_author`, Dublin Core's `creator`): the first of them that names someone.
    for key in AUTHOR_KEYS:
        names, junk = author_names(lower.get(key))
        dropped += junk
        if names:
            meta.author = names
            break
    # Where the list held chrome or a place, it was read from the page's affiliation and link blocks,
    # and a single word beside full names is one more piece of them ("Perth" beside "Western
    # Australia" after a paper's authors), not a byline.
    if dropped and any(" " in a for a in meta.author):
        single = [a for a in meta.author if " " not in a]
        dropped += len(single)
        meta.author = [a for a in meta.author if " " in a]
    # A journal page whose title names its authors ("… - Liam Magee, Vanicka Arora, Luke Munn, 2023")
    # and whose list names none of them: the list was read from the related-article or
    # citing-article blocks beside it. The title's names are the byline.
    titled = authors_in_title(meta.title or "")
    if titled and not set(titled) & set(meta.author):
        dropped += len(meta.author)
        meta.author = titled
    if dropped:
        warnings.append(f"left out {dropped} author {'entry' if dropped == 1 else 'entries'} that "
                        "{} not a name or not the page's own".format("is" if dropped == 1 else "are"))
    meta.author = meta.author[:MAX_AUTHORS]
    meta.published = _date(lower.get("published"))
    if meta.published is None and lower.get("published") not in (None, ""):
        warnings.append(f"`published: {str(lower['published'])[:40]}` is not a valid date (YYYY-MM-DD); "
                        "left out of the summary")
    meta.description = text_value(lower.get("description"))
    tags = lower.get("tags")
    if isinstance(tags, str):
        tags = re.split(r"[,\s]+", tags)
    for tag in tags if isinstance(tags, list) else []:
        clean = normalise_tag(str(tag)) if tag is not None else ""
        if clean and clean not in meta.tags:
            meta.tags.append(clean)
    return meta


def normalise_tag(tag: str) -> str:
    """An Obsidian-valid tag: no `#`, no spaces, only word chars, `-` and `/`, not all digits."""
    tag = tag.strip().lstrip("#").strip().replace(" ", "-")
    tag = _TAG_OK.sub("", tag).strip("/-")
    if not tag or tag.replace("/", "").isdigit():
        return ""
    return tag[:100]


def _date(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        m = re.match(r"^\s*(\d{4})-(\d{2})-(\d{2})", value)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
            except ValueError:
                return None
    return None
