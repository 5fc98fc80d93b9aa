"""What the words of a title say: whether it is written as a task ("Replace A Character") or names its topic
("Sleep and depression"), which words it names on its own, and which it names without being about them ("List All
Commits…"). The engine reads titles and headings so (engines/concept_mentions.py), and so does the corpus-wide
choice of pages (compile/concepts.py)."""

from __future__ import annotations

import functools
import itertools
import re

from kbd.engines.base import concept_key, singular
from kbd.engines.chunking import TOKEN, noun_chunks
from kbd.engines.lexicon import GENERIC_NOUNS, VERB_FORMS, is_verb

# What follows a verb and never a noun used as a name: "Rename the file", "Right-click your note".
OBJECT_CUES = frozenset("the a an your this these that those its their our my".split())
# What a quantifier counts is instances, not a title's topic: "List All Commits Where…", "Diff Two Files In Unified
# Format", "Between Two Branches" (not "sleep" of "Several Myths About Sleep").
_QUANTIFIERS = frozenset("all every each both multiple several any some two three".split())
# "Another" counts one more of them ("Seed Production Data Into Another Branch" is not about branches) but opens
# no task ("Yet Another Sleep Tracker").
_COUNTERS = _QUANTIFIERS | {"another"}
# A verb with its particle opens a task ("Turn Off Display Of Tabs", "Print Out Files In Reverse"), whatever
# else its first word can be.
_PARTICLES = frozenset("off out up down away back".split())
# A title with an auxiliary verb is a claim about its subject ("Sleep Can Be Improved At Any Age"); what follows
# the auxiliary says something of it ("Numbers Are Empty", "New Dates Can Take Out Of Bounds Values"), unless
# the title opens with a question word ("What is a vault?").
_AUXILIARIES = frozenset("is are was were be been can cannot".split())
_QUESTION_WORDS = frozenset("what where when why how which who".split())
_FUNCTION_WORDS = OBJECT_CUES | _COUNTERS | _QUESTION_WORDS | _AUXILIARIES
# What joins two words into one phrase after a title's first word ("Running and…", "Vim vs Emacs"): no verb's object.
_JOINTS = frozenset({"and", "or", "vs", "versus"})


def is_a_task_title(title: str) -> bool:
    """Whether a title is written as a task or a question rather than as a name: it opens as a task
    (`opens_as_a_task`), or it has an article or a determiner ("Replace A Character", "Who Are My Ancestors?",
    as the short notes of a TIL collection are titled; an acronym is none: "ITS Theme", nor the article of a
    noun's "of": "Anatomy of a plugin")."""
    tokens = TOKEN.findall(title)
    if _opens_as_a_task(tokens):
        return True
    # "Anatomy of a plugin", "PID Of The Current Shell": a title about a part of something, not a task.
    cues = tokens[3:] if len(tokens) > 3 and tokens[1].lower() == "of" else tokens
    return any(t.lower() in OBJECT_CUES and not (t.isupper() and len(t) > 1) for t in cues)


def opens_as_a_task(title: str) -> bool:
    """Whether a title opens with a verb that is no noun, in its base form or in -ing ("Show files opened by
    pytest tests", "Using psutil to…"; not "Notes on Memory", "Study Guide", "Supported decorations"), or with
    any word and a particle or a quantifier, which make it a verb ("Turn Off…", "Print Out…", "Union All
    Rows…", "Undo Some Command Line Editing"; not "All About Sleep"), or with two words joined by "and" whose
    second opens a task so ("Format And Display Small Amounts Of…", "List And Count All Posts…"; not "Sleep And
    Depression"). Surer than an article, which a title about a thing has too ("The Truth About Sleep")."""
    return _opens_as_a_task(TOKEN.findall(title))


@functools.lru_cache(maxsize=65536)
def task_verb(title: str) -> str:
    """The first word, casefolded, of a title that surely opens as a task (`opens_as_a_task`: "print" of "Print
    Out Files In Reverse"); "" for any other title."""
    tokens = TOKEN.findall(title)
    return tokens[0].casefold() if _opens_as_a_task(tokens) else ""


def opens_with_a_task_verb(title: str, verbs: frozenset[str]) -> bool:
    """Whether a title opens with a word that opens a sure task elsewhere in the vault (`verbs`, each a
    `task_verb`): a collection of how-tos titles its notes alike, so "Print Version Information" acts on what it
    names where "Print Out Files In Reverse" is a note, and "Filter By Type" where "Filter Out Results…" is. Not
    before "of", "and" or an auxiliary, where the word is a noun ("List Of Plugins", "Match Is Greedy")."""
    tokens = TOKEN.findall(title)
    return len(tokens) > 1 and tokens[0].casefold() in verbs and tokens[1].isalpha() and \
        tokens[1].lower() not in _NOT_AFTER_A_VERB


_NOT_AFTER_A_VERB = frozenset({"of"}) | _JOINTS | _AUXILIARIES


def _opens_as_a_task(tokens: list[str]) -> bool:
    if _a_verb_opens(tokens):
        return True
    return len(tokens) > 3 and tokens[0].isalpha() and tokens[1].lower() in ("and", "or") and \
        _same_form(tokens[0].lower(), tokens[2].lower()) and _a_verb_opens(tokens[2:])


