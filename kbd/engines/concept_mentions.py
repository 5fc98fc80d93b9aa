"""Which noun phrases of one article are its concepts, ranked, each with the sentence that quotes it
(the offline engine's concepts; engines/offline.py splits the article into sentences and summarises it).

A candidate is a noun phrase of the prose (engines/chunking.py); definitions in the text ("write-ahead
logging (WAL)") merge a name with its abbreviation. What stays is what the article is about: an
everyday single word only where the title names it or the prose is dense with it, no verb, no step,
no date, no page furniture (issue 23). The corpus-wide choice of pages is compile/concepts.py's.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from kbd.engines.abbreviations import ABBREV_TOKEN, definitions
from kbd.engines.base import (
    PAGE_RANK,
    ConceptMention,
    SourceInput,
    concept_key,
    contains_phrase,
    phrase_tokens,
    singular,
)
from kbd.engines.chunking import ADJECTIVE_ENDINGS, TOKEN, is_term, noun_chunks, phrases_of
from kbd.engines.commonness import is_common_word, is_everyday_phrase
from kbd.engines.findings import finding_rank
from kbd.engines.lexicon import (
    BOILERPLATE_CONCEPTS,
    BOILERPLATE_PHRASES,
    GENERIC_MODIFIERS,
    GENERIC_NOUNS,
    NOUNISH,
    VERB_FORMS,
    is_verb,
)
from kbd.engines.name_forms import NAMED_MENTIONS, fold_names_with_their_forms, give_back
from kbd.engines.non_names import date_words, holds_a_key, shortcut_keys
from kbd.engines.prose import ProseSentence
from kbd.engines.spellings import best_form, drop_code_spellings
from kbd.engines.title_words import OBJECT_CUES, bare_names
from kbd.vault.note import names_a_page

CANDIDATES_KEPT = 30
# Mentions per prose sentence at which a single common word is what the article is about (tuned on
# the development halves; a passing "models" in a long paper stays far below it).
DENSE = 0.25


@dataclass
class _WordUse:
    """How an article uses one word, counted over its prose noun phrases (weighted like `counts`):
    the evidence that says whether a single word is a name in this article."""
    alone: float = 0.0  # a noun phrase of its own: "sleep", "the vault"
    headed: float = 0.0  # the last word of a longer name: "mouse models", "Wigner's Friend"
    occurrences: int = 0  # as a token anywhere in the prose
    before_object: int = 0  # right before a determiner: "Rename the file", "Right-click a note"


def _word_uses(sentences: list[ProseSentence], chunks: list[list[list[str]]]) -> dict[str, _WordUse]:
    uses: dict[str, _WordUse] = defaultdict(_WordUse)
    for s, chunked in zip(sentences, chunks, strict=True):
        if s.boilerplate:
            continue
        for chunk in chunked:
            keys = [concept_key(w) for w in chunk]
            if len(keys) == 1:
                uses[keys[0]].alone += s.weight
                continue
            uses[keys[-1]].headed += s.weight
        for token, after in itertools.pairwise([*s.tokens, "."]):  # a sentence of no token ("×") has no pair
            if token[0].isalpha():
                use = uses[concept_key(token)]
                use.occurrences += 1
                use.before_object += after.lower() in OBJECT_CUES
    return uses


def _acceptable(key: str, form: str, count: float, featured: bool, in_title: bool, density: float,
                use: _WordUse, lead: _WordUse) -> bool:
    """Whether a candidate can be a concept at all: no boilerplate, no vague or generic name, and a
    single common English word only when the article is about it (its title, or a density no passing
    mention reaches), never because it is frequent. A single word must also be used as a name in the
    article: mostly on its own, not as part of longer names (a homonym across sources: "Models" of
    "mouse models" and "statistical models", "Friend" of "Wigner's Friend"), and not as a verb.
    `use` is how the article uses the word, `lead` how it uses the first word of a longer name."""
    if key in BOILERPLATE_PHRASES:
        return False
    words = form.lower().replace("-", " ").split()
    if len(words) == 1:
        word = key
        if word in BOILERPLATE_CONCEPTS or form.lower() in BOILERPLATE_CONCEPTS or len(word) < 3:
            return False
        if use.occurrences and 2 * use.before_object >= use.occurrences and not in_title:
            # "Rename the file", "Right-click the note": a verb with its object. A title that names the word
            # on its own makes it the page's topic, whatever the steps do with it ("Import from Evernote").
            return False
        if form.isupper() or is_term(form) or any(c.isupper() for c in form[1:]):
            return count >= 2 or featured
        if word in GENERIC_NOUNS or singular(form.lower()) in GENERIC_NOUNS or form.lower() in GENERIC_MODIFIERS \
                or form.lower().endswith(ADJECTIVE_ENDINGS) or is_verb(form.lower()):
            return False  # "Unavailable", "Configure": an adjective or a verb is no concept on its own
        if is_common_word(form) or is_common_word(singular(form.lower())):
            if not in_title and use.alone < use.headed:
                # Mostly the head of longer names: those are the concepts, an everyday word alone is not one.
                # A rare word keeps one sense ("insomnia severity" is about insomnia); as a modifier any
                # word keeps its sense ("sleep quality" is about sleep, "Agile teams" about Agile).
                return False
            # "Models", "Night": only where it is the topic (the title names it on its own, not only inside a
            # longer name), or dense. A heading is not enough: docs pages head their sections "Import",
            # "Export", "Commands" (tuned on the development halves). Whether the corpus gives it a page is
            # decided over all sources (compile/concepts.py): some source must rank it among its strongest.
            return in_title or (count >= 3 and density >= DENSE)
        # A word the title names on its own is what the page is about, however seldom its prose repeats it:
        # docs pages under "Linux" rarely say "Linux" again ("Display Issues on Linux").
        return count >= 3 or (featured and count >= 2) or in_title
    spelled = form.split()
    if len(spelled) > 1 and spelled[0].isalpha() and spelled[0].islower() and spelled[1][0].isupper():
        return False  # "official Obsidian Importer plugin": a modifier in front of a proper name
    if spelled[0].lower().endswith(("'s", "’s")) and is_common_word(spelled[0][:-2]):
        return False  # "Today's daily note": whose it is, not what it is ("Wigner's Friend" stays)
    if len(spelled) == 2 and spelled[0][0].isupper() and not is_common_word(spelled[0]) and spelled[1].islower() and \
            (spelled[1] in GENERIC_NOUNS or singular(spelled[1]) in GENERIC_NOUNS):
        return False  # "Obsidian team", "Obsidian files": a name's generic belongings, not a concept
    if lead.occurrences and 2 * lead.before_object >= lead.occurrences:
        return False  # "Change sort order": its first word is a verb here ("change the order")
    if lead.before_object and spelled[0][0].isupper() and is_verb(spelled[0].lower()):
        return False  # "Open Settings": a button's label where the article says "open the vault" elsewhere
    if any(w in BOILERPLATE_CONCEPTS and w not in NOUNISH and len(w) <= 4 for w in words):
        return False  # "95% CI", "SMD values", "PubMed search"
    generic = GENERIC_NOUNS | GENERIC_MODIFIERS
    return not all(singular(w) in generic or w in generic for w in words)


def article_concepts(source: SourceInput, sentences: list[ProseSentence], freq: Counter[str]) -> list[ConceptMention]:
    """The article's concepts, strongest first (at most CANDIDATES_KEPT), each quoted by one sentence."""
    counts: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    # Each sentence is chunked once: the candidates and the word uses both read the chunks.
    chunks = [[] if s.boilerplate else noun_chunks(s.tokens) for s in sentences]
    for s, chunked in zip(sentences, chunks, strict=True):
        if s.boilerplate:
            continue
        for phrase in phrases_of(chunked):
            key = concept_key(phrase)
            if key:
                counts[key] += s.weight
                forms[key][phrase] += 1
    _owners_are_their_names(counts, forms)
    moved = fold_names_with_their_forms(counts, forms, sentences, chunks, source.document.code)
    drop_code_spellings(forms, source.document.code)
    aliases: dict[str, Counter[str]] = defaultdict(Counter)
    for short, long in definitions(sentences):
        ks, kl = concept_key(short), concept_key(long)
        if not ks or not kl or ks == kl:
            continue
        counts[kl] += counts.pop(ks, 0.0) or 0.0
        forms[kl][long] += 1
        head = short.split()[0]
        if " " in short and ABBREV_TOKEN.match(head):  # "LSM" alone, once "LSM tree" is defined
            counts[kl] += counts.pop(concept_key(head), 0.0) or 0.0
            forms.pop(concept_key(head), None)
        forms[kl].update(forms.pop(ks, Counter()))  # its name is whichever the article uses most
        aliases[kl][short] += 1
        aliases[kl][long] += 1
    # A file name kept as the title ("pytorch_org_tutorials_beginner_basics_intro_html") names nothing.
    title = source.title if names_a_page(source.title) else ""
    featured_tokens = [phrase_tokens(t) for t in (title, source.meta.description or "", *source.document.headings)]
    bare_in_title = bare_names(title)
    marked_names = _word_runs(source.document.marked)
    bare_featured = bare_in_title.union(*(bare_names(h) for h in source.document.headings))
    uses = _word_uses(sentences, chunks)
    dated = date_words(sentences)
    keys = shortcut_keys(sentences)
    title_only = _title_only_names(title, bare_in_title, counts, forms)
    steps = _Steps(sentences)
    scored: list[tuple[float, str]] = []
    linked: set[str] = set()  # names the page links or emphasises
    marked: set[str] = set()  # ... or writes in its description or a heading (its title is read at compile time)
    plain: set[str] = set()  # two everyday words it writes nowhere but in its prose
    prose = max(1, sum(1 for s in sentences if not s.boilerplate))

    def placed(needle: list[str]) -> tuple[bool, bool]:
        """Whether the title writes these words, and whether a heading or the description does."""
        return contains_phrase(featured_tokens[0], needle), any(contains_phrase(t, needle) for t in featured_tokens[1:])

    def judge(key: str) -> tuple[float, str, list[str], bool, bool] | None:
        """The key's count, form, tokens, whether the title names it and whether a heading or the description
        shows it; None when it is no name of this article: a step, part of a date ("NOV" of "NOV 4, 2025"), keys
        pressed together ("Cmd" of "Cmd/Ctrl+V"), or not acceptable. A name that took phrases with a form word
        is named often enough, as the phrase was ("a SQLite database" once)."""
        count = counts[key]
        form = best_form(forms[key])
        needle = phrase_tokens(form)
        if " " in key:
            in_title, shown = placed(needle)
            featured = in_title or shown
        else:  # a single word counts as featured only where it is a name on its own, not a modifier
            in_title, featured = key in bare_in_title, key in bare_featured
            for fold in moved.get(key, ()):  # "Use A psqlrc File For…" is about psqlrc, as "psqlrc file" said
                for phrase in fold.spelled:
                    titled, elsewhere = placed(phrase_tokens(phrase))
                    in_title, featured = in_title or titled, featured or titled or elsewhere
            shown = featured and not in_title
        if (" " in key and steps.is_step(form)) \
                or dated.intersection(form.split()) \
                or (keys and holds_a_key(form, keys)) \
                or not _acceptable(key, form, max(count, NAMED_MENTIONS) if key in moved else count, featured, in_title,
                                   count / prose, uses.get(key, _WordUse()),
                                   uses.get(concept_key(form.split()[0]), _WordUse())):
            return None
        return count, form, needle, in_title, shown

    for bare in sorted(moved):
        if bare not in counts or not forms.get(bare):
            del moved[bare]  # a definition made it the alias of a longer name, which has its mentions now
        elif judge(bare) is None:  # no name of this article ("HTML" is page furniture): its phrases are as written
            give_back(counts, forms, bare, moved.pop(bare))
    for key in list(counts):
        judged = judge(key)
        if judged is None:
            continue
        count, form, needle, in_title, shown = judged
        featured = in_title or shown
        if tuple(needle) in marked_names:
            linked.add(key)
        if shown or key in linked:
            marked.add(key)
        elif not in_title and is_everyday_phrase(form):
            plain.add(key)
        words = key.split()
        # Words the article keeps coming back to make its phrases more central.
        centrality = sum(min(freq[w], 10) for w in words) / (10 * len(words))
        score = count * (1.0 + 0.5 * (len(words) - 1)) + (3.0 if in_title else 1.5 if featured else 0.0) + \
            1.5 * centrality
        scored.append((score, key))
    scored.sort(key=lambda t: (-t[0], t[1]))
    # A name of two everyday words the page never marks ("the file name", "a web page") is a description: it is
    # not among the page's PAGE_RANK strongest names while others are left, but stays a mention (tuned on the
    # development halves). A page that links or emphasises fewer than MARKING_PAGE of its names (a paper's
    # prose, a blog post with a link or two) says nothing by leaving one plain ("deep sleep" of a sleep study).
    shown_names = set(marked)  # what the page itself marks, whatever the fallback says of the others
    if len(linked) < MARKING_PAGE:
        marked, plain = {k for _, k in scored}, set()
    if plain:
        strongest = [t for t in scored if t[1] not in plain][:PAGE_RANK]
        scored = strongest + [t for t in scored if t not in strongest]
    if title_only:  # kept whatever its count, after the page's strongest (a title makes it central)
        rest = [t for t in scored if t[1] not in title_only]
        named = sorted(t for t in scored if t[1] in title_only)[:PAGE_RANK]  # a title listing 14 tools
        scored = rest[:PAGE_RANK] + named + rest[PAGE_RANK:]
    # A single word mostly used as the head of one phrase ("grid" of "power grid") is that phrase.
    headed: Counter[str] = Counter()
    for _, key in scored:
        if " " in key:
            head = key.rsplit(" ", 1)[1]
            headed[head] = max(headed[head], int(counts[key]))
    kept: list[tuple[float, str]] = []
    for score, key in scored:
        if " " not in key and key not in moved and 2 * headed.get(key, 0) >= counts[key]:
            continue
        # A phrase inside a longer kept phrase with as many mentions adds nothing of its own. A name that took its
        # form's phrases has mentions outside it, which are neither ("the `sed` command" beside "man sed").
        if key not in moved and any(f" {key} " in f" {k} " and counts[k] >= counts[key] for _, k in kept):
            continue
        kept.append((score, key))
        if len(kept) >= CANDIDATES_KEPT:
            break
    return _quote(sentences, kept, forms, aliases, title_only, marked, shown_names)


