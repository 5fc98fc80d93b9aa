"""How often a snippet's plain text (kbd.search.plain) is the markdown parser's, on a real vault.

    python bench/snippet_text.py VAULT [--notes N] [--show K] [--seed S]

Every passage (kbd.search.snippets' blocks) of N notes drawn at random from VAULT is read both
ways: `plain_text(passage)` and `parse_markdown(passage, keep_code=True).plain_text()`, the text
snippets showed before. Prints how many agree, K of the others, and the CPU of each way.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.compile import machine  # noqa: E402
from kbd.search.plain import plain_text  # noqa: E402
from kbd.search.snippets import _FRONTMATTER, _passages  # noqa: E402
from kbd.vault.markdown import parse_markdown  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("vault", type=Path)
    parser.add_argument("--notes", type=int, default=4000)
    parser.add_argument("--show", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    notes = sorted(p for p in args.vault.rglob("*.md") if not any(part.startswith(".") for part in p.parts))
    random.Random(args.seed).shuffle(notes)
    passages = []
    for path in notes[:args.notes]:
        text = path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")
        passages.extend(_passages(_FRONTMATTER.sub("", text, count=1)))
    began = time.process_time()
    parsed = [parse_markdown(p, keep_code=True).plain_text().replace("\n\n", " ") for p in passages]
    parser_cpu = time.process_time() - began
    began = time.process_time()
    plain = [plain_text(p) for p in passages]
    plain_cpu = time.process_time() - began
    differ = [(p, a, b) for p, a, b in zip(passages, parsed, plain, strict=True) if a != b]
    print(f"machine: {machine()}")
    same = len(passages) - len(differ)
    print(f"{len(passages):,} passages of {min(args.notes, len(notes)):,} notes: {same:,} the same "
          f"({100 * (1 - len(differ) / max(1, len(passages))):.1f}%); CPU markdown parser {parser_cpu:.2f} s, "
          f"kbd.search.plain {plain_cpu:.2f} s")
    for passage, parsed_text, plain_text_ in differ[:args.show]:
        print(f"\npassage: {passage[:300]!r}\n parser: {parsed_text[:300]!r}\n  plain: {plain_text_[:300]!r}")


if __name__ == "__main__":
    main()
