"""The deterministic checks (no model), each registered with `registry.check`.

Checks only read: the scanned vault (`ctx.vault`) and state.db. Messages are markdown for the
report: a note that exists is a link (`note_link`), anything else is escaped text, so a report
never adds a broken link of its own.
"""

from __future__ import annotations

import difflib
import json
import posixpath
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator

from kbd.compile.concepts import is_marked, task_verbs, why_no_page
from kbd.compile.full_names import FullNames
from kbd.compile.titled import display_name
from kbd.engines.base import PAGE_RANK, concept_key, phrase_tokens, word_key
from kbd.engines.commonness import is_common_word, is_everyday_phrase
from kbd.lint.findings import Finding, Fix, Severity
from kbd.lint.phrases import (
    WORD,
    PhraseMatcher,
    differs_in_letter,
    initials,
    is_abbreviation,
    longer_page_names,
    one_deletion_groups,
    one_edit,
    without_addresses,
)
from kbd.lint.registry import CheckSettings, LintContext, check
from kbd.lint.scan import LinkAt, NoteFacts
from kbd.vault.linkgrammar import is_attachment, missing_fragment
from kbd.vault.links import wikilink
from kbd.vault.sanitize import escape_text, link_target

# Notes whose links are catalogues or records, not content: they neither make a note "linked"
# nor are they checked for broken links (a lint report quotes the broken links it lists).
_NOT_CONTENT = ("index", "report")


def note_link(path: str) -> str:
    """A link to a note that exists, or its path as text when no wikilink can point at it."""
    return wikilink(path) if link_target(path) else escape_text(path)


def _suggest(ctx: LintContext, target: str, cache: dict[str, str | None]) -> str | None:
    """The note a broken link most likely meant: same name ignoring case, punctuation and plurals,
    else the closest name by spelling."""
    key = concept_key(posixpath.basename(target))
    if key in cache:
        return cache[key]
    names = ctx.vault.by_name_key
    hit = names.get(key)
    if hit is None and key:
        close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.8)
        hit = names[close[0]] if close else None
    cache[key] = hit
    return hit


@check("broken_links", "broken links")
def broken_links(ctx: LintContext, settings: CheckSettings) -> Iterator[Finding]:
    """One finding per note and missing target (all its lines listed): a fix relinks them all."""
    resolver, cache = ctx.vault.resolver, {}
    for note in ctx.vault.notes.values():
        if note.area in _NOT_CONTENT:
            continue
        grouped: dict[str, list[LinkAt]] = {}
        for at in note.links:
            target = at.link.target
            if at.in_property and note.area == "raw":
                continue  # the Web Clipper links every author (`[[Ada Example]]`) to a note nobody writes
            if is_attachment(target):
                continue  # missing_attachments reports those
            found = resolver.resolve(target, note.path)
            if found is None:
                grouped.setdefault(target, []).append(at)
            elif found.endswith(".md") and (at.link.heading or at.link.block is not None):
                yield from _missing_fragment(ctx, note, at, found)
        for target, places in grouped.items():
            guess = _suggest(ctx, target, cache)
            if guess == note.path or (guess and note.area == "source" and _in_raw(ctx, target)):
                guess = None  # a summary's link to its clipping: the clipping moved, compile follows it
            kinds = {"embed of" if at.link.embed else "link to" for at in places}
            message = f"{note_link(note.path)}: {' and '.join(sorted(kinds))} “{escape_text(target)}” — no such note"
            lines = sorted({at.line for at in places})
            if len(lines) > 1:
                message += f" (lines {', '.join(map(str, lines))})"
            fix = None
            if guess:
                message += f"; did you mean {note_link(guess)}?"
                if note.owner == "kbd":
                    fix = Fix.make("relink", f"Relink to {note_link(guess)}", note=note.path,
                                   old=json.dumps(sorted({at.raw for at in places})),
                                   new=json.dumps([_relinked(raw, target, guess)
                                                   for raw in sorted({at.raw for at in places})]))
            yield Finding("broken_links", Severity.WARNING, note.path, message, fix,
                          lines[0] if len(lines) == 1 else None, (("target", target), ("suggestion", guess or "")))


