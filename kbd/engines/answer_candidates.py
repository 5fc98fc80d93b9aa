"""The sentences and procedures of the retrieved passages that can answer a question, as the offline answerer reads
them before it ranks them (kbd/engines/offline_answer.py): the question's words each holds (with what a FAQ's question,
a page's title or the sentence "this" refers to lends it), whether it does what "How do I …?" asks, answers a FAQ's
question that asks what was asked, or opens the page titled with what "What is X?" asks about."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace

from kbd.engines.answers import CodeAfter, Passage, article_key, checkable, sentence_key, without_attribution
from kbd.engines.base import word_key
from kbd.engines.findings import is_question, is_signpost
from kbd.engines.lexicon import STOPWORDS
from kbd.engines.procedures import (
    DETERMINERS,
    asked_action,
    asked_particle,
    code_at_line_ends,
    gives_the_solution,
    goal_before,
    headed_steps,
    introduces,
    is_lead_in,
    opens_a_doing_section,
    procedures,
    states_a_goal,
    walks_through,
    what_came_before,
)
from kbd.engines.question_shapes import USED_FOR, WHAT_DOES, asked_name
from kbd.vault.markdown import split_sentences

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
# its words to the sentences after it that answer it, where it asks what was asked: "Obsidian does not support SSO.",
# "Click to select some text and choose your favorite color." name nothing the question names.
ANSWERING_SENTENCES = 3  # the sentences after a question that are its answer
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
_SAYS_THE_DEFAULT = re.compile(r"\W*by\s+default\b", re.IGNORECASE)
# A lead-in that tells what something did or made, not what to do: "This will create the following structure:".
_SAYS_WHAT_IT_MADE = re.compile(r"\W*(?:this|that|it|which)\s+(?:will\s+|should\s+|would\s+)?\w+", re.IGNORECASE)
# What the writer did first, or tried, before the way that works ("Initially I tried displaying the response body
# using this:", then "But... this broke!"; "My first version of this ran directly in my browser because I imported lit
# directly like so:" on a page about Vite).
_EARLIER_WAY = re.compile(r"^\W*(?:initially|at\s+first|originally|my\s+(?:first|original|initial)\s+\w+)\b"
                          r"|\b(?:tried|attempted)\b", re.IGNORECASE)
# A sentence that says how to do something by what to do: "Access the Pomodoro timer by clicking on the circle…".
_SAYS_HOW = re.compile(r"\bby\s+(?:clicking|pressing|selecting|choosing|typing|running|opening|going|navigating"
                       r"|dragging|tapping|entering|right-clicking|double-clicking)\b", re.IGNORECASE)
_SUBJECTS = frozenset({"you", "we", "i", "they", "one", "users", "someone"})
# The action's word after one of these is a noun or a name: "But the use-cases for snippets go beyond this.", "In Fix
# The Spelling Of A Word, I describe how to…".
_BEFORE_A_NOUN = DETERMINERS | {"in", "of", "for", "from", "with", "at", "on", "by", "into"}
QUESTION_WORDS = 30  # a question's line up to it is the question ("My CSS … does not work on Publish. Why?")
SECTION_OPENING = 2  # the sentences that open a section whose heading does what is asked, and say how
MIN_WORDS, MAX_CHARS = 5, 600
_WORD = re.compile(r"\w+", re.UNICODE)


def content_terms(text: str) -> set[str]:
    return {word_key(w) for w in _WORD.findall(text.casefold()) if w not in STOPWORDS and len(w) > 1}


def name_terms(text: str) -> set[str]:
    """A name's words as `_terms`, its numbers and letters kept: "Joplin 2.7 is available!" is not "Joplin 2.8 is
    available!", nor "collections.D" "collections.In"."""
    return {word_key(w) for w in _WORD.findall(text.casefold()) if w not in STOPWORDS}


def _purpose(question: str, compared: tuple[set[str], set[str]] | None) -> set[str]:
    """For "What is X used for?" and its kin, the words of X (of both things for "When should I use X instead of
    Y?"); else none."""
    m = USED_FOR.match(question)
    if not m:
        return set()
    return compared[0] | compared[1] if compared else content_terms(next(g for g in m.groups() if g))


