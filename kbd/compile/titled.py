"""A concept page lists every source whose title names it, however little the source's prose says it.

"Import CSV files" is one of the help's import pages though its prose says "import" only in "click
Import"; "Set up Obsidian Sync" is an Obsidian page; "Knowledge Graph Insights" is about knowledge
graphs though its text is an interview. The engine ranks a source's concepts by what its prose says,
so a title's name can be missing from its mentions; a reader opening the concept's page expects the
pages titled with it (issue 23: "core topics list their titled sources").

A listing is a `source_concepts` row at TITLE_RANK, quoting the first line of the source's summary
that names the concept (none if no line does). It never decides whether a page exists
(compile/concepts.py leaves these rows out of every rule): only pages that exist list sources this way,
so a page cannot keep itself alive by its own listings. The title must write the page's name, in the
singular or the plural ("Local and remote vaults" is a Vault page; "Building Your Own Schema.org" is
no page of a "Build", though their keys meet), as a name where the sources write one (`names_the_page`),
and a file name kept as the title names nothing. The two tests of a name that this and the page rules
share live here too: an everyday word (`needs_a_title`), a name written with its capital
(`is_named_in_prose`).

A page lists too every source that names it with the form it takes or what it is after it ("Rename The
Current Session" says "tmux session": a *Tmux* page's), where that phrase has no page of its own
(compile/concepts.py gives it none beside the name's page).
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator

from kbd.engines.base import concept_key, singular, spelled_words, written_words
from kbd.engines.chunking import MAX_PHRASE_WORDS, TOKEN, capitalised_inside_a_sentence, is_term
from kbd.engines.commonness import is_common_word, is_everyday_noun
from kbd.engines.lexicon import WHAT_IT_IS, is_a_form_word
from kbd.engines.title_words import bare_names
from kbd.state import State
from kbd.vault.note import names_a_page

# After every mention an engine or a user made (lint's create_concept files names at 1000).
TITLE_RANK = 1 << 20


def needs_a_title(name: str) -> bool:
    """Whether a concept is an everyday single word, which the corpus must be about to give it a page."""
    return name.isalpha() and not name.isupper() and not is_term(name) and is_common_word(name)


_LETTERS = re.compile(r"[^\W\d_]+")


def writing(name: str) -> str:
    """A name without its capitals and plurals, its hyphens and spaces kept: "Daily Notes" → "daily note"."""
    return _LETTERS.sub(lambda m: singular(m.group(0)), name.casefold())


def ends_with_a_form(name: str) -> bool:
    """Whether a name ends in what a named thing is ("Git log command", `WHAT_IT_IS`; in the plural, lowercase:
    "Git commands" are what git is run as) or in the form it takes, in lowercase ("Tmux session", "Ruby file";
    not "Joplin Server", a product of its own)."""
    last = name.rpartition(" ")[2]
    return " " in name and (last in WHAT_IT_IS or (last.islower() and _is_a_kind_or_form(last)))


def _is_a_kind_or_form(word: str) -> bool:
    """Whether a word says what a named thing is or the form it takes, in either number ("commands", "session")."""
    return singular(word) in WHAT_IT_IS or is_a_form_word(word)


def is_a_form_of(name: str, page_name: str) -> bool:
    """Whether a name is a page's name with what it is or the form it takes after it (`ends_with_a_form`),
    spelling the page's name as the page does: "Tmux session" of *Tmux*, not "Messaging app" of *Message*
    (their keys meet by their stems only), and no page named by an everyday word ("Knowledge graph")."""
    if not page_name or not ends_with_a_form(name) or (" " not in page_name and needs_a_title(page_name)):
        return False
    written = name.rpartition(" ")[0]
    if page_name.isupper() and not written.isupper():
        return False  # "Env file" is no form of Ruby's *ENV*: a name in capitals is spelled so
    return writing(written) == writing(page_name)


def display_name(state: State, key: str) -> str:
    """The spelling most sources use: first the writing most sources use, whatever their capitals and
    number ("Daily notes" and "Daily Note" are one writing, "Daily-note" another), ties going to the
    writing of the source most about it; then that writing's spelling most sources use,
    ties going to the source most about it ("Media" of the page *Media* before "MEDIA" of a passing
    mention), then to the alphabetically first."""
    rows = state.db.execute("SELECT name, COUNT(*) AS n, MIN(rank) AS best FROM source_concepts "
                            "WHERE key=? AND rank<? GROUP BY name", (key, TITLE_RANK)).fetchall()
    if not rows:
        return key
    writings = {row["name"]: writing(row["name"]) for row in rows}
    votes: Counter[str] = Counter()
    about: dict[str, int] = {}  # the best rank among a writing's sources
    for row in rows:
        written = writings[row["name"]]
        votes[written] += row["n"]
        about[written] = min(about.get(written, row["best"]), row["best"])
    return min(rows, key=lambda r: (-votes[writings[r["name"]]], about[writings[r["name"]]], -r["n"], r["best"],
                                    r["name"]))["name"]


def is_a_form_of_page(state: State, name: str, prefix: str) -> bool:
    """Whether a concept, spelled as most sources spell it (`name`, its `display_name`), is the page `prefix`'s
    name with what it is or the form it takes after it (`is_a_form_of`), against the page's `form_name`:
    whether the page lists the concept's sources and whether the concept has a page of its own are one
    decision."""
    return is_a_form_of(name, form_name(state, prefix))


def is_everyday_word(state: State, key: str, name: str) -> bool:
    """Whether a concept is an everyday single word (`needs_a_title`), or a rarer one the sources write only
    as a common noun ("token", "workflow": lowercase inside their sentences, `is_everyday_noun`)."""
    if not name[1:].islower():
        return False  # "iPhone": a name by its capitals
    if needs_a_title(name):
        return True
    return name.isalpha() and not is_term(name) and is_everyday_noun(name) and not is_named_in_prose(state, key)


def is_named_in_prose(state: State, key: str, mostly: bool = False) -> bool:
    """Whether some source's quote writes the one-word concept capitalised inside a sentence, as a name is
    written ("On Linux, …", "as JSON"), rather than only at a sentence's start or in lowercase. With `mostly`,
    at least as many quotes write it so as write it in lowercase only: one capital among many lowercase
    writings is code or a quoted title ("Array collection methods" beside sixteen quotes of "an array")."""
    capitalised = lowercase = 0
    for (sentence,) in state.db.execute("SELECT sentence FROM source_concepts WHERE key=? AND sentence<>'' AND rank<?",
                                        (key, TITLE_RANK)):
        named = plain = False
        for before, token in itertools.pairwise(["", *TOKEN.findall(sentence)]):
            if token[0].lower()[:1] != key[:1] or concept_key(token) != key:
                continue
            if capitalised_inside_a_sentence(before, token):
                named = True
            elif token[0].islower():
                plain = True
        if named and not mostly:
            return True
        capitalised += named
        lowercase += plain and not named
    return capitalised > 0 and capitalised >= lowercase


def title_names(title: str) -> dict[str, set[tuple[str, ...]]]:
    """Every concept key a title's runs of words make, with the words as the title writes them:
    "Set up Obsidian Sync" → obsidian sync (Obsidian, Sync), obsidian (Obsidian), set up (Set, up), …"""
    words = written_words(title) if names_a_page(title) else []
    names: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for start in range(len(words)):
        for end in range(start + 1, min(len(words), start + MAX_PHRASE_WORDS) + 1):
            key = concept_key(" ".join(words[start:end]))
            if key:
                names[key].add(tuple(words[start:end]))
    return names


def list_by_titles(state: State, created: Iterable[str]) -> set[str]:
    """Bring the title listings up to date after a reconcile: anew for every source this run re-renders,
    and for the pages `created` in it (or spelled otherwise now: `form_name`), over the other sources too.
    Queues what changed; returns the concepts whose listings changed."""
    pages = {r[0] for r in state.db.execute("SELECT key FROM concepts")}
    dirty = {int(n.split(":", 1)[1]) for n in state.dirty() if n.startswith("source:")}
    changed: set[str] = set()
    capitalised = _Capitalised(state)
    for source_id in dirty:
        changed |= _relist(state, source_id, pages, capitalised)
    created = [k for k in created if k in pages]
    if not created:
        return changed
    for key in created:  # the sources of "tmux session" on a new *Tmux*
        for longer in one_word_longer(state, key):
            forms = state.db.execute("SELECT source_id, name FROM source_concepts WHERE key=? AND rank<?",
                                     (longer, TITLE_RANK)).fetchall()
            if not forms or _page_of_form(state, longer, forms[0][1], pages) != key:
                continue
            for source_id, _ in forms:
                if source_id not in dirty and _list(state, source_id, key):
                    changed.add(key)
    # The other sources: only those whose title has the name's first word are read (an index of title
    # words, not a scan of every title per page).
    by_word: dict[str, set[int]] = defaultdict(set)
    titles: dict[int, str] = {}
    for source_id, title in state.db.execute("SELECT id, title FROM sources"):
        if source_id not in dirty:
            titles[source_id] = title
            for word in spelled_words(title):
                by_word[singular(word)].add(source_id)
    named: dict[int, dict[str, set[tuple[str, ...]]]] = {}  # a title is read once however many pages it names
    for key in created:
        page = form_name(state, key)
        words = spelled_words(page)
        for source_id in by_word.get(singular(words[0]), ()) if words else ():
            if source_id not in named:
                named[source_id] = title_names(titles[source_id])
            if names_the_page(titles[source_id], named[source_id], key, page, capitalised(key)) and \
                    _list(state, source_id, key):
                changed.add(key)
    return changed


class _Capitalised(dict[str, bool]):
    """`is_named_in_prose` of each page, read once per pass (a page named by many titles is asked often)."""

    def __init__(self, state: State) -> None:
        super().__init__()
        self.state = state

    def __call__(self, key: str) -> bool:
        if key not in self:
            self[key] = is_named_in_prose(self.state, key)
        return self[key]


def _relist(state: State, source_id: int, pages: set[str], capitalised: _Capitalised) -> set[str]:
    row = state.db.execute("SELECT title FROM sources WHERE id=?", (source_id,)).fetchone()
    rows = state.db.execute("SELECT key, rank, name FROM source_concepts WHERE source_id=?", (source_id,)).fetchall()
    mentioned = {key: rank for key, rank, _ in rows}
    before = {k for k, rank in mentioned.items() if rank == TITLE_RANK}
    after = set()
    names = title_names(row[0]) if row else {}
    for key in names:
        if key in pages and (key not in mentioned or key in before) and \
                names_the_page(row[0], names, key, form_name(state, key), capitalised(key)):
            after.add(key)
    for key, rank, name in rows:
        page = _page_of_form(state, key, name, pages) if rank < TITLE_RANK else ""
        if page and (page not in mentioned or page in before):
            after.add(page)
    state.db.executemany("DELETE FROM source_concepts WHERE source_id=? AND key=? AND rank=?",
                         [(source_id, k, TITLE_RANK) for k in before - after])
    for key in after - before:
        _list(state, source_id, key)
    if before != after:
        state.mark_dirty(f"concept:{k}" for k in before ^ after)
        state.mark_dirty([f"source:{source_id}", f"related:{source_id}", "index"])
    return before ^ after


def _page_of_form(state: State, key: str, name: str, pages: set[str]) -> str:
    """The page a mention (`name`: one source's spelling of `key`) is a form of ("tmux session" → tmux), when the
    mention has no page of its own (`is_a_form_of_page`); "" if none."""
    prefix = key.rpartition(" ")[0]
    if not prefix or key in pages or not _is_a_kind_or_form(name.rpartition(" ")[2].casefold()):
        return ""
    if prefix not in pages:
        prefix = concept_key(prefix)  # "git ls files command" is "git ls file"'s: a key singularises its last word
    return prefix if prefix in pages and is_a_form_of_page(state, display_name(state, key), prefix) else ""


def one_word_longer(state: State, key: str) -> list[str]:
    """Concepts named by `key` and one more word ("obsidian app" for "obsidian", "git ls files command" for
    "git ls file"). A range on the key index ("obsidi" up to "obsidj"), not a scan."""
    # A longer key writes the key's last word as the name does, not as a key: "git ls files command", "instagram
    # stories app", "user interface components" (for "user interfac"). So the range starts two letters short
    # (at least three of the word kept), and each key in it is checked.
    last = key.rsplit(" ", 1)[-1]
    stem = key[:len(key) - min(2, max(len(last) - 3, 0))]
    if not stem:
        return []
    rows = state.db.execute("SELECT DISTINCT key FROM source_concepts WHERE key > ? AND key < ?",
                            (stem, stem[:-1] + chr(ord(stem[-1]) + 1)))
    words = key.count(" ")
    longer = []
    for (k,) in rows:
        prefix, _, _ = k.rpartition(" ")
        if prefix == key or (prefix.count(" ") == words and prefix.startswith(stem) and concept_key(prefix) == key):
            longer.append(k)
    return longer


def _list(state: State, source_id: int, key: str) -> bool:
    """List the source on the key's page (unless the source mentions the concept already), quoting the
    first line of its summary that names it."""
    name = state.db.execute("SELECT note_name FROM concepts WHERE key=?", (key,)).fetchone()[0]
    result = json.loads(state.db.execute("SELECT result FROM sources WHERE id=?", (source_id,)).fetchone()[0])
    summary = result.get("summary", {})
    quote = next((line for line in (*summary.get("summary", ()), *summary.get("key_points", ()))
                  if _names(line, key)), "")
    if state.db.execute("INSERT OR IGNORE INTO source_concepts(source_id, key, name, score, sentence, rank) "
                        "VALUES(?, ?, ?, 0, ?, ?)", (source_id, key, name, quote, TITLE_RANK)).rowcount:
        state.mark_dirty([f"concept:{key}", f"source:{source_id}", f"related:{source_id}", "index"])
        return True
    return False


def _names(line: str, key: str) -> bool:
    """Whether a line has the concept's name in it, as whole words ("imported" names import)."""
    words, width = spelled_words(line), len(key.split())
    return any(concept_key(" ".join(words[i:i + width])) == key for i in range(len(words) - width + 1))


def make_the_same_forms(spelling: str, other: str) -> bool:
    """Whether two spellings of a page's name make the same names its forms (`is_a_form_of`): "Env" and "ENV"
    do not ("Env file" is a form of one only), "Daily notes" and "Daily Notes" do."""
    return writing(spelling) == writing(other) and spelling.isupper() == other.isupper() and \
        needs_a_title(spelling) == needs_a_title(other)


def form_name(state: State, key: str) -> str:
    """The spelling a page's forms are judged by ("Env file" is a form of *Env*, not of *ENV*): how its sources
    spell it as the reconcile last looked at it (`display_name`), which a page that keeps the file name it was
    made with ("Env", when one note spelled it so) may no longer show; the page's name where none is kept."""
    row = state.db.execute("SELECT form_name FROM concepts WHERE key=?", (key,)).fetchone()
    return (row[0] if row else None) or page_name(state, key)


def page_name(state: State, key: str) -> str:
    """The page's name as the sources write it ("RAG (2)" is "RAG")."""
    row = state.db.execute("SELECT note_name FROM concepts WHERE key=?", (key,)).fetchone()
    return re.sub(r" \(\d+\)$", "", row[0]) if row else ""


def names_the_page(title: str, names: dict[str, set[tuple[str, ...]]], key: str, page: str,
                   capitalised: bool = False) -> bool:
    """Whether a title (its `title_names`) names the page: writes its name, in the singular or the plural
    ("vaults" for Vault, "Plugin security" for Plugins; not "Building" for Build); an abbreviation in
    capitals ("PET imaging", not "Pet insurance" nor "Why it matters" for IT); a name the prose writes
    `capitalised` with its capital ("Rust 1.80 released", not "How to remove rust"); an everyday word
    only where it opens the title or stands on its own there ("Import CSV files", "Sleep and mood"; not
    "Symbolic links and junctions" for Link)."""
    wanted = tuple(spelled_words(page))
    written = [words for words in names.get(key, ())
               if tuple(w.casefold() for w in words[:-1]) == wanted[:-1]
               and singular(words[-1].casefold()) == singular(wanted[-1])]
    if not wanted or not written:
        return False
    if len(wanted) > 1:
        return True
    if page.isupper():
        return any(words[0].rstrip("s").isupper() for words in written)
    if needs_a_title(page):
        return singular(spelled_words(title)[0]) == singular(wanted[0]) or key in bare_names(title)
    return not capitalised or any(words[0][0].isupper() for words in written)


def source_titles(state: State, key: str, rank: int) -> Iterator[str]:
    """The titles of the sources that mention a concept among their `rank` strongest, each once, as read."""
    return (title for (title,) in state.db.execute(
        "SELECT DISTINCT s.title FROM source_concepts sc JOIN sources s ON s.id=sc.source_id "
        "WHERE sc.key=? AND sc.rank<?", (key, rank)))
