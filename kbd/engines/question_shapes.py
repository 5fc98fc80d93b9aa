"""What a question asks, by its shape: "What is X?", "What does X do?", "What is X used for?". The offline answerer
ranks sentences by it, and retrieval passages (kbd/ask/retrieve.py), so that the passage which defines X is among
those an answer is drawn from."""

from __future__ import annotations

import re

from kbd.engines.base import singular
from kbd.engines.lexicon import STOPWORD_ALTERNATION, STOPWORDS

WHAT_IS = re.compile(r"^\s*what(?:\s+is|\s+are|['’]s|['’]re)\s+(?:an?\s+|the\s+)?(.{2,60}?)\s*\??\s*$", re.IGNORECASE)
WHAT_DOES = re.compile(r"^\s*(?:what\s+(?:does|do)\s+(?:an?\s+|the\s+)?(.{2,60}?)\s+do"
                        r"|how\s+(?:does|do)\s+(?:an?\s+|the\s+)?(.{2,60}?)\s+work)\s*\??\s*$", re.IGNORECASE)
# "What are trait objects used for?", "Why use a transposed convolution?", "When should I use Rc<T>?": what it is for.
USED_FOR = re.compile(r"^\s*(?:what\s+(?:is|are)\s+(?:an?\s+|the\s+)?(.{2,60}?)\s+(?:used\s+)?for"
                       r"|why\s+(?:would\s+(?:i|you|we)\s+|do\s+(?:i|you|we)\s+|should\s+(?:i|you|we)\s+)?use\s+"
                       r"(?:an?\s+|the\s+)?(.{2,60}?)"
                       r"|when\s+(?:should|would|do|can)\s+(?:i|you|we|one)\s+use\s+(?:an?\s+|the\s+)?(.{2,60}?))\s*\??\s*$",
                       re.IGNORECASE)


# Words ending in "s" that are no verb, or a verb that says X is or has something: not X doing anything ("Pooling is
# thus simple", "The slice was empty", "Slices in this chapter…").
_NO_ACTION = "|".join(sorted((re.escape(w) for w in STOPWORDS if w.endswith("s")), key=len, reverse=True))


# "X is/are" then what X is like, not what it is: an adjective in -ful or -ble, in lowercase, ending its clause or
# before a preposition ("Includes are useful for having a single source…"). Not a participle in -ed, which defines as
# often as not ("DenseNet is characterized by…", "Batch normalization is applied to individual layers…"), nor a word
# in -ing, as often a gerund ("Belligerence is deliberately attempting to make others feel bad…") as an adjective
# ("Conflicts are always annoying to deal with…").
_NO_PREDICATE_WORD = (r"(?!\s+(?:(?:\w+ly|always|often|also|still|now|not|only|never|then)\s+)*"
                      r"(?:(?-i:[a-z]{2,}(?:ful|ble))(?=\s*(?:[^\w\s]|$)|\s+(?:to|for|by|in|on|with|at|from|into|as|when"
                      r"|if|and|or|but|so|because|than|enough|unless|until)\b)))")


# The kind of thing a name is, which a definition may leave off the name it defines.
_KINDS = frozenset("plugin command feature function setting option package library module extension".split())


def asked_name(question: str) -> list[str]:
    """The words of the X that "What is X?", "What does X do?" or "How does X work?" asks about, as written; none for
    any other question, "What is X used for?" among them. Markup around a word is none of it ("What does `Reverse`
    do?": passages are plain text), and nor is the product it is asked of ("…in Rust", "…in Hugo": "Ownership is a
    set of rules…")."""
    m = None if USED_FOR.match(question) else WHAT_IS.match(question) or WHAT_DOES.match(question)
    if not m:
        return []
    written = [w for w in (w.strip("*_`\"“”‘’'") for w in next(g for g in m.groups() if g).split()) if w]
    if len(written) > 2 and written[-2].casefold() == "in" and written[-1][:1].isupper():
        written = written[:-2]
    return written


