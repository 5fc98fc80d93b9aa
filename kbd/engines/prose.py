"""The article's prose as sentences: what the offline engine scores, quotes and finds concepts in."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kbd.engines.chunking import TOKEN
from kbd.engines.commonness import is_common_word
from kbd.engines.findings import is_question, is_signpost
from kbd.engines.lexicon import STOPWORDS
from kbd.engines.text import CleanBlock, is_boilerplate, might_hold_boilerplate
from kbd.vault.markdown import split_sentences
from kbd.vault.maths import maths_spans

# An e-mail address is tried from the start of its run of characters only: "\S+@" from every position of a word a
# million letters long took minutes.
URLISH = re.compile(r"https?://|www\.|(?<![\w.+-])[\w.+-]+@[^\s@]+\.\w+|\.(?:com|org|net|io)\b")
MIN_WORDS, MAX_WORDS = 6, 60
# Text that holds no concept's name: a URL ("https://youtu.be/bZ79-RbyNoU"), a user's handle
# ("@personalizedrefrigerator"), a change log's credit ("(#9294 by Henry Heino)"), a version ("v10.11.0"),
# org-mode's "#+BEGIN_NOTE", a TeX command inside maths ("\frac" of "$-3\frac{1}{4}$" was a page *Frac*; a
# Windows path's "C:\Program Files\Obsidian" still names Obsidian), a file name's extension ("config.edn",
# "image.png": "Edn", "Png" were names; the file's own name stays, "manifest.json" mentions the manifest).
_NO_NAMES = re.compile(r"\b(?:https?://|www\.)\S+|(?<![\w.])@[A-Za-z0-9][\w-]*|\(#\d+[^()]{0,80}?\bby\s[^()]{1,80}\)"
                       r"|\bv\d+(?:\.\d+)+|#\+\w+")
_MATHS = re.compile(r"\$\$?[^$\n]{1,600}?\$\$?")
_TEX_COMMAND = re.compile(r"\\[A-Za-z]+")
_MATHS_SYMBOL = re.compile(r"\$\\?([A-Za-z]|alpha|beta|gamma|delta|epsilon|lambda|mu|sigma|tau|theta|ell)"
                           r"(?:[_^]\{?(\d)\}?)?\$")
_MATHS_TEXT = re.compile(r"\\(?:text|textrm|textit|textbf|mathrm|operatorname)\{([A-Za-z][A-Za-z -]{1,40})\}")
_FILE_NAME = re.compile(r"(?<![\w./-])((?:[\w-]+/)*[a-z0-9_-]+)((?:\.[a-z][a-z0-9]{1,4})+)\b")
# A path from a root, the home or the current folder ("/etc/hosts", "~/.vimrc", "../old-name", Hugo's
# "/en/examples/old-name/"): as in a file name after its folders, the folders name nothing (Hugo's examples of
# relative paths made a page *Old-name*). The last name stays where it is a file's: with a dot ("config.toml",
# ".vimrc") or before "file" ("your /etc/hosts file" is the hosts file).
_ROOTED_PATH = re.compile(r"(?<![\w.:/~-])(?:\.{1,2}|~)?/(?:[\w.-]+/)*((?:[\w-]|\.(?=[\w-]))*)"
                          r"(?=(\s+(?:file|folder|directory)\b)?)")
# A package's exported member ("time.Format", "hugo.Sites", "path.Clean", Hugo's ".Site.GetPage") is one code name:
# the words after it are no part of a name with it ("the time.Format function" made a page *Format function*, "See
# Go's path.Clean documentation" one *Clean documentation*).
# One try per dotted run, from its start (each dot of "x.ab.ab…" tried again made a line of them quadratic).
_CODE_MEMBER = re.compile(r"(?<![\w.])(?:[a-z][a-z0-9_]*|\.?[A-Z]\w*)(?:\.[A-Za-z_]\w*){0,8}?\.[A-Z]\w*(?=\s+[A-Za-z])")


# What each pattern needs to match at all: most sentences have neither, and a plain search is cheaper.
_MAY_HOLD_NO_NAMES = re.compile(r"://|www\.|@|\(#|#\+|\bv\d")
_MAY_NAME_A_FILE = re.compile(r"[a-z0-9]\.[a-z]")
_MAY_NAME_A_MEMBER = re.compile(r"\w\.[A-Z]")
_MAY_HOLD_A_PATH = re.compile(r"(?:^|[^\w.:/~-])(?:\.{1,2}|~)?/[\w.-]")


def _without_non_names(text: str) -> str:
    if _MAY_HOLD_NO_NAMES.search(text):
        text = _NO_NAMES.sub(" | ", text)
    if "$" in text:
        # Maths names nothing ("\\begin{bmatrix}" made a page *Bmatrix*, "x_{t-1}" one *T-1*); where the
        # dollars are no maths Obsidian renders, at least a TeX command is no name.
        text = _without_maths(text)
        if "\\" in text:
            text = _MATHS.sub(lambda m: _TEX_COMMAND.sub(" | ", m.group(0)), text)
    if "/" in text and _MAY_HOLD_A_PATH.search(text):
        text = _ROOTED_PATH.sub(lambda m: f" | {m.group(1)}" if "." in m.group(1) or m.group(2) else " | ", text)
    if _MAY_NAME_A_FILE.search(text):
        text = _FILE_NAME.sub(_without_extension, text)
    if _MAY_NAME_A_MEMBER.search(text):
        text = _CODE_MEMBER.sub(lambda m: m.group(0) + " |", text)
    return text


def _without_maths(text: str) -> str:
    pieces, at = [], 0
    for m in maths_spans(text):
        pieces += [text[at:m.start()], _names_in_maths(m.group(0), text[m.end():m.end() + 1] == "-" or
                                                       text[m.start() - 1:m.start()] == "-")]
        at = m.end()
    return "".join([*pieces, text[at:]])


def _names_in_maths(maths: str, hyphened: bool) -> str:
    """What of a formula may be a name's: a symbol hyphened to a word ("$K$-fold cross-validation", "top-$k$",
    "$\\epsilon$-greedy", "$L_2$-norm") and the words a formula writes as text ("$\\text{Transformer}$",
    "$\\mathrm{softmax}(x)$"); the rest names nothing."""
    symbol = _MATHS_SYMBOL.fullmatch(maths)
    if symbol and hyphened:
        return symbol.group(1) + (symbol.group(2) or "")
    words = _MATHS_TEXT.findall(maths)
    return f" | {' | '.join(words)} | " if words else " | "


def _without_extension(match: re.Match[str]) -> str:
    """"config.edn" → "config", "file.tar.gz" → "file"; "os.path" and "works.but" are words, not extensions, but
    after a folder ("src/main.rs") a dot opens one, and the folders name nothing (*Src* was a page of the Rust
    book's eight notes)."""
    folders, _, name = match.group(1).rpartition("/")
    if not folders and any(is_common_word(part) for part in match.group(2).split(".")[1:]):
        return match.group(0)
    return f"{' | ' if folders else ''}{name}"


@dataclass
class ProseSentence:
    """One sentence of the article's prose, with what scoring and concept finding read of it."""

    text: str
    position: int  # order in the document
    section: int
    first_in_block: bool
    words: list[str]  # lowercased content words
    tokens: list[str]  # every token, words and punctuation, as written
    # fit to quote in a summary (length, no URLs; no fragment, exercise, code, link, signpost or question)
    eligible: bool
    weight: float = 1.0  # the abstract, summary and conclusions weigh more
    digest: bool = False  # inside the article's own abstract / summary / highlights
    boilerplate: bool = False  # page furniture inside a long block: never quoted, never a concept
    link: bool = False  # a link and a word or three (kbd/engines/text.py `CleanBlock.link`): names, never a quote
    score: float = 0.0



def prose_sentences(blocks: list[CleanBlock]) -> list[ProseSentence]:
    """The sentences of the article's cleaned blocks, in order, with their tokens and content words."""
    out: list[ProseSentence] = []
    for block in blocks:
        suspect = len(block.text) >= 600 and might_hold_boilerplate(block.text)
        for i, text in enumerate(split_sentences(block.text)):
            tokens = TOKEN.findall(_without_non_names(text))
            lowered = [t.lower() for t in tokens if t[0].isalpha()]
            furniture = suspect and is_boilerplate(text)
            eligible = (MIN_WORDS <= len(lowered) <= MAX_WORDS and not URLISH.search(text) and not furniture
                        and not text.endswith((":", ",")) and text.count("|") <= 1 and not block.exercise
                        and not block.code and not block.link and not is_signpost(text) and not is_question(text))
            content = [w for w in lowered if len(w) > 2 and w not in STOPWORDS]
            out.append(ProseSentence(text, len(out), block.section, i == 0, content, tokens, eligible,
                                     block.weight, block.digest, furniture, link=block.link))
    return out
