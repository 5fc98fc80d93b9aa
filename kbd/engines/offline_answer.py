"""The offline answerer: an extractive answer, no model, no network.

It writes nothing of its own: each claim is one sentence copied from a retrieved passage, or a procedure (a lead-in
and its steps or the code it introduces, kbd/engines/procedures.py), cited to the note it came from (an earlier answer
is not requoted); a sentence that ends a line code follows is shown with that code.
Sentences are ranked by the question's words they hold (a word few of them hold counts for more), by the passage's
score, by whether they state a result, define what "What is X?" asks about, say what "What does X do?" asks, do what
"How do I …?" asks (a lead-in alone counts less) or answer a FAQ's question that asks what was asked; the best comes
first, as the answer, and the rest follow grouped by note. The same sentence quoted by several notes (a concept note
repeats what its sources say) is given once, from the best-ranked note.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace

from kbd.engines.answers import (
    CallEstimate,
    CitedQuote,
    Claim,
    CodeAfter,
    Draft,
    DraftClaim,
    Passage,
    article_key,
    checkable,
    sentence_key,
    without_attribution,
)
from kbd.engines.base import word_key
from kbd.engines.findings import finding_rank, is_question, is_signpost
from kbd.engines.lexicon import STOPWORDS
from kbd.engines.procedures import (
    asked_action,
    asked_particle,
    code_at_line_ends,
    gives_the_solution,
    headed_steps,
    introduces,
    is_lead_in,
    procedures,
    what_came_before,
)
from kbd.engines.question_shapes import USED_FOR, WHAT_DOES, asked_name, definition_patterns
from kbd.vault.markdown import split_sentences

MAX_CLAIMS = 8
FINDING_BONUS = 0.15  # per step of findings.finding_rank: 0 aim/method, 1 statement, 2 result
TITLE_BONUS = 0.5  # times the share of the question's words the passage's note title holds
DEFINITION_BONUS = 0.5
INSTRUCTION_BONUS = 0.3  # for "How do I open X?": a step that opens X ("To open it, run the Show Graph command.")
LEAD_IN_PENALTY = 0.3  # a sentence that introduces what follows it ("Create today's daily note:") answers nothing
# …unless what it introduces is quoted with it: a lead-in and the list items after it are a procedure, and for "How
# do I create a vault?" the answer is "To create a new empty vault:" with its four steps, not one of them; for "How do I
# install gems with Bundler?", "To install gems in your Gemfile using Bundler, run the following…:" with its commands.
PROCEDURE_BONUS = 0.2  # for a procedure that does what "How do I …?" asks (on top of INSTRUCTION_BONUS)
SUBJECT_BONUS = 0.25  # for "What is X?": a sentence that opens with X doing something ("A trait defines…")
# "Why does momentum help gradient descent?" is about momentum: "Second-order methods … can help in this case" is not.
_WHY = re.compile(r"^\s*why\s+(?:does|do|did|is|are|was|were|can|could|would|should|will)\s+(?:an?\s+|the\s+)?([\w-]+)",
                  re.IGNORECASE)
PURPOSE_BONUS = 0.3  # for "What is X used for?": a sentence that names X and a purpose ("…used for reversing…")
_PURPOSE = re.compile(r"\b(?:used?\s+(?:for|to|when|in)|for\s+\w+ing|lets?\s+(?:you|us)|allows?|enables?|helps?"
                      r"|so\s+that|in\s+order\s+to|purpose|useful|appropriate)\b", re.IGNORECASE)
# Two things set side by side: "How does RMSProp differ from Adagrad?", "What is the difference between X and Y?",
# "X vs. Y", "When should I use panic! instead of Result?", "Should I use X or Y?".
_COMPARED = (
    re.compile(r"\bhow\s+(?:does|do|is|are)\s+(.{2,60}?)\s+differ(?:ent)?\s+from\s+(.{2,60}?)\s*\??\s*$", re.I),
    re.compile(r"\bdifferences?\s+between\s+(.{2,60}?)\s+and\s+(.{2,60}?)\s*\??\s*$", re.I),
    # "vs" in lowercase: "the VS Code extension" compares nothing.
    re.compile(r"^\s*(?:\w+\s+){0,3}?(.{2,60}?)\s+(?:(?-i:vs)\.?|versus)\s+(.{2,60}?)\s*\??\s*$", re.I),
    re.compile(r"\buse\s+(.{2,60}?)\s+(?:instead\s+of|rather\s+than|over)\s+(.{2,60}?)\s*\??\s*$", re.I),
    re.compile(r"\bshould\s+(?:i|you|we)\s+use\s+(.{2,60}?)\s+or\s+(.{2,60}?)\s*\??\s*$", re.I),
)
COMPARISON_BONUS = 0.4  # a sentence that names both and sets them apart ("…more appropriate to return a Result than…")
_CONTRAST = re.compile(r"\b(?:unlike|whereas|however|instead|rather\s+than|in\s+contrast|differ(?:s|ed|ences?)?"
                       r"|different(?:ly)?\s+(?:from|than)|similar\w*|compared|than|as\s+opposed\s+to)\b",
                       re.IGNORECASE)  # not "should use different Greek variables"
# A FAQ's question ("**Does Obsidian support Single Sign-On (SSO)?**", Logseq's "- **How to highlight text?**") lends
# its words to the sentences after it that answer it, where it asks what was asked: "Obsidian does not support SSO.",
# "Click to select some text and choose your favorite color." name nothing the question names.
ANSWERING_SENTENCES = 3  # the sentences after a question that are its answer
ANSWER_BONUS = 0.3  # for a sentence that answers a question of the text that asks what was asked
# For "What is X?", the page titled X says first what X is: its description or first sentence ("foam daily": "Show or
# create the daily note for a date.", "Headless Sync": "Obsidian Sync offers a headless client to sync vaults…").
OPENING_BONUS = 0.4
# A sentence that goes on from one before it opens no page ("Thus if “My Field” was empty…", "However, …").
_CONTINUES = re.compile(r"\W*(?:thus|so|then|however|therefore|hence|also|but|and|or|instead|otherwise|again|still|yet"
                        r"|besides|moreover|furthermore|likewise|similarly|consequently|accordingly)\b", re.IGNORECASE)
# Nor does a writer's own story ("I've only ever used Ruby's String#split…", "In my previous article…") or a pointer
# to what follows ("Most of the errors below will require…"), though they open TILs and posts.
_ASIDE = re.compile(r"\b(?:I|I['’](?:m|ve|d|ll)|(?i:my|me|below))\b")
_MARKS = " \t*_\"“‘'(["
# A clipped title's site name after a separator: a few capitalised words ("Databases – Notion Help Center", "foam
# daily | Foam"); not a subtitle ("Ontologies - Borrow, Build, or Buy?", "Reversing A List - Part 2", "Zensical - A
# modern static site generator").
_SITE_NAME = re.compile(r"\s+[-–—|·]\s+(?:[A-Z][\w.&'’]*(?:\s+|$)){1,4}$")
# A scene set before what the page is about ("After clicking on a deck to study, you'll see…", "Given a postgres
# database, if you want to…"; not "If you want to time a process, you can use…", "When you place text within curly
# brackets, Anki looks for a field…", which answer), a version's notice ("Task Dependencies were introduced in Tasks
# 6.1.0.", "Since Tasks 3.5.0, …") and whom a guide is for ("This guide is for affinity team captains.").
_SCENE = re.compile(r"\W*(?:after|once|given|while|although|though|since|because)\b"
                    r"|.*\b(?:introduced|added|released|deprecated)\s+in\s+\D{0,30}\d"
                    r"|\W*this\s+(?:guide|page|document|section|article|tutorial|chapter)\s+is\s+for\b", re.IGNORECASE)
# "To start using it, open…"; not "To interleave (verb) is to insert a string at the beginning, the end…".
_STEP = re.compile(r"\W*to\s+[a-z]+\b(?:(?!\s(?:is|are|means)\s)[^,]){0,80},", re.IGNORECASE)
_CONDITIONS = frozenset({"if", "when", "whenever", "once", "after", "before", "unless", "while", "until", "because",
                         "since"})
_SUBJECTS = frozenset({"you", "we", "i", "they", "one", "users", "someone"})
QUESTION_WORDS = 30  # a question's line up to it is the question ("My CSS … does not work on Publish. Why?")
PER_NOTE = 3
SECTION_OPENING = 2  # the sentences that open a section whose heading does what is asked, and say how
MIN_WORDS, MAX_CHARS = 5, 600
_WORD = re.compile(r"\w+", re.UNICODE)


def _terms(text: str) -> set[str]:
    return {word_key(w) for w in _WORD.findall(text.casefold()) if w not in STOPWORDS and len(w) > 1}


def _name_words(text: str) -> set[str]:
    """A name's words as `_terms`, its numbers and letters kept: "Joplin 2.7 is available!" is not "Joplin 2.8 is
    available!", nor "collections.D" "collections.In"."""
    return {word_key(w) for w in _WORD.findall(text.casefold()) if w not in STOPWORDS}