def definition_patterns(question: str, acting: bool = False
                        ) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """For "What is X?", a pattern for the sentences that define X ("X is …", "An X is …", "*Slices* let you…",
    "This design is called *multi-head attention*", "We call the action of creating a reference *borrowing*"), and
    one for those that open with X doing something ("A trait defines the functionality…"); for "What does X do?" and
    "How does X work?", the first is the latter ("Adam combines all these techniques…", "The Rc<T> type keeps track
    of…"). Not for "What is X used for?" (`USED_FOR`). With `acting`, X doing something is a verb X does, not "X
    is …", "X has …" or a plural noun before one ("Pooling layers are…"): where a passage is chosen by it (retrieval),
    "Pooling is an exceedingly simple operation" brought in a passage that says nothing of how pooling works; among
    the passages chosen, "Backpropagation through time is merely an application of backpropagation…" says what it
    does."""
    written = asked_name(question)
    if not written:
        return None, None
    # Each word as written, any space between them, either apostrophe ("Rust's" and "Rust’s"); the last also in the
    # singular (a deck's title "Traits": "A trait defines…").
    words = [re.sub("['’]", lambda _: "[’']", re.escape(word)) for word in written]
    last = written[-1]
    if singular(last) != last:
        words[-1] = rf"(?:{words[-1]}|{re.escape(singular(last))})"
    subject = r"\s+".join(words)
    if len(words) > 1 and singular(last).casefold() in _KINDS and (len(words) > 2 or written[0][:1].isupper()):
        # "What is the Audio recorder plugin?": "Audio recorder is a core plugin that lets you…", "What is the Canvas
        # plugin?": "Canvas is a core plugin for visual note-taking". Two words of the name, or a name: "Core is the
        # set of modules…" says nothing of a core plugin.
        subject = r"\s+".join(words[:-1]) + rf"(?:\s+{words[-1]})?"
    closing = r"[*_`'\"’”]*"  # the name's emphasis or quotes, closed after it
    opening = rf"^\W*(?:an?\s+|the\s+)?{subject}(?:e?s)?{closing}"
    # What X lets you do, said the other way round: "By adding CSS snippets, you can change parts of the Obsidian user
    # interface", "By creating link and image render hooks, you can alter the conversion from Markdown to HTML". Less
    # than "X is…" ("Audio recorder is a core plugin that lets you…" before "With the Audio recorder plugin, you
    # can…").
    enables = (rf"|^\W*(?:with|by\s+(?:adding|using|creating|enabling|writing))\s+(?!no\b|out\b)(?:an?\s+|the\s+)?"
               rf"(?:[\w-]+\s+(?:and|or)\s+)?(?:[\w-]+\s+){{0,2}}?{subject}(?:e?s)?{closing},?\s+you\s+can\b"
               r"(?!['’]t|not)")
    if acting:
        # X, or the kind of thing it is after it (a word, no function word), then a verb that does something.
        does = re.compile(rf"{opening}(?:\s+(?!(?:{STOPWORD_ALTERNATION}|are|were)\b)[a-z]+)?\s+(?:\w+ly\s+)?"
                          rf"(?:(?!(?:{_NO_ACTION})\b)[a-z]+s|can|will)\b"
                          r"(?!\s*,|\s+(?:is|are|was|were|have|had|can|will|may|must|should|would|could)\b)"
                          + enables, re.IGNORECASE)
    else:
        # X, or the kind of thing it is after it ("The Rc<T> type keeps…"), then a verb.
        does = re.compile(rf"{opening}(?:\s+[a-z]+)?\s+(?:\w+ly\s+)?(?:[a-z]+s|can|will)\b" + enables, re.IGNORECASE)
    if WHAT_DOES.match(question):
        return does, None
    # The name ends its clause: "…are called threads.", "It’s called _unsafe Rust_ and works…", "We call such vectors
    # *eigenvectors* and…"; not "we call the thread::spawn function". No run of spaces is read two ways (a line of
    # them made "we call" quadratic).
    named = (rf"[^\w\s]*(?:an?\s+|the\s+)?{subject}(?:e?s)?{closing}"
             r"(?=[.,;]\s|[.,;]?$|\s+(?:and|or|because|since|for)\b)")
    # X may be its owner's ("Rust’s closures are anonymous functions…").
    return re.compile(rf"^\W*(?:an?\s+|the\s+|[A-Z][\w-]*[’']s\s+)?{subject}(?:e?s)?{closing}"
                      rf"(?:\s+(?:(?:is|are)\b{_NO_PREDICATE_WORD}|means|refers\s+to|allows?|lets?|"
                      r"(?:happens|occurs|arises)\s+(?:when|if)\b)\b|\s+[-–—:]\s)"
                      rf"|\b(?:is|are|[’']s|[’']re)\s+(?:also\s+|typically\s+|often\s+|usually\s+)?(?:called|known\s+as"
                      rf"|referred\s+to\s+as|termed|dubbed|described\s+as)\s+{named}"
                      rf"|\bwe\s+call\s+(?=\S)[^.;]{{1,80}}?(?<=\S)\s+{named}", re.IGNORECASE), does