def _compared(question: str) -> tuple[set[str], set[str]] | None:
    """For a question that sets two things side by side, the words of each."""
    for pattern in _COMPARED:
        m = pattern.search(question)
        if m:
            one, other = content_terms(m.group(1)), content_terms(m.group(2))
            if one and other and not one & other:
                return one, other
    return None



@dataclass(frozen=True)
class AskedQuestion:
    """What a question asks, as the answerer reads it."""

    question: str
    wanted: set[str]  # the words of what it asks about, without its frame's ("How does pooling work?": pooling)
    action: str  # the verb "How do I …?" asks to do, if any
    particle: str  # its direction, if any ("turn on")
    things: set[str]  # `wanted` without the action's
    name: list[str]  # what "What is X?" asks about, as written
    named: set[str]  # its words
    title_words: set[str]  # its words as a page's title is compared: its numbers count
    compared: tuple[set[str], set[str]] | None  # the two things set side by side, if any
    used_for: set[str]  # for "What is X used for?", X's words


def read_question(question: str) -> AskedQuestion:
    """What the question asks about, what it asks to do, and the name it asks about."""
    works = WHAT_DOES.match(question)
    compared = _compared(question)
    used_for = _purpose(question, compared)
    # What the question asks about, without the words of its frame: "How does pooling work?" asks about pooling
    # ("working with sequences" answers nothing), "What is X used for?" about X ("…used for the computation").
    wanted = (used_for or (compared[0] | compared[1] if compared else set()) or
              (content_terms(works.group(2)) if works and works.group(2) else content_terms(question)))
    action, particle = asked_action(question), asked_particle(question)
    things = wanted - {word_key(action)}
    name = asked_name(question)
    named = content_terms(" ".join(name))
    title_words = name_terms(" ".join(name))  # as a page's title is compared: its numbers count
    return AskedQuestion(question, wanted, action, particle, things, name, named, title_words, compared, used_for)


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
        name_terms(_SITE_NAME.sub("", passage.title)) == named


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
    if at and opening[at - 1] in _BEFORE_A_NOUN:
        return False
    # "If you upgrade to the latest Anki version and find an add-on … stops working, you can download…": the action is
    # the condition's, and the sentence says what to do after it.
    if words[0] in _CONDITIONS and at > 0 and all(w in _SUBJECTS for w in opening[1:at]):
        return False
    return bool(content_terms(sentence) & things)


@dataclass(frozen=True)
class Candidate:
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
    stitched: bool = False  # a page's walkthrough: its steps are lead-ins further down the page (Passage.walkthrough)

    @property
    def quote(self) -> str:
        return "\n".join(self.steps if self.headed else (self.sentence, *self.steps))



