"""Decide which concepts get an article, corpus-wide, and queue every note that depends on them.

A concept gets an article once `concept_min_sources` distinct articles mention it (two clippings
of one article count once) and at least one of them is about it (ranks it among its CENTRAL_RANK
strongest concepts), and loses it when that stops being true. An everyday single word ("File",
"Name", "Models") needs more: a source about it whose title names it on its own, since a short page
can repeat a word it is not about ("file" on a page about attachments). A name every page mentions in passing
("File", "Web page" in a docs site) makes a page nobody would open, and so does one no source says a sentence
about (a form's "Email address", a menu's "Technology of Business"), and so does a phrase of everyday words
no source marks as a name ("Web page", "File name", "Error message": never linked, emphasised or a heading's).
Three or more articles that mention a name in one sentence only, one they share word for word (a docs site's
boilerplate), count as one.
Only the concepts touched since the last run are looked at, so the cost of one ingest does not grow with the
wiki.
"""

from __future__ import annotations

import heapq
import json
import re
from collections import Counter

from kbd.compile.full_names import FullNames, names_a_maker
from kbd.compile.ingest import NameBook, add_log_entry
from kbd.compile.titled import (
    TITLE_RANK,
    display_name,
    form_name,
    is_everyday_word,
    is_named_in_prose,
    list_by_titles,
    make_the_same_forms,
    one_word_longer,
    source_titles,
)
from kbd.engines.base import (
    PAGE_RANK,
    concept_key,
    contains_phrase,
    phrase_tokens,
    plain_words,
    word_key,
    written_words,
)
from kbd.engines.chunking import TOKEN
from kbd.engines.commonness import is_everyday_noun, is_everyday_phrase, knows_word_frequencies
from kbd.engines.lexicon import is_a_bare_form_word
from kbd.engines.prose import MIN_WORDS
from kbd.engines.title_words import (
    bare_names,
    is_a_task_title,
    not_its_topic,
    opens_as_a_task,
    opens_with_a_task_verb,
    task_verb,
)
from kbd.state import State
from kbd.vault.layout import safe_note_name
from kbd.vault.note import names_a_page

# A concept shared by more sources than this says little about how two of them relate, so it is
# not used to find related sources (and a change to it does not re-render all of them).
RELATED_MAX_SOURCES = 30
# A concept needs a source that is about it: among that source's PAGE_RANK strongest concepts. Tuned
# on the development halves of two real corpora (README, "Reading quality").
CENTRAL_RANK = PAGE_RANK
# How often one reconcile pass looks at a concept: a name can be looked at again when its maker's page
# changes, and two names that make each other ("Obsidian Sync", "Sync Obsidian") must not loop.
MAX_LOOKS = 3


def article_count(state: State, key: str, listed: bool = False) -> int:
    """How many distinct articles mention a concept: two clippings of one article count once. With
    `listed`, the sources only their titles list too: what its page shows, not what decides it."""
    return state.db.execute(
        "SELECT COUNT(DISTINCT COALESCE(s.article, 'id:' || s.id)) FROM source_concepts sc "
        "JOIN sources s ON s.id=sc.source_id WHERE sc.key=? AND sc.rank<=?",
        (key, TITLE_RANK if listed else TITLE_RANK - 1)).fetchone()[0]


# Articles that mention a name in one sentence only, the same sentence word for word, count as one when there
# are this many: seven Obsidian Tasks theme pages say only "Tasks' setting pane has a one-click button to add the
# following information…" of *One-click button* and *Setting pane*. Two such pages are often one text published
# twice, whose names are still worth a page (Joplin's *Note banner*, Anki's *Graphics driver*: counting those
# once cost four kept pages for three junk on the development halves), so a third page saying only that
# sentence is what makes it boilerplate, and then takes the page away. An article that says more of the name
# counts on its own (three posts opening with one quoted definition of the Zettelkasten, each saying more).
BOILERPLATE_ARTICLES = 3


