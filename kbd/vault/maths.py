"""Which `$…$` and `$$…$$` of a text are TeX maths: Obsidian renders them, so they are read and written as maths.

The parse keeps a span's characters as written (no emphasis read into `\\mathbf{x}_t … \\mathbf{x}_{t-1}`, no
escape into `\\\\`), escaping leaves it live, and the engine finds no names in it. One rule for the three, so
what the parse keeps as maths is what the writer keeps as maths.
"""

from __future__ import annotations

import re

# TeX the page meant as maths (`$\\lambda$`, `$e^{2i\\pi} = 1$`, `$p<0.05$`, `$x$`, `$g(Y)$`): Obsidian renders it, so
# it stays maths. Obsidian's own edges (no space inside the dollars; after the closing one no word, digit or dollar,
# so a price "$5 to $10" is text) and only the characters of plain TeX: nothing markdown, HTML or Templater could
# read. A `<` before a letter, `/`, `!`, `?` or `%` could open a tag, an autolink or Templater; an `&` before a
# letter or `#` a character reference; `[[`, `](` and `]]` a link. An alignment's `&`, an interval's `[0, 1)`, a
# `;` or `:` are maths (D2L's `\\begin{aligned} … & = …`).
_TEX_CHAR = r"(?:[A-Za-z0-9\\{}^_=+\-*/.,()'! >;:]|<(?![A-Za-z/!?%])|&(?![#A-Za-z])|\[(?!\[)|\](?![\](]))"
_TEX_SPAN = re.compile(rf"(?<![\\$\w])\$(?=[^\s$])({_TEX_CHAR}{{1,200}})(?<=[^\s\\])\$(?![\w$])")
_TEX_MARK = re.compile(r"\\[A-Za-z]{2,}|[\^_<>=]")
# MathJax commands that link, style, tag, load an extension or set attributes and CSS (`\\mmlToken{mi}[href=…]`,
# `\\bbox[position:fixed;…]`, a review's cases) or act on the reader (tooltips, toggles): maths holding one is text,
# whatever else it holds.
_UNSAFE_TEX = re.compile(r"\\(?:href|url|require|class|cssId|style|unicode|html[A-Za-z]*|data[A-Za-z]*|bbox|mmlToken"
                         r"|mathtip|texttip|toggle)(?![A-Za-z])")
# Display maths run into one line (`$$ \frac{1}{2} = 0.5 $$`, Logseq's math block quoted): the same characters,
# spaces at its edges allowed, the same edges as inline maths (no word or dollar against them), a TeX command in
# it and no word of three letters but a command's and its argument's (`\begin{bmatrix}`, `\textrm{ and }`): a
# shell's or a Makefile's `$$` ("the $$ is the PID… (try echo $$", "$$(PWD)\tools and $$(HOME)") is no maths.
_DISPLAY_TEX = re.compile(rf"(?<![\\$\w])\$\$(?!\$)({_TEX_CHAR}{{1,2000}}?)(?<![\\$])\$\$(?![\w$])")
_LONGEST = 2006  # display maths' dollars, its 2,000 characters and the character after it
_COMMAND = re.compile(r"\\[A-Za-z]{2,}")
_COMMAND_ARGUMENT = re.compile(r"\\[A-Za-z]{2,}\*?\{[^{}$]{0,60}\}")
_PLAIN_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{3,}")


def _is_display(tex: str) -> bool:
    return bool(_COMMAND.search(tex)) and _is_inline(tex)


def _is_inline(tex: str) -> bool:
    # A plain word but a command's argument is no TeX: a shell's "CFLAGS=$(OPT) LDFLAGS=$(LIBS)", "now=$(date);
    # dir=$(pwd)" (a review's cases); `$\\textrm{softmax}(x)$` is maths.
    return not _PLAIN_WORD.search(_COMMAND_ARGUMENT.sub(" ", tex)) and not _UNSAFE_TEX.search(tex)


def maths_spans(text: str) -> list[re.Match[str]]:
    """The spans of `text` that stay maths: display maths first, then inline maths outside it."""
    display = [m for m in _DISPLAY_TEX.finditer(text) if _is_display(m.group(1))]
    taken = [(m.start(), m.end()) for m in display]
    inline = [m for m in _TEX_SPAN.finditer(text)
              if _is_inline(m.group(1)) and not any(a <= m.start() < b for a, b in taken)]
    return sorted(display + inline, key=lambda m: m.start())


def stays_maths(tex: str) -> bool:
    """Whether TeX found outside dollars (MathJax's, arXiv's flattened formulas) is worth writing as `$tex$`: maths
    `escape_text` keeps, but not a bare letter (an "𝑣v" flattened is the letter v; `$v$` is maths only where the
    page wrote it so)."""
    m = _TEX_SPAN.fullmatch(f"${tex}$")
    return bool(m and _TEX_MARK.search(tex) and not _UNSAFE_TEX.search(tex))


def maths_at(text: str, start: int) -> int:
    """Where the maths that opens at `text[start]` (a `$`) ends, or -1: the span as `maths_spans` would read it
    there, with a line break inside read as a space (a paragraph's maths may wrap)."""
    # Only the longest span's reach is read (a paragraph of many dollars costs each one that much, not the paragraph).
    before = 1 if start else 0
    window = text[start - before:start + _LONGEST].replace("\n", " ")
    for pattern, check in ((_DISPLAY_TEX, _is_display), (_TEX_SPAN, _is_inline)):
        m = pattern.match(window, before)  # its look-behind reads the character before the dollar
        if m and check(m.group(1)):
            return start + m.end() - before
    return -1