def gather_candidates(asked: AskedQuestion, passages: list[Passage]) -> list[Candidate]:
    """Each sentence of the passages that holds some of the question's words, each procedure (a lead-in and its steps
    or code) and each section's list or code a heading that does what is asked leads in."""
    wanted, action, particle, things = asked.wanted, asked.action, asked.particle, asked.things
    named, title_words = asked.named, asked.title_words
    found: list[Candidate] = []
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
            terms = content_terms(passage.heading)
            words = (terms | content_terms(passage.title)) & wanted
            if words:
                found.append(Candidate(words, terms, rank, passage, passage.heading, False, False, True,
                                        headed.lines, True, headed.numbered, headed.quoted_code(True)))
        if passage.heading_code and passage.heading and not passage.kbd_owned and \
                introduces(passage.heading, action, things, passage, particle):
            # The code a heading that does what is asked leads in ("### Customize the Scrollbar", "You can
            # customize the scrollbar…", then the CSS): the paragraph above the code, and the code.
            at, shown = passage.heading_code[0]
            quote = _last_sentences(passage.text.split("\n")[at], MAX_CHARS)
            words = (content_terms(quote) | content_terms(f"{passage.title} {passage.heading}")) & wanted
            if words and checkable(quote) and len(quote) <= MAX_CHARS:  # one sentence may be longer
                found.append(Candidate(words, content_terms(quote), rank, passage, quote, False, False, True,
                                        code=((0, shown),), heading_code=True))
        # A section inside the page whose heading does what is asked ("## Upgrading" on "Installing & Upgrading
        # Anki on Windows"): its first sentences say how ("If upgrading from Anki 2.1.6+, there is no need to…"); a
        # passage from further into the section has none of them ("Simple color names like…" under "Card Styling").
        section_does = opens_a_doing_section(passage, action, things, particle)
        # A section of prose does what its heading does in its opening sentences, though in other words ("Snippets can
        # be inserted… by triggering the autocomplete feature." under "## Using Snippets"): one that names what the
        # heading names is lent the heading's verb (its verb only: the heading's other words made "These links are
        # shown on all of your plugin and theme pages." outrank "Under Funding links, select Add funding link…"). Not
        # where a sentence of the section does it in its own words ("To enable Zettlr to open images for you, go…"
        # under "## Enabling the Image Viewer"), nor where it has a list or code (its lead-in says how: "Use standard
        # Markdown footnote syntax:", not "Footnote IDs can be numbers or words."), nor to a sentence that says a
        # default ("By default, the blog archive lists posts by year only." under "## Configuring the archive").
        lends_verb = section_does and not (passage.items or passage.code or passage.heading_code) and \
            not any(_does(s, action, things) for s in split_sentences(passage.text))
        heading_things = content_terms(passage.heading or "") & things if lends_verb else set()
        # A procedure that opens such a section does what its heading does, in whatever words ("Use standard Markdown
        # footnote syntax:", then the example, under "## Writing Footnotes"): not where one in the section does it in
        # its own ("Now run it like this:" after "We need to install `pip`:" under "## Running Datasette"; not what
        # the step before made, "This will create the following structure:"), nor after a sentence that says how
        # ("Access the Pomodoro timer by clicking on the circle…" before "The Pomodoro timer, has 3 core settings that
        # can be adjusted:").
        opening_procedure = section_does and not any(introduces(steps.lead_in, action, things, passage, particle) and
                                                     not _SAYS_WHAT_IT_MADE.match(steps.lead_in)
                                                     for steps in led.values())
        previous = ""
        for i, (sentence, its_question) in enumerate(_sentences_and_their_question(passage.text)):
            if passage.kbd_owned:
                sentence = without_attribution(sentence)
            before, previous = previous, sentence
            procedure = led.get(sentence)
            if passage.walkthrough and action and walks_through(sentence) and not procedure:
                walked = _walkthrough(asked, passage, rank, sentence, before)
                found.extend([walked] if walked else [])
            if procedure:
                sentence = procedure.lead_in
            steps = procedure.lines if procedure else ()
            # "You can do this by…" in a summary refers to nothing: its lines follow each other in no page.
            # What a lead-in's code does, where the sentence before it wants it ("I wanted to…", then "This works:").
            referred = (what_came_before(sentence, before, action, things, passage, particle) or
                        (goal_before(sentence, before, action, things, passage, particle) if procedure else "")) \
                if action and not passage.kbd_owned else ""
            does_it = procedure is not None and bool(
                referred or introduces(sentence, action, things, passage, particle) or
                (opening_procedure and i < SECTION_OPENING and not _EARLIER_WAY.search(sentence)))
            opening_procedure = opening_procedure and not _SAYS_HOW.search(sentence)
            if procedure and referred and f"{before} {sentence}" in passage.text:
                sentence = f"{before} {sentence}"  # "You need to install… You can do that like so:", quoted whole
            # "To install Anki:" is short, and its steps say the rest; "Searching and dependencies:" is a label.
            if (len(_WORD.findall(sentence)) < MIN_WORDS and not does_it) or len(sentence) > MAX_CHARS or \
                    not checkable(" ".join((sentence, *steps))) or \
                    (sentence.startswith("(") and sentence.endswith(")")):  # "(Title)" after a quote
                continue
            if is_signpost(sentence):
                continue  # it answers nothing: "Now that we’ve discussed…, let’s return to…"
            terms = content_terms(sentence)
            opens_doing = section_does and i < SECTION_OPENING and not (
                is_lead_in(sentence) or _ASIDE.search(sentence) or _SCENE.match(sentence))
            # The first sentence, not the first one left when a signpost is: "This section shows how to use
            # QuickAdd…" opened a summary before a screenshot's caption.
            first = opening and i == 0 and _can_say_what_it_is(sentence, terms, named)
            # Only a question that asks what was asked: half its words or more are the asked question's, and the
            # words they share are half the asked question's or more. "Advantages of assets alias?" lent "assets"
            # to "Files will be stored in the corresponding directory…" for "What are assets in Logseq?", "Why
            # back up your data?" to "By default, Obsidian stores your notes locally…" for "How do I back up my
            # Obsidian files?".
            lent = content_terms(its_question)
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
                terms_lent = content_terms(referred)
            elif does_it:
                terms_lent = content_terms(f"{passage.title} {passage.heading or ''}")
            elif opens_doing and lends_verb and heading_things <= terms and not _SAYS_THE_DEFAULT.match(sentence):
                terms_lent = {word_key(action)}
            else:
                terms_lent = set()
            words = (terms | terms_lent) & wanted
            if words:
                does = does_it if procedure else bool(action) and (
                    _does(sentence, action, things) or opens_doing or
                    # A section or page that does what is asked gives how in its solution ("The solution was
                    # to allow MySQL to `ignore` the duplicate records…" on "Ignore Duplicates When Inserting
                    # Records"); asked of its heading and title only when a sentence gives one.
                    (gives_the_solution(sentence) and any(introduces(name, action, things, passage, particle)
                                                           for name in {passage.heading, passage.title} if name))
                    or bool(referred))
                found.append(Candidate(words, terms, rank, passage, sentence, answers, first, does, steps,
                                        numbered=bool(procedure and procedure.numbered),
                                        code=procedure.quoted_code(False) if procedure else
                                        ((0, code_after[sentence]),) if sentence in code_after else ()))
    # A summary's line said in its clipping's section that does what is asked does it in the summary too, where no
    # heading says so ("If upgrading from Anki 2.1.6+, there is no need to uninstall…", a key point of the page).
    doing = {(_article(c.passage), sentence_key(c.sentence)) for c in found if c.does and not (c.steps or c.code)}
    found = [replace(c, does=True) if not c.does and (_article(c.passage), sentence_key(c.sentence)) in doing
             else c for c in found]
    # The code a page shows before its solution is the problem's ("…I ran into several duplicate-key errors.", then
    # the insert that failed): where the page's solution shows code that does what is asked, its heading's is none,
    # unless it is the solution's own.
    solved_pages = {c.passage.path for c in found if c.does and c.code and gives_the_solution(c.sentence)}
    found = [c for c in found if not (c.heading_code and c.passage.path in solved_pages and
                                      not gives_the_solution(c.sentence))]
    return found


def _walkthrough(asked: AskedQuestion, passage: Passage, rank: int, sentence: str, before: str) -> Candidate | None:
    """A page's walkthrough, where it does what "How do I …?" asks: the sentence that says its steps follow ("Here's
    how I got it working.", with the goal before it on its line: "I needed to run Selenium on macOS…"), then the
    lead-ins below it, each with its code. The sentence, the goal or the page's title does what is asked."""
    action, things, particle = asked.action, asked.things, asked.particle
    goal = before if before and states_a_goal(before) and f"{before} {sentence}" in passage.text else ""
    if not any(introduces(text, action, things, passage, particle) for text in (sentence, goal, passage.title) if text):
        return None
    quote = f"{goal} {sentence}".strip()
    steps = tuple(lead_in for lead_in, _ in passage.walkthrough)
    if not checkable(quote) or not all(checkable(step) for step in steps):
        return None
    terms = content_terms(quote)
    words = (terms | content_terms(passage.title)) & asked.wanted
    if not words:
        return None
    return Candidate(words, terms, rank, passage, quote, False, False, True, steps,
                     code=tuple((at + 1, code) for at, (_, code) in enumerate(passage.walkthrough)), stitched=True)


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
