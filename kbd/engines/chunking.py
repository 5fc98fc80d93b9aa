"""Noun-phrase chunking without a tagger: which runs of words in a sentence can name a concept.

A word's class (engines/lexicon.py) says whether it can end a noun phrase, start one, or neither;
runs of content words between function words, verbs and punctuation are trimmed to noun phrases
("B-tree keeps" → "B-tree"). Split from engines/offline.py; engines/concept_mentions.py scores what this finds.
"""

from __future__ import annotations

import functools
import re

from kbd.engines.base import singular
from kbd.engines.lexicon import GENERIC_MODIFIERS, NOUNISH, STOPWORDS, VERB_FORMS, is_adverb, is_verb

WORD = re.compile(r"[A-Za-z\u00c0-\u024f][A-Za-z0-9\u00c0-\u024f'’+-]*[A-Za-z0-9\u00c0-\u024f+]|[A-Za-z]")
# A word glued to a number is one token ("2FA", "3D", "10mg", "2-factor"): it starts with a digit, so it is never
# part of a name, and its letters are never a name of their own ("FA" of "2FA").
TOKEN = re.compile(r"[0-9]+-?[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*|" + WORD.pattern + r"|[^\sA-Za-z\u00c0-\u024f]")
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9]{1,6}s?$")
_INNER_CAPS = re.compile(r"^[A-Za-z]+[a-z][A-Z][A-Za-z0-9]*$|^[A-Z][a-z]+[A-Z]")
MAX_PHRASE_WORDS = 5


def is_term(token: str) -> bool:
    """A single token that can stand alone as a concept: B-tree, LSM, PostgreSQL."""
    if token.islower() and "-" not in token:
        return False  # the common case, decided without a regex
    if _ACRONYM.match(token) and token.lower() not in STOPWORDS:
        return True
    if "-" in token.strip("-") and all(len(p) >= 1 for p in token.split("-")):
        parts = token.lower().split("-")
        if len(parts) > 3:
            return False  # "Do-you-need-an-upper-ontology": a page's URL slug, not a name
        return not all(p in STOPWORDS or p.isdigit() for p in parts) and len(token) >= 4
    return bool(_INNER_CAPS.match(token))


# Word classes for chunking (see engines/lexicon.py).
_BREAK, _NOUN, _PART, _AMBIG, _MOD = range(5)
# After these words a word that can be a verb is one.
_VERB_CUES = frozenset("""to not never can cannot can't will won't would should must may might could always often
also do does did don't doesn't didn't usually rarely sometimes just i you we they he she""".split())
ADJECTIVE_ENDINGS = ("able", "ible", "ous", "ful", "less")
# Participles that work as prepositions: "a Logseq graph using existing Markdown files" is a graph and its
# files, not one name ("graph using existing Markdown files" was a concept page).
_PREPOSITIONAL_PARTICIPLES = frozenset("using including regarding concerning containing excluding".split())
_DETERMINERS = frozenset("the a an this these those its their our your his her every each some any no".split())
_ADJ_SUFFIXES = ("ed", "al", "ive", "ous", "ic", "ful", "ble", "ary", "ent", "ant", "ing", "ar")


def has_an_adjectives_ending(word: str) -> bool:
    """Whether a lowercase word ends like an adjective or a participle after a stem of four letters at least:
    "columnar", "transactional", "minified", "idempotent"; not "sed" or "ack"."""
    return any(word.endswith(end) and len(word) - len(end) >= 4 for end in _ADJ_SUFFIXES)


@functools.lru_cache(maxsize=131072)
def word_class(token: str) -> int:
    if len(token) < 2 or not token[0].isalpha():
        return _BREAK
    lower = token.lower().replace("’", "'")
    if lower in STOPWORDS:
        return _BREAK  # "It’s", "Don’t" as well as "it's": a contraction is never part of a name
    if token.isupper() or (lower != token and is_term(token)):
        return _NOUN  # LSM, B-tree, PostgreSQL
    if is_adverb(lower):
        return _BREAK
    if lower in VERB_FORMS and lower not in NOUNISH:
        if lower.endswith(("ed", "ing", "en")):
            return _PART  # "sorted run" is a name, "run sorted" is not
        if lower.endswith("s") and singular(lower) in NOUNISH:
            return _AMBIG  # "runs", "costs": a noun after an adjective, else a verb
        return _BREAK
    if lower in GENERIC_MODIFIERS:
        return _MOD
    if lower.endswith("ed") and len(lower) > 4 and "-" not in lower:
        return _PART  # but "log-structured merge tree" is a name
    return _NOUN


def _trim(run: list[str]) -> list[str]:
    """Cut a run of content words down to a noun phrase: no participle, vague adjective or
    verb-like plural at its edges ("B-tree keeps", "Following code", "default SQLite runs")."""
    start, end = 0, len(run)
    while start < end and word_class(run[start]) in (_PART, _MOD) and run[start].lower() not in NOUNISH \
            and not (start + 1 < end and _capitalised(run[start]) and _capitalised(run[start + 1])):
        start += 1  # but "Live Preview", "Outgoing Links": capitalised words together are a name
    while end > start:
        last = word_class(run[end - 1])
        named = end - 1 > start and _capitalised(run[end - 1]) and _capitalised(run[end - 2])
        if last in (_PART, _MOD) and not named:
            end -= 1
            continue
        if last == _AMBIG:
            prev = run[end - 2] if end - 2 >= start else ""
            if not (_adjective_before(prev) or (_capitalised(prev) and _capitalised(run[end - 1]))):
                end -= 1
                continue
        break
    return run[start:end]


