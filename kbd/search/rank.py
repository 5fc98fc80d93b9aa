"""From ranked matches to the results a person wants: one per article, answers after their sources.

Pure functions over the stored fields of the index's best matches (path, type, article, cites).
"""

from __future__ import annotations

from dataclasses import dataclass

from kbd.search.notes import link_name

Match = tuple[dict[str, object], float]  # stored fields, score
# kbd's concept articles are its own synthesis, made of short keyphrase titles that match a query's
# words exactly: among the matches they count this much of their score, so the article a person
# clipped comes first when both match (tuned on the tuning half of bench/search_docs.py).
CONCEPT_WEIGHT = 0.5
CANDIDATES = 100  # matches re-ranked for one page of results


@dataclass(frozen=True)
class Article:
    stored: dict[str, object]  # the note the result shows: the best-ranked note of the article
    score: float
    also: tuple[str, ...]  # the article's other notes among the matches (a clipping's summary, or back)


def synthesis_after_articles(matches: list[Match]) -> list[Match]:
    """Concept articles' scores weighted down (CONCEPT_WEIGHT), the matches re-sorted."""
    weighted = [(stored, score * CONCEPT_WEIGHT if stored.get("type") == "concept" else score)
                for stored, score in matches]
    return sorted(weighted, key=lambda m: -m[1])


def one_per_article(matches: list[Match]) -> list[Article]:
    """A clipping and its source summary are one article: the better-ranked of the two is the
    result, and it names the other. Notes of no article are results of their own."""
    order: list[str] = []
    groups: dict[str, list[Match]] = {}
    for stored, score in matches:
        key = str(stored.get("article") or "") or f"\0{stored['path']}"
        if key not in groups:
            order.append(key)
            groups[key] = []
        groups[key].append((stored, score))
    out = []
    for key in order:
        (best, score), *rest = groups[key]
        out.append(Article(best, score, tuple(str(s["path"]) for s, _ in rest)))
    return out


def answers_after_sources(results: list[Article]) -> list[Article]:
    """An answer note ranks below every note it cites that is among the results: what the user
    clipped comes before what kbd concluded from it."""
    ranked = list(results)
    for result in [r for r in results if r.stored.get("type") == "answer"]:
        cites = {str(c) for c in (result.stored.get("cites") or ())}
        if not cites:
            continue
        at = ranked.index(result)
        cited = [i for i, r in enumerate(ranked) if i > at and _names(r) & cites]
        if cited:
            ranked.insert(max(cited), ranked.pop(at))
    return ranked


def _names(result: Article) -> set[str]:
    return {link_name(str(result.stored["path"])), *(link_name(p) for p in result.also)}