def evidence_count(state: State, key: str) -> int:
    """Like `article_count`, but the articles whose one mention of the concept is a sentence BOILERPLATE_ARTICLES
    of them say as their one mention (a docs site's boilerplate) count once together: what decides a page."""
    said: dict[str, str | None] = {}  # article → its one sentence, or None when it says more (or is a title)
    for article, sentence, once in state.db.execute(
            "SELECT COALESCE(s.article, 'id:' || s.id), sc.sentence, sc.once FROM source_concepts sc "
            "JOIN sources s ON s.id=sc.source_id WHERE sc.key=? AND sc.rank<?", (key, TITLE_RANK)):
        only = " ".join(plain_words(sentence)) if once and sentence else None
        said[article] = only if article not in said or said[article] == only else None
    shared = Counter(sentence for sentence in said.values() if sentence)
    return sum(1 for sentence in said.values() if not sentence or shared[sentence] < BOILERPLATE_ARTICLES) + \
        sum(1 for n in shared.values() if n >= BOILERPLATE_ARTICLES)


def is_central(state: State, key: str) -> bool:
    """Whether some source ranks the concept among its CENTRAL_RANK strongest and says a sentence with it
    (or names it in its title). A source that ranks it so with a label only (a list item, a heading's
    bullets: "End-to-end encryption") counts when another source near that rank says a sentence with
    it; a newsletter form's "Email Address", the strongest name of a page of menus, beside a passing
    mention elsewhere, is no sign that any page is about it."""
    rows = state.db.execute("SELECT rank, sentence FROM source_concepts WHERE key=? AND rank<?",
                            (key, 2 * CENTRAL_RANK)).fetchall()
    central = [_is_said(sentence) for rank, sentence in rows if rank < CENTRAL_RANK]
    return any(central) or (bool(central) and any(_is_said(sentence) for _, sentence in rows))


def _is_said(sentence: str) -> bool:
    """A quote that says something (MIN_WORDS words at least, as a summary quotes), or a title's naming
    (stored as an empty sentence); not a label."""
    return not sentence or sum(1 for t in TOKEN.findall(sentence) if t[0].isalpha()) >= MIN_WORDS


def is_titled(state: State, key: str, central_only: bool = True, as_topic: bool = False,
              verbs: frozenset[str] = frozenset()) -> bool:
    """Whether some source that is about the concept (ranks it among its CENTRAL_RANK strongest; any
    source that mentions it with `central_only=False`) names it on its own in its title ("Sleep and
    depression" names sleep; "Sleep quality in adolescents" and "Accepted file formats" do not). With
    `as_topic`, a title written as a task or a question does not count: an everyday word in "Replace A
    Character" or "Check If A File Has Changed In A Script" is what the task acts on, not what the page is
    about (a TIL collection's titles made pages *Run*, *Query*, *Script* and *Character*), nor are the words a
    title counts or says of its subject (`not_its_topic`: "List All Commits…", "Numbers Are Empty"); and at least
    as many titles that name it must be about it as open as tasks on it (`opens_as_a_task`: an article alone is
    no sure task, "The Truth About Sleep"): one claim about strings ("String Contains Another String") among
    tasks on a string ("Convert A String To A Timestamp", "Encode A String As URL-safe Base64") is no sign the
    notes are about strings. A title that opens with one of the vault's `verbs` (`task_verbs`) is no title about it
    either ("Print Version Information" where "Print Out Files In Reverse" is a note: `opens_with_a_task_verb`),
    though it is no sure task to count against one (a noun can open titles where the word is a verb elsewhere)."""
    titles = source_titles(state, key, CENTRAL_RANK if central_only else TITLE_RANK)
    naming = [title for title in titles if names_a_page(title) and key in bare_names(title)]
    if not as_topic:
        return bool(naming)
    topical = sum(not (is_a_task_title(title) or opens_with_a_task_verb(title, verbs) or
                       key in not_its_topic(title)) for title in naming)
    return topical > 0 and topical >= sum(opens_as_a_task(title) for title in naming)


def task_verbs(state: State) -> frozenset[str]:
    """The words the vault's titles open sure tasks with (`task_verb`): what `is_titled` reads titles by. Read
    once per pass (a scan of every title: 0.1 s at 10,000 notes)."""
    return frozenset(verb for (title,) in state.db.execute("SELECT title FROM sources") if (verb := task_verb(title)))


