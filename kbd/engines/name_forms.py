"""A name with the form it takes is the name (issue 23): "Python code", "CSV files", "a SQLite database", "an IRB
session" mention Python, CSV, SQLite and IRB, whose pages a reader opens. One article at a time, before its
candidates are judged (engines/concept_mentions.py), and undone for a name the article does not name."""

from __future__ import annotations

import functools
import itertools
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from kbd.engines.base import concept_key, singular
from kbd.engines.chunking import capitalised_inside_a_sentence, has_an_adjectives_ending
from kbd.engines.commonness import is_common_word, is_everyday_in_some_form, is_everyday_noun
from kbd.engines.lexicon import WHAT_IT_IS, is_a_form_word
from kbd.engines.prose import ProseSentence
from kbd.engines.spellings import best_form


def fold_names_with_their_forms(counts: Counter[str], forms: dict[str, Counter[str]], sentences: list[ProseSentence],
                                chunks: list[list[list[str]]], code: list[str]) -> dict[str, list[Fold]]:
    """A name followed by the form it takes or what holds it mentions the name: "Python code", "CSV files",
    "SQLite database", "IRB session" are Python, CSV, SQLite and IRB, whose page a reader opens (a TIL
    collection made pages of both). Only where that is sure:
    - the phrase is never the tail of a longer name ("Code file" of "VS Code file", "Cloud account" of "Joplin
      Cloud account"; "existing Markdown files" are Markdown files);
    - the name is one word the article writes as a name (`_names_a_thing`): "SQLite", "CSV" by their capitals,
      "Python" capitalised inside a sentence and a noun phrase of its own somewhere in the article too (not a
      label's first word: "Excluded files"); or a tool's word in lowercase, which English has in no form
      ("markdown files", "the `sed` command", `_a_tool_word`);
    - the form word is lowercase in the spelling the article uses most ("Claude Code" is a product).
    Decided for every phrase first, then applied, so the order of the phrases changes nothing. Returns, for
    each name, the phrases it took, to give back if the name is no concept here (`give_back`).
    `counts` and `forms` are the article's candidates (keys → weighted mentions, spellings); `chunks` its noun
    phrases, sentence by sentence."""
    candidates: dict[str, tuple[str, str]] = {}  # key → the name and the form word, as the article spells them
    for key in [k for k in counts if k.count(" ") == 1]:
        spelled = forms.get(key)
        if not spelled or len({form.split()[0] for form in spelled}) != 1 or \
                any(len(form.split()) != 2 for form in spelled):
            continue
        name, form_word = best_form(spelled).split()
        if form_word.islower() and is_a_form_word(form_word) and _NAME_WORD.fullmatch(name):
            candidates[key] = (name, form_word)
    if not candidates:
        return {}
    alone, after_words = _alone_and_after(chunks, set(candidates))
    note = _NoteWords(sentences, code)
    names = _written_as_names(sentences, {name for name, _ in candidates.values()} | {w for w, _ in after_words})
    tails = {key for word, key in after_words if word in names}
    folds: list[tuple[str, str, str]] = []
    for key, (name, form_word) in candidates.items():
        if key in tails or not (_names_a_thing(name, names) or _a_tool_word(name, note)):
            continue
        if form_word in WHAT_IT_IS and name[1:].islower() and is_everyday_noun(name):
            continue  # "Preview app", "Zoom app": an app named by a word is no thing the word names
        if singular(form_word) == "code" and name.isupper():
            continue  # "ZIP code", "PIN code", "ANSI code": a code of its own
        bare = concept_key(name)
        by_capitals = not name[1:].islower()
        if len(bare) < 3 or not (by_capitals or bare in alone or name.islower()):  # a tool's word need not be alone
            continue
        folds.append((key, bare, name))
    moved: dict[str, list[Fold]] = defaultdict(list)
    for key, bare, name in folds:
        fold = Fold(key, name, counts.pop(key), forms.pop(key), key.split()[1])
        moved[bare].append(fold)
        counts[bare] += fold.count
        forms.setdefault(bare, Counter())[name] += sum(fold.spelled.values())
        if fold.head in counts:  # the chunker's "code" of "Python code" is Python's form, no mention of code
            fold.head_taken = min(counts[fold.head], fold.count)
            counts[fold.head] -= fold.head_taken
            if counts[fold.head] <= 0:
                del counts[fold.head]  # its spellings stay, should the fold be given back
    return moved


@dataclass
class Fold:
    """A phrase a name took with its form word, and what the fold took from the form word's own count: all it
    needs to be given back."""
    phrase: str
    name: str
    count: float
    spelled: Counter[str]
    head: str
    head_taken: float = 0.0