def _missing_fragment(ctx: LintContext, note: NoteFacts, at: LinkAt, found: str) -> Iterator[Finding]:
    """A link to a heading or block the note it resolves to does not have."""
    facts = ctx.vault.notes.get(found)
    if facts is None:
        return
    missing = missing_fragment(at.link, *ctx.vault.anchors(found))
    if missing is None:
        return
    what = "block" if missing.startswith("^") else "heading"
    yield Finding("broken_links", Severity.WARNING, note.path,
                  f"{note_link(note.path)}: {escape_text(at.raw)} — {note_link(found)} has no {what} "
                  f"“{escape_text(missing)}”", line=at.line,
                  detail=(("target", f"{at.link.target}#{missing}"), ("suggestion", "")))


def _in_raw(ctx: LintContext, target: str) -> bool:
    return target.casefold().startswith(ctx.layout.raw.casefold() + "/")


def _relinked(raw: str, target: str, guess: str) -> str:
    new_target = guess[:-3] if guess.endswith(".md") else guess
    return raw.replace(target, new_target, 1)


@check("missing_attachments", "missing attachments")
def missing_attachments(ctx: LintContext, settings: CheckSettings) -> Iterator[Finding]:
    resolver = ctx.vault.resolver
    for note in ctx.vault.notes.values():
        if note.area in _NOT_CONTENT:
            continue
        for at in note.links:
            if at.in_property and note.area == "raw":
                continue  # Web Clipper property links (authors, sites) are names, not files
            if is_attachment(at.link.target) and not resolver.resolve(at.link.target, note.path):
                yield Finding("missing_attachments", Severity.WARNING, note.path,
                              f"{note_link(note.path)}: “{escape_text(at.link.target)}” — no such file in the vault",
                              line=at.line, detail=(("target", at.link.target),))
        for line, target in note.images:
            folder = posixpath.dirname(note.path)
            path = posixpath.normpath(posixpath.join(folder, target)) if not target.startswith("/") else target[1:]
            if path not in ctx.vault.files and not resolver.resolve(target.lstrip("/"), note.path):
                yield Finding("missing_attachments", Severity.WARNING, note.path,
                              f"{note_link(note.path)}: image {escape_text(target)} — no such file in the vault",
                              line=line, detail=(("target", target),))


@check("orphans", "orphan notes", options={"areas": ["source", "concept", "answer", "slides", "wiki", "other"]})
def orphans(ctx: LintContext, settings: CheckSettings) -> Iterator[Finding]:
    """A note nothing links to: no content note and none of kbd's index pages (index.md, its
    sub-index and mentions pages). The log and the reports do not count: they are records."""
    areas = set(settings.get("areas"))
    linked: set[str] = set()
    catalogued: set[str] = set()
    resolver = ctx.vault.resolver
    for note in ctx.vault.notes.values():
        if note.area == "report" or note.path == ctx.layout.log_note:
            continue
        for at in note.links:
            target = resolver.resolve(at.link.target, note.path) if at.link.target else None
            if target and target != note.path:
                (catalogued if note.area in _NOT_CONTENT else linked).add(target)
    for note in ctx.vault.notes.values():
        if note.path in catalogued:
            continue  # kbd's index and its sub-pages are how a reader finds it
        if note.area in areas and note.path not in linked and note.path != ctx.layout.log_note:
            yield Finding("orphans", Severity.INFO, note.path, f"{note_link(note.path)}: no note links to it")


def _sources(ctx: LintContext) -> dict[str, tuple[int, str, str]]:
    """raw path → (source id, sha256 summarised, summary note path)."""
    return {row[1]: (row[0], row[2], f"{ctx.layout.sources}/{row[3]}.md") for row in
            ctx.state.db.execute("SELECT id, raw_path, sha256, note_name FROM sources")}


@check("unsummarised", "raw notes without a summary")
def unsummarised(ctx: LintContext, settings: CheckSettings) -> Iterator[Finding]:
    sources = _sources(ctx)
    copies = {r[0] for r in ctx.state.db.execute("SELECT raw_path FROM copies")}
    why = {r[0]: (r[1], r[2]) for r in ctx.state.db.execute("SELECT path, status, reason FROM files")}
    for note in ctx.vault.in_area("raw"):
        if note.path in sources or note.path in copies:
            continue
        status, reason = why.get(note.path, (None, None))
        if status in ("rejected", "ignored"):
            message = f"{note_link(note.path)}: not summarised — kbd skipped it: {escape_text(reason or status)}"
            fix = None
        else:
            message = f"{note_link(note.path)}: not summarised yet"
            fix = Fix.make("recompile", f"Compile {note_link(note.path)}", raw=note.path)
        yield Finding("unsummarised", Severity.WARNING, note.path, message, fix)


