"""Lint speed on a large vault, and precision and recall per check on planted defects.

    python bench/lint.py [--notes 10000] [--planted-only] [--keep DIR]

1. Builds a deterministic vault of about `--notes` markdown notes (a quarter of them clippings,
   compiled once by the offline engine into summaries and concept pages, the rest the user's own
   linked notes with properties), then times one full deterministic `kbd lint` (report written)
   in a fresh process and prints its CPU and wall time, peak RSS and slowest parts (targets < 20 s
   CPU, < 300 MB; `bench/scale.py --lint` does the same on a documentation corpus).
2. Builds a small compiled vault with no defect, checks that lint finds nothing in it, plants
   defects of every kind acceptance 1 names, and prints precision and recall per check against
   the planted list (target 1.0 / 1.0). The same planting runs in tests/test_lint.py.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.compile import machine  # noqa: E402
from kbd.init import init_vault  # noqa: E402
from tests.clippings import TOPICS, _sentence, make_clipping  # noqa: E402

Key = tuple[str, str]  # (check, note path or, for vault-wide findings, the name concerned)


def finding_key(finding: dict[str, object]) -> Key:
    detail = finding.get("detail") or {}
    assert isinstance(detail, dict)
    return str(finding["check"]), str(finding["path"] or detail.get("name", ""))


def run_kbd(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-P", "-m", "kbd", *args], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, check=False)


def lint_json(vault: Path) -> dict[str, object]:
    result = run_kbd("lint", str(vault), "--json", "--no-write")
    if result.returncode != 0:
        raise RuntimeError(result.stdout + result.stderr)
    data: dict[str, object] = json.loads(result.stdout)
    return data


# -- planted defects -----------------------------------------------------------------------------

def write_clean_vault(root: Path, topics: int = 4, per_topic: int = 3) -> None:
    """Clippings in topic groups: every summary shares concepts with its group, so each concept
    page has several sources and every summary is linked from one."""
    init_vault(root)
    for topic in list(TOPICS)[:topics]:
        for j in range(per_topic):
            rng = random.Random(f"{topic}{j}")
            body = " ".join(_sentence(rng, TOPICS[topic]) for _ in range(25))
            if (topic, j) == (next(iter(TOPICS)), 0):  # a name only this clipping has: extracted, no page
                # ... and is about, among its strongest concepts: lint offers only such names a page.
                body += " " + " ".join(f"The {UNPAGED} {verb} the rest." for verb in (
                    "limits", "explains", "shapes", "orders", "bounds", "drives", "sets", "keeps"))
            title = f"{topic.capitalize()} notes {j}"
            (root / "raw" / f"{title}.md").write_text(
                f'---\ntitle: "{title}"\nsource: "https://example.org/{topic}/{j}"\ncreated: 2026-11-20\n'
                f'tags:\n  - "clippings"\n---\n# {title}\n\n{body}\n', encoding="utf-8")


UNPAGED = "quasar ledger"


@dataclass
class Planted:
    expected: set[Key] = field(default_factory=set)

    def add(self, check: str, what: str) -> None:
        self.expected.add((check, what))


def _state_rows(root: Path, sql: str) -> list[tuple[object, ...]]:
    import sqlite3

    db = sqlite3.connect(root / ".kbd" / "state.db")
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def plant_defects(root: Path) -> Planted:
    """Plant defects of every kind in a compiled clean vault; returns what lint must find."""
    p = Planted()
    wiki, raw, notes = root / "wiki", root / "raw", root / "Notes"
    notes.mkdir()
    concepts = sorted(_state_rows(root, "SELECT key, note_name FROM concepts"), key=lambda r: str(r[1]))
    names = [str(r[1]) for r in concepts]
    sources = sorted(_state_rows(root, "SELECT raw_path, note_name FROM sources"))

    def user_note(name: str, text: str) -> str:
        path = notes / f"{name}.md"
        path.write_text(text, encoding="utf-8")
        return f"Notes/{name}.md"

    # A hub that links every planted user note (so they are not orphans) and is linked back.
    hubbed: list[str] = []
    # broken links and embeds
    typo = names[0][:-1] + ("x" if names[0][-1] != "x" else "y")
    hubbed.append(user_note("Reading list", f"Back to [[Home]]. Next: [[{typo}]].\n"))
    p.add("broken_links", "Notes/Reading list.md")
    hubbed.append(user_note("Diagrams", "Back to [[Home]].\n\n![[Missing diagram]]\n\n![[architecture.png]]\n\n"
                                        "![a chart](assets/missing%20chart.jpg)\n"))
    p.add("broken_links", "Notes/Diagrams.md")
    p.add("missing_attachments", "Notes/Diagrams.md")
    # a clipping renamed after it was compiled: its summary's clipping link breaks; the new name has no summary
    moved_raw, moved_note = sources[0]
    (root / str(moved_raw)).rename(raw / "Renamed clipping.md")
    p.add("broken_links", f"wiki/sources/{moved_note}.md")
    p.add("unsummarised", "raw/Renamed clipping.md")
    # a new clipping not compiled yet
    (raw / "Fresh clip.md").write_text('---\ntitle: "Fresh clip"\ncreated: 2026-11-21\n---\nPlain words only.\n')
    p.add("unsummarised", "raw/Fresh clip.md")
    # a clipping changed after its summary was made
    stale_raw, stale_note = sources[1]
    with open(root / str(stale_raw), "a", encoding="utf-8") as fh:
        fh.write("\nAn added closing remark.\n")
    p.add("stale_summaries", f"wiki/sources/{stale_note}.md")
    # an orphan
    user_note("Lonely", "Nobody links here.\n")
    p.add("orphans", "Notes/Lonely.md")
    # duplicate concepts: a case/plural twin, an alias, a one-letter misspelling (the user's notes in concepts/)
    plural = names[1] + ("es" if names[1].endswith(("s", "x", "ch", "sh")) else "s")
    (wiki / "concepts" / f"{plural.lower()}.md").write_text(f"My own page on {plural}.\n", encoding="utf-8")
    hubbed.append(f"wiki/concepts/{plural.lower()}.md")
    p.add("duplicate_concepts", f"wiki/concepts/{plural.lower()}.md")
    (wiki / "concepts" / "Shorthand.md").write_text(f"---\naliases:\n  - \"{names[2]}\"\n---\nSame idea.\n",
                                                    encoding="utf-8")
    hubbed.append("wiki/concepts/Shorthand.md")
    p.add("duplicate_concepts", "wiki/concepts/Shorthand.md")
    word = names[3]
    i = next(k for k in range(len(word) - 2, 0, -1) if word[k].isalpha() and word[k - 1].isalpha())
    misspelt = word[:i] + word[i + 1:]
    (wiki / "concepts" / f"{misspelt}.md").write_text("A page with a typo in its name.\n", encoding="utf-8")
    hubbed.append(f"wiki/concepts/{misspelt}.md")
    p.add("duplicate_concepts", f"wiki/concepts/{misspelt}.md")
    # a name the engine found in clippings, with no page, mentioned in three of the user's notes
    unpaged = {str(r[0]).casefold(): str(r[0]) for r in _state_rows(
        root, "SELECT DISTINCT name FROM source_concepts WHERE key NOT IN (SELECT key FROM concepts)")}
    assert UNPAGED in unpaged, f"the engine did not extract {UNPAGED!r}: {sorted(unpaged)}"
    name = unpaged[UNPAGED]
    for k in range(3):
        hubbed.append(user_note(f"Thoughts {k}", f"Back to [[Home]]. Thinking about {name} today.\n"))
    p.add("unlinked_names", name)
    # kbd notes the user edited: frontmatter removed, frontmatter broken, a line removed from the index
    fm_gone = wiki / "sources" / f"{sources[2][1]}.md"
    text = fm_gone.read_text(encoding="utf-8")
    fm_gone.write_text(text.split("\n---\n", 1)[1], encoding="utf-8")
    p.add("frontmatter", f"wiki/sources/{sources[2][1]}.md")
    p.add("user_edits", f"wiki/sources/{sources[2][1]}.md")
    fm_bad = wiki / "concepts" / f"{names[4]}.md"
    fm_bad.write_text(fm_bad.read_text(encoding="utf-8").replace("---\n", "---\ntitle: [unclosed\n", 1),
                      encoding="utf-8")
    p.add("frontmatter", f"wiki/concepts/{names[4]}.md")
    p.add("user_edits", f"wiki/concepts/{names[4]}.md")
    index = wiki / "index.md"
    lines = index.read_text(encoding="utf-8").split("\n")
    dropped = sources[3][1]
    kept = [ln for ln in lines if f"wiki/sources/{dropped}|" not in ln]
    assert len(kept) == len(lines) - 1, "the index lists each source once"
    index.write_text("\n".join(kept), encoding="utf-8")
    p.add("index_drift", f"wiki/sources/{dropped}.md")
    p.add("user_edits", "wiki/index.md")
    # property type conflicts: `created` is a date everywhere else; `rating` a number in two notes
    hubbed.append(user_note("Meeting", "---\ncreated: yesterday\nrating: 4\n---\nBack to [[Home]].\n"))
    hubbed.append(user_note("Review", "---\nrating: 5\n---\nBack to [[Home]].\n"))
    hubbed.append(user_note("Opinion", "---\nrating: five\n---\nBack to [[Home]].\n"))
    p.add("property_types", "Notes/Meeting.md")
    p.add("property_types", "Notes/Opinion.md")
    # empty notes
    hubbed.append(user_note("Empty", "---\ncreated: 2026-11-22\n---\n\n"))
    hubbed.append(user_note("Blank", ""))
    p.add("empty_notes", "Notes/Empty.md")
    p.add("empty_notes", "Notes/Blank.md")
    # a concept with a single source: made by a clipping on a subject no other clipping has, with
    # concept_min_sources: 1 (see plant_single_source)
    links = "\n".join(f"- [[{h[:-3]}]]" for h in hubbed)
    (root / "Home.md").write_text(f"# Home\n\n{links}\n", encoding="utf-8")
    return p


SINGLE_SOURCE_TEXT = " ".join(
    f"The zorbic lattice {verb} the quillon manifold, and the quillon manifold {verb} the zorbic lattice again."
    for verb in ("bends", "folds", "twists", "holds", "feeds", "guards", "lifts", "turns", "binds", "frames"))


def plant_single_source(root: Path, planted: Planted) -> None:
    """Compile one clipping whose subject no other clipping shares, with concept_min_sources: 1:
    each concept page it makes has exactly that one source."""
    before = {p.name for p in (root / "wiki" / "concepts").glob("*.md")}
    config = root / "kbd" / "config.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("concept_min_sources: 2", "concept_min_sources: 1"), encoding="utf-8")
    (root / "raw" / "Zorbic lattices.md").write_text(
        '---\ntitle: "Zorbic lattices"\nsource: "https://example.org/zorbic"\ncreated: 2026-11-20\n'
        f'tags:\n  - "clippings"\n---\n# Zorbic lattices\n\n{SINGLE_SOURCE_TEXT}\n', encoding="utf-8")
    result = run_kbd("compile", str(root))
    if result.returncode != 0:
        raise RuntimeError(result.stdout + result.stderr)
    made = sorted({p.name for p in (root / "wiki" / "concepts").glob("*.md")} - before)
    if not made:
        raise RuntimeError("the single-source clipping made no concept page")
    for name in made:
        planted.add("single_source_concepts", f"wiki/concepts/{name}")


def build_planted_vault(root: Path) -> Planted:
    """build_planted_vault, where the clean vault may report only the planted single-source pages."""
    write_clean_vault(root)
    result = run_kbd("compile", str(root))
    if result.returncode != 0:
        raise RuntimeError(result.stdout + result.stderr)
    clean = lint_json(root)
    assert not clean["findings"], f"the clean vault has findings: {clean['findings'][:3]}"
    planted = Planted()
    plant_single_source(root, planted)
    planted.expected |= plant_defects(root).expected
    return planted


def score(expected: set[Key], found: set[Key], checks: list[str]) -> dict[str, tuple[float, float, int, int]]:
    """check → (precision, recall, found, expected)."""
    out = {}
    for check in checks:
        e = {k for k in expected if k[0] == check}
        f = {k for k in found if k[0] == check}
        hit = len(e & f)
        out[check] = (hit / len(f) if f else 1.0, hit / len(e) if e else 1.0, len(f), len(e))
    return out


# -- the large vault -----------------------------------------------------------------------------

def build_large_vault(root: Path, notes: int) -> None:
    init_vault(root)
    clippings = notes // 4
    for i in range(clippings):
        c = make_clipping(i, words=250, seed=3)
        (root / "raw" / c.filename).write_text(c.text, encoding="utf-8")
    result = run_kbd("compile", str(root))
    if result.returncode != 0:
        raise RuntimeError(result.stdout + result.stderr)
    have = sum(1 for _ in root.rglob("*.md"))
    rng = random.Random(11)
    folder = root / "Journal"
    folder.mkdir()
    user = max(0, notes - have)
    for i in range(user):
        links = " ".join(f"[[Day {rng.randrange(user)}]]" for _ in range(3))
        fm = f"---\ncreated: 2026-{1 + i % 12:02d}-{1 + i % 28:02d}\ntags: [journal]\nmood: {rng.randint(1, 5)}\n---\n"
        body = " ".join(_sentence(rng, TOPICS[rng.choice(list(TOPICS))]) for _ in range(6))
        (folder / f"Day {i}.md").write_text(f"{fm}# Day {i}\n\n{body}\n\nSee {links}.\n", encoding="utf-8")


def timed_lint(root: Path) -> tuple[float, float, float, dict[str, object]]:
    """Wall seconds, CPU seconds and peak RSS (MiB) of one `kbd lint --json` in a fresh process.
    CPU time is the figure to compare on a shared machine: wall time grows with other load."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, "-P", "-m", "kbd", "lint", str(root), "--json"], stdout=out,
                                stderr=err, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                stdin=subprocess.DEVNULL)
        started = time.perf_counter()
        _, status, usage = os.wait4(proc.pid, 0)  # a file, not a pipe: the child never blocks on a full pipe
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        output, errors = out.read(), err.read()
    if proc.returncode != 0:
        raise RuntimeError(output + errors)
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, json.loads(output)