def _purpose(question: str, compared: tuple[set[str], set[str]] | None) -> set[str]:
    """For "What is X used for?" and its kin, the words of X (of both things for "When should I use X instead of
    Y?"); else none."""
    m = USED_FOR.match(question)
    if not m:
        return set()
    return compared[0] | compared[1] if compared else _terms(next(g for g in m.groups() if g))


def _compared(question: str) -> tuple[set[str], set[str]] | None:
    """For a question that sets two things side by side, the words of each."""
    for pattern in _COMPARED:
        m = pattern.search(question)
        if m:
            one, other = _terms(m.group(1)), _terms(m.group(2))
            if one and other and not one & other:
                return one, other
    return None


def _sets_apart(sentence: str, terms: set[str], compared: tuple[set[str], set[str]] | None) -> bool:
    """Whether the sentence names both things ("page collection" is not "page bundle") and sets them apart."""
    return bool(compared and compared[0] <= terms and compared[1] <= terms and _CONTRAST.search(sentence))


def _sentences_and_their_question(text: str) -> Iterator[tuple[str, str]]:
    """Each sentence of a passage that asks nothing, with the question it answers: in a passage of questions and
    their answers (two of its lines open with a question, as a FAQ's do), one of the first ANSWERING_SENTENCES after a
    question; "" for any other. A question in running prose ("So why do monads compose well? Before we answer, recall
    our grocery list…") is no FAQ's, and what follows it need not answer it. What a question's line says before it,
    in a few words, is part of the question ("I have enabled 2FA. Will I be logged out…?"), and quoted as any
    sentence; so is a question right before it on its line ("What if I miss a payment…? Will I lose my remote vault
    data?")."""
    lines = [split_sentences(line) for line in text.split("\n")]
    opening = [_opening_question(sentences) for sentences in lines]
    faq = sum(first is not None for first in opening) >= 2
    asked, left, fresh = "", 0, False
    for sentences, first in zip(lines, opening, strict=True):
        fresh = False  # a question on the line before with no text after it (only code or an image) is no part of it
        for i, sentence in enumerate(sentences):
            if is_question(sentence):
                if faq:
                    context = " ".join(sentences[:i]) if i == first else ""
                    asked = f"{asked} {sentence}" if fresh else f"{context} {sentence}".strip()
                    left, fresh = ANSWERING_SENTENCES, True
                continue
            answering = first is None or i > first  # the words before a line's question are part of it
            yield sentence, asked if left and answering else ""
            if answering:
                left = max(0, left - 1)
            fresh = False