@check("stale_summaries", "stale summaries")
def stale_summaries(ctx: LintContext, settings: CheckSettings) -> Iterator[Finding]:
    for raw, (_, sha, summary) in sorted(_sources(ctx).items()):
        note = ctx.vault.notes.get(raw)
        if note is None or sha.removeprefix("sha256:") == note.sha256:
            continue
        shown = note_link(summary) if summary in ctx.vault.notes else escape_text(summary)
        yield Finding("stale_summaries", Severity.WARNING, summary,
                      f"{shown}: {note_link(raw)} changed after it was summarised",
                      Fix.make("recompile", f"Re-compile {note_link(raw)}", raw=raw))


def _concept_pages(ctx: LintContext) -> dict[str, tuple[str, str]]:
    """concept key → (page path, name) for every concept page kbd keeps."""
    return {r[0]: (f"{ctx.layout.concepts}/{r[1]}.md", r[1])
            for r in ctx.state.db.execute("SELECT key, note_name FROM concepts")}


@check("single_source_concepts", "concepts with a single source")
def single_source_concepts(ctx: LintContext, settings: CheckSettings) -> Iterator[Finding]:
    from kbd.compile.concepts import article_count

    for key, (path, _) in sorted(_concept_pages(ctx).items()):
        if path in ctx.vault.notes and article_count(ctx.state, key) == 1:
            yield Finding("single_source_concepts", Severity.INFO, path,
                          f"{note_link(path)}: only one source mentions it")


def _aliases(note: NoteFacts) -> list[str]:
    value = note.properties.get("aliases")
    items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
    return [str(v) for v in items if isinstance(v, (str, int, float)) and str(v).strip()]


@check("duplicate_concepts", "duplicate concepts", options={"similarity": 0.0})
def duplicate_concepts(ctx: LintContext, settings: CheckSettings) -> Iterator[Finding]:
    """Two concept notes naming one thing. A merge is offered (with a box to tick) only on evidence
    that the names share a meaning: the same words ignoring case, punctuation, spacing and plurals; one's
    alias is the other's name; or one is the other's abbreviation, written out on one of the
    pages (`Multi-version concurrency control (MVCC)`). Names that are only spelt alike (one letter
    apart, or a spelling ratio of at least `similarity` when it is > 0) are listed without a box:
    `Light` and `Night` are one letter apart and two things. Reported once per pair, on the smaller concept."""
    notes = ctx.vault.in_area("concept")
    kbd_pages = {path: key for key, (path, _) in _concept_pages(ctx).items()}
    names: dict[str, list[str]] = defaultdict(list)  # normalised name → concept note paths
    stems: dict[str, str] = {}
    for note in notes:
        if note.properties.get("type") not in (None, "concept"):
            continue  # a concept's sub-page of further sources
        names[concept_key(note.stem)].append(note.path)
        stems[note.path] = note.stem
    sure: dict[tuple[str, str], str] = {}
    for paths in names.values():
        for other in paths[1:]:
            sure.setdefault(_pair(paths[0], other), "the same name")
    for paths in _same_words(names).values():  # `AVX-512`/`AVX512`, `Server Pages Wizard`/`Server Page Wizard`
        for other in paths[1:]:
            sure.setdefault(_pair(paths[0], other), "the same words")
    for note in notes:
        for alias in _aliases(note):
            for other in names.get(concept_key(alias), []):
                if other != note.path:
                    sure.setdefault(_pair(note.path, other), f"an alias of {note_link(note.path)}")
    by_initials: dict[str, list[str]] = defaultdict(list)
    for path, stem in stems.items():
        letters = initials(stem)
        if letters:
            by_initials[letters].append(path)
    for path, stem in stems.items():
        if is_abbreviation(stem):
            for other in by_initials.get(stem.casefold(), []):
                if _defines(ctx, (path, other), stem, stems[other]):
                    sure.setdefault(_pair(path, other), f"“{escape_text(stem)}” abbreviates {note_link(other)}")
    alike: dict[tuple[str, str], str] = {}
    keys = sorted(k for k in names if len(k) >= 5)
    for group in one_deletion_groups(keys):
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if a != b and one_edit(a, b) and not (a.isdigit() or b.isdigit()) and differs_in_letter(a, b):
                    alike.setdefault(_pair(names[a][0], names[b][0]), "names one letter apart")
    ratio = float(settings.get("similarity"))
    if ratio > 0:
        for i, a in enumerate(keys):
            for b in keys[i + 1:i + 50]:
                if difflib.SequenceMatcher(None, a, b).ratio() >= ratio:
                    alike.setdefault(_pair(names[a][0], names[b][0]), "nearly identical names")
    pairs = {**{p: (why, False) for p, why in alike.items() if p not in sure},
             **{p: (why, True) for p, why in sure.items()}}
    sources = {path: _source_count(ctx, kbd_pages.get(path)) for pair in pairs for path in pair}
    for (a, b), (why, evidence) in sorted(pairs.items()):
        keep, drop = (a, b) if (sources[a], -len(a)) >= (sources[b], -len(b)) else (b, a)
        if not evidence:
            yield Finding("duplicate_concepts", Severity.INFO, drop,
                          f"{note_link(drop)} and {note_link(keep)} are spelt alike ({why}); nothing says they "
                          f"mean the same, so no merge is offered — if they do, give one the other's name "
                          f"as an alias", detail=(("other", keep), ("evidence", "")))
            continue
        fix = None
        if drop in kbd_pages and keep in kbd_pages and ctx.vault.notes[drop].owner == "kbd":
            fix = Fix.make("merge_concepts", f"Merge {note_link(drop)} into {note_link(keep)}",
                           alias=ctx.vault.notes[drop].stem, into=kbd_pages[keep])
        yield Finding("duplicate_concepts", Severity.WARNING, drop,
                      f"{note_link(drop)} and {note_link(keep)} look like one concept ({why})", fix,
                      detail=(("other", keep), ("evidence", why)))


