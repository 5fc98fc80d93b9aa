"""How the wiki itself scales: page sizes and concept counts on a large documentation corpus.

    python bench/scale.py [--notes 5000] [--keep DIR] [--docs FOLDER] [--lint]

Generates a deterministic documentation-style vault (pages of a fictional product's manual: how-to
pages, reference pages and troubleshooting notes over a vocabulary whose popular terms occur on
thousands of pages, with abbreviations next to their expansions), runs `kbd compile` on it once as
a user would, and prints: the machine; compile time; sources vs concept articles; the largest
pages kbd wrote (index.md, its sub-index notes, concept pages and their sub-pages), how many exceed
200 KB; and what the most-mentioned concept's page shows. `--docs FOLDER` takes the pages from a
real documentation folder instead (every `.md` under it, e.g. MicrosoftDocs/cpp-docs' `docs/`:
9,746 pages); `--lint` then times one full `kbd lint` on the compiled vault (CPU, wall, peak RSS,
slowest parts; targets < 20 s CPU and < 300 MB).
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.compile import compile_once, machine  # noqa: E402
from bench.lint import print_lint_figures  # noqa: E402
from kbd.init import init_vault  # noqa: E402

LIMIT = 200 * 1024
COMPONENTS = [
    "connection pool", "retry policy", "request queue", "session cache", "access token", "service account",
    "load balancer", "health check", "rate limiter", "message broker", "event stream", "schema registry",
    "build cache", "deployment pipeline", "feature flag", "audit log", "backup schedule", "storage bucket",
    "worker pool", "task scheduler", "query planner", "index builder", "replication slot", "snapshot policy",
    "web console", "command palette", "plugin manifest", "extension host", "theme engine", "sync engine",
    "conflict resolver", "offline cache", "push channel", "notification center", "search index",
    "permission model", "role binding", "secret store", "key rotation", "certificate chain", "proxy server",
    "webhook endpoint", "batch importer", "export job", "report builder", "dashboard widget", "query editor",
    "data catalog", "lineage graph", "quota manager", "billing account", "usage meter", "alert rule",
    "metrics exporter", "trace collector", "log shipper", "config file", "environment variable",
    "command line tool", "installer package", "update channel", "crash reporter", "memory profiler",
]
ABBREVIATIONS = [
    ("TLS", "Transport Layer Security"), ("SSO", "single sign-on"), ("RBAC", "role-based access control"),
    ("CDN", "content delivery network"), ("ORM", "object-relational mapper"), ("WAL", "write-ahead log"),
    ("MFA", "multi-factor authentication"), ("SDK", "software development kit"), ("API", "application "
    "programming interface"), ("DNS", "Domain Name System"),
]
VERBS = ["configure", "enable", "disable", "tune", "monitor", "migrate", "secure", "debug", "scale", "rotate"]
AREAS = ["Server", "Client", "Cluster", "Console", "Agent", "Gateway", "Runtime", "Studio", "Connector", "Vault"]
TEMPLATES = [
    "The {a} controls how the {b} handles requests under load.",
    "To {v} the {a}, set the matching option in the {b} and restart the service.",
    "If the {a} is unavailable, the {b} retries the operation with exponential backoff.",
    "Every {a} keeps its state in the {b}, so a restart loses nothing.",
    "Changes to the {a} take effect after the next {b} cycle.",
    "The default {a} suits most installations; large deployments should review the {b} as well.",
    "Use the {a} together with the {b} when you need predictable latency.",
    "A misconfigured {a} is the most common cause of errors reported by the {b}.",
]


def _term(rng: random.Random) -> str:
    # Zipf-like popularity: the first terms occur on a large share of all pages.
    index = min(int(rng.paretovariate(1.1)) - 1, len(COMPONENTS) - 1)
    return COMPONENTS[index]


def make_page(i: int, rng: random.Random) -> tuple[str, str]:
    area = AREAS[i % len(AREAS)]
    verb = VERBS[(i // len(AREAS)) % len(VERBS)]
    topic = _term(rng)
    kind = ("How to", "Reference:", "Troubleshooting:")[i % 3]
    title = f"{kind} {verb} the {topic} in {area} {1 + i // 300}.{i % 7}"
    if kind != "How to":
        title = f"{kind} the {topic} in {area} {1 + i // 300}.{i % 7} ({verb})"
    abbr, expansion = ABBREVIATIONS[i % len(ABBREVIATIONS)]
    paragraphs = [f"This page explains how to {verb} the {topic} in {area}. "
                  f"{expansion[0].upper() + expansion[1:]} ({abbr}) is used by the {topic} for every connection."]
    for section in ("Overview", "Configuration", "Examples", "Limits"):
        sentences = [rng.choice(TEMPLATES).format(a=rng.choice([topic, _term(rng)]), b=_term(rng), v=verb)
                     for _ in range(rng.randint(3, 6))]
        paragraphs.append(f"## {section}\n\n" + " ".join(sentences))
    paragraphs.append("```\n" + f"{area.lower()} {verb} --{topic.replace(' ', '-')} --verbose\n" + "```")
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    front = (f'---\ntitle: "{title}"\nsource: "https://docs.example.com/{area.lower()}/{slug}"\n'
             f'description: "How the {topic} works in {area}, and how to {verb} it."\ntags:\n  - docs\n---\n')
    return f"{slug}.md", front + "\n\n".join(paragraphs) + "\n"


def make_vault(root: Path, notes: int, seed: int = 7) -> int:
    init_vault(root)
    rng = random.Random(seed)
    total = 0
    for i in range(notes):
        name, text = make_page(i, rng)
        data = text.encode()
        (root / "raw" / name).write_bytes(data)
        total += len(data)
    return total


def copy_docs(root: Path, folder: Path) -> tuple[int, int]:
    """Every markdown page under `folder` into raw/ (sub-folders kept); (pages, bytes)."""
    init_vault(root)
    pages = total = 0
    for page in sorted(folder.rglob("*.md")):
        target = root / "raw" / page.relative_to(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = page.read_bytes()
        target.write_bytes(data)
        pages, total = pages + 1, total + len(data)
    return pages, total


def _source_count(concept_page: str) -> int:
    m = re.search(r"^## What the sources say(?: \((\d+)\)|: the \d+ most relevant of (\d+))", concept_page, re.M)
    return int(m.group(1) or m.group(2)) if m else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=5000)
    parser.add_argument("--keep", type=Path, help="build the vault here and keep it")
    parser.add_argument("--docs", type=Path, help="a folder of real documentation pages to use instead")
    parser.add_argument("--lint", action="store_true", help="then time one full kbd lint")
    args = parser.parse_args()
    scratch = None if args.keep else Path(tempfile.mkdtemp(prefix="kbd-scale-"))
    root = args.keep or scratch / "Vault"
    try:
        if args.docs:
            pages, size = copy_docs(root, args.docs)
        else:
            pages, size = args.notes, make_vault(root, args.notes)
        print(f"machine: {machine()}")
        print(f"corpus: {pages:,} documentation pages, {size / 1e6:.1f} MB of markdown")
        elapsed, line = compile_once(root)
        print(f"cold compile: {elapsed:.1f} s ({line})")
        wiki = root / "wiki"
        pages = {p.relative_to(root).as_posix(): p.stat().st_size for p in wiki.rglob("*.md")}
        sources = sum(1 for p in pages if p.startswith("wiki/sources/"))
        concepts = sum(1 for p in pages if p.startswith("wiki/concepts/"))
        print(f"sources: {sources:,}; concept articles: {concepts:,} "
              f"({'fewer' if concepts < sources else 'NOT fewer'} than sources)")
        print(f"pages written: {len(pages):,}; larger than 200 KB: {sum(s > LIMIT for s in pages.values())}")
        for label, prefix in (("index.md", "wiki/index.md"), ("sub-index note", "wiki/index/Sources"),
                              ("concept page", "wiki/concepts/"), ("concept sub-page", "wiki/index/mentions/"),
                              ("source note", "wiki/sources/"), ("log.md", "wiki/log.md")):
            sized = [(s, p) for p, s in pages.items() if p.startswith(prefix)]
            if sized:
                s, p = max(sized)
                print(f"largest {label:17} {s / 1024:8.1f} KB  {p}")
        mentioned = {p: _source_count((root / p).read_text()) for p in pages if p.startswith("wiki/concepts/")}
        if mentioned:
            top = max(mentioned, key=lambda p: (mentioned[p], p))
            text = (root / top).read_text()
            heading = re.search(r"^## What the sources say.*$", text, re.M)
            bullets = len(re.findall(r"^- \[\[wiki/sources/", text, re.M))
            subs = sorted({m for m in re.findall(r"\[\[(wiki/index/mentions/[^|\]]+)", text)})
            shown = heading.group(0) if heading else "?"
            print(f"most-mentioned concept: {top} ({mentioned[top]:,} sources): \"{shown}\"; "
                  f"{bullets} source bullets, {(root / top).stat().st_size / 1024:.1f} KB, {len(subs)} sub-pages "
                  f"for the rest")
        if args.lint:
            notes = sum(1 for p in root.rglob("*.md") if ".kbd" not in p.parts)
            print_lint_figures(root, notes)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
