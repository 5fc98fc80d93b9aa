"""Label-free reading quality on real public material nobody here wrote, split into halves.

    python bench/quality.py --real DIR [--half dev|test] [--sample FILE] [--base REV]

DIR holds the notes of one corpus (a fetched vault's clippings folder, a docs repository's pages),
in any folder layout. Each note goes to the development half or the test half by the SHA-256 of its
path inside DIR (deterministic, independent of file order): tune on `dev`, report `test`.

Figures (no labels needed, so they carry from one corpus to the next):
- generic-head share: concept articles whose head word (the last word of the name) is among the
  1,000 / 5,000 most common English words (wordfreq's list; a dev dependency, not a runtime one);
- concept articles per source;
- core-topic coverage: a core topic is a word in at least 10 % of the titles (and of 3); its share of
  titled sources is how many of the sources with the word in their title its concept page lists; and
  the same counting only titles that name the word on its own (kbd's bare_names: not "build" of
  "Building Your Own Schema.org", nor "Obsidian" of "Introduction to Obsidian Sync"). A file name
  kept as the title ("bbc_com_news_technology") counts for neither, as it names nothing to kbd;
- result-bullet share: concept bullets that state a result (a number or a finding verb) rather than
  an aim or a method;
- author names: how many distinct names the sources list. Whether one is junk (site chrome, a place, a
  section name, the author of a related article or a reference) takes a reader: `--sample` lists them
  all, with the sources' titles that differ from their file names, to be read by hand;
- text damage: `\\$` or `\\*` in written bodies, summaries that open with a description cut mid-word,
  bodies with a formula's speech text (arXiv's "italic_K start_POSTSUBSCRIPT …" left beside its TeX);
- concept pages whose bullets all quote nothing: pages where "What the sources say" is only links (each
  source's line was taken up by the synthesis, or only the source's title ties it to the page);
- titles unlike the file name: a Web Clipper names the file after the page's title, so a source
  title that differs is a repair or a wrong title (read them: listed with `--sample`).
With `--sample FILE` it writes 40 random concepts (seeded) with their bullets, and the 30 most
shared, for a read by hand with the rubric in the README.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

from kbd.engines.base import concept_key, phrase_tokens
from kbd.engines.lexicon import STOPWORDS
from kbd.engines.title_words import bare_names
from kbd.vault.note import names_a_page

# A result: a number, or a verb that reports one (the definition; "is" and "uses" are not).
RESULT = re.compile(
    r"\d|\b(?:found|finds|show(?:s|ed|n)?|demonstrat(?:es|ed)|reveal(?:s|ed)|reduc(?:es|ed)|increas(?:es|ed)"
    r"|decreas(?:es|ed)|improv(?:es|ed)|lower(?:s|ed)|rais(?:es|ed)|associated with|linked to|predict(?:s|ed)"
    r"|outperform(?:s|ed)?|caus(?:es|ed)|led to|leads to|results? in|enables?|allows?|prevents?)\b", re.IGNORECASE)
AIM_OR_METHOD = re.compile(
    r"^(?:we|this (?:study|paper|review|article)|the (?:aim|objective|purpose)|our (?:aim|goal))\b.{0,40}"
    r"\b(?:search(?:ed)?|aim(?:s|ed)?|sought|investigat\w*|examin\w*|assess\w*|evaluat\w*|recruit\w*|"
    r"conduct\w*|includ\w*|review\w*|describ\w*|explor\w*)\b", re.IGNORECASE)


# What arXiv's MathML says aloud, flattened into the text by a clipper ("italic_K start_POSTSUBSCRIPT").
FORMULA_SPEECH = re.compile(r"\b(?:italic|caligraphic|blackboard)_\S|\b(?:start|end)_POST(?:SUB|SUPER)SCRIPT")


def retitled(db: sqlite3.Connection) -> list[tuple[str, str]]:
    """(file name, title) of the sources whose title is not their raw file's name."""
    rows = db.execute("SELECT raw_path, title FROM sources").fetchall()
    return [(Path(r[0]).stem, r[1]) for r in rows if Path(r[0]).stem != r[1]]


