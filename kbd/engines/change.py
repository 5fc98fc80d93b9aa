"""What a change to a monitored page means: with a model, a short account of the change and why it
matters (the `summarize_change` skill, through the gateway's cache and budget, checked by the
`verify_change` verifier when one is configured and by the deterministic grounding check);
offline, nothing: the report lists the added and removed paragraphs themselves.

The removed and added text is page text, hostile until proven otherwise: it travels as labelled,
delimited, untrusted data, and the model returns JSON only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from kbd.config import Config
from kbd.engines.gateway import ModelGateway
from kbd.engines.skills import Skill, load_skill, untrusted

MAX_CHANGE_CHARS = 24_000  # the most changed text one request carries; the rest is left out and said so
WORKER_SKILL = "summarize_change"
VERIFIER_SKILL = "verify_change"


@dataclass(frozen=True)
class ChangeInput:
    monitor: str
    title: str
    url: str
    removed: list[str]
    added: list[str]


@dataclass(frozen=True)
class ChangeSummary:
    summary: str
    why_it_matters: str
    engine: str  # provider:model
    verified: bool = True
    objections: list[str] = field(default_factory=list)


class ChangeEngine(Protocol):
    name: str

    def summarize_change(self, change: ChangeInput) -> ChangeSummary | None: ...

    def close(self) -> None: ...


class OfflineChangeEngine:
    name = "offline"

    def summarize_change(self, change: ChangeInput) -> ChangeSummary | None:
        return None  # the report's added and removed paragraphs say it all

    def close(self) -> None:
        pass


class LLMChangeEngine:
    def __init__(self, gateway: ModelGateway, skill: Skill, verifier: Skill | None) -> None:
        spec = gateway.roles["worker"].spec
        self.name = f"{spec.provider}:{spec.model}"
        self.gateway = gateway
        self.skill = skill
        self.verifier = verifier

    def close(self) -> None:
        self.gateway.close()

    def summarize_change(self, change: ChangeInput) -> ChangeSummary | None:
        material = change_material(change)
        job = f"monitor:{change.monitor}"
        result = self.gateway.call(self.skill, "", job, prefix=material)
        objections = self._check(result, material, change, job)
        if objections:  # the verify gate: one retry with the objections, then kept as unverified
            task = "A reviewer found these problems in an earlier account; avoid them:\n" + untrusted(
                "reviewer objections", "\n".join(objections))
            result = self.gateway.call(self.skill, task, job, prefix=material)
            objections = self._check(result, material, change, job)
        return ChangeSummary(_line(result["summary"]), _line(result["why_it_matters"]), self.name,
                             verified=not objections, objections=objections)

    def _check(self, result: dict[str, str], material: str, change: ChangeInput, job: str) -> list[str]:
        from kbd.engines.llm import grounding_problems

        claims = [_line(result["summary"]), _line(result["why_it_matters"])]
        known = "\n".join([change.title, change.url, *change.removed, *change.added])
        problems = grounding_problems(claims, known)
        if self.verifier is not None:
            verdict = self.gateway.call(self.verifier, untrusted("account to check", json.dumps(
                {"summary": claims[0], "why_it_matters": claims[1]}, ensure_ascii=False)), f"verify:{job}",
                prefix=material)
            if not verdict["ok"]:
                problems += [_line(o) for o in verdict["objections"] if _line(o)] or ["rejected by the verifier"]
        return sorted(set(problems))


def change_material(change: ChangeInput) -> str:
    """The request's data: the page's removed and added paragraphs, bounded, as untrusted blocks."""
    budget = MAX_CHANGE_CHARS
    parts = []
    for label, paragraphs in (("removed from the page", change.removed), ("added to the page", change.added)):
        kept: list[str] = []
        for p in paragraphs:
            if len(p) > budget:
                kept.append(f"[{len(paragraphs) - len(kept)} more paragraphs left out]")
                break
            kept.append(p)
            budget -= len(p)
        parts.append(untrusted(f"{change.title} ({change.url}), {label}", "\n\n".join(kept) or "(nothing)"))
    return "\n".join(parts)


def make_change_engine(config: Config, vault_root: Path, state_path: Path, run: str = "") -> ChangeEngine:
    """The offline engine without `models:`, else the model behind the gateway."""
    if not config.models:
        return OfflineChangeEngine()
    from kbd.engines import make_gateway

    gateway = make_gateway(config, vault_root, state_path, run)
    skills = vault_root / "kbd" / "skills"
    verifier = load_skill(VERIFIER_SKILL, skills) if "verifier" in gateway.roles else None
    skill = load_skill(WORKER_SKILL, skills)
    gateway.share_tools([skill, *([verifier] if verifier else [])])
    return LLMChangeEngine(gateway, skill, verifier)


def _line(text: object) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()