def _opening_question(sentences: list[str]) -> int | None:
    """Where the line's first question is, when it opens the line (in QUESTION_WORDS words or fewer)."""
    first = next((i for i, s in enumerate(sentences) if is_question(s)), None)
    if first is None or len(_WORD.findall(" ".join(sentences[:first + 1]))) > QUESTION_WORDS:
        return None
    return first


def _opens_the_page_on(passage: Passage, named: set[str]) -> bool:
    """Whether the passage opens the page (above its headings, or under its title) of a note titled with the name
    asked about and nothing else ("foam daily", "What is a conflict?"): its first sentence says what it is. A
    summary's first line is its clipping's description, its own summary's first or the line its engine ranked first
    (Anki's *Card Generation*: "Thus if “My Field” was empty…", which `_CONTINUES` tells). Not a concept page, which
    opens with its synthesis of many sources. A clipped page's title may end with its site's name ("Headless Sync -
    Obsidian Help")."""
    return passage.note_type not in ("concept", "answer") and passage.heading in (None, passage.title) and \
        _name_words(_SITE_NAME.sub("", passage.title)) == named


def _can_say_what_it_is(sentence: str, terms: set[str], named: set[str]) -> bool:
    """Whether a page's first sentence can say what its title names. Not one that names none of it ("Navigation should
    be on every page…" opens a tutorial's step *Includes*), a lead-in, a step ("To start using it, open the Joplin
    desktop application…"), a sentence that goes on from another ("Thus if…"), a writer's story or a pointer onward
    (`_ASIDE`), a table's row, a line that opens in lowercase (a fragment or code: "and what to do when…", "filter by
    function task.description…") or one with no full stop (a label: "Screenshot of QuickAdd capture settings")."""
    return bool(terms & named) and not (is_lead_in(sentence) or _STEP.match(sentence) or _SCENE.match(sentence) or
                                        _CONTINUES.match(sentence) or _ASIDE.search(sentence)) and \
        sentence.count("|") <= 1 and sentence.lstrip(_MARKS)[:1].isupper() and \
        sentence.rstrip(_MARKS + ")]”’").endswith(".")