def look_again_at_titles_of_changed_task_verbs(state: State, verbs: frozenset[str]) -> None:
    """A word that starts or stops opening a sure task somewhere in the vault changes how every title that opens
    with it reads, and so whether the words those titles name have a page: queue those concepts. The words are
    kept in the meta table between passes."""
    before = frozenset(json.loads(state.get_meta(TASK_VERBS_META, "[]") or "[]"))
    if before == verbs:
        return
    changed = before ^ verbs
    for (title,) in state.db.execute("SELECT title FROM sources"):
        words = TOKEN.findall(title)
        if words and words[0].casefold() in changed:
            state.mark_dirty(f"concept:{key}" for key in bare_names(title))
    state.set_meta(TASK_VERBS_META, json.dumps(sorted(verbs)))


TASK_VERBS_META = "title_task_verbs"


# Where a clipped page's title gives way to its site's name: "Databases – Notion Help Center".
_SITE_NAME = re.compile(r"\s+[-–—|·:]\s+")


def title_before_its_site(title: str) -> str:
    """A clipped page's own title, without the site's name after it."""
    return _SITE_NAME.split(title, maxsplit=1)[0]


def is_a_whole_title(state: State, key: str) -> bool:
    """Whether some source that mentions the concept is titled with its name and nothing else, or nothing but
    its site's name besides (a docs page "Server", a clipping "Databases – Notion Help Center")."""
    return any(names_a_page(title) and concept_key(title_before_its_site(title)) == key
               for title in source_titles(state, key, TITLE_RANK))


def says_something(state: State, key: str) -> bool:
    """Whether some source says a sentence about the concept (MIN_WORDS words at least, as a summary
    quotes). Not when every source has it only as a label ("Email address" over a newsletter form,
    "Technology of Business" in a site's menu) or in its title (stored as an empty sentence): a page
    would list the sources and say nothing (two Joplin pages titled "FAQ", two posts "Version 3 of the
    new design is ready!" made pages *FAQ* and *design*)."""
    return any(sentence and _is_said(sentence) for (sentence,) in
               state.db.execute("SELECT sentence FROM source_concepts WHERE key=? AND rank<?", (key, TITLE_RANK)))


def is_marked(state: State, key: str, name: str) -> bool:
    """Whether some source marks the concept as a name: links to it ("[[Command palette]]"), emphasises it
    ("**Reading view**"), or writes it in its title (as it is now: a renamed clipping keeps its summary),
    description or a heading (`shown`). A source that marks too few of its names to say anything by leaving one
    plain (a TIL note, a paper: the engine's MARKING_PAGE) counts every name as marked; with word frequencies,
    such marks count only where they outnumber the sources that do mark their names and leave this one plain:
    "blog posts", plain in four of Material's docs pages and "marked" by its changelog, is a description, as "a
    Fly application" of three of Willison's notes that link their names; six TILs' "test suite" stays a name
    beside two that leave it plain (tuned on the development halves, docs/reading-quality.md, nineteenth round).
    Rows of summaries made before the engine recorded what a source marks count as marked and shown (`marked`
    and `shown` default to 1), and `shown` without `marked` is such a row's default, no mark."""
    needle = phrase_tokens(name)
    rows = state.db.execute("SELECT sc.marked, sc.shown, s.title FROM source_concepts sc "
                            "JOIN sources s ON s.id=sc.source_id WHERE sc.key=? AND sc.rank<?", (key, TITLE_RANK))
    fallback = left_plain = 0
    for marked, shown, title in rows:
        if (marked and shown) or _titled_with(title, needle):
            return True
        fallback += bool(marked)
        left_plain += not marked
    if not knows_word_frequencies():
        return fallback > 0  # every word is everyday then, and the rule would take names ("Isaac Newton") away
    return fallback > left_plain


# A quoted phrase is a label the page names (a button's "Published note banner"), not a description. Single
# quotes only where no letter touches them from outside: "Anki's deck" holds no quote.
_QUOTED = re.compile(r'["“«„]([^"“”«»„]{1,80})["”»“]|(?<!\w)[\'‘]([^\'‘’]{1,80})[\'’](?!\w)')