def half_of(relpath: str) -> str:
    return "dev" if hashlib.sha256(relpath.encode("utf-8")).digest()[0] % 2 == 0 else "test"


def notes_of(corpus: Path, half: str) -> list[Path]:
    notes = sorted(p for p in corpus.rglob("*.md") if p.is_file())
    return [p for p in notes if half in ("all", half_of(p.relative_to(corpus).as_posix()))]


def compile_half(tree: Path, corpus: Path, half: str, work: Path, hide_wordfreq: bool = False) -> Path:
    """Compile one half of the corpus with the kbd in `tree`; returns the vault. `hide_wordfreq`
    makes the engine run its fallback, as on an install without the `wordfreq` extra."""
    vault = work / "vault"
    path = [str(tree)]
    if hide_wordfreq:
        (work / "shim").mkdir()
        (work / "shim" / "wordfreq.py").write_text('raise ImportError("hidden by the bench")\n')
        path.insert(0, str(work / "shim"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    subprocess.run([sys.executable, "-m", "kbd", "init", str(vault)], check=True, env=env, capture_output=True,
                   cwd=tree)
    if (tree / "kbd" / "images").is_dir():  # the corpus's figures are on public hosts: a bench stays offline
        # (a kbd older than image downloads neither fetches images nor knows the key)
        with (vault / "kbd" / "config.yaml").open("a", encoding="utf-8") as config:
            config.write("\nimages: {download: false}\n")
    for note in notes_of(corpus, half):
        target = vault / "raw" / note.relative_to(corpus)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(note, target)
    subprocess.run([sys.executable, "-m", "kbd", "compile", str(vault)], check=True, env=env, capture_output=True,
                   cwd=tree)
    return vault


def _common(n: int) -> set[str]:
    from wordfreq import top_n_list  # dev dependency: the bench's yardstick, not the engine's
    return {w for w in top_n_list("en", n)}


def _head(name: str) -> str:
    words = phrase_tokens(name)
    return words[-1] if words else ""


def measure(vault: Path) -> dict[str, float]:
    db = sqlite3.connect(vault / ".kbd" / "state.db")
    db.row_factory = sqlite3.Row
    concepts = db.execute("SELECT key, note_name, source_count FROM concepts").fetchall()
    sources = db.execute("SELECT id, title, result FROM sources").fetchall()
    out: dict[str, float] = {"sources": len(sources), "concept articles": len(concepts),
                             "concept articles / source": len(concepts) / max(1, len(sources))}
    for n in (1000, 5000):
        common = {phrase_tokens(w)[0] for w in _common(n) if phrase_tokens(w)}
        heads = [_head(c["note_name"]) for c in concepts]
        out[f"generic-head share (top {n})"] = sum(h in common for h in heads) / max(1, len(heads))
    pages: dict[str, set[int]] = {}
    for key, source_id in db.execute("SELECT sc.key, sc.source_id FROM source_concepts sc JOIN concepts c "
                                     "ON c.key=sc.key"):
        pages.setdefault(key, set()).add(source_id)
    # Core topics: words in >= 10 % of the titles (the measure), and the same counting only the
    # titles that name the word on its own ("Update Obsidian", not "Introduction to Obsidian Sync" nor
    # "Building Your Own Schema.org"; kbd's own reading, engines/concept_mentions.bare_names).
    for label, words_of in (("", lambda title: set(phrase_tokens(title))), (", named on its own", bare_names)):
        titled: dict[str, set[int]] = {}
        for s in sources:
            if not names_a_page(s["title"]):
                continue  # a file name kept as the title ("bbc_com_news_technology") has no topic words
            for w in words_of(s["title"]):
                if w not in STOPWORDS and len(w) > 2 and not w.isdigit():
                    titled.setdefault(w, set()).add(s["id"])
        floor = max(3, 0.10 * len(sources))
        topics = {w: ids for w, ids in titled.items() if len(ids) >= floor}
        shares = []
        for word, ids in sorted(topics.items()):
            # Its page: of the concepts named by the word or with it in their name, the one that lists most
            # of the titled sources ("Knowledge graph" for "graph"): the page a reader would open for it.
            named = [k for k in pages if k == concept_key(word) or word in phrase_tokens(k)]
            best = max((pages[k] for k in named), key=lambda v: len(v & ids), default=set())
            shares.append(len(best & ids) / len(ids))
            out[f"core topic '{word}' ({len(ids)} titled{label})"] = shares[-1]
        out[f"core-topic coverage (mean{label})"] = sum(shares) / len(shares) if shares else float("nan")
    bullets = [r[0] for r in db.execute("SELECT sc.sentence FROM source_concepts sc JOIN concepts c ON c.key=sc.key")]
    out["result-bullet share"] = sum(bool(RESULT.search(b)) and not AIM_OR_METHOD.search(b)
                                     for b in bullets) / max(1, len(bullets))
    authors = Counter(a for s in sources for a in json.loads(s["result"]).get("meta", {}).get("author", []))
    out["author names"] = len(authors)
    bodies = [p.read_text(encoding="utf-8") for p in (vault / "wiki").rglob("*.md")]
    out["bodies with \\$ or \\*"] = sum(("\\$" in b or "\\*" in b) for b in bodies)
    out["bodies with formula speech text"] = sum(bool(FORMULA_SPEECH.search(b)) for b in bodies)
    out["concept pages whose bullets all quote nothing"] = sum(
        bool(bullets) and all(" — " not in b for b in bullets)
        for bullets in map(_bullets, (vault / "wiki" / "concepts").glob("*.md")))
    out["titles unlike the file name"] = len(retitled(db))
    cut = 0
    for s in sources:
        summary = json.loads(s["result"]).get("summary", {}).get("summary", [])
        cut += bool(summary) and summary[0].rstrip().endswith(("…", "..."))
    out["summaries opening with a cut description"] = cut
    db.close()
    return out


def _bullets(page: Path) -> list[str]:
    """The "What the sources say" bullets of a concept page as written."""
    text = page.read_text(encoding="utf-8")
    head = "\n## What the sources say"
    part = text.split(head, 1)[1].split("\n\n", 1)[0] if head in text else ""
    return [line for line in part.splitlines() if line.startswith("- ")]


def sample(vault: Path, path: Path, seed: int = 23) -> None:
    """40 random concepts with their bullets, and the 30 most shared: for a read by hand."""
    db = sqlite3.connect(vault / ".kbd" / "state.db")
    concepts = [r[0] for r in db.execute("SELECT key FROM concepts ORDER BY key")]
    picked = random.Random(seed).sample(concepts, min(40, len(concepts)))
    lines = ["# 40 random concepts", ""]
    for key in picked:
        name, count = db.execute("SELECT note_name, source_count FROM concepts WHERE key=?", (key,)).fetchone()
        lines.append(f"## {name} ({count} sources)")
        for title, sentence in db.execute("SELECT s.title, sc.sentence FROM source_concepts sc JOIN sources s "
                                          "ON s.id=sc.source_id WHERE sc.key=? LIMIT 4", (key,)):
            lines.append(f"- [{title}] {sentence}")
        lines.append("")
    lines += ["# 30 most shared", ""]
    lines += [f"- {n} ({c})" for n, c in db.execute(
        "SELECT note_name, source_count FROM concepts ORDER BY source_count DESC, note_name LIMIT 30")]
    authors = Counter(a for (r,) in db.execute("SELECT result FROM sources")
                      for a in json.loads(r).get("meta", {}).get("author", []))
    lines += ["", "# authors", "", *(f"- {a} ({n})" for a, n in authors.most_common())]
    lines += ["", "# titles unlike the file name", "", *(f"- {stem} → {title}" for stem, title in retitled(db))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db.close()
