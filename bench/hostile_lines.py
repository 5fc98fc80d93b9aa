"""Benchmark `kbd compile` on notes made of lines that a careless pattern reads in quadratic time.

    python bench/hostile_lines.py [--repeats 20000]

Prints the machine and, for each note, its size and the time of one `kbd compile` of a vault holding only
that note (offline engine, image downloads off). A review of session 34's names found two: a change log's
credit "(#1 by by by …" and a shortcut "Cmd/Cmd/Cmd/… -" took 88.8 s on 420 KB where the code before took
1.1 s; the other notes are the shapes the same change reads (`key:: value` lines, org blocks, file names,
URLs, possessives) and, from sessions 35 and 36, the other tools' markdown (admonitions, tabs, icons, template
expressions, Logseq outlines, attribute lists, character references, Liquid), so a slow one shows here first.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.compile import compile_once, machine  # noqa: E402
from kbd.init import init_vault  # noqa: E402


def hostile_notes(n: int) -> dict[str, str]:
    return {
        "credit": "(#1 " + "by " * n + "\n",
        "chord": "Cmd/" * n + " -\n",
        "fields": "".join(f"key{i}:: value number {i}\n" for i in range(n)),
        "org": "#+BEGIN_QUERY\n" + "{:query x}\n" * n + "\n#+BEGIN_NOTE " * n,
        "paths": "see " + "a/" * n + "b and " + "c-" * n + "d.\n",
        "urls": "https://example.org/a " * n + "\n",
        "possessives": "Wigner's " * n + "Friend.\n",
        "of": "Bank of " * n + "England.\n",
        # Session 35's dialects: admonitions, content tabs, icons, template expressions, Logseq outlines.
        "admonitions": "!!! note \"Title\"\n\n" + "    A line of the note's body.\n" * n,
        "nested": "".join("    " * i + "!!! note\n\n" for i in range(min(n, 200))) + "text\n",
        "tabs": '=== "Tab"\n' * n + "text\n",
        "icons": ":a-" * n + " and " + ":tada: " * n + "\n",
        "expressions": "${" * n + " {{" * n + "\n",
        "outline": "type:: [[Feature]]\n" + "# Usage\n\t- a block\n\t\t-\n" * n,
        # Found by session 35's second review, in the code before too: mistune's inline scan after a "!" or a
        # "\\" is quadratic in the run of spaces that follows (9 s for 50,000 spaces, 36 s for 100,000).
        "spaces": "!" + " " * (5 * n) + "X\n",
        # Session 36's: attribute lists, character references, Liquid. Found by its review: a heading of tab
        # references ("&#9;" × 100,000) took 30 s, each space of the decoded run scanned again.
        "attributes": "[a](u){ .b }" * n + "\n\n# T" + "&#9;" * (5 * n) + "{#t}\n\n" + "){.a " * n + "\n",
        "references": "&amp;" * n + " &#35;" * n + " &notaname;" * n + "\n",
        "liquid": "{% raw %}" * n + " {% a " * n + " [a]({%" * n + "\n\n" + "{% highlight x %}\n" * n,
        # Found by its second review: an opening tag never closed, line after line of a paragraph, was glued to
        # the paragraph by mistune line by line (45 s for 6 MB).
        "unclosed": "prose line here\n{% comment %}\n" * n,
        # Session 42's first review: a title's wildcard pattern ("findBy* Queries") read a heading of "a-a-a-…b*"
        # from every hyphen (35 s for 100,000 characters).
        "wildcard": "## " + "a-" * (2 * n) + "b* Queries\n\nA line of prose under the heading.\n",
        # Session 50's review: one word of a million letters in a sentence; an e-mail address was tried from each of
        # its letters ("\S+@", quadratic: 6.6 s for 80,000 letters, past 90 s for a million).
        "long word": "Longline " + "a" * (50 * n) + " is useful for " + "b" * 1001 + ".\n",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=20000)
    args = parser.parse_args()
    print(machine())
    for name, text in hostile_notes(args.repeats).items():
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "vault"
            init_vault(root)
            config = root / "kbd" / "config.yaml"
            config.write_text(config.read_text(encoding="utf-8") + "\nimages:\n  download: false\n", encoding="utf-8")
            (root / "raw" / f"{name}.md").write_text(f"# {name}\n\n{text}", encoding="utf-8")
            elapsed, summary = compile_once(root)
            print(f"{name:12s} {len(text.encode()) / 1e3:8.0f} KB: compile {elapsed:6.2f} s ({summary})")


if __name__ == "__main__":
    main()
