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
from kbd.engines.gateway import ModelGateway
from kbd.engines.provenance import MadeBy, skill_label
from kbd.engines.skills import Skill, untrusted
from kbd.vault.layout import clean_title
from kbd.vault.note import normalise_tag

CHUNK_CHARS = 24_000
MAX_KNOWN_CONCEPTS = 40
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_WORDS = re.compile(r"[\w'’-]+")
_MARKUP = re.compile(r"[\[\]|#^<>{}`*_~\\/:\"%=$]|\.\.")


def source_text(source: SourceInput) -> str:
    return "\n\n".join(("## " if b.kind == "heading" else "") + b.text for b in source.document.blocks
                       if b.kind in ("heading", "paragraph", "item", "quote", "table"))


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
                 verifier: Skill | None = None, made_by: MadeBy | None = None, part_chars: int = CHUNK_CHARS) -> None:
        role = gateway.roles["worker"].spec
        self.name = f"{role.provider}:{role.model}"
        self.made_by = made_by or MadeBy(self.name, skill_label(skill))
        self.part_chars = part_chars  # the most source text one request carries (see engines/context.py)
        self.gateway = gateway
        self.skill = skill
        self.known = known_concepts  # concept key → article name, for the names that occur in a source
        self.max_concepts = max_concepts
        self.verifier = verifier

    def close(self) -> None:
        self.gateway.close()

    def planned_calls(self, source: SourceInput) -> list[str]:
        """The user messages of the map calls a summary takes (the reduce call, for a long source,
        is estimated from them: it carries their results, not the source)."""
        text = source_text(source)
        label = source.label or source.title
        parts = chunks(text, self.part_chars)
        return [self._message(source, label, part, f"part {i + 1} of {len(parts)}" if len(parts) > 1 else "")
                for i, part in enumerate(parts)]

    def summarize_source(self, source: SourceInput) -> SourceSummary:
        text = source_text(source)
        label = source.label or source.title
        result = self._summarise(source, label, text, "")
        objections: list[str] = []
        if self.verifier is not None:
            # The verify gate: one retry with the verifier's objections, then the note is written
            # unverified, with the objections for the reader.
            objections = self._verify(source, label, text, result)
            if objections:
                result = self._summarise(source, label, text, "A reviewer found these problems in an earlier "
                                         "summary; avoid them: " + " | ".join(objections))
                objections = self._verify(source, label, text, result)
        summary = self._to_summary(source, result, text)
        if objections:
            summary = replace(summary, verified=False, objections=sorted({*summary.objections, *objections}))
        return summary

    def _verify(self, source: SourceInput, label: str, text: str, result: dict[str, Any]) -> list[str]:
        assert self.verifier is not None
        claims = json.dumps({k: result.get(k) for k in ("summary", "key_points", "concepts")}, ensure_ascii=False)
        user = untrusted(label, f"Title: {source.title}\n\n{text}") + "\n\n" + untrusted("summary to check", claims)
        verdict = self.gateway.call(self.verifier, user, f"verify:{label}")
        return [] if verdict["ok"] else [_line(o) for o in verdict["objections"] if _line(o)] or ["rejected"]

    def _summarise(self, source: SourceInput, label: str, text: str, feedback: str) -> dict[str, Any]:
        parts = chunks(text, self.part_chars)
        if len(parts) == 1:
            result = self._call(source, label, text, "", feedback)
        else:
            with ThreadPoolExecutor(max_workers=min(4, len(parts))) as pool:
                mapped = list(pool.map(lambda ip: self._call(source, label, ip[1], f"part {ip[0] + 1} of "
                                                             f"{len(parts)}"), enumerate(parts)))
            digest = "\n\n".join(
                f"Part {i + 1}: " + " ".join(r["summary"]) + "\nConcepts: " +
                "; ".join(f"{c['name']}: {c['says']}" for c in r["concepts"]) for i, r in enumerate(mapped))
            result = self._call(source, label, digest, "summaries of all parts, to combine", feedback)
        return result

    def _call(self, source: SourceInput, label: str, text: str, part: str, feedback: str = "") -> dict[str, Any]:
        message = self._message(source, label, text, part) + (f"\n\n{feedback}" if feedback else "")
        return self.gateway.call(self.skill, message, f"ingest:{label}")

    def _message(self, source: SourceInput, label: str, text: str, part: str) -> str:
        known = self._known_in(text)
        header = (f"Existing concepts: {', '.join(known)}\n\n" if known else "")
        body = f"Title: {source.title}\n" + (f"({part})\n" if part else "") + "\n" + text
        return header + untrusted(label, body)

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
        objections = grounding_problems([*summary, *points, *(c.sentence for c in concepts)], text)
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