def is_a_passing_description(state: State, key: str, name: str) -> bool:
    """Whether a name of everyday words ("Single line", "Handy way", "Reverse chronological order", "Remote
    server") is only ever a description in passing: every source says it in one sentence and no more, in
    lowercase, unquoted, never links, emphasises or heads a section with it (`shown`), and none of them has it in its
    title. Such a page would quote one aside per note. The phrase rule above (`is_everyday_phrase`) misses these
    where notes are short: a page that marks fewer than MARKING_PAGE names counts every name as marked (a TIL
    note marks none). A name some source comes back to, capitalises, quotes, marks or titles keeps its page
    ("Feature branch", "an `INSERT` statement", "Create A Composite Primary Key", Joplin's "Published note
    banner"). Only with word frequencies: without them every word counts as everyday, and "pgcrypto extension"
    would be an aside. Tuned on the development halves (docs/reading-quality.md, fifteenth round)."""
    words = name.split()
    if not knows_word_frequencies() or len(words) < 2 or not all(w.replace("-", "").isalpha() for w in words) or \
            not all(is_everyday_noun(part) for w in words for part in w.split("-") if part):
        return False
    needle = phrase_tokens(name)
    for once, shown, sentence, title in state.db.execute(
            "SELECT sc.once, sc.shown, sc.sentence, s.title FROM source_concepts sc "
            "JOIN sources s ON s.id=sc.source_id WHERE sc.key=? AND sc.rank<?", (key, TITLE_RANK)):
        if not once or shown or not sentence or _names_it(sentence, needle) or \
                _titled_with(title, needle):
            return False
    return True


def _titled_with(title: str, needle: list[str]) -> bool:
    """Whether a source's title, one that names a page, writes the phrase (`phrase_tokens`)."""
    return names_a_page(title) and contains_phrase(phrase_tokens(title), needle)


def _names_it(sentence: str, needle: list[str]) -> bool:
    """Whether a sentence writes a phrase as a name: quoted, or with a capital anywhere but where the sentence's
    words start ("1. Deep sleep comes first" starts at "Deep")."""
    if any(contains_phrase(phrase_tokens(quoted), needle) for pair in _QUOTED.findall(sentence)
           for quoted in pair if quoted):
        return True
    written = written_words(sentence)
    keys = [word_key(w.casefold()) for w in written]
    start = next((i for i, w in enumerate(written) if w[:1].isalpha()), 0)
    return any(keys[i:i + len(needle)] == needle and
               any(w[:1].isupper() for w in written[max(i, start + 1):i + len(needle)])
               for i in range(len(keys) - len(needle) + 1))


def why_no_page(state: State, key: str, name: str, full_names: FullNames | None = None,
                verbs: frozenset[str] | None = None) -> str:
    """Why the rules keep no page for a concept its sources are enough for, in a few words; "" when they keep one.
    `name` is the key's `display_name`; `full_names` and `verbs` (`task_verbs`) are read once per pass by a caller
    that asks of many. `kbd lint` asks too: it offers no page the compile would refuse."""
    full_names = full_names or FullNames(state)
    verbs = task_verbs(state) if verbs is None else verbs
    everyday = is_everyday_word(state, key, name)
    if not is_central(state, key) and \
            (everyday or not is_titled(state, key, central_only=False) or not is_named_in_prose(state, key)):
        # Mentioned by enough sources, but only in passing: none is about it. A title that names a rarer word on
        # its own says its page is about it ("Input Methods on Linux"), when the prose writes it as a name ("On
        # Linux, recent Anki versions…"; not "see the troubleshooting steps").
        return "no source is about it: each mentions it in passing"
    if everyday and not is_titled(state, key, as_topic=not is_named_in_prose(state, key, mostly=True),
                                  verbs=verbs):
        # An everyday word the corpus is not about: no title names it, and for a word the prose does not write as a
        # name in most of its quotes, fewer titles are about it than are tasks ("React" in "Add React To A Rails
        # App" is a name; "Array" in "Get A Slice Of The Ends Of An Array" is not, though one quote of 17 writes
        # "Array collection methods").
        return "an everyday word no title is about"
    if " " not in key and is_a_bare_form_word(name.casefold()) and not is_a_whole_title(state, key):
        # "File", "Code", "Docs": the form a named thing takes, which notes of every kind write; only a source
        # titled with the word alone is about it (a docs page "Server").
        return "the form a named thing takes, and no source is titled with it alone"
    if not says_something(state, key):
        return "no source says a sentence about it"  # only ever a label: its page would say nothing
    if is_everyday_phrase(name) and not is_marked(state, key, name):
        return "a description no source marks as a name"  # "Web page", "Error message"
    if is_a_passing_description(state, key, name):
        return "an aside: every source says it once, in passing"  # "Single line", "Handy way"
    if full_names.named_by_its_maker(key):
        return "its page is its maker's full name's"  # "Sync" beside "Obsidian Sync": the same thing
    if full_names.belongs_to_a_page(state, key, name):
        return "one of a page's everyday belongings"  # "Obsidian app" beside "Obsidian"
    return ""