def give_back(counts: Counter[str], forms: dict[str, Counter[str]], bare: str, folds: list[Fold]) -> None:
    """Undo a name's folds: each phrase counts as written again (added to what a definition may have made of
    it since), and so does the form word."""
    for fold in folds:
        counts[fold.phrase] += fold.count
        forms.setdefault(fold.phrase, Counter()).update(fold.spelled)
        if bare in counts:
            counts[bare] -= fold.count
            spelled = forms.get(bare, Counter())
            spelled[fold.name] -= sum(fold.spelled.values())
            if spelled[fold.name] <= 0:
                del spelled[fold.name]
            if counts[bare] <= 0 or not spelled:
                del counts[bare]
                forms.pop(bare, None)
        if fold.head_taken and forms.get(fold.head):  # unless a definition has taken the word since
            counts[fold.head] += fold.head_taken


# The mentions a single word needs to be a concept (`_acceptable`); a name that took a phrase has them.
NAMED_MENTIONS = 3.0
_NAME_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]*")  # a name's one word: not "C++", whose key is "c"


def _a_tool_word(name: str, note: _NoteWords) -> bool:
    """Whether a lowercase word before a form word names a tool or a format of its own: no everyday English in any
    of its forms ("markdown", "sed", "gitignore"; not "embed", "log", "source"), no adjective's ending ("verbose"
    is one, but "columnar database", "minified code", "idempotent query" are kinds, no makers), no clipping of
    an everyday word the note also writes ("config" where it says "configure", "env" beside "environment"), and
    nowhere in the note a part of a file's name ("an `init.vim` file", "the `_config.yml` file", "the config.edn
    file", "`.edn` files": no init's, config's or edn's file; a dotfile too, "the `.gitignore` file", which is its
    own name)."""
    if not name.islower() or has_an_adjectives_ending(name) or is_everyday_in_some_form(name):
        return False
    return name not in note.clipped and name not in note.in_file_names


# A file's name, an extension or a dotted path: "init.vim", "_config.yml", ".gitignore", "next.config.js".
_DOTTED = re.compile(r"[\w-]*(?:\.[\w-]+)+")
_NAME_PARTS = re.compile(r"[^\W_]+")


class _NoteWords:
    """What one note writes that keeps its lowercase words from naming tools (`_a_tool_word`): read once per note,
    when it is first asked (a 1 MB note has thousands of candidates)."""

    def __init__(self, sentences: list[ProseSentence], code: list[str]) -> None:
        self._sentences, self._code = sentences, code

    @functools.cached_property
    def clipped(self) -> set[str]:
        """The starts of the note's everyday words, two letters short of the word at least ("config" of
        "configure")."""
        words = {w for s in self._sentences if not s.boilerplate for w in s.words if len(w) >= 5}
        return {w[:end] for w in words if is_everyday_noun(w) for end in range(3, len(w) - 1)}

    @functools.cached_property
    def in_file_names(self) -> set[str]:
        texts = itertools.chain((s.text for s in self._sentences), self._code)
        return {part.lower() for text in texts for dotted in _DOTTED.findall(text) if "." in dotted
                for part in _NAME_PARTS.findall(dotted)}


def _names_a_thing(name: str, names: set[str]) -> bool:
    """Whether one word before a form word (letters, `_NAME_WORD`: the caller's candidates) names a thing of its
    own: written as a name in the article (`names`), and, without capitals inside, no everyday word that names
    something else ("Word document", "Access database", "Notes app", "Shortcuts app")."""
    if name not in names:
        return False
    if not name[1:].islower():
        return True  # "SQLite", "CSV", "GitHub"
    lower = name.lower()
    return not is_common_word(lower) and (singular(lower) == lower or not is_everyday_noun(singular(lower)))


def _alone_and_after(chunks: list[list[list[str]]], keys: set[str]) -> tuple[set[str], list[tuple[str, str]]]:
    """The keys of the words that are a noun phrase on their own; and each of `keys` that is the tail of a longer
    noun phrase, with the word before it ("VS" and "code file" of "VS Code file"): where that word is a name's,
    the phrase is the tail of a name."""
    alone: set[str] = set()
    after: list[tuple[str, str]] = []
    for chunked in chunks:
        for chunk in chunked:
            if len(chunk) == 1:
                alone.add(chunk[0])
            for before, first, second in zip(chunk, chunk[1:], chunk[2:], strict=False):
                if is_a_form_word(second.lower()):
                    key = concept_key(f"{first} {second}")
                    if key in keys:
                        after.append((before, key))
    return {concept_key(word) for word in alone}, after


def _written_as_names(sentences: list[ProseSentence], words: set[str]) -> set[str]:
    """Which of `words` the prose writes as names: with capitals inside ("SQLite", "CSV"), or capitalised inside
    a sentence ("written in Python"), not only where a sentence starts."""
    names: set[str] = set()
    for s in sentences:
        if s.boilerplate:
            continue
        for before, token in itertools.pairwise(["", *s.tokens]):
            if token in names or token not in words or not token[:1].isalpha():
                continue
            rest = token[1:]
            if rest != rest.lower() or capitalised_inside_a_sentence(before, token):
                names.add(token)  # capitals inside it, or a capital where no sentence starts
    return names
