"""Which sentences state a finding, and which only say what a study set out to do or how.

A reader of a concept page, an answer or a slide wants what the sources found ("Therapy reduced
insomnia severity by nine points") before what they aimed at or did ("We searched five databases").
Used by the offline engine to choose among sentences that all mention the same thing; it never
drops a sentence, it only orders them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kbd.engines.lexicon import STOPWORDS

# Aims and methods: how a study was done, not what it showed.
_AIM_OR_METHOD = re.compile(
    r"^(?:in this (?:study|paper|review|trial|article|work),?\s+)?"
    r"(?:we|the authors|our (?:study|team|aim|goal|objective)s?|this (?:study|paper|review|trial|article|work|analysis)"
    r"|the (?:aim|objective|purpose|goal)s? of)\b[^.]{0,60}?\b(?:search(?:ed)?|aim(?:s|ed)?|sought|seek|set out"
    r"|investigat\w*|examin\w*|assess\w*|evaluat\w*|recruit\w*|conduct\w*|perform\w*|includ\w*|screen\w*"
    r"|review\w*|describ\w*|explor\w*|extract\w*|collect\w*|analy[sz]\w*|measur\w*|compar\w*|randomi[sz]\w*"
    r"|design\w*|propos\w*|present\w*|introduc\w*|report\w* on|focus\w*)\b"
    r"|^(?:to (?:assess|evaluate|examine|determine|investigate|compare)\b)"
    r"|^(?:\d+\s+)?(?:data|participants|patients|studies|trials|articles|records)\b[^.]{0,40}\b(?:were|was) "
    r"(?:included|excluded|extracted|collected|recruited|screened|searched|randomi[sz]ed|assessed|measured"
    r"|found|identified)\b",
    re.IGNORECASE)
# A pointer elsewhere: "See `man tmux` for more details.", "For details, see the paper.", "To learn more, see…",
# "More details can be found in…". It says nothing about the concept, and two of them share their words ("more
# details"), so they agreed with one another and led syntheses ("See man tmux for more details. (3 of 14 sources
# agree)"). An imperative needs its "for more…" ("See Table 2: the hazard ratio was 0.62", "Consult a doctor
# before…" say something); "for more than 10,000 patients" is no pointer, nor "More information improved…".
_MORE = (r"(?:more|further|additional|full|the full|complete|details|detailed|information|info|examples"
         r"|a (?:more|full|complete|detailed))\b(?!\s+than\b)")
_REFERS_ELSEWHERE = re.compile(
    rf"^(?:see|refer to|consult|check(?: out)?|read|visit|head (?:over )?to|look at|take a look at|go to)\b"
    rf"[^.:;]{{0,150}}?\bfor {_MORE}"
    r"|^see(?:\s*:|\s+(?:also|below|above)\b)"
    r"|^see (?:this|that|the|our) (?:\w+ )?(?:tutorial|guide|page|article|documentation|docs|post|video)"
    r"(?:\s+(?:for|on|about|below|above|of|to|at|in|here)\b|\s+(?-i:[A-Z\[])|\s*[.:,])"
    r"|^(?:to (?:learn|read|find out|see) more|(?:you can )?(?:learn|read|find out) more\b(?!\s+than\b))"
    r"|^for (?:more|further|additional|full)?\s*(?:details|information|info|reading|examples|context)\b"
    r"|^for more\s*,"
    r"|^(?:more|further|additional) (?:details|information|info)\b[^.]{0,80}?"
    r"(?:\bcan be found\b|\b(?:is|are) (?:available|in|at|on)\b|\bsee\b|\bhere\b|:)",
    re.IGNORECASE)
# A signpost: the text saying what it will do or did, not what it found ("First, let's take a look at the ownership
# rules.", "In this chapter, we'll talk about ownership…", "To get a better understanding of the geometric properties
# of the momentum method we revisit gradient descent…", "Now that we've discussed the details of calling panic!…").
# Textbooks and tutorials write one or two a section; they led answers and decks on the D2L and Rust books.
# "Let's Encrypt" is a name; "which will let us reuse it" says what something does.
_LETS = re.compile(r"(?:^|[,:;]\s+)(?:(?:first|next|now|then|finally|so|here|again|instead|but)\b,?\s+)?"
                   r"let(?:['’]s| us)\s+(?!encrypt\b)", re.IGNORECASE)
# A task in an outliner's markers (Logseq, org-mode): "TODO [[Ramses]] would like to rename to PDF Reader #docs" led
# "How do I highlight a PDF?". The task opens with a priority ("LATER [#A] big important…"), a name or a capital, or a
# lowercase task ends with a tag ("NOW fix some bugs #tag1"); "NOW is the time…", "DONE tasks are hidden…", "NOW I
# understand" and a heading in capitals ("NOW PLAYING") are no tasks.
_TASK = re.compile(r"(?:TODO|DOING|LATER|NOW|DONE|WAITING|CANCELL?ED)\s+"
                   r"(?:\[#[A-C]\]|\[\[|(?!I\b)[A-Z][a-z'’]*\b|[a-z][^.!?]*\s#[\w/-]+\s*$)")
# Matched at the sentence's start only: a search over every position of every sentence cost the compile 7 %.
_OPENING_SIGNPOST = re.compile(
    # "We’ll look at…" opens the sentence or its clause after a word or two ("First, we’ll review…", "In the next
    # section, we will discuss…"): "The first collection type we’ll look at is Vec<T>" says what Vec<T> is.
    r"(?:(?:first|next|now|then|here|below|later|finally|so|again|also|instead)\b,?\s+"
    r"|in (?:this|the next|the following) (?:section|chapter|part|lesson)s?,?\s+"
    r"|as (?:a|an|our) (?:\w+ )?example(?: of [^,]{1,60})?,\s+)?"
    r"(?:we|you)(?:['’]ll| will| shall| are going to|['’]re going to)\s+(?:now\s+|first\s+|briefly\s+|also\s+|then\s+)?"
    r"(?:look at|discuss|explore|talk about|introduce|walk through|work through|turn to|focus on|revisit"
    r"|take a (?:closer )?look|see how|review|examine|explain|describe|demonstrate|go over|move on|dive into)\b"
    r"|(?:in|throughout) (?:this|the (?:next|following|previous|last)) (?:section|chapter|part|tutorial|guide"
    r"|lesson)s?\b,?\s+(?:we|you)\b"
    r"|now that (?:we|you)(?:['’]ve| have)\b"
    # The page saying what it holds ("This page explains how Obsidian stores its data", "This guide walks you
    # through…"); not a section of an app ("This section shows your currently connected remote vault").
    r"|this (?:page|article|guide|tutorial|document|doc|post|chapter|section) (?:explains|describes|covers|walks"
    r"|outlines|introduces|discusses|documents|details|teaches|will (?:explain|describe|cover|walk|show|teach"
    r"|introduce|guide|help))\b"
    r"|this (?:page|article|guide|tutorial|document|doc|post|chapter) (?:shows|lists|gives|provides|contains)\b"
    r"|this section shows (?:you )?how to\b"  # Tasks' "This section shows how to use QuickAdd with…"
    r"|to (?:illustrate|demonstrate|get a (?:better |clearer )?(?:understanding|sense|feel|idea))\b(?!,)",
    re.IGNORECASE)
# A step of what "we" did, as a paper's methods or a tutorial's walk through its code tell it ("In Listing 13-4, we
# define a closure that…", "Next, in Listing 13-5, we change the closure body…", "We trained the model for 10
# epochs."): a method, not what was found ("we found", "we observed" are not here, nor "we call X Y", a definition,
# nor "we use X when…", a rule). A Rust book deck on closures was a slide per step.
_NARRATION = re.compile(
    r"^(?:(?:next|then|now|first|here|again|finally|so|instead|also|below|above)\b,?\s+)?"
    r"(?:(?:in|with)\s+(?:listing|figure|fig\.|example|table)\s+[\w.-]+,?\s+)?we\s+(?:\w+ly\s+)?"
    r"(?:change|define|add|create|write|wrote|implement|make|made|put|pass|store|declare|print|run|ran|update"
    r"|modify|modified|replace|remove|import|instantiate|initiali[sz]e|load|train|plot)(?:d|ed|s)?\b",
    re.IGNORECASE)
# A pointer to a book's listing of code, not what the code shows ("Listing 13-8 shows an example of a closure that…",
# "Listing 5-9 shows another version of our program…": the Rust book opens about 100 sentences so).
_SHOWS_A_LISTING = re.compile(
    r"^(?:(?:in\s+contrast|for\s+example|here|now|next|then|instead|similarly|again),?\s+)?"
    r"listing\s+[\w.-]+\s+(?:\w+ly\s+)?(?:shows|illustrates|demonstrates|contains|has|gives)\b", re.IGNORECASE)
# Comparisons state a result beside the verbs that report one ("…were lower"); alone in a definition they state none
# ("zero or more resources", `defines`).
_COMPARATIVES = r"higher|lower|more|less|faster|slower|better|worse"
# Verbs that report a result.
_FINDING = re.compile(
    r"\b(?:found|finds|showed|shows|shown|demonstrated|revealed|indicat(?:es|ed)|suggest(?:s|ed)|confirm(?:s|ed)"
    r"|reduc(?:es|ed)|increas(?:es|ed)|decreas(?:es|ed)|improv(?:es|ed)|lower(?:s|ed)|rais(?:es|ed)|rose|fell"
    r"|worsen(?:s|ed)|predict(?:s|ed)|associated with|linked (?:to|with)|related to|correlat(?:es|ed) with"
    r"|led to|leads to|result(?:s|ed)? in|caus(?:es|ed)|prevent(?:s|ed)|protect(?:s|ed)|outperform(?:s|ed)?"
    r"|no (?:significant )?(?:differences?|effects?|associations?)|(?:were|was|is|are) similar"
    r"|did not|was not|were not|" + _COMPARATIVES + r")\b", re.IGNORECASE)


def finding_rank(sentence: str) -> int:
    """2: states a result (a finding verb, or a number with one); 1: a plain statement; 0: an aim
    or a method (a step of what "we" did too), a pointer elsewhere (`refers_elsewhere`) or to a listing, a signpost or
    a question."""
    if _AIM_OR_METHOD.search(sentence) or is_narration(sentence) or refers_elsewhere(sentence) or \
            is_signpost(sentence) or is_question(sentence) or _SHOWS_A_LISTING.match(sentence.lstrip(" \t([")):
        return 0
    return 2 if _FINDING.search(sentence) else 1


def is_signpost(sentence: str) -> bool:
    """Whether the sentence says what the text will do or did ("Let’s move on to Chapter 5…"), or what its writer is
    to do (Logseq's "TODO Fill out this page #docs"), not what it found."""
    sentence = sentence.lstrip(" \t([")
    return bool(_OPENING_SIGNPOST.match(sentence) or ("et" in sentence and _LETS.search(sentence))
                or _TASK.match(sentence))


def is_question(sentence: str) -> bool:
    """Whether the sentence asks rather than says ("What changes when we perform …?", a question in quotes too)."""
    return sentence.rstrip(" \"”’)").endswith("?")


def is_narration(sentence: str) -> bool:
    """Whether the sentence tells a step of what "we" did ("In Listing 13-4, we define a closure…")."""
    return bool(_NARRATION.search(sentence))


def refers_elsewhere(sentence: str) -> bool:
    """Whether the sentence only sends the reader elsewhere ("See `man sed` for more details.")."""
    return bool(_REFERS_ELSEWHERE.search(sentence.lstrip(" \t([")))


_CONTENT = re.compile(r"[A-Za-z][A-Za-z-]{3,}")


@dataclass(frozen=True)
class SynthesisPoint:
    """One finding of a synthesis: the sentence that states it and the others that agree with it."""

    index: int  # into the sentences given
    agreeing: tuple[int, ...]  # the other sentences that say the same thing (same sentence, or shared words)


@dataclass(frozen=True)
class StatedNumber:
    """A number a sentence states, with the words around it that say what it counts."""

    index: int
    text: str  # copied from the sentence: its clause that holds the number


# A number worth repeating: digits with a decimal, a percent, or grouped thousands ("79 551"); not a
# year on its own, not a citation marker ("[12]"), not a list number.
_NUMBER = re.compile(r"(?<![\w.\[])[-−–]?\d+(?:[ \u00a0\u2009\u202f,]\d{3})*(?:\.\d+)?(?:\s?%)?(?![\w\]])")
_YEAR = re.compile(r"^(?:1[89]|20)\d\d$")
_CLAUSE_BREAK = re.compile(r"[;:()]|,\s|\s[—–]\s")
NUMBER_CLAUSE_CHARS = 140


def _content_words(sentence: str, name_words: set[str]) -> set[str]:
    return {w.lower() for w in _CONTENT.findall(sentence)} - STOPWORDS - name_words


def synthesis_points(sentences: list[str], name: str, k: int) -> list[SynthesisPoint]:
    """Up to `k` distinct findings the sentences agree on, strongest first (results before aims and
    methods, then the most agreed with, then those the concept's name opens, then those with a number),
    each with the sentences that agree with it: the same sentence, or one sharing two content words or
    more besides the concept's own name. A sentence that says what the concept is ("A page bundle is a
    directory that encapsulates both content and associated resources.", `defines`) comes first, agreed with
    or not: a reader opening the page learns what it is about before what the sources found about it.
    A sentence that agrees with a finding already chosen is its support, not a finding of its own; one that only
    sends the reader elsewhere is neither.
    Where no two sentences agree, the strongest finding alone: a synthesis of each sentence once would
    only move the page's bullets above it, and leave "what the sources say" saying nothing."""
    name_words = {w.lower() for w in _CONTENT.findall(name)}
    words = [_content_words(s, name_words) for s in sentences]
    keys = [" ".join(s.casefold().split()) for s in sentences]

    pointers = {i for i, s in enumerate(sentences) if refers_elsewhere(s)}

    def agree(i: int, j: int) -> bool:
        return keys[i] == keys[j] or len(words[i] & words[j]) >= 2

    agreeing = [tuple(j for j in range(len(sentences)) if j != i and j not in pointers and agree(i, j))
                for i in range(len(sentences))]
    opens = [_opens_with(s, name) for s in sentences]
    definition = next((i for i, s in enumerate(sentences) if i not in pointers and defines(s, name)), None)
    order = sorted(range(len(sentences)), key=lambda i: (i != definition, -finding_rank(sentences[i]),
                                                         -len(agreeing[i]), not opens[i], not _numbers(sentences[i]),
                                                         i))
    some_agree = any(agreeing[i] for i in range(len(sentences)) if i not in pointers)
    points: list[SynthesisPoint] = []
    covered: set[int] = set()
    for i in order:
        if i in covered or i in pointers or (not agreeing[i] and some_agree and i != definition):
            continue
        points.append(SynthesisPoint(i, agreeing[i]))
        covered.update((i, *agreeing[i]))
        if len(points) >= k or (not agreeing[i] and i != definition):
            break
    return points


# A sentence that says what its subject is: "Hugo is a static site generator", "A page bundle is a directory…",
# "Front matter refers to the metadata…", "Page bundles are directories…", "Retrieval-augmented generation (RAG)
# is a technique…". Only a determiner before the name: "Slash commands are quick ways…" says what slash commands
# are, "Since JSON is a universal data format, …" is about something else. After "is" an article, and no judgement
# in its first two words ("Python is the most popular language…", "Hugo is the world's fastest framework…",
# "Meditation is an effective treatment…", "Caffeine is one of the strongest predictors…"); after "are" an article
# or a plural, one word after it at most ("Taxonomies are user-defined groupings", "Libraries are collections
# of…"), not a state or a judgement ("Migrations are irreversible…", "Docker images are big", "Add-ons are shared
# across profiles"). Never a comparison ("…a bit slower than SQLite") nor a result in its main clause ("Vaccines
# are safe and effective, the study found"; not "A sitemap is a file that shows search engines…", and a comparative
# alone is no result: "…zero or more resources"): a result is what the sources found.
_JUDGED = (r"(?:[\w'-]+\s+)?(?:most|more|less|least|best|better|worst|worse|bit|lot|major|minor|big|huge|great"
           r"|good|bad|key|leading|popular|default|one\s+of|effective|promising|strong|powerful|excellent|perfect|joy|must"
           r"|easy|hard|important|useful|nice|risk|de\s+facto|[a-z]+est)\b")
_DEFINED_BY = (r"(?:(?:a|an|the|your|each|every)\s+)?{name}(?:\s*\([^()]{{1,60}}\)|,\s+or\s+[^,.]{{1,40}},)?\s+"
               r"(?:is\s+(?:a|an|the)\s+(?!" + _JUDGED + r")|refers\s+to\b|means\b"
               r"|are\s+(?:(?:a|an|the)\s+(?!" + _JUDGED + r")|(?![a-z]+ly\s)(?:[\w-]+\s+)?(?P<plural>[\w-]+s)\b))")
_COMPARED = re.compile(_COMPARATIVES, re.IGNORECASE)
_RELATIVE = re.compile(r"\b(?:that|which|who|whose|where)\b", re.IGNORECASE)


def defines(sentence: str, name: str) -> bool:
    """Whether the sentence says what the concept is (`_DEFINED_BY`): its name, in the singular or plural, opens it."""
    words = [re.escape(w) for w in name.casefold().replace("-", " ").split()]
    main_clause = _RELATIVE.split(sentence, maxsplit=1)[0]  # "…a technique that reduces joins" reports nothing
    if not words or " than " in sentence or \
            any(not _COMPARED.fullmatch(m.group(0)) for m in _FINDING.finditer(main_clause)):
        return False
    stem = words[-1][:-1] if words[-1].endswith("s") and not words[-1].endswith("ss") else words[-1]
    if stem.endswith("ie"):
        stem = stem[:-2] + "y"  # "Taxonomies"
    if stem.endswith("y") and stem[-2:-1] not in "aeiou":
        last = stem[:-1] + "(?:y|ies)"  # "taxonomy", "taxonomies"; "arrays", "keys" below
    else:
        last = stem + "(?:s|es)?"
    written = r"[\s-]+".join([*words[:-1], last])
    said = re.match(_DEFINED_BY.format(name=written), sentence.casefold())
    plural = said.group("plural") if said else None
    return said is not None and not (plural and (plural in STOPWORDS or plural.endswith(("ss", "us", "is"))))


_WORD = re.compile(r"[a-z][\w'-]*")
_ANY_WORD = re.compile(r"[^\W_][\w'-]*")
SAYS_WORDS = 3  # words besides the concept's name that make a quote say something about it


def says_about(sentence: str, name: str) -> bool:
    """Whether a quote says something about the concept, rather than only label it: at least SAYS_WORDS
    words besides its name ("Open the Command palette.", "Graph view (local)", a table's cell, a menu's
    entry say nothing a reader of the concept's page needs)."""
    named = {w.rstrip("s") for w in _ANY_WORD.findall(name.casefold())}
    return sum(w.rstrip("s") not in named for w in _ANY_WORD.findall(sentence.casefold())) >= SAYS_WORDS


def _opens_with(sentence: str, name: str) -> bool:
    """Whether the sentence is about the concept: its name opens it, after at most one word ("The
    Knowledge Graph enables you to search…", "Your vault is a folder…"), in the singular or plural."""
    wanted = [w.rstrip("s") for w in _WORD.findall(name.casefold())]
    words = [w.rstrip("s") for w in _WORD.findall(sentence.casefold())[:len(wanted) + 1]]
    return bool(wanted) and wanted in (words[:len(wanted)], words[1:])


def _numbers(sentence: str) -> list[re.Match[str]]:
    return [m for m in _NUMBER.finditer(sentence) if not _YEAR.match(m.group(0))
            and (len(m.group(0).strip("-−–")) > 1 or m.group(0).endswith("%"))]


def stated_numbers(sentences: list[str], k: int) -> list[StatedNumber]:
    """Up to `k` numbers the sentences state, results first, each as the clause that holds it (copied,
    not rewritten): "pooled SMD −0.67", "79 551 participants"."""
    out: list[StatedNumber] = []
    seen: set[str] = set()
    for i in sorted(range(len(sentences)), key=lambda i: (-finding_rank(sentences[i]), i)):
        sentence = sentences[i]
        for m in _numbers(sentence)[:1]:  # one per sentence: the page has room for several sources
            starts = [b.end() for b in _CLAUSE_BREAK.finditer(sentence, 0, m.start())]
            ends = [b.start() for b in _CLAUSE_BREAK.finditer(sentence, m.end())]
            clause = sentence[starts[-1] if starts else 0:ends[0] if ends else len(sentence)].strip(" .,;")
            if len(clause) > NUMBER_CLAUSE_CHARS or len(clause.split()) < 2 or clause.casefold() in seen:
                continue
            seen.add(clause.casefold())
            out.append(StatedNumber(i, clause))
        if len(out) >= k:
            break
    return out
