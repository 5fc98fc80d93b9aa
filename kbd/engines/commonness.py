"""How common a word is in general English.

A single common word ("Models", "Association", "Night") is a concept only when a source is about
it (its title, or a heading it keeps coming back to), never because it is frequent: frequency in
one article says nothing about whether the word names a topic. With the optional `wordfreq`
package (`pip install kbd[wordfreq]`) "common" means a Zipf frequency of at least COMMON_ZIPF in
general English, so a rare single word ("ontology", "melatonin") can still be a concept by density
alone. Without it every plain single word counts as common: the stricter rule, which loses those
rare words unless a title features them (figures for both in the README, "Reading quality").
"""

from __future__ import annotations

import functools

try:  # optional: a 57 MB wheel of word lists for 40 languages, so it is an extra, not a dependency
    from wordfreq import zipf_frequency
except ImportError:  # the fallback below: tests/test_reading_real.py and bench --without-wordfreq
    zipf_frequency = None

# Tuned on the development halves: "graph" (4.05), "settings" (4.2) and "integrity" (4.2) are common;
# "plugin" (3.3), "taxonomy" (3.1) and "ontology" (2.9) are not.
COMMON_ZIPF = 4.0
# A word this frequent ("token" 3.8, "browser" 3.9, "workflow" 3.2, "repository" 3.4) is everyday too where a
# corpus writes it as one, in lowercase: in the development halves of twelve corpora such single-word pages
# were 48 a reader would not open (Folder, Directory, Token, Cache, Syntax) to about 11 kept (Joplin's
# Notebook and Sync, Anki's Interval, Pip); a name written with its capital ("Docker", "Linux") is no such word.
EVERYDAY_NOUN_ZIPF = 3.0


@functools.lru_cache(maxsize=65536)
def is_common_word(word: str) -> bool:
    """Whether a single word is an everyday English word (case ignored)."""
    return _as_frequent_as(word, COMMON_ZIPF)


@functools.lru_cache(maxsize=65536)
def is_everyday_noun(word: str) -> bool:
    """Whether a single word is everyday where a corpus writes it in lowercase, a common noun's way
    (EVERYDAY_NOUN_ZIPF): every common word is, and so is "token" or "browser"."""
    return _as_frequent_as(word, EVERYDAY_NOUN_ZIPF)


@functools.lru_cache(maxsize=65536)
def is_everyday_in_some_form(word: str) -> bool:
    """Whether a lowercase word, or its plural, past or -ing form, is everyday (EVERYDAY_NOUN_ZIPF): "embed" is
    rare (2.9) but "embedded" is not (3.9); "sed", "markdown" and "gitignore" have no such form. Without
    `wordfreq`, every word is."""
    if zipf_frequency is None:
        return True
    stem = word[:-1] if word.endswith("e") else word
    forms = {word, f"{word}s", f"{stem}ed", f"{stem}ing"}
    if len(word) > 2 and word[-1] not in "aeiouwxy" and word[-2] in "aeiou":
        forms |= {f"{word}{word[-1]}ed", f"{word}{word[-1]}ing"}  # "embedded", "mapping"
    return any(is_everyday_noun(form) for form in forms)


def knows_word_frequencies() -> bool:
    """Whether `wordfreq` is installed: without it every plain word is taken as common, which rules that drop
    a page for its everyday words must not trust."""
    return zipf_frequency is not None


def _as_frequent_as(word: str, zipf: float) -> bool:
    lower = word.lower().replace("’", "'")
    if zipf_frequency is None:
        return common_by_lexicon(lower)
    # The small list holds every word of Zipf 3 and above with the large list's frequency (the same
    # answer for all 321,180 words of the large list at COMMON_ZIPF 4.0), and loads in 7 ms instead
    # of 110 ms: a third of the CPU a compile of one new note spent beyond the vault's size.
    return zipf_frequency(lower, "en", wordlist="small") >= zipf


def is_everyday_phrase(name: str) -> bool:
    """Whether a name is two everyday words ("Web page", "File name", "Knowledge base"), which a page writes
    as a description as often as it names a thing by them. Longer names and hyphenated words are terms more
    often than not ("Write-ahead log", "Pittsburgh Sleep Quality Index"; tuned on the development halves)."""
    words = name.split()
    return len(words) == 2 and all(w.isalpha() and is_common_word(w) for w in words)


def common_by_lexicon(word: str) -> bool:
    """The fallback without word frequencies: every plain alphabetic word is taken as common."""
    return word.replace("'", "").replace("-", "").isalpha()
