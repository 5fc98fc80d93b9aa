"""Lint checks that need a model: contradictions between sources on one concept, claims a summary
makes that its source does not support, and gaps (suggested articles, questions to explore).

Every call goes through the gateway (cache, budget caps, the model's concurrency cap, usage record)
and carries a bounded context: one concept's sources (only their paragraphs about it, each cut to a
cap), one source and its summary's claims, or one batch of concept names; never the whole vault. An
unchanged vault is answered from the cache: re-linting makes no request. What the model reports is
checked by code before it is believed (a contradiction only when both quoted sentences are found
word for word, whitespace aside, in the notes it names; an unsupported claim only by the number of a
claim kbd listed), then by the verifier when one is configured (it may reject any finding).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import frontmatter

from kbd import clock
from kbd.engines.answers import MIN_QUOTE_CHARS  # a quote shorter than this proves nothing ("it is", "yes")
from kbd.engines.base import concept_key, contains_phrase, phrase_tokens
from kbd.engines.errors import BudgetExceeded, ModelError
from kbd.engines.recurring import record
from kbd.engines.skills import Skill, load_skill, untrusted
from kbd.lint.findings import Finding, Severity
from kbd.lint.registry import CheckSettings, LintContext, check
from kbd.render.notes import NoteRef
from kbd.vault.read import NoteRefused, read_note_text
from kbd.vault.sanitize import escape_text


@dataclass(frozen=True)
class Batch:
    """One bounded call: the material (cacheable prefix), the task, and what the check needs to
    judge the answer."""

    prefix: str
    task: str
    about: Any


def normalise(text: str) -> str:
    return " ".join(text.split())


def quote_found(quote: str, text: str) -> bool:
    """The quote occurs in the text word for word, whitespace aside (quotation marks around it and a
    final full stop the model may add are not part of it)."""
    q = normalise(quote).strip("\"“”‘’' ")
    return len(q) >= MIN_QUOTE_CHARS and (q in normalise(text) or q.rstrip(".") in normalise(text))


# -- contradictions -----------------------------------------------------------------------------

@check("contradictions", "contradictions between sources", needs_model=True,
       options={"max_concepts": 20, "max_sources_per_concept": 6, "max_chars_per_source": 3000})
def contradictions(ctx: LintContext, settings: CheckSettings) -> Iterable[Finding]:
    batches = []
    rows = ctx.state.db.execute(
        "SELECT c.key, c.note_name, COUNT(*) AS n FROM concepts c JOIN source_concepts sc ON sc.key = c.key "
        "GROUP BY c.key HAVING n >= 2 ORDER BY n DESC, c.key LIMIT ?", (settings.get("max_concepts"),)).fetchall()
    for key, concept_name, _ in rows:
        sources = ctx.state.db.execute(
            "SELECT s.raw_path, s.note_name, s.title, sc.name FROM source_concepts sc JOIN sources s "
            "ON s.id = sc.source_id WHERE sc.key = ? ORDER BY s.note_name LIMIT ?",
            (key, settings.get("max_sources_per_concept"))).fetchall()
        excerpts = {}
        for raw_path, note_name, title, said_name in sources:
            body = _raw_body(ctx, raw_path)
            if body:
                excerpts[f"{ctx.layout.sources}/{note_name}.md"] = (
                    title, _about(body, [concept_name, said_name], settings.get("max_chars_per_source")))
        if len(excerpts) < 2:
            continue
        prefix = "\n\n".join(untrusted(path, f"Title: {title}\n\n{text}") for path, (title, text) in excerpts.items())
        task = "The concept:\n" + untrusted("concept", concept_name)
        batches.append(Batch(prefix, task, (f"{ctx.layout.concepts}/{concept_name}.md", concept_name, excerpts)))

    def judge(batch: Batch, result: dict[str, Any]) -> list[tuple[str, Finding]]:
        concept_path, concept_name, excerpts = batch.about
        found = []
        for item in result.get("contradictions", []):
            a, b = str(item.get("note_a", "")).strip(), str(item.get("note_b", "")).strip()
            if a == b or a not in excerpts or b not in excerpts:
                continue
            qa, qb = str(item.get("quote_a", "")), str(item.get("quote_b", ""))
            if not (quote_found(qa, excerpts[a][1]) and quote_found(qb, excerpts[b][1])):
                continue  # a quote that is not in its note is the model's, not the source's: not reported
            link_a, link_b = NoteRef(a, excerpts[a][0]).link(), NoteRef(b, excerpts[b][0]).link()
            concept = NoteRef(concept_path, concept_name).link()
            message = (f"{link_a} and {link_b} disagree about {concept}: “{escape_text(normalise(qa))}” — "
                       f"“{escape_text(normalise(qb))}” ({escape_text(normalise(str(item.get('why', ''))))})")
            found.append((f"{a} says “{normalise(qa)}”; {b} says “{normalise(qb)}”",
                           Finding("contradictions", Severity.WARNING, concept_path, message,
                                   detail=(("note_a", a), ("quote_a", normalise(qa)), ("note_b", b),
                                           ("quote_b", normalise(qb))))))
        return found

    yield from _run(ctx, "lint_contradictions", batches, judge)


def _about(body: str, names: list[str], cap: int) -> str:
    """The paragraphs of a source that mention the concept (by any of its names), up to `cap`
    characters; the start of the source when no paragraph names it."""
    needles = [phrase_tokens(n) for n in names if n]
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
    hits = [p for p in paragraphs if any(contains_phrase(phrase_tokens(p), n) for n in needles)]
    text = "\n\n".join(hits or paragraphs)
    return text[:cap]


# -- unsupported claims -------------------------------------------------------------------------

@check("unsupported_claims", "claims not supported by their source", needs_model=True,
       options={"max_sources": 20, "max_source_chars": 12000})
def unsupported_claims(ctx: LintContext, settings: CheckSettings) -> Iterable[Finding]:
    batches = []
    too_long = 0
    # Offline summaries are sentences copied from their source: supported by construction.
    rows = ctx.state.db.execute("SELECT raw_path, note_name, title, result FROM sources "
                                "WHERE engine NOT LIKE 'offline%' ORDER BY note_name LIMIT ?",
                                (settings.get("max_sources"),)).fetchall()
    for raw_path, note_name, title, result in rows:
        data = json.loads(result).get("summary") or {}  # kbd/compile/ingest.py: {"summary": SourceSummary, ...}
        claims = [normalise(c) for c in [*data.get("summary", []), *data.get("key_points", []),
                                         *(c.get("sentence", "") for c in data.get("concepts", []))] if normalise(c)]
        body = _raw_body(ctx, raw_path)
        if not claims or not body:
            continue
        if len(body) > settings.get("max_source_chars"):
            too_long += 1  # checking part of a source would flag what the rest supports
            continue
        listed = "\n".join(f"{i + 1}. {c}" for i, c in enumerate(claims))
        batches.append(Batch(untrusted(raw_path, f"Title: {title}\n\n{body}"),
                             "The claims:\n" + untrusted("claims", listed),
                             (f"{ctx.layout.sources}/{note_name}.md", title, claims)))

    def judge(batch: Batch, result: dict[str, Any]) -> list[tuple[str, Finding]]:
        note_path, title, claims = batch.about
        found = []
        for item in result.get("unsupported", []):
            number = item.get("claim")
            if not isinstance(number, int) or not 1 <= number <= len(claims):
                continue
            claim = claims[number - 1]
            why = normalise(str(item.get("why", "")))
            message = (f"{NoteRef(note_path, title).link()} says “{escape_text(claim)}”, which its source "
                       f"does not support: {escape_text(why)}")
            found.append((f"Claim {number}: {claim}", Finding("unsupported_claims", Severity.WARNING, note_path,
                                                              message, detail=(("claim", claim), ("why", why)))))
        return found

    for finding in _run(ctx, "lint_unsupported", batches, judge):
        if finding.check == "unsupported_claims" and finding.path:
            record(ctx.state, "unsupported-claim", finding.path, dict(finding.detail)["claim"], "lint")
        yield finding
    if too_long:
        yield Finding("unsupported_claims", Severity.INFO, "",
                      f"{too_long} summaries were not checked: their source is longer than max_source_chars "
                      f"({settings.get('max_source_chars')}); raise it under `lint: unsupported_claims:`")


# -- gaps ---------------------------------------------------------------------------------------

@check("gaps", "gaps: suggested articles and questions", needs_model=True,
       options={"max_concepts": 60, "batch_size": 30})
def gaps(ctx: LintContext, settings: CheckSettings) -> Iterable[Finding]:
    rows = ctx.state.db.execute(
        "SELECT c.key, c.note_name, (SELECT sc.sentence FROM source_concepts sc WHERE sc.key = c.key "
        "AND sc.sentence <> '' ORDER BY sc.score DESC LIMIT 1) "
        "FROM concepts c ORDER BY c.source_count DESC, c.key LIMIT ?",
        (settings.get("max_concepts"),)).fetchall()
    known = {key: name for key, name, _ in rows}
    all_keys = {r[0] for r in ctx.state.db.execute("SELECT key FROM concepts")}
    size = max(1, int(settings.get("batch_size")))
    batches = []
    for start in range(0, len(rows), size):
        part = rows[start:start + size]
        listed = "\n".join(f"{name}: {normalise(sentence or '')[:200]}" for _, name, sentence in part)
        batches.append(Batch(untrusted("concept articles", listed), "", None))

    def related(names: object) -> str:
        links = [NoteRef(f"{ctx.layout.concepts}/{known[concept_key(str(n))]}.md", known[concept_key(str(n))]).link()
                 for n in (names if isinstance(names, list) else []) if concept_key(str(n)) in known]
        return f" (see {', '.join(dict.fromkeys(links))})" if links else ""

    def judge(batch: Batch, result: dict[str, Any]) -> list[tuple[str, Finding]]:
        found = []
        for item in result.get("articles", []):
            title = normalise(str(item.get("title", "")))
            if not title or concept_key(title) in all_keys:
                continue  # it exists already
            why = escape_text(normalise(str(item.get("why", ""))))
            message = f"Suggested article: **{escape_text(title)}** — {why}{related(item.get('related'))}"
            found.append((f"Article: {title}", Finding("gaps", Severity.INFO, "", message,
                                                       detail=(("article", title),))))
        for item in result.get("questions", []):
            question = normalise(str(item.get("question", "")))
            if question:
                found.append((f"Question: {question}",
                              Finding("gaps", Severity.INFO, "", f"Question to explore: {escape_text(question)}"
                                      + related(item.get("related")), detail=(("question", question),))))
        return found

    yield from _run(ctx, "lint_gaps", batches, judge)


# -- the shared machinery -----------------------------------------------------------------------

Judge = Callable[[Batch, dict[str, Any]], list[tuple[str, Finding]]]


def _run(ctx: LintContext, skill_name: str, batches: list[Batch], judge: Judge) -> Iterator[Finding]:
    """Call the skill for each batch (in parallel, within the model's concurrency cap), keep what the
    code checks allow, then what the verifier does not reject. A budget cap stops the check: what was
    found so far is reported, with a line saying what was left unchecked."""
    if not batches:
        return
    from kbd.engines import make_gateway

    gateway = make_gateway(ctx.config, ctx.layout.root, ctx.state.path, f"lint:{clock.stamp(clock.now())}")
    skills = ctx.layout.root / "kbd" / "skills"
    skill = load_skill(skill_name, skills)
    verifier = load_skill("verify_lint_findings", skills) if "verifier" in gateway.roles else None
    job = f"lint:{skill_name}"

    def one(batch: Batch) -> list[Finding] | str:
        if ctx.stop.is_set():
            return "stopped"
        try:
            found = judge(batch, gateway.call(skill, batch.task, job, prefix=batch.prefix))
            if found and verifier is not None:
                found = _verified(gateway, verifier, batch, found, job)
        except BudgetExceeded as exc:
            return f"budget: {exc}"
        except ModelError as exc:
            return f"error: {exc}"
        return [f for _, f in found]

    workers = max(1, min(4, ctx.config.models["worker"].max_concurrency))
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(one, batches))
    finally:
        gateway.close()
    problems: dict[str, list[str]] = {}  # budget | error | stopped → messages
    for outcome in outcomes:
        if isinstance(outcome, str):
            problems.setdefault(outcome.split(":")[0], []).append(outcome)
        else:
            yield from outcome
    for messages in problems.values():
        yield Finding(_check_of(skill_name), Severity.INFO, "",
                      f"{len(messages)} of {len(batches)} checks were not made ({escape_text(messages[0])}); "
                      "the next lint tries again")


def _verified(gateway: Any, verifier: Skill, batch: Batch, found: list[tuple[str, Finding]],
              job: str) -> list[tuple[str, Finding]]:
    listed = "\n".join(f"{i + 1}. {text}" for i, (text, _) in enumerate(found))
    verdict = gateway.call(verifier, "The findings:\n" + untrusted("findings", listed), f"verify:{job}",
                           prefix=batch.prefix)
    rejected = {item.get("number") for item in verdict.get("rejected", [])}
    return [pair for i, pair in enumerate(found) if i + 1 not in rejected]


def _check_of(skill_name: str) -> str:
    return {"lint_contradictions": "contradictions", "lint_unsupported": "unsupported_claims",
            "lint_gaps": "gaps"}[skill_name]


def _raw_body(ctx: LintContext, raw_path: str) -> str:
    try:
        _, text = read_note_text(ctx.layout.root, raw_path, ctx.config.compile.max_note_bytes)
    except NoteRefused:
        return ""
    try:
        return frontmatter.loads(text).content.strip()
    except Exception:  # frontmatter that does not parse: the whole text is the body
        return text.strip()
