"""How well the offline engine reads: concepts, clean summaries, core topics, against a labelled corpus.

    python bench/quality.py [--base REV] [--corpus DIR] [--json FILE]
    python bench/quality.py --real DIR [--half dev|test|all] [--sample FILE] [--base REV]

With `--real` it reads a real public corpus nobody here labelled, one half of it, and prints
label-free figures (bench/heldout.py says which and why). Without it, the self-written corpus
below is a regression check only: its labels were written by the hand that wrote the lexicon.

The corpus (bench/corpus/*.md, self-written, four domains: papers with abstracts, news with cookie
banners and menus, blog posts, documentation pages) comes with bench/corpus/labels.json: for each
article the concepts a careful human would choose, its core topics, and its own prose (abstract,
description, paragraphs). A label may list equivalent names separated by `|` ("WAL|write-ahead log").

It compiles the corpus with `kbd compile` (a fresh vault, a fresh process) and reads the result
from state.db. With `--base REV` (default: main) it does the same with the engine of that
revision, checked out with `git worktree` into a temp dir, and prints both columns.

Figures:
- concept precision / recall: the concepts linked from each source note against its labels;
- top-30 junk: among the 30 concepts with the most sources, the share that no article labels;
- boilerplate sentences: summary and key-point sentences that are not the article's own prose
  (cookie, menu, caption, reference, citation residue...); target 0;
- core-topic recall: labelled core topics among the article's 12 top-ranked concepts;
- whole-word bullets: concept bullets whose quoted sentence contains the concept (or a name the
  source defines for it, "LSM tree" for "log-structured merge tree") as whole words;
- summary from abstract/description: summaries using a sentence of the article's abstract, or
  its description when it has no abstract.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import heldout  # noqa: E402
from bench.compile import machine  # noqa: E402
from kbd.engines.base import contains_phrase, phrase_tokens  # noqa: E402
from kbd.engines.text import strip_citations  # noqa: E402

MAX_LINKED = 12  # concepts linked from a source note (max_concepts_per_source)
TARGETS = {"concept precision": ">= 0.60", "concept recall": "", "top-30 junk share": "<= 0.10",
           "boilerplate sentence share": "0", "core-topic recall": ">= 0.70", "whole-word bullet share": "1.00",
           "summary from abstract/description": ">= 0.90", "concept articles / sources": "< 1"}


def compile_corpus(tree: Path, corpus: Path, work: Path) -> Path:
    """Compile the corpus with the kbd in `tree`; returns the vault's state.db."""
    vault = work / "vault"
    env = {**os.environ, "PYTHONPATH": str(tree)}
    # cwd=tree: `python -m` puts the working directory first on sys.path.
    subprocess.run([sys.executable, "-m", "kbd", "init", str(vault)], check=True, env=env, capture_output=True,
                   cwd=tree)
    if (tree / "kbd" / "images").is_dir():  # the corpus's figures are on public hosts: a bench stays offline
        # (a kbd older than image downloads neither fetches images nor knows the key)
        with (vault / "kbd" / "config.yaml").open("a", encoding="utf-8") as config:
            config.write("\nimages: {download: false}\n")
    raw = vault / "raw"
    for note in corpus.glob("*.md"):
        shutil.copy(note, raw / note.name)
    subprocess.run([sys.executable, "-m", "kbd", "compile", str(vault)], check=True, env=env, capture_output=True,
                   cwd=tree)
    return vault / ".kbd" / "state.db"


def _names(label: str) -> list[list[str]]:
    return [phrase_tokens(n) for n in label.split("|")]


def _matches(names: list[list[str]], labels: list[str]) -> bool:
    return any(n == want for label in labels for want in _names(label) for n in names)


