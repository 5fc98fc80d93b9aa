"""Deterministic synthetic Web Clipper notes for tests and benchmarks.

Articles are built from topic clusters so that sources share concepts the way real reading
does: a dozen terms per topic, recurring across the articles of that topic, with a few popular
topics and a long tail of rare ones.
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
_MODIFIERS = ("adaptive batched cached columnar concurrent distributed durable elastic encrypted eventual "
              "federated hierarchical immutable incremental indexed isolated lazy layered local lossy "
              "mutable online optimistic parallel partitioned persistent pessimistic probabilistic quantized "
              "reactive replicated sampled sharded sparse speculative streaming structured synthetic "
              "tiered transactional vectorized versioned weighted").split()
_NOUNS = ("allocator arena barrier bitmap bloom buffer cache checkpoint codec compiler cursor daemon "
          "dictionary encoder executor filter gateway graph hash heap histogram index iterator journal "
          "kernel ledger lease lexer loader lock mailbox manifest matrix mesh monitor mutex optimizer parser "
          "pipeline planner pointer pool profiler protocol proxy queue quota reducer registry renderer "
          "replica resolver router runtime scheduler segment sequencer serializer snapshot socket solver "
          "splitter stack store tokenizer tracer trie validator vector watcher").split()


def _generated_topics(count: int = 144, seed: int = 5) -> dict[str, list[str]]:
    rng = random.Random(seed)
    topics: dict[str, list[str]] = {}
    for i in range(count):
        terms: set[str] = set()
        while len(terms) < 12:
            terms.add(f"{rng.choice(_MODIFIERS)} {rng.choice(_NOUNS)}")
        topics[f"topic-{i}"] = sorted(terms)
    return topics


TOPICS.update(_generated_topics())
_TOPIC_NAMES = list(TOPICS)
# Reading concentrates: a few topics get many articles, most get a handful (Zipf-like weights).
_TOPIC_WEIGHTS = [1 / (rank + 5) for rank in range(len(_TOPIC_NAMES))]

VERBS = ["shapes", "limits", "explains", "dominates", "hides", "amplifies", "reduces", "exposes", "drives",
         "constrains", "changes", "undermines"]
# Connective filler is made of function words, as in real prose: only the topic terms recur as
# multi-word phrases across articles (a fixed template phrase would look like a concept everywhere).
FILLER = ["most of the time", "in many of these cases", "more often than not", "as far as we can tell",
          "when it matters", "again and again", "for the most part", "even so", "at least here"]
OPENERS = ["As it happens,", "Above all,", "Even so,", "In other words,", "Once again,", "Still,", "Then again,",
           "By and large,"]
NAMES = ["Ada Example", "Grace Sample", "Alan Placeholder", "Barbara Draft", "Edsger Mock", "Radia Stub"]


@dataclass(frozen=True)
class Clipping:
    filename: str
    text: str


def _sentence(rng: random.Random, terms: list[str]) -> str:
    a, b = rng.sample(terms, 2)
    opener = rng.choice(OPENERS)
    return (f"{opener} the {a} {rng.choice(VERBS)} the {b} {rng.choice(FILLER)}, "
            f"and {rng.randint(2, 97)} of every hundred cases are like that.")


def make_clipping(index: int, words: int = 1500, seed: int = 7) -> Clipping:
    rng = random.Random(seed * 100_003 + index)
    topic = rng.choices(_TOPIC_NAMES, _TOPIC_WEIGHTS)[0] if index >= len(TOPICS) else _TOPIC_NAMES[index]
    terms = TOPICS[topic] + rng.sample(TOPICS[rng.choice(_TOPIC_NAMES)], 2)
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
            paragraph += f"\n\n![[assets/{topic}-{index}.png]]"  # local: tests never leave 127.0.0.1
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
