"""Benchmark `kbd compile` on one hostile note: a list of many items, each a link and a sentence.

    python bench/long_list.py [--items 20000]

Prints the machine, the note's size and the time and peak RSS of one `kbd compile` of a vault holding
only that note (offline engine, image downloads off). A review found such a note took minutes: the
menu test re-read the list from every item (kbd/engines/text.py `_menu_runs`).
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.compile import compile_once, machine  # noqa: E402
from kbd.init import init_vault  # noqa: E402

WORDS = "alpha beta gamma delta reading message view file name knowledge base page web error".split()


def long_list_note(items: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    lines = ["---", "title: Many links", "---", "# Many links", ""]
    for i in range(items):
        label = " ".join(rng.choice(WORDS) for _ in range(3))
        about = " ".join(rng.choice(WORDS) for _ in range(5))
        lines.append(f"- [{label} {i}](https://example.com/{i}) is a web page about {about}.")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=20000)
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "vault"
        init_vault(root)
        config = root / "kbd" / "config.yaml"
        config.write_text(config.read_text(encoding="utf-8") + "\nimages:\n  download: false\n", encoding="utf-8")
        text = long_list_note(args.items)
        (root / "raw" / "Many links.md").write_text(text, encoding="utf-8")
        elapsed, summary = compile_once(root)
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"{args.items} list items, {len(text.encode()) / 1e6:.1f} MB: compile {elapsed:.1f} s, "
              f"peak RSS {rss:.0f} MB ({summary})")


if __name__ == "__main__":
    main()