def measure(db_path: Path, labels: dict[str, dict[str, object]]) -> dict[str, float]:
    db = sqlite3.connect(db_path)
    db.row_factory = sqlite3.Row
    spellings: dict[str, set[str]] = {}
    for r in db.execute("SELECT key, name FROM source_concepts"):
        spellings.setdefault(r["key"], set()).add(r["name"])
    defined: dict[str, set[str]] = {}  # names the sources define as the concept's abbreviation or synonym
    for r in db.execute("SELECT result FROM sources"):
        for c in json.loads(r["result"])["summary"]["concepts"]:
            defined.setdefault(c["key"], set()).update(c.get("aliases", []))
    if db.execute("SELECT 1 FROM sqlite_master WHERE name='concept_aliases'").fetchone():
        for r in db.execute("SELECT key, name FROM concept_aliases"):
            defined.setdefault(r["key"], set()).add(r["name"])
    for key, names in defined.items():
        spellings.setdefault(key, set()).update(names)
    everything = [label for entry in labels.values() for label in [*entry["concepts"], *entry["topics"]]]
    hits = linked_total = found = wanted = topic_found = topic_wanted = 0
    bullets = whole = chosen = furniture = with_digest = from_digest = 0
    for src in db.execute("SELECT id, raw_path, result FROM sources"):
        entry = labels.get(Path(src["raw_path"]).name)
        if entry is None:
            continue
        rows = db.execute("SELECT sc.key, sc.name, sc.sentence, c.note_name FROM source_concepts sc "
                          "JOIN concepts c ON c.key=sc.key WHERE sc.source_id=? ORDER BY sc.rank LIMIT ?",
                          (src["id"], MAX_LINKED)).fetchall()
        linked = [[phrase_tokens(n) for n in {r["note_name"], *spellings.get(r["key"], ())}] for r in rows]
        hits += sum(_matches(names, entry["concepts"] + entry["topics"]) for names in linked)
        linked_total += len(linked)
        for label in entry["concepts"]:
            wanted += 1
            found += any(_matches(names, [label]) for names in linked)
        # A core topic is found when it is among the article's own top concepts (a concept article
        # also needs a second source, which a topic of one article cannot have).
        ranked = db.execute("SELECT key, name FROM source_concepts WHERE source_id=? ORDER BY rank LIMIT ?",
                            (src["id"], MAX_LINKED)).fetchall()
        top = [[phrase_tokens(n) for n in {r["name"], *spellings.get(r["key"], ())}] for r in ranked]
        for label in entry["topics"]:
            topic_wanted += 1
            topic_found += any(_matches(names, [label]) for names in top)
        for r in rows:
            bullets += 1
            said = phrase_tokens(r["sentence"])
            whole += any(contains_phrase(said, phrase_tokens(n)) for n in {r["name"], *defined.get(r["key"], ())})
        summary = json.loads(src["result"])["summary"]
        prose = [" ".join(strip_citations(p.replace("`", "")).split()) for p in entry["prose"]]
        for sentence in [*summary["summary"], *summary["key_points"]]:
            chosen += 1
            furniture += not any(" ".join(sentence.split()) in p for p in prose)
        digest = entry["abstract"] or entry["description"]
        if digest:
            with_digest += 1
            from_digest += any(" ".join(s.split()) in " ".join(digest.split()) for s in summary["summary"])
    top = db.execute("SELECT key, note_name FROM concepts ORDER BY source_count DESC, note_name LIMIT 30").fetchall()
    junk = sum(not _matches([phrase_tokens(n) for n in {t["note_name"], *spellings.get(t["key"], ())}], everything)
               for t in top)
    concepts = db.execute("SELECT COUNT(*) FROM concepts").fetchone()[0]
    sources = db.execute("SELECT COUNT(*) FROM sources").fetchone()[0]
    db.close()
    return {
        "concept precision": hits / max(1, linked_total),
        "concept recall": found / max(1, wanted),
        "top-30 junk share": junk / max(1, len(top)),
        "boilerplate sentence share": furniture / max(1, chosen),
        "core-topic recall": topic_found / max(1, topic_wanted),
        "whole-word bullet share": whole / max(1, bullets),
        "summary from abstract/description": from_digest / max(1, with_digest),
        "concept articles / sources": concepts / max(1, sources),
    }


def top_concepts(db_path: Path, n: int = 30) -> list[str]:
    db = sqlite3.connect(db_path)
    try:
        return [f"{r[0]} ({r[1]})" for r in db.execute(
            "SELECT note_name, source_count FROM concepts ORDER BY source_count DESC, note_name LIMIT ?", (n,))]
    finally:
        db.close()


