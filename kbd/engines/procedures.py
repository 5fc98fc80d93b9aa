"""Procedures: a lead-in and the list items after it ("To create a new empty vault:", then "To the right of Create
new vault, click Create.", …). For "How do I …?" a procedure that does what is asked is the answer, quoted whole:
one of its steps alone, or its lead-in alone, answers nothing. The offline answerer ranks them
(kbd/engines/offline_answer.py), and retrieval puts a note's first such passage first (kbd/ask/retrieve.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from kbd.engines.answers import Code, CodeAfter, Passage
from kbd.engines.base import word_key
from kbd.engines.lexicon import STOPWORDS
from kbd.vault.markdown import split_sentences

# An adverb before the verb is how, not what: "How do I quickly test code in a different Python version…?" tests.
_HOW = (r"(?:(?:quickly|easily|simply|just|automatically|safely|manually|properly|correctly|efficiently|permanently"
        r"|temporarily|programmatically|reliably|cleanly|completely|fully|locally|globally|remotely|recursively"
        r"|interactively|also|still|actually|really|only)\s+)?")
_HOW_TO = re.compile(r"^\s*how\s+(?:(?:do|can|could|should|would)\s+(?:i|you|we|one)|to)\s+" + _HOW + r"([a-z][\w-]*)"
                     r"(?:\s+(on|off|up|down)\b)?", re.IGNORECASE)
# "How do I make Anki pick up the GTK theme?", "How do I get Git to ignore…?": what a named thing is made to do is what
# is asked ("Anki not picking up GTK theme on Gnome/Linux"), not making. Only a name (capitalised) or "it": "How do I
# make a new vault?" makes one.
# "get" wants its "to" ("How do I get GitHub Actions to capture…?"; "How do I get Anki on my phone?" gets Anki); a
# word of the frame is no verb ("How do I let Cursor be launched…?", "…make Zettlr the default app…?", "…make Prettier
# not…?"). Who is made to do it: a name of up to three words, "it" or "them".
_MADE = r"(?:(?:(?-i:[A-Z][\w.-]*)\s+){1,3}|it\s+|them\s+)"
_CAUSATIVE = re.compile(rf"^\s*how\s+(?:do|can|could|should|would)\s+(?:i|you|we|one)\s+"
                        rf"(?:(?:make|let|have)\s+{_MADE}|get\s+{_MADE}to\s+)((?-i:[a-z][\w-]*))"
                        rf"(?:\s+(on|off|up|down)\b)?", re.IGNORECASE)
_NO_VERBS = frozenset({"be", "not", "never", "always", "faster", "slower", "better", "smaller", "bigger"})
# A verb's particle: "turn on" is not "turn off", nor "switch to". Only these four tell a direction; "in", "out" and
# the rest are as often prepositions ("How do I install in Windows?": "To install Anki to a USB drive:").
_DIRECTIONS = frozenset({"on", "off", "up", "down"})
_LAST_PARTICLE = re.compile(r"\s(on|off|up|down)\s*\??\s*$", re.IGNORECASE)  # "How do I turn Restricted mode on?"
# A lead-in that says only that steps follow ("Follow these steps:"): its section's heading says what they do.
_ONLY_STEPS_FOLLOW = re.compile(r"\b(?:follow\s+(?:these|the)\s+(?:following\s+)?steps|the\s+following\s+steps"
                                r"|do\s+the\s+following)\b", re.IGNORECASE)
# A lead-in that introduces what something printed ("…and got this error:", "…produces the following runtime error:")
# shows output, not steps, though it names the asked verb ("I tried to install…").
# The error ends the lead-in: "If you get an error, run:" is a step.
_SHOWS_OUTPUT = re.compile(r"\b(?:got|get|gets|getting|gave|gives|produces?|produced|returns?|returned|prints?|printed"
                           r"|outputs?|throws?|threw|raises?|raised|saw|see|sees|seeing)\s+(?:[\w-]+\s+){0,3}"
                           r"(?:errors?|exceptions?|tracebacks?|output|warnings?)(?:\s+(?:message|like\s+this|below))?"
                           r"\s*:\s*$"
                           # "I ran into this error while trying to run `pip install lxml` on an M2 Mac…:"
                           # "The first time I ran it I got an error complaining that the binary has not been signed:"
                           r"|\b(?:ran\s+into|run\s+into|hit|encountered|got|saw)\s+(?:this|these|the\s+following|an?)\s+"
                           r"(?:errors?|exceptions?|tracebacks?|warnings?)\b.*:\s*$", re.IGNORECASE)
# A lead-in that says only that commands follow ("Run the following commands in a terminal:", "In one terminal window,
# run this:"), not what they do ("Run the following command to install it:" says it), or only points at them ("Here's
# the full recipe:", "This goes in `.github/workflows/cog.yml`:", "…so the fix for me was to do this:", "Here is what it
# looks like to create an index for this query with the `include` keyword:" on "Include Columns In A Covering Index");
# not at a file, data or output the page works on ("Here's the .tool-versions file included in my repository:").
_ONLY_COMMANDS_FOLLOW = re.compile(r"(?:\brun\s+(?:the\s+following|these|this|that)(?:\s+commands?)?"
                                   r"(?:\s+(?:in|from)\s+(?:a|the|your|another)\s+(?:terminal|shell|console)(?:\s+window)?)?"
                                   r"|^\W*here(?:['’]s|\s+is|\s+are)\s+(?![^:]*\b(?:files?|data|output|results?|errors?"
                                   r"|response|input|log)\b)[^:]{1,100}"
                                   r"|^\W*(?:this|it)\s+goes\s+in(?:to)?\s+[^:]{1,80}"
                                   r"|\bthe\s+fix\b[^:]{0,30}\b(?:was|is)\b[^:]{0,30})\s*:\s*$", re.IGNORECASE)
# Nor does one that shows what the writer had or wanted ("I wanted to replace all instances of this:", then the text to
# replace; "I wanted to turn this into an array of non-nested objects, like this:"; "I wanted to pass the following as
# an argument to the sqlite-utils CLI tool:", then the SQL to pass), unless it says what was done.
_SHOWS_EXAMPLE = re.compile(r"^\W*I\s+(?:wanted|want|needed|need)\s+to\b"
                            r"(?![^:]*\b(?:so\s+I|I\s+(?:ran|used|did|wrote)))"
                            r"(?:[^:]*\b(?:this|these|like\s+(?:this|so))|[^:]*\bthe\s+following\b[^:]*)\s*:\s*$",
                            re.IGNORECASE)
# A sentence that gives the page's solution ("Solution: use heredoc syntax:", "The solution was to allow MySQL to
# `ignore` the duplicate records…", "The workaround I came up with was to switch to…") does what its section or page
# does ("Passing command arguments using heredoc syntax", "Ignore Duplicates When Inserting Records"), whatever verb it
# does it with. Not a fix: "The fix was to add a `coalesce()`…" mends a step on the way to "Building a Markdown
# summary of Django group permissions".
_GIVES_THE_SOLUTION = re.compile(r"^\W*(?:(?:the|my|our)\s+)?(?:solution|workaround)\b"
                                 r"(?:\s*:|[^.:]{0,80}?\b(?:is|was)\s+(?:to\b|this\s*:))"
                                 # So does one of its ways: "The first approach is to create a `constraint` directly on
                                 # the table:" on "Adding Composite Uniqueness Constraints". Not a way to do something
                                 # else ("One way to fix that is to…").
                                 r"|^\W*(?:the\s+(?:first|second|third|other|simplest|easiest|best|recommended)|one"
                                 r"|another|an?\s+(?:better|simpler|alternative|second|third))\s+"
                                 r"(?:approach|way|option|method|technique)\s+(?:is|was)\s+to\b", re.IGNORECASE)
# A sentence that says how to do what the words before it want ("These are some of the reasons you may want to tell
# Jest to focus in and only run one particular `test` block.", then "You can do this by calling `test.only()` instead of
# `test()`."; "If you don't want Anki to compare accents…, you can do so by using `type:nc` in your fields"; "You can do
# that like so:"; "To do so, right-click the folder…"). Not what a program or the writer did: "To do this, it looks
# through all 400+ TILs in the database.", "To do this, I needed the content of those tutorials in a SQLite…".
_DOES_WHAT_CAME_BEFORE = re.compile(r"\b(?:you|we|one)\s+can\s+(?:do|achieve|accomplish)\s+(?:this|that|so|it)\s*"
                                    r"(?:by|with|via|using|through|like|instead|:)"
                                    r"|^\W*(?:this|that|it)\s+can\s+be\s+(?:done|achieved)\s+(?:by|with|via|using|like)\b"
                                    r"|^\W*to\s+do\s+(?:this|that|so)\s*,"
                                    r"(?!\s*(?:I|it|this|that|they|he|she|there|the|an?|its|their|my)\b)",
                                    re.IGNORECASE)
# A sentence that says what the writer wanted, or found how, to do ("I wanted to use a GitHub Actions matrix to run my
# tests against all four versions of PostgreSQL.", "Here's a pattern I found for pretty-printing ANY JSON value…", "I
# figured out how to use a PostgreSQL CTE…"): the lead-in after it on its line need say no more than where the code is
# or how it starts ("Here's my complete workflow - the relevant sections are below:", "Create a template called
# `admin/change_form.html` and populate it with the following:", "This works:"), and its code does what was wanted.
_STATES_A_GOAL = re.compile(r"^\W*(?:I\s+(?:wanted|want|needed|need)\s+to\s+"
                            r"|I\s+(?:figured|worked|found)\s+out\s+how\s+to\s+"
                            r"|here(?:['’]s|\s+is)\s+(?:how\s+(?:to\s+|I\s+|you\s+(?:can\s+)?)"
                            r"|(?:a|an|the|my)\s+(?:[\w-]+\s+){0,2}?(?:pattern|recipe|way|trick|technique|approach|solution"
                            r"|workaround)\b[^.:]*?\b(?:for|to)\s+))", re.IGNORECASE)
_TRIED = re.compile(r"\b(?:tried|attempt(?:s|ed)?)\b", re.IGNORECASE)  # "I tried this:": what failed, often
_POINTS_ONWARD = re.compile(r"\b(?:the following|as follows)\b", re.IGNORECASE)
# A sentence that ends pointing at the code right after it, with no colon ("Create a temporary table in Postgres like
# so"); with no code after it, it says how something is ("…before deploying a migration like this.").
_POINTS_AT_CODE = re.compile(r"\blike\s+(?:so|this)\s*\.?\s*$", re.IGNORECASE)
MAX_STEPS = 20
# A sentence that says the page's steps follow, told as the writer took them ("I needed to run Selenium on macOS for
# the first time today. Here's how I got it working.", "Here's what I did.", "I used the following pattern with pyenv to
# quickly run the tests against that specific version."): no code right after it, but the page's lead-ins below, each
# with its code, in sections of their own. ("Here's what I did:" leads in the code or list right after it.)
_WALKS_THROUGH = re.compile(r"^\W*(?:here(?:['’]s|\s+is)\s+(?:what|how)\s+I\s+(?:did|got|went|made|set|managed|ended)"
                            r"|(?:this|that)\s+is\s+(?:what|how)\s+I\s+(?:did|got)"
                            r"|I\s+(?:used|use|figured\s+out|found|came\s+up\s+with)\s+the\s+following\s+"
                            r"(?:pattern|steps|process|recipe|approach|sequence|workflow))\b[^:]*[.!]\s*$",
                            re.IGNORECASE)
# A lead-in that shows what a program printed, no error named ("This outputs (on my machine):", "This returned JSON that
# looks like this:", "The result starts like this:").
_INTRODUCES_OUTPUT = re.compile(r"^\W*(?:this|it|that|which)\s+(?:outputs?|printe?d?s?|returne?d?s?|produce[ds]?"
                                r"|gives|gave|displaye?d?s?|show(?:s|ed)?|looks\s+like)\b[^:]*:\s*$"
                                r"|^\W*the\s+(?:result|output|response)s?\b[^:]*:\s*$", re.IGNORECASE)
WALKTHROUGH_STEPS = 8  # the most lead-ins an answer quotes from a page's walkthrough
DETERMINERS = frozenset({"the", "a", "an", "this", "that", "these", "those", "your", "its", "their", "our", "each",
                          "every", "any"})
_WORD = re.compile(r"\w+", re.UNICODE)
_HYPHENED_WORD = re.compile(r"\w+(?:-\w+)*", re.UNICODE)
_DOUBLES_LAST = re.compile(r"(?:^|[^aeiou])[aeiou][bdgklmnprt]$")  # set → setting, run → running, stop → stopped


def asked_action(question: str) -> str:
    """The verb of "How do I <verb> …?" ("create" for "How do I create a vault?"), in lowercase; "" for any other
    question. Of "How do I make Anki pick up the GTK theme?", what Anki is to do: "pick"."""
    m = _made_to_do(question) or _HOW_TO.match(question)
    return m.group(1).casefold() if m else ""


def _made_to_do(question: str) -> re.Match[str] | None:
    m = _CAUSATIVE.match(question)
    return m if m and m.group(1) not in STOPWORDS and m.group(1) not in _NO_VERBS else None


def asked_particle(question: str) -> str:
    """The particle after the verb of "How do I <verb> <particle> …?" ("on" for "How do I turn on Restricted mode?"),
    in lowercase; "" for none."""
    m = _made_to_do(question) or _HOW_TO.match(question)
    if not m:
        return ""
    last = _LAST_PARTICLE.search(question)
    return (m.group(2) or (last.group(1) if last else "")).casefold()


def is_lead_in(sentence: str) -> bool:
    """A sentence that introduces a list or code ("Create today's daily note:", "You can create a new canvas
    using the following methods."): alone, it answers nothing."""
    return sentence.rstrip().endswith(":") or bool(_POINTS_ONWARD.search(sentence))


def leads_in_code(sentence: str) -> bool:
    """A sentence that introduces the code block right after it: a lead-in, or one that ends "like so" or "like
    this"."""
    return is_lead_in(sentence) or bool(_POINTS_AT_CODE.search(sentence))


def states_a_goal(sentence: str) -> bool:
    """Whether the sentence says what the writer wanted, or found how, to do (`_STATES_A_GOAL`)."""
    return bool(_STATES_A_GOAL.match(sentence))


def walks_through(sentence: str) -> bool:
    """Whether the sentence says the page's steps follow, as the writer took them (`_WALKS_THROUGH`)."""
    return bool(_WALKS_THROUGH.match(sentence))


def is_walkthrough_step(sentence: str) -> bool:
    """Whether a paragraph's last sentence leads in a step of a page's walkthrough: it introduces the code after it
    ("I installed 3.8.17 like this:"), and not what a program printed ("This outputs (on my machine):"), what failed
    ("I tried this:") or an example of what the writer wanted."""
    return leads_in_code(sentence) and not (_SHOWS_OUTPUT.search(sentence) or _INTRODUCES_OUTPUT.match(sentence) or
                                            _SHOWS_EXAMPLE.search(sentence) or _TRIED.search(sentence))


@dataclass(frozen=True)
class Steps:
    """A procedure's list items, as the passage has them."""

    lines: tuple[str, ...]  # none where the lead-in introduces code alone ("To install it, run:")
    numbered: bool  # a numbered list's ("1. Open Settings."): "Repeat step 5 for each device." counts on it
    code: CodeAfter = ()  # the code blocks its steps introduce ("1. Install Ruby:", then the command), by step index
    lead_in_code: Code | None = None  # the code block its lead-in introduces
    # The lead-in as quoted: its line's last sentences that are lead-ins ("…run the following command. This will
    # create a new virtual environment in … .venv:"), the first of them saying what the steps do.
    lead_in: str = ""

    def quoted_code(self, headed: bool) -> CodeAfter:
        """The code blocks by the line of the quote they follow: the quote is the lead-in and the steps, or the steps
        alone under a heading that leads them in."""
        lead = () if headed or self.lead_in_code is None else ((0, self.lead_in_code),)
        return (*lead, *((at + (0 if headed else 1), code) for at, code in self.code))


def procedures(passage: Passage) -> dict[str, Steps]:
    """Each lead-in of the passage that list items or code follow, by its first sentence, with those items (at most
    MAX_STEPS) and that code: the steps it introduces. A lead-in that is a list item itself introduces only its code
    ("1. Create a Meta Page … that lists the plug file:"), not the items after it (every line of an outline is one:
    Logseq's pages). None in kbd's own notes, whose lists are key points."""
    if not (passage.items or passage.code) or passage.kbd_owned:
        return {}
    lines = passage.text.split("\n")
    code = dict(passage.code)
    found: dict[str, Steps] = {}
    for at, line in enumerate(lines):
        led = at not in passage.items and at + 1 in passage.items
        if not led and at not in code:
            continue
        sentences = split_sentences(line)
        # "If you do want to limit your statements…, you can set the execution time like so", then the `set`.
        if sentences and (is_lead_in(sentences[-1]) or (at in code and leads_in_code(sentences[-1]))):
            # "To create a virtual environment, … run the following command. This will create a new virtual
            # environment in a local folder named .venv:": the lead-in is both, the first saying what it does.
            first = len(sentences) - 1
            while first and is_lead_in(sentences[first - 1]):
                first -= 1
            steps = _steps(passage, lines, at + 1, code) if led else Steps((), False)
            found[sentences[first]] = replace(steps, lead_in_code=code.get(at), lead_in=" ".join(sentences[first:]))
    return found


def headed_steps(passage: Passage) -> Steps | None:
    """The list a passage opens its section with, where its heading is the list's lead-in (Obsidian's "### Log in
    with your Obsidian account", then "1. Open Settings.", "2. In the sidebar, select General.", …): two items or
    more. Not in kbd's own notes (a summary's "Key points")."""
    if passage.kbd_owned or not passage.opens_section or not passage.heading or 0 not in passage.items:
        return None
    steps = _steps(passage, passage.text.split("\n"), 0, dict(passage.code))
    return steps if len(steps.lines) > 1 else None


def _steps(passage: Passage, lines: list[str], first: int, code: dict[int, Code]) -> Steps:
    """The list items from line `first` on, at most MAX_STEPS, with the code after each (`code`: by line)."""
    end = first
    while end < len(lines) and end in passage.items and end - first < MAX_STEPS:
        end += 1
    return Steps(tuple(lines[first:end]), all(at in passage.numbered for at in range(first, end)),
                 tuple((at - first, code[at]) for at in range(first, end) if at in code))


def only_says_steps_follow(lead_in: str) -> bool:
    """Whether a lead-in says no more than that steps or commands follow ("To enable it, please follow these steps:",
    "Run the following commands in a terminal:"): its section's heading says better what they do ("Enabling E2EE")."""
    return bool(_ONLY_STEPS_FOLLOW.search(lead_in) or _ONLY_COMMANDS_FOLLOW.search(lead_in))


def step_mark(number: int, numbered: bool) -> str:
    """The mark before a procedure's step as kbd shows it: "3." where the note numbers its steps, else "-"."""
    return f"{number}." if numbered else "-"


def lead_in_and_steps(quote: str) -> tuple[str, list[str]]:
    """An extractive quote of several lines as a procedure: its lead-in ("To create a new empty vault:") and its steps,
    one a line; ("", steps) where the quote is a section's list, whose lead-in is its heading."""
    lines = [line for line in quote.split("\n") if line.strip()]
    # A walkthrough's first line ends saying the steps follow: "…Here's how I got it working."
    if len(lines) > 1 and (is_lead_in(lines[0]) or walks_through((split_sentences(lines[0]) or [""])[-1])):
        return lines[0], lines[1:]
    return ("", lines) if len(lines) > 1 else (quote, [])


def code_at_line_ends(passage: Passage) -> dict[str, Code]:
    """The code blocks of the passage by the last sentence of the line each follows: a step quoted alone ("Clone the
    sample plugin using Git.") is shown with its command."""
    lines = passage.text.split("\n")
    return {sentences[-1]: block for at, block in passage.code if (sentences := split_sentences(lines[at]))}


def code_of_parts(opening: str, steps: list[str], code: CodeAfter) -> tuple[Code | None, list[Code | None]]:
    """The code block a quote's lead-in shows, and each of its steps', the quote parted by `lead_in_and_steps`."""
    by_line = dict(code)
    first = 1 if opening else 0
    return by_line.get(0) if opening else None, [by_line.get(first + n) for n in range(len(steps))]


def introduces(lead_in: str, action: str, things: set[str], passage: Passage, particle: str = "") -> bool:
    """Whether a procedure's lead-in introduces steps that do what "How do I <action> [<particle>] <things>?" asks: the
    action opens it or follows a "to" in it ("To exclude a specific folder from syncing:", "If you want to completely
    reset your local Zettlr installation, follow these steps:", "There are three ways to define menu entries:", "To
    start using GistPad…"), with the asked particle, if any ("To turn off Restricted mode:" does not turn it on), and
    not to show what something printed ("…and got this error:"); a lead-in that only says steps follow ("Follow these
    steps:") takes its section's heading's verb ("How to set it up"). And it, its section's heading or its page's title
    names one of the things (`things`: word keys, kbd.engines.base.word_key): "To enable it, please follow these
    steps:" under *Enabling E2EE* on "End-To-End Encryption (E2EE)"."""
    if not action or _SHOWS_OUTPUT.search(lead_in) or _SHOWS_EXAMPLE.search(lead_in):
        return False
    does = _does_at(lead_in, action, particle)
    if not does and passage.heading and only_says_steps_follow(lead_in):
        does = _does_at(passage.heading, action, particle)
    if not does and gives_the_solution(lead_in):
        does = solved_here(passage, action, particle)
    # Two of the things, where two were asked: "Install Obsidian on Android:" names Obsidian, not iOS. A note's folder
    # says what it is about too ("postgres/different-ways-to-define-an-interval.md").
    where = f"{lead_in} {passage.heading or ''} {passage.title} {passage.path.rsplit('.', 1)[0]}"
    context = {word_key(w) for w in _WORD.findall(where.casefold()) if w not in STOPWORDS and len(w) > 1}
    return does and len(context & things) >= max(1, min(2, len(things)))


def opens_a_doing_section(passage: Passage, action: str, things: set[str], particle: str = "") -> bool:
    """Whether the passage opens a section inside its page whose heading does what "How do I <action> …?" asks ("##
    Upgrading" on "Installing & Upgrading Anki on Windows", "## Using Snippets")."""
    return bool(action) and passage.opens_section and passage.heading not in (None, passage.title) and \
        introduces(passage.heading or "", action, things, passage, particle)


def what_came_before(sentence: str, before: str, action: str, things: set[str], passage: Passage,
                      particle: str = "") -> str:
    """What the sentence says how to do ("You can do this by…", "To do so, …"): the words before it in the sentence,
    or the sentence before it, where they want what "How do I <action> …?" asks (`introduces`); "" for none."""
    m = _DOES_WHAT_CAME_BEFORE.search(sentence)
    return next((wanted for wanted in (sentence[:m.start()], before)
                 if _WORD.search(wanted) and introduces(wanted, action, things, passage, particle)), "") if m else ""


def goal_before(lead_in: str, before: str, action: str, things: set[str], passage: Passage, particle: str = "") -> str:
    """The sentence before a lead-in on its line, where it says the writer wanted, or found how, to do what "How do I
    <action> …?" asks (`_STATES_A_GOAL`): what the lead-in's code does; "" for none. Not a lead-in that shows what was
    tried, what something printed or an example (`introduces`)."""
    goal = _STATES_A_GOAL.match(before)
    if not goal or _TRIED.search(lead_in) or _SHOWS_OUTPUT.search(lead_in) or _SHOWS_EXAMPLE.search(lead_in) or \
            f"{before} {lead_in}" not in passage.text:
        return ""
    return before if introduces(f"to {before[goal.end():]}", action, things, passage, particle) else ""


def gives_the_solution(sentence: str) -> bool:
    """Whether the sentence gives its page's solution ("Solution: use heredoc syntax:", "The solution was to…") or one
    of its ways ("The first approach is to…")."""
    return bool(_GIVES_THE_SOLUTION.match(sentence))


def solved_here(passage: Passage, action: str, particle: str = "") -> bool:
    """Whether the passage's section heading or its page's title does what "How do I <action>…?" asks: what a solution
    given in it does ("Passing command arguments using heredoc syntax")."""
    return any(_does_at(name, action, particle)
               for name in (passage.heading, passage.title) if name)


def does_the_action(text: str, action: str, particle: str = "", past: bool = True) -> bool:
    """Whether the text does the action (`_does_at`): "You can remove a not null constraint…" removes; `past`: "We've
    marked our articles…" marks too."""
    return bool(action) and _does_at(text, action, particle, past)


def _does_at(text: str, action: str, particle: str, past: bool = True) -> bool:
    """Whether the text's words hold the action as their verb: among the first three (after "to"), not after a
    determiner ("The merge request is made up of three things:"), or after a "to", past a word in -ly and
    "start"/"begin" ("to completely reset", "to start using"); not followed, within four words, by another direction
    than the asked one or by "to" ("To turn off Restricted mode:", "To switch to Reading view:" for "switch on"). A
    verb of two words joined by a hyphen ("pretty-print") is one word there ("to pretty-printing")."""
    words = [w.casefold() for w in (_HYPHENED_WORD if "-" in action else _WORD).findall(text)]
    if not words:
        return False
    forms = {action, f"{action}s", f"{action}ing", f"{action.removesuffix('e')}ing"}
    if past:
        forms |= {f"{action}ed", f"{action}d"}
    if _DOUBLES_LAST.search(action):  # "Setting up the uv virtual environment", "Running and Testing Locally"
        forms |= {f"{action}{action[-1]}ing", *([f"{action}{action[-1]}ed"] if past else [])}
    start = 1 if words[0] == "to" else 0
    at = [i for i, w in enumerate(words[start:start + 3], start) if i == 0 or words[i - 1] not in DETERMINERS]
    for i, word in enumerate(words[:-1]):
        if word == "to":
            rest = [j for j in range(i + 1, min(i + 4, len(words))) if not words[j].endswith("ly")]
            if rest and words[rest[0]] in ("start", "begin") and len(rest) > 1:
                rest = rest[1:]
            if [words[j] for j in rest[:2]] != ["make", "sure"]:  # "Things to be aware of, to make sure your…:"
                at += rest[:1]
    for i in at:
        # "Searching and dependencies:" is a label of two things, not a step that searches; "Running and Testing
        # Locally" does two things.
        label = words[i].endswith("ing") and words[i + 1:i + 2] in (["and"], ["or"]) and \
            not "".join(words[i + 2:i + 3]).endswith("ing")
        if words[i] in forms and not label:
            told = next((w for w in words[i + 1:i + 5] if w in _DIRECTIONS or w == "to"), particle)
            if particle not in _DIRECTIONS or told == particle:
                return True
    return False