def _same_words(names: dict[str, list[str]]) -> dict[str, list[str]]:
    """Names whose words, each reduced to its lemma (`word_key`), spell the same letters: the
    same words with another plural, hyphen or space. Only groups of two or more."""
    groups: dict[str, list[str]] = defaultdict(list)
    for key, paths in names.items():
        groups["".join(word_key(w) for w in key.split())].append(paths[0])
    return {k: v for k, v in groups.items() if len(v) > 1}


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def _source_count(ctx: LintContext, key: str | None) -> int:
    if key is None:
        return 0
    return ctx.state.db.execute("SELECT COUNT(*) FROM source_concepts WHERE key=?", (key,)).fetchone()[0]


def _defines(ctx: LintContext, pages: tuple[str, str], short: str, long: str) -> bool:
    """Whether one of the two pages writes the abbreviation out: `Long (SHORT)` or `SHORT (Long)`.
    Same initials alone are no evidence: on a C++ documentation vault `ADO` matched `ATL Dialog
    object` and `Automatic data objects`, `CDC` four unrelated names."""
    long_words = r"\W+".join(map(re.escape, WORD.findall(long)))
    abbr = re.escape(short)
    written = re.compile(rf"\b{long_words}\W*\(\s*{abbr}\s*\)|\b{abbr}\s*\(\s*{long_words}\W*\)", re.IGNORECASE)
    return any(written.search(ctx.vault.text(page)) for page in pages)