def _shorter_definition(name: list[str]) -> tuple[set[str], re.Pattern[str] | None]:
    """For a name of three words or more ("Joplin Web Clipper"), its first word's terms and the pattern of a
    definition of the rest ("The Web Clipper is a browser extension…"): the page of a title that holds that word
    calls it so."""
    if len(name) < 3:
        return set(), None
    return _terms(name[0]), definition_patterns(f"What is {' '.join(name[1:])}?")[0]


def _definitions_of_each(name: list[str]) -> list[re.Pattern[str]]:
    """For two things asked of at once ("What are packages and crates?"), the patterns that define each: "A package is
    a bundle of one or more crates…" defines what was asked (and the page's opening then stands in for nothing)."""
    parts = " ".join(name)
    split = re.split(r"\s+(?:and|or|&|vs\.?|versus)\s+", parts, flags=re.IGNORECASE)
    if len(split) < 2:
        return []
    return [p for part in split if (p := definition_patterns(f"What is {part}?")[0])]


def _does(sentence: str, action: str, things: set[str]) -> bool:
    """Whether the sentence is a step that does what "How do I <action> <things>?" asks: the action is among
    its first words ("To open it, run …", "Show or create the daily note…"), it names one of the things, and
    it is no lead-in to a list or code. Any other step ("To learn more, see …", "Add the special classes")
    answers another question."""
    words = [w.casefold() for w in _WORD.findall(sentence)]
    if not words or is_lead_in(sentence):
        return False
    opening = words[1:4] if words[0] == "to" else words[:3]
    if action not in opening:
        return False
    at = opening.index(action)
    # "If you upgrade to the latest Anki version and find an add-on … stops working, you can download…": the action is
    # the condition's, and the sentence says what to do after it.
    if words[0] in _CONDITIONS and at > 0 and all(w in _SUBJECTS for w in opening[1:at]):
        return False
    return bool(_terms(sentence) & things)


@dataclass(frozen=True)
class _Candidate:
    """A sentence that holds some of the question's words, as the ranking reads it."""

    words: set[str]  # the question's words it holds (with what its FAQ question or its page's title lends)
    terms: set[str]  # its own words
    rank: int  # its passage's place among the passages
    passage: Passage
    sentence: str
    answers: bool  # it answers a FAQ's question that asks what was asked
    first: bool  # it opens the page titled with what "What is X?" asks about
    does: bool  # it does what "How do I …?" asks: a step (`_does`) or a procedure (`introduces`)
    steps: tuple[str, ...] = ()  # a lead-in's steps, quoted with it
    headed: bool = False  # `sentence` is the heading of the section the steps open, and no part of the quote
    numbered: bool = False  # the steps are a numbered list's
    code: CodeAfter = ()  # the code blocks the quote's lines introduce ("To install it, run:", then the command)
    heading_code: bool = False  # the code is the one its heading leads in, quoted with the paragraph above it

    @property
    def quote(self) -> str:
        return "\n".join(self.steps if self.headed else (self.sentence, *self.steps))


