"""Lint on real Obsidian vaults nobody wrote for kbd, scored against an independent checker.

    python bench/lint_real.py NAME=FOLDER [NAME=FOLDER ...]

Each FOLDER is a vault as its authors published it (e.g. `git archive` of obsidianmd/obsidian-help's
`en/`, of obsidian-community/obsidian-hub, of kepano/kepano-obsidian). It is copied, `kbd init` adds
kbd's folders, and `kbd lint --json --no-write` runs on the copy. `bench/obsidian_links.py` (written
from Obsidian's help, not from kbd) checks the same copy. Printed per vault: notes, links, what each
found (broken links, missing attachments, links to a missing heading or block), the findings kbd
made that the checker did not (false) and those it missed, and how many line numbers agree.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.compile import machine  # noqa: E402
from bench.obsidian_links import check  # noqa: E402

Key = tuple[str, str, str]  # (note, broken | attachment | fragment, target)


def run_kbd(*args: str) -> str:
    result = subprocess.run([sys.executable, "-P", "-m", "kbd", *args], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.DEVNULL, check=False)
    if result.returncode != 0:
        raise RuntimeError(result.stdout + result.stderr)
    return result.stdout


def kbd_findings(vault: Path) -> dict[Key, set[int]]:
    data = json.loads(run_kbd("lint", str(vault), "--json", "--no-write"))
    found: dict[Key, set[int]] = {}
    for f in data["findings"]:
        if f["check"] not in ("broken_links", "missing_attachments"):
            continue
        target = str(f["detail"]["target"])
        kind = "attachment" if f["check"] == "missing_attachments" else "fragment" if "#" in target else "broken"
        lines = {int(f["line"])} if f.get("line") else {int(n) for n in re.findall(
            r"\d+", (re.search(r"\(lines ([\d, ]+)\)", f["message"]) or re.match("", "")).group(0))}
        found.setdefault((f["path"], kind, target), set()).update(lines)
    return found


def reference_findings(vault: Path) -> dict[Key, set[int]]:
    found: dict[Key, set[int]] = {}
    for p in check(str(vault)):
        kind = "fragment" if p.kind in ("heading", "block") else p.kind
        found.setdefault((p.note, kind, p.target), set()).add(p.line)
    return found


def count_links(vault: Path) -> tuple[int, int]:
    notes = links = 0
    for path in vault.rglob("*.md"):
        if any(part.startswith(".") for part in path.relative_to(vault).parts):
            continue
        notes += 1
        links += len(re.findall(r"\[\[|!\[[^\]\n]*\]\(", path.read_text(encoding="utf-8", errors="replace")))
    return notes, links


def score(name: str, source: Path, show: int) -> bool:
    with tempfile.TemporaryDirectory(prefix="kbd-lint-real-") as scratch:
        vault = Path(scratch) / "vault"
        shutil.copytree(source, vault, symlinks=True)
        run_kbd("init", str(vault))
        notes, links = count_links(vault)
        ours, theirs = kbd_findings(vault), reference_findings(vault)
    print(f"{name}: {notes:,} notes, {links:,} links and embeds")
    for kind, label in (("broken", "broken links"), ("attachment", "missing attachments"),
                        ("fragment", "missing headings/blocks")):
        mine = {k for k in ours if k[1] == kind}
        ref = {k for k in theirs if k[1] == kind}
        print(f"  {label:24} checker {len(ref):4}   kbd {len(mine):4}   both {len(mine & ref):4}   "
              f"false {len(mine - ref):3}   missed {len(ref - mine):3}")
    both = set(ours) & set(theirs)
    same_lines = sum(1 for k in both if ours[k] == theirs[k])
    print(f"  line numbers equal on {same_lines} of {len(both)} findings both made")
    for key in sorted(set(ours) - set(theirs))[:show]:
        print(f"  false:  {key} lines {sorted(ours[key])}")
    for key in sorted(set(theirs) - set(ours))[:show]:
        print(f"  missed: {key} lines {sorted(theirs[key])}")
    for key in sorted(k for k in both if ours[k] != theirs[k])[:show]:
        print(f"  lines differ: {key} kbd {sorted(ours[key])} checker {sorted(theirs[key])}")
    return set(ours) == set(theirs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("vaults", nargs="+", help="NAME=FOLDER")
    parser.add_argument("--show", type=int, default=10, help="how many disagreements to list per vault")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    agree = True
    for item in args.vaults:
        name, _, folder = item.partition("=")
        agree &= score(name, Path(folder), args.show)
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