_OWNER = re.compile(r"['’]s$")


def _owners_are_their_names(counts: Counter[str], forms: dict[str, Counter[str]]) -> None:
    """A name in the possessive is that name where the article also writes it bare: "SilverBullet’s UI"
    beside "SilverBullet" mentions SilverBullet. A name only ever written so keeps its ending ("McDonald's",
    "Parkinson's"), and so does one that goes on ("Dijkstra's algorithm", "Wigner's Friend")."""
    for key in [k for k in counts if k.endswith(" s")]:
        spelled = forms.get(key)
        if not spelled or not all(_OWNER.search(form) for form in spelled):
            continue
        bare = key[:-2]
        if bare in counts and bare in forms:
            counts[bare] += counts.pop(key)
            for form, n in forms.pop(key).items():
                forms[bare][_OWNER.sub("", form)] += n


# A page marks what it names when it links or emphasises this many of its names (tuned on the development
# halves: docs pages mark a median of 2 to 5, a blog post may link one unrelated thing).
MARKING_PAGE = 3
MARK_WORDS = 30  # the longest link or emphasis that can mark a name inside it ("[the core plugin](…)")


def _word_runs(texts: list[str], longest: int = 6) -> set[tuple[str, ...]]:
    """Every run of up to `longest` words (as `phrase_tokens` sees them) in the texts a page links or
    emphasises: a name inside "[[Command palette|the palette]]" or "**Reading view** shows" is found in one look."""
    runs: set[tuple[str, ...]] = set()
    for text in texts:
        words = phrase_tokens(text)
        if len(words) > MARK_WORDS:
            continue  # a paragraph in bold marks no name
        for i in range(len(words)):
            runs.update(tuple(words[i:j]) for j in range(i + 1, min(len(words), i + longest) + 1))
    return runs