class OfflineAnswerer:
    name = "offline"
    extractive = True
    can_verify = False

    def estimate(self, question: str, passages: list[Passage]) -> CallEstimate:
        return CallEstimate()

    def draft(self, question: str, passages: list[Passage], feedback: list[str]) -> Draft:
        works = WHAT_DOES.match(question)
        compared = _compared(question)
        used_for = _purpose(question, compared)
        # What the question asks about, without the words of its frame: "How does pooling work?" asks about pooling
        # ("working with sequences" answers nothing), "What is X used for?" about X ("…used for the computation").
        wanted = (used_for or (compared[0] | compared[1] if compared else set()) or
                  (_terms(works.group(2)) if works and works.group(2) else _terms(question)))
        action, particle = asked_action(question), asked_particle(question)
        things = wanted - {word_key(action)}
        name = asked_name(question)
        named = _terms(" ".join(name))
        title_words = _name_words(" ".join(name))  # as a page's title is compared: its numbers count
        found: list[_Candidate] = []
        # A page with no headings is cut into several passages above them, and which is first is not known here.
        tops = Counter(p.path for p in passages if p.heading in (None, p.title))
        for rank, passage in enumerate(passages):
            if passage.note_type == "answer":
                continue  # an earlier extractive answer only quotes notes that are here themselves
            opening = bool(named) and tops[passage.path] == 1 and \
                _opens_the_page_on(passage, title_words)
            led = procedures(passage) if action else {}
            code_after = code_at_line_ends(passage) if action else {}  # code answers "How do I …?", not "What is X?"
            headed = headed_steps(passage) if action else None
            if headed and passage.heading and introduces(passage.heading, action, things, passage, particle) and \
                    checkable(" ".join(headed.lines)):
                # A section's list under a heading that says what it does ("Log in with your Obsidian account").
                terms = _terms(passage.heading)
                words = (terms | _terms(passage.title)) & wanted
                if words:
                    found.append(_Candidate(words, terms, rank, passage, passage.heading, False, False, True,
                                            headed.lines, True, headed.numbered, headed.quoted_code(True)))
            if passage.heading_code and passage.heading and not passage.kbd_owned and \
                    introduces(passage.heading, action, things, passage, particle):
                # The code a heading that does what is asked leads in ("### Customize the Scrollbar", "You can
                # customize the scrollbar…", then the CSS): the paragraph above the code, and the code.
                at, shown = passage.heading_code[0]
                quote = _last_sentences(passage.text.split("\n")[at], MAX_CHARS)
                words = (_terms(quote) | _terms(f"{passage.title} {passage.heading}")) & wanted
                if words and checkable(quote) and len(quote) <= MAX_CHARS:  # one sentence may be longer
                    found.append(_Candidate(words, _terms(quote), rank, passage, quote, False, False, True,
                                            code=((0, shown),), heading_code=True))
            # A section inside the page whose heading does what is asked ("## Upgrading" on "Installing & Upgrading
            # Anki on Windows"): its first sentences say how ("If upgrading from Anki 2.1.6+, there is no need to…"); a
            # passage from further into the section has none of them ("Simple color names like…" under "Card Styling").
            section_does = bool(action) and passage.opens_section and passage.heading not in (None, passage.title) \
                and introduces(passage.heading or "", action, things, passage, particle)
            previous = ""
            for i, (sentence, asked) in enumerate(_sentences_and_their_question(passage.text)):
                if passage.kbd_owned:
                    sentence = without_attribution(sentence)
                before, previous = previous, sentence
                procedure = led.get(sentence)
                if procedure:
                    sentence = procedure.lead_in
                steps = procedure.lines if procedure else ()
                # "You can do this by…" in a summary refers to nothing: its lines follow each other in no page.
                referred = what_came_before(sentence, before, action, things, passage, particle) \
                    if action and not passage.kbd_owned else ""
                does_it = procedure is not None and \
                    bool(referred or introduces(sentence, action, things, passage, particle))
                if procedure and referred and f"{before} {sentence}" in passage.text:
                    sentence = f"{before} {sentence}"  # "You need to install… You can do that like so:", quoted whole
                # "To install Anki:" is short, and its steps say the rest; "Searching and dependencies:" is a label.
                if (len(_WORD.findall(sentence)) < MIN_WORDS and not does_it) or len(sentence) > MAX_CHARS or \
                        not checkable(" ".join((sentence, *steps))) or \
                        (sentence.startswith("(") and sentence.endswith(")")):  # "(Title)" after a quote
                    continue
                if is_signpost(sentence):
                    continue  # it answers nothing: "Now that we’ve discussed…, let’s return to…"
                terms = _terms(sentence)
                # The first sentence, not the first one left when a signpost is: "This section shows how to use
                # QuickAdd…" opened a summary before a screenshot's caption.
                first = opening and i == 0 and _can_say_what_it_is(sentence, terms, named)
                # Only a question that asks what was asked: half its words or more are the asked question's, and the
                # words they share are half the asked question's or more. "Advantages of assets alias?" lent "assets"
                # to "Files will be stored in the corresponding directory…" for "What are assets in Logseq?", "Why
                # back up your data?" to "By default, Obsidian stores your notes locally…" for "How do I back up my
                # Obsidian files?".
                lent = _terms(asked)
                shared = len(lent & wanted) * 2
                answers = bool(lent) and shared >= len(lent) and shared >= len(wanted)
                # The page's opening names what its title names, though it need not write it ("Show or create the
                # daily note for a date." on "foam daily"); so does a procedure what its page and section are about
                # ("To install Anki:" under *Installing* on "Installing & Upgrading Anki on Linux").
                if answers:
                    terms_lent = lent
                elif first:
                    terms_lent = named
                elif referred:  # what "this" is: "…you may want to tell Jest to focus in…", not the page's title
                    terms_lent = _terms(referred)
                elif does_it:
                    terms_lent = _terms(f"{passage.title} {passage.heading or ''}")
                else:
                    terms_lent = set()
                words = (terms | terms_lent) & wanted
                if words:
                    does = does_it if procedure else bool(action) and (
                        _does(sentence, action, things) or (section_does and i < SECTION_OPENING and not (
                            is_lead_in(sentence) or _ASIDE.search(sentence) or _SCENE.match(sentence))) or
                        # A section or page that does what is asked gives how in its solution ("The solution was
                        # to allow MySQL to `ignore` the duplicate records…" on "Ignore Duplicates When Inserting
                        # Records"); asked of its heading and title only when a sentence gives one.
                        (gives_the_solution(sentence) and any(introduces(name, action, things, passage, particle)
                                                               for name in {passage.heading, passage.title} if name))
                        or bool(referred))
                    found.append(_Candidate(words, terms, rank, passage, sentence, answers, first, does, steps,
                                            numbered=bool(procedure and procedure.numbered),
                                            code=procedure.quoted_code(False) if procedure else
                                            ((0, code_after[sentence]),) if sentence in code_after else ()))
        # A summary's line said in its clipping's section that does what is asked does it in the summary too, where no
        # heading says so ("If upgrading from Anki 2.1.6+, there is no need to uninstall…", a key point of the page).
        doing = {(_article(c.passage), sentence_key(c.sentence)) for c in found if c.does and not (c.steps or c.code)}
        found = [replace(c, does=True) if not c.does and (_article(c.passage), sentence_key(c.sentence)) in doing
                 else c for c in found]
        # The code a page shows before its solution is the problem's ("…I ran into several duplicate-key errors.", then
        # the insert that failed): where the page's solution shows code that does what is asked, its heading's is none.
        solved_pages = {c.passage.path for c in found if c.does and c.code and gives_the_solution(c.sentence)}
        found = [c for c in found if not (c.heading_code and c.passage.path in solved_pages)]
        # A question word that few sentences hold counts for more than one most of them hold.
        held = Counter(w for c in found for w in c.words)
        idf = {w: math.log(1 + len(found) / (1 + held[w])) for w in wanted}
        whole = sum(idf.values()) or 1.0
        # A sentence that states a finding answers better than one that states an aim or a method.
        # So does one from a note whose title is about the question, and one that defines what the
        # question asks about ("An ontology is a formal, explicit specification…" for "What is an ontology?").
        defines, opens_with = definition_patterns(question)
        shortened, shorter = _shorter_definition(name)
        each = _definitions_of_each(name)

        def is_definition(sentence: str, passage: Passage) -> bool:
            return bool((defines and defines.search(sentence)) or any(p.search(sentence) for p in each) or
                        (shorter and shortened <= _terms(passage.title) and shorter.search(sentence)))

        # The page's opening stands in for a definition only where no passage has one: "It’s called unsafe Rust and
        # works…" answers, not "Unsafe Rust exists because…", the first line of its summary.
        definitions = [is_definition(c.sentence, c.passage) for c in found]
        defined = any(definitions)
        asked_why = _WHY.match(question)
        why = _terms(asked_why.group(1)) if asked_why else set()
        # The opening speaks for its page: it counts as much as the page's best passage (the passage under a title holds
        # few of the title's words, "Key points" below it more).
        page_score: dict[str, float] = {}
        for passage in passages:
            page_score[passage.path] = max(page_score.get(passage.path, 0.0), passage.score)

        def score(c: _Candidate, definition: bool) -> float:
            return (sum(idf[w] for w in c.words) / whole + (page_score[c.passage.path] if c.first else c.passage.score)
                    + FINDING_BONUS * finding_rank(c.sentence)
                    + TITLE_BONUS * len(_terms(c.passage.title) & wanted) / max(1, len(wanted))
                    + (DEFINITION_BONUS if definition else
                       SUBJECT_BONUS if (opens_with and opens_with.search(c.sentence)) or why & c.terms else 0.0)
                    + (INSTRUCTION_BONUS if c.does else 0.0)
                    + (PURPOSE_BONUS if used_for and used_for <= c.terms and _PURPOSE.search(c.sentence) else 0.0)
                    + (COMPARISON_BONUS if _sets_apart(c.sentence, c.terms, compared) else 0.0)
                    + (ANSWER_BONUS if c.answers else 0.0)
                    + (OPENING_BONUS if c.first and not defined else 0.0)
                    + (PROCEDURE_BONUS if c.does and (c.steps or c.code) else
                       -LEAD_IN_PENALTY if is_lead_in(c.sentence) else 0.0))

        ranked = sorted(((score(c, definition), -c.rank, c) for c, definition in zip(found, definitions, strict=True)),
                        key=lambda r: (-r[0], -r[1]))
        claims: list[DraftClaim] = []
        seen: set[str] = set()
        for _, _, c in ranked:
            path = c.passage.path
            key = sentence_key(c.sentence)
            if key in seen or sum(d.citations[0].note == path for d in claims) >= PER_NOTE:
                continue
            # A procedure says each sentence of its lead-in and its steps: none is quoted again on its own, before it or
            # after.
            said = {sentence_key(s) for step in c.steps for s in (step, *split_sentences(step))}
            if c.steps or c.code:
                said |= {sentence_key(s) for s in split_sentences(c.sentence)} - {key}
            if said:
                claims = [d for d in claims if sentence_key(d.text) not in said]
            seen |= said | {key}
            claims.append(DraftClaim(c.quote, (CitedQuote(path, c.quote),), c.numbered, c.code))
            if len(claims) >= MAX_CLAIMS:
                break
        # Grouped by article (a summary and its clipping are one) or note, the best first, best
        # first within each: the order the answer note lists them in.
        by_path = {p.path: p for p in passages}

        def group(claim: DraftClaim) -> str:
            return _article(by_path[claim.citations[0].note])

        # The answer leads with the sentence that answers best; the rest follow as its evidence.
        lead, rest = claims[:1], claims[1:]
        first: dict[str, int] = {}
        for i, claim in enumerate(rest):
            first.setdefault(group(claim), i)
        return Draft(lead + sorted(rest, key=lambda c: first[group(c)]))

    def verify(self, question: str, passages: list[Passage], claims: list[Claim]) -> list[str]:
        return []

    def close(self) -> None:
        pass


def _article(passage: Passage) -> str:
    return article_key(passage.path, passage.title, passage.note_type)


def _last_sentences(line: str, limit: int) -> str:
    """The line, or as many of its last sentences as `limit` characters hold (at least its last)."""
    if len(line) <= limit:
        return line
    sentences = split_sentences(line)
    kept = sentences[-1:]
    for sentence in reversed(sentences[:-1]):
        if len(" ".join([sentence, *kept])) > limit:
            break
        kept.insert(0, sentence)
    return " ".join(kept)