def _a_verb_opens(tokens: list[str]) -> bool:
    """Whether a title's first words are a verb's: a word before a particle or a quantifier, or a verb that is
    no noun in its base form or in -ing, before its object. Never an article, a determiner, a quantifier, a
    question word or an auxiliary ("The Two Types Of Insomnia", "A Back Door": found by a review)."""
    if tokens and tokens[0].lower() in _FUNCTION_WORDS:
        return False
    if len(tokens) > 1 and tokens[0].isalpha() and (tokens[1].lower() in _QUANTIFIERS or (
            tokens[1].lower() in _PARTICLES and not tokens[0].lower().endswith(("ed", "s")))):
        return True
    first = tokens[0].lower() if tokens else ""
    return _opens_with_a_verb(tokens) and is_verb(first) and not first.endswith("ed") and \
        (first.endswith("ing") or singular(first) == first)


def _same_form(word: str, partner: str) -> bool:
    """Whether two words joined by "and" can be one verb form: both in -ing, or neither in -ing nor plural
    ("Format And Display", "Installing and upgrading"; not "Images And Display Settings")."""
    if word.endswith("ing") or partner.endswith("ing"):
        return word.endswith("ing") and partner.endswith("ing")
    return singular(word) == word and not word.endswith("ed")


def not_its_topic(title: str) -> set[str]:
    """Keys of the words a title names that are not what it is about: what a quantifier counts ("List All
    Commits Where…" → commit, "Diff Two Files…" → file; not the subject of "String Contains Another String"),
    and what a claim says of its subject, after its auxiliary verb ("Numbers Are Empty" → empty: the title is
    about numbers; none in a question, "What is a vault?")."""
    tokens = TOKEN.findall(title)
    counted = {i + 1 for i, word in enumerate(tokens[:-1]) if word.lower() in _COUNTERS}
    keys = {concept_key(tokens[i]) for i in counted} - \
        {concept_key(t) for i, t in enumerate(tokens) if i not in counted and t[0].isalpha()}
    if tokens and tokens[0].lower() not in _QUESTION_WORDS:
        said = next((i for i, t in enumerate(tokens) if i and t.lower() in _AUXILIARIES), len(tokens))
        keys.update(concept_key(t) for t in tokens[said + 1:] if t[0].isalpha())
    return keys


def _opens_with_a_verb(tokens: list[str]) -> bool:
    """A title about doing something: "Running Dolly 2.0 on Paperspace", "Show files opened by pytest tests";
    not "Running and…"."""
    return len(tokens) > 1 and tokens[0].lower() in VERB_FORMS and tokens[1][0].isalpha() \
        and tokens[1].lower() not in _JOINTS


# What follows a dot glued to a lowercase word is code's: "File" of "click.File", "remove" of "os.remove()".
_ATTRIBUTE = re.compile(r"(?<=[a-z0-9_])\.[A-Za-z_]\w*(?:\(\))?")
# A word with a wildcard glued to it stands for names ("findBy* Queries" are the queries findByText and its kin
# make), so the phrase after it is the pattern's, no bare word; emphasis ("**Vim** plugins") opens with its star,
# and one letter is no pattern ("A* Search"). Nothing but the word may start a match: a run of "a-a-a-…" would
# be read once from every hyphen.
_GLOB = re.compile(r"(?<![*\w-])([A-Za-z_][\w-]+)\*(?=[\s.,:;]|$)")


def bare_names(text: str) -> set[str]:
    """Keys of the words a title or heading uses as a name on its own ("Sleep and depression" →
    sleep, depression; "Insomnia study" → insomnia; not "graph" in "Knowledge Graph Insights", nor
    "file" in "File recovery", nor "building" in "Building Your Own Schema.org": a verb with its object,
    nor "paste" in "Copy and paste issues": a verb's partner, nor "running" in "Running Dolly 2.0 on
    Paperspace" or "run" in "Run Tests With Documentation Formatting": the verb a title opens with, nor "file"
    of "click.File": code's, nor "queries" of "findBy* Queries": a pattern's)."""
    tokens = TOKEN.findall(_GLOB.sub(r"\1", _ATTRIBUTE.sub(" ", text)))
    verbs = {t for t, after in itertools.pairwise(tokens) if after.lower() in OBJECT_CUES}
    if _opens_with_a_verb(tokens):  # "Read In Environment-Specific Config Values", "Run Tests With…"
        verbs.add(tokens[0])
    for left, joint, right in zip(tokens, tokens[1:], tokens[2:], strict=False):
        if joint.lower() in ("and", "or", "&") and (is_verb(left.lower()) or left in verbs):
            verbs.add(right)  # "Copy and paste issues": paste is a verb like its partner
    bare = set()
    for chunk in noun_chunks(tokens, sentence=False):
        while len(chunk) > 1 and singular(chunk[-1].lower()) in GENERIC_NOUNS:
            chunk = chunk[:-1]  # "study" of "Insomnia study" says what kind of page, not what about
        if len(chunk) == 1 and chunk[0] not in verbs:
            bare.add(concept_key(chunk[0]))
    return bare