class _Steps:
    """Which verb-led phrases of an article are steps ("Open Settings → General.", "Open Settings."):
    capitalised only because a step starts with them, never inside a sentence, and ending where a step's
    object ends (punctuation or the end). A name runs on ("Open Graph metadata lets pages…") or stands
    inside sentences too ("switch to Live Preview"). Positions are indexed once and phrases looked up
    by their first word, so the cost stays linear in the article's length."""

    def __init__(self, sentences: list[ProseSentence]) -> None:
        self.sentences = sentences
        self.inside: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.opening: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for n, s in enumerate(sentences):
            for i, token in enumerate(s.tokens):
                if token.lower() in VERB_FORMS:  # a step opens with a verb: nothing else is looked up
                    starts = i == 0 or s.tokens[i - 1] in _LABEL_OPENERS
                    (self.opening if starts else self.inside)[token].append((n, i))
        self._inside_phrases: dict[tuple[str, int], set[tuple[str, ...]]] = {}

    def is_step(self, form: str) -> bool:
        spelled = form.split()
        if not is_verb(spelled[0].lower()):
            return False
        width = len(spelled)
        seen = self._inside_phrases.get((spelled[0], width))
        if seen is None:
            seen = {tuple(self.sentences[n].tokens[i:i + width]) for n, i in self.inside.get(spelled[0], ())}
            self._inside_phrases[(spelled[0], width)] = seen
        if tuple(spelled) in seen:
            return False
        for n, i in self.opening.get(spelled[0], ()):
            tokens = self.sentences[n].tokens
            if tokens[i:i + width] == spelled and (i + width == len(tokens) or not tokens[i + width][0].isalnum()):
                return True
        return False