def capitalised_inside_a_sentence(before: str, token: str) -> bool:
    """Whether a word is capitalised where no sentence or label starts (after a word or a comma), as a name is
    written: "On Linux, …", "written in Python"; `before` is the token before it, "" at the start."""
    return token[:1].isupper() and (before[:1].isalnum() or before == ",")


def _capitalised(token: str) -> bool:
    """A word written with a capital and then lower case: "Preview" (not "SQLite", not "preview")."""
    return len(token) > 1 and token[0].isupper() and token[1:].islower()


def _adjective_before(prev: str) -> bool:
    """An adjective-like word before an -s word makes it a plural noun: "sorted runs", "Outgoing links"."""
    return (prev.islower() or _capitalised(prev)) and prev.endswith(_ADJ_SUFFIXES)


def _verb_after(run: list[str], token: str, klass: int) -> bool:
    """A present-tense verb right after its subject: "runs" after "SQLite" (but "sorted runs")."""
    prev = run[-1]
    if klass == _AMBIG:
        return token.islower() and not _adjective_before(prev)
    # A long run with an -s word after a singular noun: "fractal tree index flushes messages".
    return (len(run) >= 3 and token.islower() and token.endswith("es") and len(token) > 5 and prev.islower()
            and not prev.endswith("s") and not prev.endswith(_ADJ_SUFFIXES))


def noun_chunks(tokens: list[str], sentence: bool = True) -> list[list[str]]:
    """Noun-phrase-like runs: content words between function words, verbs and punctuation. A sentence's
    first -ing word is a verb where it can be one ("Using Joplin Cloud Pro, you…"); a title's or a
    fragment's is read as a name's ("Missing Libraries")."""
    out: list[list[str]] = []
    run: list[str] = []
    before = "."
    padded = [*tokens, "."]
    for i, token in enumerate(padded):
        if token == "of" and _of_a_name(run, padded, i):
            run.append(token)  # "Google Summer of Code", "Table of Contents": one name
            continue
        klass = word_class(token)
        named = _in_a_name(padded, i)
        if named:
            klass = _NOUN  # "in Live Preview": a verb or modifier written as part of a name is part of it
        elif token.lower() in _PREPOSITIONAL_PARTICIPLES:
            klass = _BREAK
        if klass != _BREAK:
            if not run and not named and (token.lower() in VERB_FORMS or token.lower() in NOUNISH) \
                    and before.lower() in _VERB_CUES:
                before = token  # "never block writers", "to store data": a verb, whatever else it can be
                continue
            if i == 0 and sentence and token.endswith("ing") and is_verb(token.lower()):
                before = token  # "Using Joplin Cloud Pro, you…": capitalised for the sentence, a verb
                continue
            if run and _verb_after(run, token, klass):
                klass = _BREAK  # "B-tree favours read latency": the subject's verb ends the phrase
            else:
                run.append(token)
                continue
        if run:
            if len(run) >= 2 and token.lower() in _DETERMINERS and run[-1].islower() and run[-1].endswith("s") \
                    and not run[-1].endswith(("ss", "us", "is")):
                run.pop()  # "the B-tree dominates the log": a noun phrase does not run into a determiner
            while run and run[-1] == "of":
                run.pop()
            chunk = _trim(run)
            if chunk:
                out.append(chunk[-MAX_PHRASE_WORDS:])
            run = []
        before = token
    return out


def _of_a_name(run: list[str], tokens: list[str], i: int) -> bool:
    """Whether the "of" at tokens[i] joins two parts of one name: capitalised words on both sides, and
    the left ones more than a sentence's first word ("Google Summer of Code"; not "Most of Obsidian")."""
    if not run or i + 1 >= len(tokens) or not _name_word(tokens[i + 1]) or "of" in run:
        return False
    if not all(_name_word(t) for t in run):
        return False
    return len(run) >= 2 or i - len(run) > 0


def _in_a_name(tokens: list[str], i: int) -> bool:
    """Whether tokens[i] is one of two or more capitalised words inside a sentence ("switch to Live
    Preview"); a sentence's first word is capitalised anyway and says nothing, and an adverb ends a
    button's label, not a name ("Install Plugins Manually")."""
    if i == 0 or not _name_word(tokens[i]):
        return False
    return (i - 1 > 0 and _name_word(tokens[i - 1])) or (i + 1 < len(tokens) and _name_word(tokens[i + 1]))


def _name_word(token: str) -> bool:
    lower = token.lower()
    return _capitalised(token) and lower not in STOPWORDS and not is_adverb(lower)


def phrases_of(chunks: list[list[str]]) -> list[str]:
    """Every right-headed sub-phrase of every noun phrase of a sentence (its `noun_chunks`):
    "Pittsburgh Sleep Quality Index" → itself, "Sleep Quality Index", "Quality Index", "Index"; plus
    stand-alone technical terms."""
    phrases: list[str] = []
    for chunk in chunks:
        n = len(chunk)
        for i in range(n):
            if chunk[i] != "of":  # "of Code" of "Google Summer of Code" is no name
                phrases.append(" ".join(chunk[i:]))
        for token in chunk[:-1]:
            # "LSM" of "LSM tree" names a thing; "Built-in" of "Built-in plugins", a hyphenated word before
            # its noun, describes one (it made a concept *Built-in* of eight Material for MkDocs pages).
            if token.lower() != token and is_term(token) and not _hyphenated_modifier(token):
                phrases.append(token)
    return phrases


def _hyphenated_modifier(token: str) -> bool:
    """A word that is a term only by its hyphen ("Built-in", "Open-source"), not by its capitals, digits or a
    one-letter part ("LSM-tree", "COVID-19", "Wi-Fi", "B-tree")."""
    parts = token.split("-")
    return len(parts) > 1 and len(parts[0]) > 1 and not parts[0].isupper() and all(p.isalpha() for p in parts) \
        and all(p.islower() for p in parts[1:])