def run_at(rev: str, corpus: Path, work: Path) -> Path | None:
    tree = work / "base-tree"
    try:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), rev], check=True,
                       capture_output=True)
    except subprocess.CalledProcessError as exc:
        print(f"(no baseline: git worktree add {rev} failed: {exc.stderr.decode().strip()})")
        return None
    try:
        (work / "base").mkdir()
        return compile_corpus(tree, corpus, work / "base")
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="main", help="git revision to compare with (default: main); '' for none")
    parser.add_argument("--corpus", type=Path, default=ROOT / "bench" / "corpus")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--show-top", action="store_true", help="list the 30 most-shared concepts")
    parser.add_argument("--keep", type=Path, help="copy the compiled vault of this tree here, to read it")
    parser.add_argument("--real", type=Path, help="a real corpus folder: label-free figures on one half of it")
    parser.add_argument("--half", default="dev", choices=("dev", "test", "all"))
    parser.add_argument("--without-wordfreq", action="store_true",
                        help="with --real: compile as an install without the wordfreq extra would")
    parser.add_argument("--sample", type=Path, help="with --real: write 40 random concepts etc. here, to read")
    args = parser.parse_args()
    if args.real:
        return main_real(args)
    labels = json.loads((args.corpus / "labels.json").read_text())
    domains = Counter(str(e["domain"]) for e in labels.values())
    print(machine())
    print(f"corpus: {len(labels)} labelled articles ({', '.join(f'{n} {d}' for d, n in sorted(domains.items()))})")
    with tempfile.TemporaryDirectory(prefix="kbd-quality-") as tmp:
        work = Path(tmp)
        (work / "now").mkdir()
        now_db = compile_corpus(ROOT, args.corpus, work / "now")
        now = measure(now_db, labels)
        base_db = run_at(args.base, args.corpus, work) if args.base else None
        base = measure(base_db, labels) if base_db else None
        if args.keep:
            shutil.copytree(work / "now" / "vault", args.keep, dirs_exist_ok=True)
        if args.show_top:
            print("top concepts:", "; ".join(top_concepts(now_db)))
    head = f"| figure | this tree | {args.base or 'base'} | target |"
    print(head)
    print("|---|---|---|---|")
    for name, value in now.items():
        before = f"{base[name]:.2f}" if base else "–"
        print(f"| {name} | {value:.2f} | {before} | {TARGETS[name]} |")
    if args.json:
        args.json.write_text(json.dumps({"now": now, "base": base, "base_rev": args.base}, indent=1) + "\n")
    return 0


def main_real(args: argparse.Namespace) -> int:
    print(machine())
    notes = heldout.notes_of(args.real, args.half)
    print(f"corpus: {args.real} ({args.half} half: {len(notes)} notes)"
          + (", engine without wordfreq" if args.without_wordfreq else ""))
    with tempfile.TemporaryDirectory(prefix="kbd-heldout-") as tmp:
        work = Path(tmp)
        (work / "now").mkdir()
        now = heldout.measure(heldout.compile_half(ROOT, args.real, args.half, work / "now",
                                                   hide_wordfreq=args.without_wordfreq))
        if args.sample:
            heldout.sample(work / "now" / "vault", args.sample)
        if args.keep:
            shutil.copytree(work / "now" / "vault", args.keep, dirs_exist_ok=True)
        base = None
        if args.base:
            tree = work / "base-tree"
            try:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), args.base],
                               check=True, capture_output=True)
                (work / "base").mkdir()
                base = heldout.measure(heldout.compile_half(tree, args.real, args.half, work / "base"))
            except subprocess.CalledProcessError as exc:
                print(f"(no baseline: {exc})")
            finally:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                               capture_output=True)
    print(f"| figure | this tree | {args.base or 'base'} |")
    print("|---|---|---|")
    for name, value in now.items():
        before = f"{base[name]:.2f}" if base and name in base else "–"
        print(f"| {name} | {value:.2f} | {before} |")
    if args.json:
        args.json.write_text(json.dumps({"now": now, "base": base, "half": args.half}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
