"""mistune plugins for the dialects of markdown a vault holds, beside CommonMark (kbd/vault/markdown.py
uses them): Obsidian's wikilinks; the fences of VuePress, Docusaurus and Pandoc containers (`::: tip
Title`); Python-Markdown's admonitions and MkDocs Material's content tabs (`!!! note "Title"`, `=== "Tab"`,
their body indented); attribute lists (`{ .md-button }`, `{#install}`); template expressions (`${…}`,
`{{…}}`) and Liquid's tags (`{% include … %}`, `{% highlight %}` blocks, `{% raw %}`); Dataview's and
Logseq's `key:: value` lines; Logseq's org-mode blocks (`#+BEGIN_QUERY`) and its headings written without their "- ".
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

import mistune

from kbd.vault.links import parse_wikilink
from kbd.vault.maths import maths_at

# VuePress, Docusaurus and markdown-it containers, Pandoc's fenced divs: a line of three colons or more,
# then the container's kind or attributes and its title; the closing fence, on its own line or, as
# pages write it, at the end of the text.
_CONTAINER_FENCE = r"^ {0,3}:{3,}[ \t]*(?P<container_info>[^\n]*)(?:\n|$)"
_CONTAINER_KIND = re.compile(r"^(?:\{[^}]*\}|[a-z][a-z0-9_-]*(?![\w'’]))")  # "tip", "{.column}"; "This …" is text
# Python-Markdown's admonitions (`!!! note "Title"`, collapsible `??? tip`) and MkDocs Material's content tabs
# (`=== "Tab"`), their body indented by four spaces: markdown alone reads that body as an indented code block
# (52 of Material for MkDocs' 96 documentation pages lost text so, a tenth of its words). A type is one
# lowercase word, then only Material's `inline`, `end` and `annotate` and a quoted title; a tab's label is
# quoted too. "!!! WARNING !!!" and "!!! note this is really important" in prose stay prose.
_ADMONITION = (r"^(?:(?:!!!|\?\?\?\+?)[ \t]+[a-z][\w-]*(?:[ \t]+(?:inline|end|annotate))*"
               r"(?:[ \t]+\"(?P<adm_title>[^\"\n]*)\")?"
               r"|===\+?[ \t]+\"(?P<adm_tab>[^\"\n]*)\")[ \t]*\n"
               r"(?P<adm_body>(?:(?:[ ]{4}|\t)[^\n]*(?:\n|$)|[ \t]*\n(?=[ ]{4}|\t))*)")
_INDENT = re.compile(r"^(?:[ ]{4}|\t)", re.MULTILINE)
# Dataview inline fields and Logseq block properties: a key, two colons, its value, alone on a line.
# Dataview's keys may hold spaces and be bold (`Due Date::`, `**Author**::`).
_FIELD_LINE = (r"^ {0,3}(?P<field_key>(?:\*\*|__)?[A-Za-z][\w -]{0,40}?(?:\*\*|__)?)::"
               r"(?:[ \t]+(?P<field_value>[^\n]*))?[ \t]*(?:\n|$)")
# Org-mode blocks, as Logseq writes them: a query, source or example is code; a note, tip or warning keeps
# its text and loses its markers.
_ORG_CODE = (r"^ {0,3}#\+BEGIN_(?P<org_kind>QUERY|SRC|EXAMPLE|EXPORT)\b[^\n]*\n(?P<org_code>(?s:.*?))"
             r"^ {0,3}#\+END_(?P=org_kind)[^\n]*(?:\n|$)")
_ORG_MARKER = r"^ {0,3}#\+(?:BEGIN|END)_[A-Za-z]+[^\n]*(?:\n|$)"
# A template expression the page's app runs and shows the result of: SilverBullet's Lua `${query[[from …]]}`
# (may span lines), Logseq's macros `{{embed [[Page]]}}`, `{{youtube …}}`, Obsidian's `{{date}}`. It opens with
# a name right after its braces: "${5}", Jinja's "{{ user.name }}" in a tutorial's prose and Anki's cloze
# "{{c1::Paris}}" are text, and so is LaTeX ("${n \\choose k}$": a backslash, or a "$" after it). Braces nest two
# deep; possessive, so a line of unclosed "${" costs one pass.
_EXPRESSION = (r"\$\{(?=[A-Za-z_])(?:[^{}\\]|\{(?:[^{}\\]|\{[^{}\\]*+\})*+\})*+\}(?!\$)"
               r"|\{\{(?=[A-Za-z{])(?!c\d+::)(?:[^{}\n]|\{[^{}\n]*+\})*+\}\}"
               r"|(?<!\{)\{%-?[ \t]*[a-z_]+\b(?:[^%{}\n]|%(?!\}))*+%\}"
               r"|\{\{[<%][ \t]*/?[A-Za-z_](?:[^{}\n%>]|[%>](?!\}\}))*+[%>]\}\}")
# Hugo's shortcodes (`{{< figure src="x" >}}`, `{{% notice tip %}}`) are expressions too; what a pair of them holds
# is text (a `highlight` or `code-toggle` pair's is code, below). Liquid (Jekyll, GitHub Pages, Eleventy): a tag is
# an expression like the above (`{% include badge.html %}`, `{% if … %}`); between `{% raw %}` and `{% endraw %}`
# the site shows the text as written, tags and all (`{% raw %}{{ page.title }}{% endraw %}`), so those two markers
# are no text and what they hold is (a concept *Endraw* had eleven Jekyll pages); a link whose address is a tag
# (`[the guide]({% link _docs/x.md %})`) is a link; `{% highlight ruby %}` … `{% endhighlight %}` is a code block
# and `{% comment %}` … `{% endcomment %}` shows nothing.
_LIQUID_RAW = r"\{%-?[ \t]*(?P<liquid_marker>raw|endraw)[ \t]*-?%\}"
_LIQUID_LINK = (r"\[(?P<liquid_text>[^\[\]\n]{1,500})\]\((?=[ \t]*\{[{%])"
                r"(?:\{\{[^{}\n]*+\}\}|\{%[^%\n]*+%\}|[^\s(){}%])++\)")
_LIQUID_BLOCK = r"^ {0,3}\{%-?[ \t]*(?P<liquid_kind>highlight|comment)\b(?:[^%\n]|%(?!\}))*%\}[ \t]*(?:\n|$)"
# On one line: "{% comment %} TODO {% endcomment %}" shows nothing, "{% highlight ruby %}puts 1{% endhighlight %}"
# is code.
_LIQUID_COMMENT = (r"\{%-?[ \t]*comment[ \t]*-?%\}(?:[^{\n]|\{(?!%))*+"
                   r"\{%-?[ \t]*endcomment[ \t]*-?%\}")
_LIQUID_HIGHLIGHT = (r"\{%-?[ \t]*highlight\b(?:[^%\n]|%(?!\}))*%\}(?:[^{\n]|\{(?!%))*+"
                     r"\{%-?[ \t]*endhighlight[ \t]*-?%\}")
_FENCE_LINE = re.compile(r"^ {0,3}(?:`{3,}|~{3,})", re.MULTILINE)
_LIQUID_END = {kind: re.compile(rf"^ {{0,3}}\{{%-?[ \t]*end{kind}[ \t]*-?%\}}[ \t]*\n?", re.MULTILINE)
               for kind in ("highlight", "comment")}
_LIQUID_OPEN = {kind: re.compile(rf"^ {{0,3}}\{{%-?[ \t]*{kind}\b", re.MULTILINE) for kind in ("highlight", "comment")}
# A shortcode's tag over several lines (Hugo's docs write `{{< img` and its arguments one per line, and `>}}` on a
# line of its own, which would open a quote): markup, code to search and no text to read. Its first line is the
# tag's name and what follows it; every other line holds only arguments (`alt="Zion National Park"`, `width=300`,
# a quoted value), so prose that happens to open with "{{<" and end with ">}}" lines later stays prose. Up to 40
# lines: a page of tags that never close costs each tag 40 lines' look.
_SHORTCODE_ARGUMENTS = (r"[ \t]*+(?:(?:[A-Za-z_][\w.-]*+[ \t]*=[ \t]*(?:\"[^\"\n]*+\"|'[^'\n]*+'|`[^`\n]*+`"
                        r"|[^\s\"'`{}<>%]++)|\"[^\"\n]*+\"|'[^'\n]*+'|`[^`\n]*+`)[ \t]*+)*+")
_SHORTCODE_BLOCK = (r"^ {0,3}\{\{[<%][ \t]*/?[A-Za-z_][^{}\n]*\n(?:" + _SHORTCODE_ARGUMENTS + r"\n){0,40}"
                    + _SHORTCODE_ARGUMENTS + r"/?[%>]\}\}[ \t]*(?:\n|$)")
# Hugo's shortcodes that hold code (as Liquid's `{% highlight %}` does): `{{< highlight go >}}` … `{{< /highlight >}}`,
# and Hugo's docs' `{{< code-toggle file=hugo >}}` … `{{< /code-toggle >}}` (or `{{</ code-toggle >}}`), which show
# a site's configuration (its TOML "name = 'About' pageRef = '/about' weight = 20" read as sentences made pages
# *Name*, *Weight*, *pageRef*). A tag that closes itself (`{{< code-toggle config=languages />}}`) holds nothing.
_SHORTCODE_CODE = (r"^ {0,3}\{\{[<%][ \t]*(?P<shortcode_kind>highlight|code-toggle)(?![\w-])"
                   r"(?:[^{}\n%>]|[%>](?!\}\}))*(?<!/)[%>]\}\}[ \t]*(?:\n|$)")
_SHORTCODE_END = {kind: re.compile(rf"^ {{0,3}}\{{\{{[<%][ \t]*/[ \t]*{kind}[ \t]*[%>]\}}\}}[ \t]*\n?", re.MULTILINE)
                  for kind in ("highlight", "code-toggle")}
_SHORTCODE_OPEN = {kind: re.compile(rf"^ {{0,3}}\{{\{{[<%][ \t]*{kind}(?![\w-])", re.MULTILINE)
                   for kind in ("highlight", "code-toggle")}
# Python-Markdown's, Pandoc's and kramdown's attribute lists: ids, classes and key=value pairs in braces right
# after a link, an image, an icon or inline code (`[Subscribe](…){ .md-button }`), at the end of a heading
# (`## Installation {#install}`), or on a line of their own under a block (`{: .note }`). Markup for the site's
# HTML, no words of the page: Material for MkDocs' "Mastodon{ style="color: #5A4CE0" }" was a key point.
# Only ids, classes and pairs: "{1, 2}" and "{name}" in prose stay text.
_ATTR = r"""(?:[#.][A-Za-z_][\w-]*|[A-Za-z_][\w-]*=(?:"[^"\n{}]*"|'[^'\n{}]*'|[^\s"'{}]+)|-)"""
_ATTR_LIST = rf"\{{:?[ \t]*{_ATTR}(?:[ \t]+{_ATTR})*[ \t]*\}}"
ATTR_LIST = re.compile(_ATTR_LIST)
# A heading's attribute list names its anchor or says it is unnumbered (`## Install {#install}`, `{: .x}`,
# Pandoc's `{-}`); "## Files ending in {.md}" is a title's words.
_HEADING_ATTRS = re.compile(r"\{:|[{ \t]#[A-Za-z_]|\{[ \t]*(?:-|\.unnumbered|\.unlisted)[ \t]*\}")
# Elsewhere an attribute list stands for markup after these (`[Subscribe](…){ .md-button }`, `` `x`{.python} ``),
# and at a line's start when it opens with "{:" or holds a class or an id (`{: .note }`, `{ .annotate }`; "{a=1,
# b=2}" there is text).
_ATTRIBUTED = frozenset(("link", "image", "codespan", "emphasis", "strong"))
_LINE_ATTRS = re.compile(r"\{:|\{[^}]*(?<![^{ \t])[.#][A-Za-z_]")
_FENCE = re.compile(r"[ ]{0,3}(`{3,}|~{3,}|\$\$)")
_ORG_BEGIN = re.compile(r"[ ]{0,3}#\+BEGIN_([A-Za-z]+)")
# A Logseq page's property line (`type:: [[Feature]]`), as no C++ line ("std::vector") starts.
LOGSEQ_PROPERTY = re.compile(r"^[A-Za-z][\w-]*::[ \t]", re.MULTILINE)
_HEADING_LINE = re.compile(r"#{1,6}[ \t]")
WIKILINK = r"\[\[(?P<wl_inner>[^\[\]\n]+?)\]\]"  # `[[Page]]`; `![[…]]` is an embed


_FENCE_OPEN = re.compile(r"^[ \t]*(?:(?P<ticks>`{3,})(?P<info>[^`]*)|(?P<tildes>~{3,})(?P<tilde_info>.*))$")
# A fence's language: its info string's first word ("sh", 'python title="x.py"'), or the first class of Pandoc's
# attributes ("{.python}", "{#id .haskell}").
_INFO_LANGUAGE = re.compile(r"^(?:\{[^}.]*\.)?([\w+#-][\w+#.-]{0,29})")
_LIQUID_LANGUAGE = re.compile(r"highlight[ \t]+([\w+#.-]{1,30})")


@dataclass(frozen=True)
class CodeOpening:
    """A line that opens a code block: a fence, Liquid's `{% highlight ruby %}`, Hugo's `{{< highlight go >}}` or
    `{{< code-toggle >}}` (or a Liquid comment, which shows nothing)."""

    end: re.Pattern[str]  # what the line that closes it matches (searched in the line without its indent)
    language: str  # its language, as its info string or tag names it; "" for none
    shown: bool = True  # False: a comment, no code a reader sees


def opens_code(line: str) -> CodeOpening | None:
    """What the line opens, when it opens a code block (an indent of any depth: it may sit in a list item)."""
    fence = _FENCE_OPEN.match(line)
    if fence:
        marks = fence.group("ticks") or fence.group("tildes")
        language = _INFO_LANGUAGE.match((fence.group("info") or fence.group("tilde_info") or "").strip())
        return CodeOpening(re.compile(rf"^{re.escape(marks[0])}{{{len(marks)},}}[ \t]*$"),
                           language.group(1) if language else "")
    text = line.lstrip()
    liquid = re.match(_LIQUID_BLOCK, text)
    if liquid:
        kind = liquid.group("liquid_kind")
        language = _LIQUID_LANGUAGE.search(liquid.group(0))
        return CodeOpening(_LIQUID_END[kind], language.group(1) if language else "", kind == "highlight")
    shortcode = re.match(_SHORTCODE_CODE, text)
    if shortcode:
        kind = shortcode.group("shortcode_kind")
        if kind == "code-toggle":  # Hugo's docs write the configuration it shows in TOML
            return CodeOpening(_SHORTCODE_END[kind], "toml")
        language = _LIQUID_LANGUAGE.search(shortcode.group(0))
        return CodeOpening(_SHORTCODE_END[kind], language.group(1) if language else "")
    return None


def wikilink_plugin(md: mistune.Markdown) -> None:
    """Teach a mistune parser Obsidian's `[[wikilinks]]` and `![[embeds]]` (kbd/serve renders with it)."""
    def parse(inline: Any, m: re.Match[str], state: Any) -> int:
        raw = m.group(0)
        link = parse_wikilink(m.group("wl_inner"), embed=raw.startswith("!"))
        state.append_token({"type": "wikilink", "attrs": {"link": link}})
        return m.end()

    md.inline.register("wikilink", "!?" + WIKILINK, parse, before="link")


def container_plugin(md: mistune.Markdown) -> None:
    """Teach a mistune parser to read a container's fence as no text (its title as a `container_title`)."""
    def parse(block: Any, m: re.Match[str], state: Any) -> int:
        title = _CONTAINER_KIND.sub("", m.group("container_info").strip(), count=1).strip(" :")
        if title.startswith("[") and title.endswith("]"):
            title = title[1:-1].strip()  # Docusaurus: `:::note[Title]`
        if title:
            state.append_token({"type": "container_title", "text": title})
        return m.end()

    _block_rule(md, "container_fence", _CONTAINER_FENCE, parse)


def admonition_plugin(md: mistune.Markdown) -> None:
    """Teach a mistune parser admonitions and content tabs: the title a label (as a container's), the
    indented body the page's own blocks."""
    def parse(block: Any, m: re.Match[str], state: Any) -> int:
        title = (m.group("adm_title") or m.group("adm_tab") or "").strip()
        if title:
            state.append_token({"type": "container_title", "text": title})
        body = _INDENT.sub("", m.group("adm_body"))
        if body.strip():
            child = state.child_state(body)
            # At mistune's nesting limit, no more containers: an admonition in a list in an admonition… would
            # otherwise recurse without bound (a 45 KB note raised RecursionError), as mistune guards its own.
            nested = state.depth() < block.max_nested_level - 1
            block.parse(child, block.rules if nested else
                        [r for r in block.rules if r not in ("admonition", "block_quote", "list")])
            state.append_token({"type": "admonition", "children": child.tokens})
        return m.end()

    _block_rule(md, "admonition", _ADMONITION, parse)


def field_plugin(md: mistune.Markdown) -> None:
    """Teach a mistune parser that a `key:: value` line is a block of its own (a `field`), not a paragraph's line."""
    def parse(block: Any, m: re.Match[str], state: Any) -> int:
        value = (m.group("field_value") or "").strip()
        if value:
            state.append_token({"type": "field", "key": m.group("field_key").strip("*_ "), "text": value})
        return m.end()

    # Before tables: a value with a "|" in it (`alias:: [[Whiteboards|WB]]`) is no table row.
    _block_rule(md, "field_line", _FIELD_LINE, parse, before="table" if "table" in md.block.rules else "paragraph")


def org_block_plugin(md: mistune.Markdown) -> None:
    """Teach a mistune parser Logseq's org-mode blocks: `#+BEGIN_QUERY` … `#+END_QUERY` is code, and the
    markers of `#+BEGIN_NOTE` … `#+END_NOTE` are no text."""
    def parse_code(block: Any, m: re.Match[str], state: Any) -> int:
        state.append_token({"type": "block_code", "raw": m.group("org_code"), "style": "org"})
        return m.end()

    def parse_marker(block: Any, m: re.Match[str], state: Any) -> int:
        return m.end()

    _block_rule(md, "org_code_block", _ORG_CODE, parse_code)
    _block_rule(md, "org_marker_line", _ORG_MARKER, parse_marker)


def expression_plugin(md: mistune.Markdown) -> None:
    """Teach a mistune parser template expressions: code, not text the reader sees (read for names, a
    `${query[[from index.tables()]]}` was quoted as a finding and made a concept *Queryfrom index*)."""
    def parse(inline: Any, m: re.Match[str], state: Any) -> int:
        state.append_token({"type": "expression", "raw": m.group(0)})
        return m.end()

    def parse_tag_block(block: Any, m: re.Match[str], state: Any) -> int:
        state.append_token({"type": "block_code", "raw": m.group(0), "style": "hugo"})
        return m.end()

    md.inline.register("expression", _EXPRESSION, parse, before="codespan")
    _block_rule(md, "shortcode_code", _SHORTCODE_CODE,
                _closed_block("shortcode", _SHORTCODE_OPEN, _SHORTCODE_END, "hugo"))
    _block_rule(md, "shortcode_block", _SHORTCODE_BLOCK, parse_tag_block)


def maths_plugin(md: mistune.Markdown) -> None:
    """Teach a mistune parser TeX maths as `escape_text` keeps it: its characters as written. Read as markdown,
    `$\\mathbf{x}_t \\leftarrow \\mathbf{x}_{t-1}$` lost its underscores to an emphasis and `\\\\` its second backslash,
    and the maths on the concept pages was no longer the page's."""
    def parse(inline: Any, m: re.Match[str], state: Any) -> int | None:
        end = maths_at(state.src, m.start())
        if end < 0:
            return None  # a price, a shell's `$$`: text
        state.append_token({"type": "maths", "raw": state.src[m.start():end].replace("\n", " ")})
        return end

    md.inline.register("maths", r"\$", parse)


def liquid_plugin(md: mistune.Markdown) -> None:
    """Teach a mistune parser Liquid's raw markers, links to a tag and highlight and comment blocks (its other
    tags are `expression_plugin`'s)."""
    def parse_raw(inline: Any, m: re.Match[str], state: Any) -> int:
        state.append_token({"type": "liquid_raw", "raw": m.group("liquid_marker")})
        return m.end()

    def parse_link(inline: Any, m: re.Match[str], state: Any) -> int:
        text = state.copy()  # the link's text is markdown: "[**the guide**]({% link … %})"
        text.src = m.group("liquid_text")
        text.in_link = True
        state.append_token({"type": "link", "children": inline.render(text), "attrs": {"url": ""}})
        return m.end()

    def parse_comment(inline: Any, m: re.Match[str], state: Any) -> int:
        return m.end()

    def parse_highlight(inline: Any, m: re.Match[str], state: Any) -> int:
        state.append_token({"type": "expression", "raw": m.group(0)})
        return m.end()

    md.inline.register("liquid_comment", _LIQUID_COMMENT, parse_comment, before="codespan")
    md.inline.register("liquid_highlight", _LIQUID_HIGHLIGHT, parse_highlight, before="codespan")
    md.inline.register("liquid_raw", _LIQUID_RAW, parse_raw, before="codespan")
    md.inline.register("liquid_link", _LIQUID_LINK, parse_link, before="link")
    _block_rule(md, "liquid_block", _LIQUID_BLOCK, _closed_block("liquid", _LIQUID_OPEN, _LIQUID_END, "liquid"))


def _closed_block(dialect: str, opens_of: dict[str, re.Pattern[str]], ends_of: dict[str, re.Pattern[str]],
                  style: str) -> Any:
    """A block rule's parse for a tag that opens a block its own closing tag ends (`ends_of`, by the kind of
    tag the rule's pattern names `{dialect}_kind`): a highlight's or a code toggle's lines are code (`style`), a
    comment's nothing to read. Another opening tag of its kind before the closing one (`opens_of`) leaves a code
    block unclosed: a later pair's closing tag is no end of this one (Liquid's comments nest)."""
    def parse(block: Any, m: re.Match[str], state: Any) -> int:
        kind = m.group(f"{dialect}_kind")
        # Where each block's tags and the code fences are, found once per text: a page of opening tags that never
        # close costs one pass, not one per tag.
        tags = state.env.setdefault("block_tags", {})
        if (dialect, kind, state.src) not in tags:
            tags[(dialect, kind, state.src)] = ([(e.start(), e.end()) for e in ends_of[kind].finditer(state.src)],
                                                [o.start() for o in opens_of[kind].finditer(state.src)])
            tags[("fence", state.src)] = [f.start() for f in _FENCE_LINE.finditer(state.src)]
        (found, opening), fences = tags[(dialect, kind, state.src)], tags[("fence", state.src)]
        i = bisect.bisect_left(found, (m.end(), -1))
        if i == len(found) or bisect.bisect_left(fences, m.end()) < bisect.bisect_left(fences, found[i][0]) or \
                (kind != "comment" and bisect.bisect_left(opening, m.end()) < bisect.bisect_left(opening, found[i][0])):
            # Never closed, or only by a closing tag a code fence shows or after another opening tag: the line is
            # an expression of its own (a paragraph of its own, as mistune would glue each such line to the
            # paragraph before in quadratic time).
            state.append_token({"type": "paragraph", "text": m.group(0).strip()})
            return m.end()
        if kind != "comment":
            state.append_token({"type": "block_code", "raw": state.src[m.end():found[i][0]], "style": style})
        return found[i][1]

    return parse


def attr_list_plugin(md: mistune.Markdown) -> None:
    """Teach a mistune parser what may be an attribute list: right after a link, an image, inline code, an
    icon or emphasis, or at a line's start. The walker decides by what comes before it (a `$\\sum_{i=1}$`
    subscript or "f(x){.y}" is text); a heading's, after a space, is `heading_without_attr_list`'s."""
    def parse(inline: Any, m: re.Match[str], state: Any) -> int:
        state.append_token({"type": "attr_list", "raw": m.group(0)})
        return m.end()

    md.inline.register("attr_list", rf"(?:(?<=[)\]:`*\n])|^){_ATTR_LIST}", parse, before="codespan")


def is_markup(attr_list: str, before: str, after_icon: bool) -> bool:
    """Whether an `attr_list` token is markup, by the type of the inline token `before` it ("softbreak" at a
    line's start); `after_icon` when that token was text that ended with an icon shortcode."""
    return before in _ATTRIBUTED or (before == "text" and after_icon) or \
        (before in ("softbreak", "linebreak") and _LINE_ATTRS.match(attr_list) is not None)


def heading_without_attr_list(text: str) -> str:
    """A heading's text without the attribute list that ends it (`Installation {#install}`: "Installation").
    One look from the end, so a heading of 100,000 tabs costs one pass."""
    start = text.rfind("{") if text.endswith("}") else -1
    if start <= 0 or text[start - 1] not in " \t":
        return text
    attrs = text[start:]
    if not ATTR_LIST.fullmatch(attrs) or not _HEADING_ATTRS.search(attrs):
        return text
    return text[:start].rstrip(" \t")


def _block_rule(md: mistune.Markdown, name: str, pattern: str, parse: Any, before: str = "paragraph") -> None:
    """Register a block rule at the top level, and inside quotes and list items (a container, an admonition,
    a field line or an org block inside a quote or a list is the same)."""
    md.block.register(name, pattern, parse, before=before)
    for rules in (md.block.block_quote_rules, md.block.list_rules):
        md.block.insert_rule(rules, name, before="paragraph")


def headed_outlines(body: str) -> str:
    """A Logseq page may write a top-level heading without its "- " ("# Usage" over tab-indented "\t- …"
    children); Logseq reads it as the block its children hang from, while markdown would make the children
    an indented code block (19 of Logseq's 238 documentation pages lost their text so). Such a heading is
    given its "- ", so it is read as Logseq shows it: a section over its list, never the page's title."""
    lines = body.split("\n")
    fence = ""  # the fence of the code block the line is in: "```", "~~~", "$$" or "#+END_SRC"
    for i, line in enumerate(lines[:-1]):
        opening = _FENCE.match(line)
        if fence:
            if fence.startswith("#+"):
                fence = "" if line.strip().upper().startswith(fence) else fence
            elif opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = ""
        elif opening:
            fence = opening.group(1)
        elif (org := _ORG_BEGIN.match(line)) is not None:
            fence = "#+END_" + org.group(1).upper()
        elif _HEADING_LINE.match(line) and lines[i + 1].startswith("\t- "):
            lines[i] = "- " + line
        elif line.startswith("\t") and line.strip() == "-":
            lines[i] = ""  # an empty block, not a setext underline making the block above a heading
    return "\n".join(lines)