@check("unlinked_names", "names mentioned in several notes with no page", options={"min_notes": 3})
def unlinked_names(ctx: LintContext, settings: CheckSettings) -> Iterator[Finding]:
    """A name kbd's extraction found in sources that has no concept page, mentioned in at least
    `min_notes` notes (clippings and the user's own notes; kbd's summaries repeat them)."""
    least = int(settings.get("min_notes"))
    pages = _concept_pages(ctx)
    existing = {concept_key(n.stem) for n in ctx.vault.notes.values()}
    aliases = {r[0] for r in ctx.state.db.execute("SELECT alias FROM concept_aliases")}
    page_names = {tuple(phrase_tokens(n.stem)) for n in ctx.vault.notes.values() if n.area == "concept"}
    candidates: dict[str, str] = {}
    for key, name in ctx.state.db.execute(
            # Only names some source is about: passing mentions get no page by design (issue 23), nor does a
            # phrase of everyday words no source marks as a name: a cheap first cut before the notes are read;
            # `why_no_page` below has the compile's every rule (kbd/compile/concepts.py).
            "SELECT key, name FROM source_concepts GROUP BY key HAVING MIN(rank) < ? ORDER BY key", (PAGE_RANK,)):
        if (key not in pages and key not in existing and key not in aliases and len(key) >= 3
                and looks_like_a_name(name) and (not is_everyday_phrase(name) or is_marked(ctx.state, key, name))):
            candidates.setdefault(key, name)
    if not candidates:
        return
    needles = {key: tuple(phrase_tokens(name)) for key, name in candidates.items()}
    needles = {key: words for key, words in needles.items() if words}
    wanted = set(needles.values())
    longer = longer_page_names(wanted, page_names)
    # A name in capitals that spells an everyday word ("LIST", bash's placeholder in `<(LIST)`) is mentioned only
    # where a note writes it so: as plain words, "list" made it a name of 54 TILs (a ticked box, a page of them).
    capitals = {needles[key]: shown for key, name in candidates.items() if key in needles
                and is_common_word(name.casefold()) and (shown := display_name(ctx.state, key)).isupper()}
    matcher = PhraseMatcher([*wanted, *(page for pages in longer.values() for page in pages)], written_so=capitals)
    hits_of: dict[tuple[str, ...], list[str]] = defaultdict(list)
    # One note at a time (its text is read again, never held): count every candidate and longer
    # page name in one pass over its words. A note counts for a candidate when the name occurs
    # there more often than inside longer page names (`buffer pool` inside `buffer pool manager`).
    for note in ctx.vault.notes.values():
        if note.area not in ("raw", "other", "answer"):
            continue
        counts = matcher.count(without_addresses(ctx.vault.text(note.path)))
        for phrase, found in counts.items():
            if phrase in wanted and found > sum(counts.get(n, 0) for n in longer.get(phrase, ())):
                hits_of[phrase].append(note.path)
    raw_sources = _sources(ctx)
    article = {raw: f"source:{sid}" for raw, (sid, _, _) in raw_sources.items()}
    article.update({r[0]: f"source:{r[1]}" for r in ctx.state.db.execute("SELECT raw_path, source_id FROM copies")})
    full_names = FullNames(ctx.state)
    verbs = task_verbs(ctx.state)
    for key, name in sorted(candidates.items()):
        hits = sorted(hits_of.get(needles.get(key, ()), ()))
        articles = {article.get(p, p) for p in hits}  # two clippings of one article count once
        if len(articles) < least or why_no_page(ctx.state, key, display_name(ctx.state, key), full_names, verbs):
            continue  # the compile keeps no page for it, whatever a ticked box asks (kbd/compile/concepts.py)
        sourced = sorted({p for p in hits if p in raw_sources})
        fix = None
        if len(sourced) >= ctx.config.compile.concept_min_sources:
            fix = Fix.make("create_concept", f"Create a concept page for “{escape_text(name)}”", name=name,
                           raws=json.dumps(sourced))
        yield Finding("unlinked_names", Severity.INFO, "",
                      f"“{escape_text(name)}” is mentioned in {len(articles)} notes but has no page "
                      f"(e.g. {', '.join(note_link(p) for p in hits[:3])})", fix,
                      detail=(("name", name), ("notes", str(len(articles)))))


def looks_like_a_name(name: str) -> bool:
    """A phrase (`buffer pool`), or one word that is a name rather than an ordinary noun (`SQLite`,
    `MVCC`, `Python3`). The offline engine files ordinary words as well (night, rows, complaints);
    offered as missing pages they made half a report of noise in a 44-clipping vault."""
    words = name.split()
    if len(words) > 1:
        return True
    word = words[0] if words else ""
    return any(c.isupper() for c in word[1:]) or any(c.isdigit() for c in word)


_REQUIRED = {"source": ("title", "type", "tags"), "concept": ("title", "type", "tags")}


@check("frontmatter", "notes kbd made with missing or invalid frontmatter")
def frontmatter(ctx: LintContext, settings: CheckSettings) -> Iterator[Finding]:
    for note in ctx.vault.notes.values():
        if note.owner == "user" or note.area not in ("source", "concept", "index", "answer", "slides", "wiki",
                                                                "report"):
            continue  # the user's own notes may have any frontmatter, or none
        if note.frontmatter == "none":
            problem = "has no frontmatter"
        elif note.frontmatter != "ok":
            problem = f"frontmatter is invalid: {escape_text(note.frontmatter)}"
        else:
            present = {k for k, _ in note.keys}
            missing = [k for k in _REQUIRED.get(note.area, ("type",)) if k not in present]
            if not missing:
                continue
            problem = f"frontmatter lacks {', '.join(missing)}"
        yield Finding("frontmatter", Severity.ERROR, note.path, f"{note_link(note.path)}: {problem}")