# Tokens after which a capital letter starts a label or a step, not a name: "→ Open Settings".
_LABEL_OPENERS = frozenset(".:;!?→>-–—*\"“(")


def _title_only_names(title: str, bare_in_title: set[str], counts: Counter[str],
                      forms: dict[str, Counter[str]]) -> set[str]:
    """Single words the title names on its own ("Linux" of "Input Methods on Linux", "Windows" of
    "Windows") that the prose says fewer than twice: they become candidates, counted once for the title,
    so that the page is listed where the corpus has a page for the word. For an everyday word the title
    alone does not make that page (compile/concepts.py: some source must rank it among its strongest)."""
    found: set[str] = set()
    for token in TOKEN.findall(title):
        key = concept_key(token)
        if key in bare_in_title and counts.get(key, 0.0) < 2:
            counts[key] = counts.get(key, 0.0) + 1.0
            forms[key][token] += 1
            found.add(key)
    return found


def _quote(sentences: list[ProseSentence], kept: list[tuple[float, str]], forms: dict[str, Counter[str]],
           aliases: dict[str, Counter[str]], title_only: set[str], marked: set[str],
           shown: set[str]) -> list[ConceptMention]:
    """One mention per concept, quoting the best sentence that contains it as whole words (a name only
    the title gives has no sentence: "")."""
    tokens = [phrase_tokens(s.text) for s in sentences]
    where: dict[str, set[int]] = defaultdict(set)
    for i, words in enumerate(tokens):
        for w in words:
            where[w].add(i)
    used: set[int] = set()
    mentions = []
    ranks: dict[int, int] = {}

    def rank_of(i: int) -> int:  # a sentence is weighed for every concept it holds: once is enough
        if i not in ranks:
            ranks[i] = finding_rank(sentences[i].text)
        return ranks[i]

    for score, key in kept:
        form = best_form(forms[key])
        names = [form, *forms[key], *aliases.get(key, ())]
        needles = [n for n in (phrase_tokens(x) for x in names) if n]
        hits = {i for needle in needles for i in where.get(needle[0], ())
                if not sentences[i].boilerplate and contains_phrase(tokens[i], needle)}
        if not hits and key in title_only:  # the whole page is about it, the title says so: nothing to quote
            mentions.append(ConceptMention(key=key, name=form, score=round(score, 3), sentence="",
                                           marked=key in marked, shown=key in shown))
            continue
        if not hits:
            continue
        # A sentence before a label (a list item, a menu entry), even one a stronger concept of this source
        # already quotes: the page must say something about it. Then one no stronger concept quotes.
        # Results before aims and methods: the page says what the source found about the concept.
        best = max(hits, key=lambda i: (sentences[i].eligible, i not in used, rank_of(i),
                                        sentences[i].score, -i))
        used.add(best)
        name = form[0].upper() + form[1:] if form.islower() else form
        alias_names = tuple(a for a, _ in aliases[key].most_common(4) if a.casefold() != form.casefold())[:3] \
            if key in aliases else ()
        if key in aliases and concept_key(form) != key:
            # The article writes the short name most ("RAG", defined as retrieval augmented generation) and
            # so names the concept by it; it is still the long name's alias, for the other sources' "RAG".
            alias_names = (form, *alias_names)
        # A link that only names another page ("See [Loading SQLite extensions in Python on macOS](…).") says nothing
        # of the concept: the source is listed with no quote, as one whose title alone names it.
        quote = "" if sentences[best].link else sentences[best].text
        mentions.append(ConceptMention(key=key, name=name, score=round(score, 3), sentence=quote,
                                       aliases=alias_names, marked=key in marked, once=len(hits) == 1,
                                       shown=key in shown))
    return mentions