def concept_sources(state: State, key: str) -> list[int]:
    return [r[0] for r in state.db.execute("SELECT source_id FROM source_concepts WHERE key=?", (key,))]


def reconcile_concepts(state: State, min_sources: int, names: NameBook, now: str | None = None) -> tuple[int, int]:
    """Create and retire concept articles for every concept queued for re-rendering; queue what
    depends on them. One transaction, so a crash cannot leave a page without its dependents queued.
    With `now`, every page gone at the end of the pass gets a log entry: links to it in the user's notes
    no longer resolve, and a new version's rules can retire many at once (`kbd compile --redo`).
    Returns (created, retired): the pages made in the pass, and those gone at its end."""
    created: list[str] = []
    respelled: list[str] = []  # pages whose sources spell them otherwise now (`form_name`)
    gone: dict[str, str] = {}  # key → the name of its retired page
    with state.transaction():
        verbs = task_verbs(state)
        look_again_at_titles_of_changed_task_verbs(state, verbs)
        # Longer names first: whether "Sync" gets a page depends on "Obsidian Sync" (FullNames). A heap:
        # a full compile looks at every concept of the vault, and names come back to it as pages change.
        pending = [_longer_first(n.split(":", 1)[1]) for n in set(state.dirty()) if n.startswith("concept:")]
        heapq.heapify(pending)
        done: set[str] = set()
        looks: Counter[str] = Counter()
        full_names = FullNames(state)
        existed = set(full_names.pages)  # a page made and retired within this pass was never there to retire
        while pending:
            key = heapq.heappop(pending)[1]
            if key in done or looks[key] >= MAX_LOOKS:
                continue
            done.add(key)
            looks[key] += 1
            sources = concept_sources(state, key)
            articles = evidence_count(state, key) if len(sources) >= min_sources else len(sources)
            name = display_name(state, key) if articles >= min_sources else ""  # once: the rules below and the page
            if articles >= min_sources and why_no_page(state, key, name, full_names, verbs):
                articles = 0
            page = state.db.execute("SELECT note_name FROM concepts WHERE key=?", (key,)).fetchone()
            changed = False
            if articles >= min_sources and page is None:
                _free_a_moved_name(state, name, names)
                state.db.execute("INSERT INTO concepts(key, note_name, source_count, form_name) VALUES(?, ?, ?, ?)",
                                 (key, names.claim(name), article_count(state, key, listed=True), name))
                created.append(key)
                changed = True
            elif articles < min_sources and page is not None:
                state.db.execute("DELETE FROM concepts WHERE key=?", (key,))
                names.release(page["note_name"])
                state.mark_dirty(["orphans"])
                gone.setdefault(key, page["note_name"])
                changed = True
            elif page is not None:
                state.db.execute("UPDATE concepts SET source_count=? WHERE key=?",
                                 (article_count(state, key, listed=True), key))
                kept = form_name(state, key)
                if not make_the_same_forms(name, kept) or names_a_maker(name) != names_a_maker(kept):
                    # Its sources spell it otherwise now ("ENV", where the page was made as "Env"): its forms
                    # ("Env file") and the titles that name it are decided again, as a compile from nothing would.
                    state.db.execute("UPDATE concepts SET form_name=? WHERE key=?", (name, key))
                    respelled.append(key)
                    full_names.retired(key)  # "UTC Time Zone" makes *Time zone* its maker's, "UTC time zone" not
                    full_names.created(key, name)
                    if " " in key:
                        _look_again([key.partition(" ")[2]], state, pending, done)
                    longer = one_word_longer(state, key)
                    state.mark_dirty(f"source:{s}" for k in [key, *longer] for s in concept_sources(state, k))
                    _look_again(longer, state, pending, done)
            if changed:
                # Its sources gain or lose a link; their other concepts gain or lose a related concept.
                state.mark_dirty(f"source:{s}" for s in sources)
                state.mark_dirty(f"concept:{k}" for k in _co_occurring(state, key))
                state.mark_dirty(["index"])
                # "Sync" may gain or lose its page with "Obsidian Sync" or with "Obsidian": look at it again.
                if page is None:
                    full_names.created(key, name)
                else:
                    full_names.retired(key)
                maker, _, rest = key.partition(" ")
                _look_again([rest, maker] if rest else full_names.made_by(key), state, pending, done)
                _look_again(one_word_longer(state, key), state, pending, done)  # "obsidian app" for "obsidian"
            if len(sources) <= RELATED_MAX_SOURCES + 1:
                # Related-source lists of the sources sharing this concept may change; each is
                # checked and re-rendered only if its list really did.
                state.mark_dirty(f"related:{s}" for s in sources)
        for key in list_by_titles(state, [*created, *respelled]):
            page = state.db.execute("SELECT source_count FROM concepts WHERE key=?", (key,)).fetchone()
            if page is None:
                continue  # retired in this pass: its sources were queued then
            count = article_count(state, key, listed=True)
            state.db.execute("UPDATE concepts SET source_count=? WHERE key=?", (count, key))
            if min(page[0], count) <= RELATED_MAX_SOURCES:
                # Every source of it lists the sources it shares with the others, now one more or one fewer.
                state.mark_dirty(f"related:{s}" for s in concept_sources(state, key))
        gone = {key: name for key, name in gone.items() if key in existed and not _has_a_page(state, key)}
        if now is not None:
            _log_retired(state, now, gone)
    return len(created), len(gone)