# Obsidian shows a date in a datetime property and one text value in a list property as they are.
_COMPATIBLE = {frozenset({"date", "datetime"}), frozenset({"text", "list"})}


@check("property_types", "property type conflicts")
def property_types(ctx: LintContext, settings: CheckSettings) -> Iterator[Finding]:
    """One key, two shapes across the vault: the property editor can show only one. Each note
    whose value has a less common shape than the key's usual one is reported."""
    shapes: dict[str, Counter[str]] = defaultdict(Counter)
    seen: list[tuple[NoteFacts, str, str]] = []
    for note in ctx.vault.notes.values():
        for key, s in note.keys:
            if s is not None:
                shapes[key.casefold()][s] += 1
                seen.append((note, key, s))
    for note, key, s in seen:
        counts = shapes[key.casefold()]
        if len(counts) < 2:
            continue
        usual = max(counts, key=lambda k: (counts[k], k))
        if s != usual and frozenset({s, usual}) not in _COMPATIBLE:
            yield Finding("property_types", Severity.WARNING, note.path,
                          f"{note_link(note.path)}: property `{escape_text(key)}` is {s} here but {usual} in "
                          f"{counts[usual]} other notes", detail=(("key", key), ("shape", s), ("usual", usual)))


@check("empty_notes", "empty notes")
def empty_notes(ctx: LintContext, settings: CheckSettings) -> Iterator[Finding]:
    for note in ctx.vault.notes.values():
        if note.area not in ("report", "control") and not note.has_text:
            yield Finding("empty_notes", Severity.INFO, note.path, f"{note_link(note.path)}: the note has no text")


@check("index_drift", "index drift")
def index_drift(ctx: LintContext, settings: CheckSettings) -> Iterator[Finding]:
    """index.md (with its sub-pages) must list every source summary and concept page."""
    index = ctx.layout.index_note
    pages = [index, *(r[0] for r in ctx.state.db.execute("SELECT path FROM pages WHERE owner='index'"))]
    notes = [ctx.vault.notes[p] for p in pages if p in ctx.vault.notes]
    # The pages kbd keeps (the user's own notes in those folders are not the index's business).
    kept = [f"{ctx.layout.sources}/{r[0]}.md" for r in ctx.state.db.execute("SELECT note_name FROM sources")]
    kept += [path for path, _ in _concept_pages(ctx).values()]
    listed_notes = [ctx.vault.notes[p] for p in kept if p in ctx.vault.notes]
    if index not in ctx.vault.notes:
        if listed_notes:
            yield Finding("index_drift", Severity.WARNING, index, f"{escape_text(index)} is missing",
                          Fix.make("reindex", "Regenerate the index"))
        return
    resolver = ctx.vault.resolver
    listed = {resolver.resolve(at.link.target, n.path) for n in notes for at in n.links if at.link.target}
    fix = Fix.make("reindex", "Regenerate the index") if ctx.vault.notes[index].owner == "kbd" else None
    for note in sorted(listed_notes, key=lambda n: n.path):
        if note.path not in listed:
            yield Finding("index_drift", Severity.WARNING, note.path,
                          f"{note_link(note.path)} is not listed in {note_link(index)}", fix)
    for n in notes:
        for at in n.links:
            if at.link.target and not resolver.resolve(at.link.target, n.path):
                yield Finding("index_drift", Severity.WARNING, n.path,
                              f"{note_link(n.path)} lists {escape_text(at.raw)}, which does not exist", fix,
                              at.line)


@check("user_edits", "notes kbd stopped managing")
def user_edits(ctx: LintContext, settings: CheckSettings) -> Iterable[Finding]:
    for (path,) in ctx.state.db.execute("SELECT path FROM outputs WHERE user_edited=1 ORDER BY path"):
        note = ctx.vault.notes.get(path)
        if note is None or note.area == "report":
            continue  # a report the user ticked boxes in is meant to be edited
        yield Finding("user_edits", Severity.ERROR, path,
                      f"{note_link(path)}: you edited it, so kbd no longer updates it; "
                      f"`kbd adopt \"{path}\"` hands it back (your changes are then replaced)")