_PROFILE = """
import json, sys, time
from pathlib import Path
from kbd.config import load_config
from kbd.lint.run import LintOptions, _check
from kbd.lint.scan import scan_vault
from kbd.state import State
from kbd.vault.layout import VaultLayout
import threading
root = Path(sys.argv[1])
config = load_config(root)
layout = VaultLayout.from_config(root, config)
state = State(layout.state_dir / "state.db")
started = time.perf_counter()
scan_vault(layout, state, config.lint.exclude)
out = {"vault read": time.perf_counter() - started}
out.update({run.name: run.seconds for run in _check(layout, config, state, threading.Event()) if not run.skipped})
print(json.dumps(out))
"""


def check_seconds(root: Path) -> dict[str, float]:
    """Seconds per check (and for reading the vault) in one lint, in a fresh process."""
    result = subprocess.run([sys.executable, "-P", "-c", _PROFILE, str(root)], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.DEVNULL, check=False)
    if result.returncode != 0:
        raise RuntimeError(result.stdout + result.stderr)
    seconds: dict[str, float] = json.loads(result.stdout)
    return seconds


def print_lint_figures(root: Path, notes: int) -> None:
    """One full lint in a fresh process (report written): CPU, wall, peak RSS, the slowest parts."""
    elapsed, cpu, rss, data = timed_lint(root)
    counts = data["counts"]
    assert isinstance(counts, dict)
    print(f"full lint, {notes:,} notes (report written): {cpu:.2f} s CPU (target < 20 s), {elapsed:.2f} s wall, "
          f"peak RSS {rss:.0f} MiB (target < 300 MB); load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    print(f"  findings: {sum(counts.values())} ({', '.join(f'{k} {v}' for k, v in counts.items() if v)})")
    slowest = sorted(check_seconds(root).items(), key=lambda kv: -kv[1])[:5]
    print(f"  slowest parts (wall s): {', '.join(f'{name} {s:.2f}' for name, s in slowest)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--planted-only", action="store_true")
    parser.add_argument("--keep", type=Path, help="build the vaults here and keep them")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"uname: {' '.join(os.uname())}")
    base = args.keep or Path(tempfile.mkdtemp(prefix="kbd-lint-bench-"))
    try:
        if not args.planted_only:
            large = base / "large"
            started = time.perf_counter()
            build_large_vault(large, args.notes)
            count = sum(1 for _ in large.rglob("*.md"))
            print(f"large vault: {count} notes built and compiled in {time.perf_counter() - started:.1f} s")
            print_lint_figures(large, count)
        planted_root = base / "planted"
        planted = build_planted_vault(planted_root)
        data = lint_json(planted_root)
        found = {finding_key(f) for f in data["findings"]}
        checks = [c["name"] for c in data["checks"] if not c["skipped"]]  # model checks: no model here
        print(f"planted defects: {len(planted.expected)} expected findings over {len(checks)} checks")
        worst = 1.0
        for check, (precision, recall, nf, ne) in score(planted.expected, found, checks).items():
            worst = min(worst, precision, recall)
            print(f"  {check:24} precision {precision:.2f}  recall {recall:.2f}  (found {nf}, planted {ne})")
        for key in sorted(found - planted.expected):
            print(f"  unexpected: {key}")
        for key in sorted(planted.expected - found):
            print(f"  missed: {key}")
        return 0 if worst == 1.0 else 1
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