def _has_a_page(state: State, key: str) -> bool:
    return state.db.execute("SELECT 1 FROM concepts WHERE key=?", (key,)).fetchone() is not None


def _log_retired(state: State, now: str, pages: dict[str, str]) -> None:
    for name in sorted(pages.values(), key=str.casefold):
        add_log_entry(state, now, "retire", name, None, "the compile's rules for concept pages keep no page for it "
                      "now (docs/compile.md, under wiki/concepts); links to it no longer resolve")
    if pages:
        state.mark_dirty(["log"])


def _free_a_moved_name(state: State, name: str, names: NameBook) -> None:
    """A page whose mentions all moved to another concept (an alias defined since: "RAG" of retrieval
    augmented generation) gives its name up now, before the concept they moved to takes a name: the page
    keeps its file name, and the links to it still work (not "RAG (2)" beside a "RAG" about to go)."""
    for row in state.db.execute("SELECT key, note_name FROM concepts WHERE note_name=? COLLATE NOCASE",
                                (safe_note_name(name),)).fetchall():
        if not concept_sources(state, row["key"]):
            state.db.execute("DELETE FROM concepts WHERE key=?", (row["key"],))
            names.release(row["note_name"])
            state.mark_dirty(["orphans", "index"])


def _longer_first(key: str) -> tuple[int, str]:
    return -len(key.split()), key


def _look_again(keys: list[str], state: State, pending: list[tuple[int, str]], done: set[str]) -> None:
    """Queue concepts whose page depends on one that just changed (later in this pass, and rendered)."""
    state.mark_dirty(f"concept:{k}" for k in keys)
    for key in keys:
        heapq.heappush(pending, _longer_first(key))
    done.difference_update(keys)


def _co_occurring(state: State, key: str) -> list[str]:
    return [r[0] for r in state.db.execute(
        "SELECT DISTINCT b.key FROM source_concepts a JOIN source_concepts b ON a.source_id=b.source_id "
        "JOIN concepts c ON c.key=b.key WHERE a.key=? AND b.key<>?", (key, key))]
