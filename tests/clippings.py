"""Deterministic synthetic Web Clipper notes for tests and benchmarks.

Articles are built from topic clusters so that sources share concepts the way real reading
does: a handful of terms per topic, recurring across the articles of that topic.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

TOPICS: dict[str, list[str]] = {
    "databases": ["B-tree", "write-ahead log", "query planner", "buffer pool", "secondary index",
                  "write amplification", "sorted run", "LSM tree", "page cache", "isolation level"],
    "distributed": ["consensus protocol", "leader election", "vector clock", "quorum read", "network partition",
                    "gossip protocol", "Raft log", "split brain", "hinted handoff", "read repair"],
    "ml": ["gradient descent", "learning rate", "attention head", "training loss", "weight decay",
           "batch normalization", "transformer block", "token embedding", "validation set", "mixture of experts"],
    "web": ["service worker", "critical rendering path", "content delivery network", "HTTP cache",
            "first contentful paint", "edge function", "static site generator", "hydration cost",
            "bundle size", "image lazy loading"],
    "security": ["threat model", "supply chain attack", "content security policy", "password hashing",
                 "certificate pinning", "prompt injection", "least privilege", "side channel",
                 "memory safety", "fuzz testing"],
    "economics": ["price elasticity", "marginal cost", "network effect", "switching cost", "unit economics",
                  "customer acquisition cost", "gross margin", "pricing power", "two-sided market",
                  "economies of scale"],
}
VERBS = ["shapes", "limits", "explains", "dominates", "hides", "amplifies", "reduces", "exposes", "drives",
         "constrains", "changes", "undermines"]
FILLER = ["in practice", "under load", "for most teams", "at scale", "in production", "over time",
          "in the common case", "on modern hardware", "when budgets are tight", "in every benchmark we ran"]
OPENERS = ["It turns out that", "Most engineers assume that", "The surprising part is that",
           "A careful reading shows that", "Our measurements suggest that", "In short,", "Put simply,"]
NAMES = ["Ada Example", "Grace Sample", "Alan Placeholder", "Barbara Draft", "Edsger Mock", "Radia Stub"]


@dataclass(frozen=True)
class Clipping:
    filename: str
    text: str


def _sentence(rng: random.Random, terms: list[str]) -> str:
    a, b = rng.sample(terms, 2)
    opener = rng.choice(OPENERS)
    return (f"{opener} the {a} {rng.choice(VERBS)} the {b} {rng.choice(FILLER)}, "
            f"and {rng.randint(2, 97)} percent of cases follow that pattern.")


def make_clipping(index: int, words: int = 1500, seed: int = 7) -> Clipping:
    rng = random.Random(seed * 100_003 + index)
    topic = list(TOPICS)[index % len(TOPICS)]
    terms = TOPICS[topic] + rng.sample(TOPICS[rng.choice(list(TOPICS))], 2)
    focus = rng.sample(terms, 2)
    title = f"{focus[0].capitalize()} and the {focus[1]}: notes {index}"
    author = rng.choice(NAMES)
    body: list[str] = [f"# {title}", ""]
    count = 0
    section = 0
    while count < words:
        if count == 0 or rng.random() < 0.15:
            section += 1
            body += [f"## {rng.choice(terms).capitalize()} {rng.choice(FILLER)}", ""]
        paragraph = " ".join(_sentence(rng, terms) for _ in range(rng.randint(3, 7)))
        if rng.random() < 0.1:
            paragraph += (f" See [the reference](https://example.org/{topic}/{index}) for details "
                          f"[[{index}](#ref-CR{index})].")
        if rng.random() < 0.05:
            paragraph += f"\n\n![figure](https://cdn.example.org/{topic}/{index}.png)"
        body += [paragraph, ""]
        count += len(paragraph.split())
    front = "\n".join([
        "---",
        f'title: "{title}"',
        f'source: "https://example.org/{topic}/{index}"',
        "author:",
        f'  - "[[{author}]]"',
        f"published: 2025-{1 + index % 12:02d}-{1 + index % 28:02d}",
        "created: 2026-11-20",
        f'description: "Notes on {focus[0]} and {focus[1]}."',
        "tags:",
        '  - "clippings"',
        f'  - "{topic}"',
        "---",
    ])
    return Clipping(filename=f"{title.replace(':', ' -')}.md", text=front + "\n" + "\n".join(body))
