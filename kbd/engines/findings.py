"""Which sentences state a finding, and which only say what a study set out to do or how.

A reader of a concept page, an answer or a slide wants what the sources found ("Therapy reduced
insomnia severity by nine points") before what they aimed at or did ("We searched five databases").
Used by the offline engine to choose among sentences that all mention the same thing; it never
drops a sentence, it only orders them.
"""

from __future__ import annotations

import re

# Aims and methods: how a study was done, not what it showed.
_AIM_OR_METHOD = re.compile(
    r"^(?:we|our (?:study|team|aim|goal|objective)s?|this (?:study|paper|review|trial|article|work|analysis)"
    r"|the (?:aim|objective|purpose|goal)s? of)\b[^.]{0,60}?\b(?:search(?:ed)?|aim(?:s|ed)?|sought|seek|set out"
    r"|investigat\w*|examin\w*|assess\w*|evaluat\w*|recruit\w*|conduct\w*|perform\w*|includ\w*|screen\w*"
    r"|review\w*|describ\w*|explor\w*|extract\w*|collect\w*|analy[sz]\w*|measur\w*|compar\w*|randomi[sz]\w*"
    r"|design\w*|propos\w*|present\w*|report\w* on|focus\w*)\b"
    r"|^(?:data|participants|patients|studies|trials|articles|records)\b[^.]{0,40}\b(?:were|was) "
    r"(?:included|excluded|extracted|collected|recruited|screened|searched|randomi[sz]ed|assessed|measured)\b",
    re.IGNORECASE)
# Verbs that report a result.
_FINDING = re.compile(
    r"\b(?:found|finds|showed|shows|shown|demonstrated|revealed|indicat(?:es|ed)|suggest(?:s|ed)|confirm(?:s|ed)"
    r"|reduc(?:es|ed)|increas(?:es|ed)|decreas(?:es|ed)|improv(?:es|ed)|lower(?:s|ed)|rais(?:es|ed)|rose|fell"
    r"|worsen(?:s|ed)|predict(?:s|ed)|associated with|linked (?:to|with)|related to|correlat(?:es|ed) with"
    r"|led to|leads to|result(?:s|ed)? in|caus(?:es|ed)|prevent(?:s|ed)|protect(?:s|ed)|outperform(?:s|ed)?"
    r"|no (?:significant )?(?:difference|effect|association)|did not|was not|were not|higher|lower|more|less"
    r"|faster|slower|better|worse)\b", re.IGNORECASE)


def finding_rank(sentence: str) -> int:
    """2: states a result (a finding verb, or a number with one); 1: a plain statement; 0: an aim
    or a method."""
    if _AIM_OR_METHOD.search(sentence):
        return 0
    return 2 if _FINDING.search(sentence) else 1




_CONTENT = re.compile(r"[A-Za-z][A-Za-z-]{3,}")


def strongest_findings(sentences: list[str], k: int) -> list[int]:
    """The indices of the `k` sentences to put first in a synthesis: results before aims and
    methods, then those the other sentences agree with (sharing two content words or more), then
    those with a number; ties keep the given order."""
    words = [{w.lower() for w in _CONTENT.findall(s)} for s in sentences]
    agree = [sum(len(a & b) >= 2 for j, b in enumerate(words) if j != i) for i, a in enumerate(words)]
    order = sorted(range(len(sentences)), key=lambda i: (-finding_rank(sentences[i]), -agree[i],
                                                         not re.search(r"\d", sentences[i]), i))
    return order[:k]
