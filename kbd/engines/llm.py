"""The model-backed engine: same protocol and result types as the offline engine, so the vault
looks the same either way; only the quality of the text changes.

Each call's context is bounded: one source (or one chunk of a long one) plus only the existing
concept names that occur in it, never the whole concept list, so a call costs the same whether
the wiki has 10 concepts or 10,000. Long sources are summarised chunk by chunk in parallel, then
reduced. Every number the model writes must occur in the source (a deterministic grounding
check); a summary that fails it is kept but marked unverified, with the reasons.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from kbd.engines.base import ConceptMention, SourceInput, SourceSummary, concept_key
from kbd.engines.context import MIN_PART_CHARS
from kbd.engines.errors import TooLong, Truncated
from kbd.engines.gateway import ModelGateway
from kbd.engines.provenance import MadeBy, skill_label
from kbd.engines.skills import Skill, untrusted
from kbd.engines.vision import ImageInput
from kbd.vault.layout import clean_title
from kbd.vault.note import normalise_tag

CHUNK_CHARS = 24_000
MAX_KNOWN_CONCEPTS = 40
WHOLE = -1  # the verifier's key for the combination of a long source's parts
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_WORDS = re.compile(r"[\w'’-]+")
_MARKUP = re.compile(r"[\[\]|#^<>{}`*_~\\/:\"%=$]|\.\.")


def source_text(source: SourceInput) -> str:
    return "\n\n".join(("## " if b.kind == "heading" else "") + b.text for b in source.document.blocks
                       if b.kind in ("heading", "label", "paragraph", "item", "quote", "table"))


def chunks(text: str, size: int = CHUNK_CHARS) -> list[str]:
    """Split at paragraph boundaries into pieces of at most about `size` characters."""
    out, current = [], ""
    for para in text.split("\n\n"):
        while len(para) > size:  # one enormous paragraph (a 60,000-character line)
            if current:
                out.append(current)
                current = ""
            out.append(para[:size])
            para = para[size:]
        if current and len(current) + len(para) + 2 > size:
            out.append(current)
            current = ""
        current = f"{current}\n\n{para}" if current else para
    if current:
        out.append(current)
    return out or [""]


class LLMEngine:
    def __init__(self, gateway: ModelGateway, skill: Skill, known_concepts: dict[str, str], max_concepts: int,
                 verifier: Skill | None = None, made_by: MadeBy | None = None, part_chars: int = CHUNK_CHARS,
                 describer: Skill | None = None) -> None:
        role = gateway.roles["worker"].spec
        self.name = f"{role.provider}:{role.model}"
        self.made_by = made_by or MadeBy(self.name, skill_label(skill))
        self.part_chars = part_chars  # the most source text one request carries (see engines/context.py)
        self.gateway = gateway
        self.skill = skill
        self.known = known_concepts  # concept key → article name, for the names that occur in a source
        self.max_concepts = max_concepts
        self.verifier = verifier
        self.describer = describer  # the describe_image skill, for a vision model (`vision: true`)

    def close(self) -> None:
        self.gateway.close()

    def planned_calls(self, source: SourceInput) -> list[str]:
        """The user messages of the map calls a summary takes (the reduce call, for a long source,
        is estimated from them: it carries their results, not the source)."""
        return [f"{prefix}\n\n{task}" for prefix, task in self.map_calls(source)]

    def map_calls(self, source: SourceInput) -> list[tuple[str, str]]:
        """(prefix, task) of the first calls a summary takes, one per part: what a batch sends ahead."""
        label = source.label or source.title
        parts = chunks(source_text(source), self.part_chars)
        return [(self._prefix(source, label, part, i, len(parts)), self._task(part, []))
                for i, part in enumerate(parts)]

    def describe_image(self, image: ImageInput, label: str) -> str | None:
        """What a vision model sees in one image of a clipping, or None (no vision model, or an image
        its provider would refuse). Cached by the image's content hash: an unchanged image costs nothing."""
        provider = self.gateway.roles["worker"].spec.provider
        if self.describer is None or not image.fits(provider):
            return None
        result = self.gateway.call(self.describer, "", f"describe:{label}", image=image)
        return _line(result["description"])[:2000] or None

    def summarize_source(self, source: SourceInput) -> SourceSummary:
        text = source_text(source)
        label = source.label or source.title
        parts = chunks(text, self.part_chars)
        try:
            result, checks = self._summarise(source, label, parts, {})
        except (Truncated, TooLong):
            # Once more in smaller parts: less to say per request, and less context needed. A small
            # local model with a small context window fails here first.
            smaller = chunks(text, max(MIN_PART_CHARS, self.part_chars // 2))
            if len(smaller) <= len(parts):
                raise
            parts = smaller
            result, checks = self._summarise(source, label, parts, {})
        objections: dict[int, list[str]] = {}
        if self.verifier is not None:
            # The verify gate: one retry with the verifier's objections, then the note is written
            # unverified, with the objections for the reader.
            objections = self._verify(label, checks)
            if objections:
                result, checks = self._summarise(source, label, parts, objections)
                objections = self._verify(label, checks)
        summary = self._to_summary(source, result, text)
        found = sorted({o for each in objections.values() for o in each})
        if found:
            summary = replace(summary, verified=False, objections=sorted({*summary.objections, *found}))
        return summary

    def _summarise(self, source: SourceInput, label: str, parts: list[str], feedback: dict[int, list[str]]
                   ) -> tuple[dict[str, Any], list[tuple[int, str, dict[str, Any]]]]:
        """The summary, and what the verifier checks it against: (key, prefix, claims) per request
        that made it. Key i is part i (or the whole source); WHOLE is the combination of the parts,
        checked against the part summaries it was made from. Every request about one part, or
        about the combination, starts with the same prefix, so retries, repairs and checks read it
        from the provider's prompt cache."""
        if len(parts) == 1:
            prefix = self._prefix(source, label, parts[0], 0, 1)
            result = self._call(prefix, self._task(parts[0], feedback.get(0, [])), label)
            return result, [(0, prefix, result)]
        prefixes = [self._prefix(source, label, part, i, len(parts)) for i, part in enumerate(parts)]
        with ThreadPoolExecutor(max_workers=min(4, len(parts))) as pool:  # the model's throttle caps requests
            mapped = list(pool.map(lambda i: self._call(prefixes[i], self._task(parts[i], feedback.get(i, [])),
                                                        label), range(len(parts))))
        digest = "\n\n".join(
            f"Part {i + 1}: " + " ".join(r["summary"]) + "\nConcepts: " +
            "; ".join(f"{c['name']}: {c['says']}" for c in r["concepts"]) for i, r in enumerate(mapped))
        # The part summaries are model-made text: they travel as untrusted data like the source.
        combined = untrusted(f"{label} (summaries of its {len(parts)} parts, to combine)",
                             f"Title: {source.title}\n\n{digest}")
        result = self._call(combined, self._task(digest, feedback.get(WHOLE, [])), label)
        return result, [*((i, prefixes[i], r) for i, r in enumerate(mapped)), (WHOLE, combined, result)]

    def _verify(self, label: str, checks: list[tuple[int, str, dict[str, Any]]]) -> dict[int, list[str]]:
        """Each check is no larger than the request that made the claims: one part (or the part
        summaries) and the claims made from it, never the whole of a long source."""
        assert self.verifier is not None
        verifier = self.verifier

        def check(item: tuple[int, str, dict[str, Any]]) -> tuple[int, list[str]]:
            key, prefix, result = item
            claims = json.dumps({k: result.get(k) for k in ("summary", "key_points", "concepts")}, ensure_ascii=False)
            verdict = self.gateway.call(verifier, untrusted("summary to check", claims), f"verify:{label}",
                                        prefix=prefix)
            found = [] if verdict["ok"] else [_line(o) for o in verdict["objections"] if _line(o)] or ["rejected"]
            return key, found

        with ThreadPoolExecutor(max_workers=min(4, len(checks))) as pool:
            return {key: found for key, found in pool.map(check, checks) if found}

    def _call(self, prefix: str, task: str, label: str) -> dict[str, Any]:
        return self.gateway.call(self.skill, task, f"ingest:{label}", prefix=prefix)

    @staticmethod
    def _prefix(source: SourceInput, label: str, text: str, index: int, count: int) -> str:
        """The source (or one part of it): the cacheable start of every request about it."""
        part = f"(part {index + 1} of {count})\n" if count > 1 else ""
        prefix = untrusted(label, f"Title: {source.title}\n{part}\n{text}")
        if source.images and index == 0:
            # A model wrote the descriptions from the clipping's images: untrusted data like the source.
            described = "\n\n".join(f"Image {i} (caption: {caption or 'none'}): {description}"
                                      for i, (caption, description) in enumerate(source.images, start=1))
            prefix += "\n\n" + untrusted(f"{label} (its images, as a model described them)", described)
        return prefix

    def _task(self, text: str, objections: list[str]) -> str:
        """The call-specific rest of a request. Concept names and a reviewer's objections are
        model-made text: they are delimited as untrusted data too."""
        pieces = []
        known = self._known_in(text)
        if known:
            pieces.append("Existing concepts (prefer these names for the same things):\n"
                          + untrusted("existing concepts", "\n".join(known)))
        if objections:
            pieces.append("A reviewer found these problems in an earlier summary; avoid them:\n"
                          + untrusted("reviewer objections", "\n".join(objections)))
        return "\n\n".join(pieces)

    def _known_in(self, text: str) -> list[str]:
        words = _WORDS.findall(text.lower())
        found: dict[str, str] = {}
        for n in (1, 2, 3):
            for i in range(len(words) - n + 1):
                key = concept_key(" ".join(words[i:i + n]))
                if key in self.known and key not in found:
                    found[key] = self.known[key]
                    if len(found) >= MAX_KNOWN_CONCEPTS:
                        return sorted(found.values())
        return sorted(found.values())

    def _to_summary(self, source: SourceInput, result: dict[str, Any], text: str) -> SourceSummary:
        summary = [_line(s) for s in result["summary"] if _line(s)]
        points = [_line(s) for s in result.get("key_points", []) if _line(s)]
        concepts: list[ConceptMention] = []
        seen: set[str] = set()
        for rank, item in enumerate(result.get("concepts", [])[: self.max_concepts * 2]):
            # A name becomes a file name, an alias and link text: markup characters have no place in it.
            name = clean_title(_MARKUP.sub(" ", str(item["name"])))[:80].strip(" ./")
            if name.islower():  # as the offline engine does: "write-ahead log" → "Write-ahead log"
                name = name[0].upper() + name[1:]
            key = concept_key(name)
            if key and key not in seen:
                seen.add(key)
                concepts.append(ConceptMention(key=key, name=name, score=float(100 - rank),
                                               sentence=_line(item["says"])))
        tags = list(source.meta.tags)
        for tag in result.get("tags", []):
            clean = normalise_tag(str(tag))
            if clean and clean not in tags:
                tags.append(clean)
        # The clipping's title and properties are part of what it says (a year in the title, the author).
        meta = source.meta
        known_text = "\n".join([text, *(d for _, d in source.images), source.title, meta.title or "",
                                 meta.source or "", *meta.author, meta.published or "", meta.description or "",
                                 *meta.tags])
        objections = grounding_problems([*summary, *points, *(c.sentence for c in concepts)], known_text)
        return SourceSummary(title=source.title, summary=summary or [source.title], key_points=points,
                             concepts=concepts, tags=tags,
                             description=_line(source.meta.description or (summary[0] if summary else ""))[:220],
                             verified=not objections, objections=objections)


def grounding_problems(lines: list[str], source: str) -> list[str]:
    """Numbers and quoted phrases the model wrote that do not occur in the source."""
    flat = re.sub(r"\s+", " ", source)
    problems = []
    for line in lines:
        for number in _NUMBER.findall(line):
            if number not in flat:
                problems.append(f"the number {number} does not appear in the clipping")
        for quote in re.findall(r"[\"“]([^\"”]{8,})[\"”]", line):
            if quote.strip() not in flat:
                problems.append(f"the quotation “{quote.strip()[:60]}” does not appear in the clipping")
    return sorted(set(problems))


def _line(text: object) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()
