"""A vault of real documentation pages, clipped as a user would, from a fetched git repository.

    python bench/docs_vault.py GIT_DIR VAULT [--limit N] [--prefix docs/]

Each markdown page of the repository (e.g. MicrosoftDocs/cpp-docs, CC BY 4.0, fetched with the
`fetch` tool) becomes one note in `VAULT/raw/`, named after its path (`standard-library/vector-class`
→ `standard-library vector-class.md`), with its own frontmatter (title, description) kept. The corpus
is not committed; the benchmarks that use it take the git directory as an argument.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kbd.init import init_vault  # noqa: E402


def page_paths(git_dir: Path, prefix: str) -> list[str]:
    out = subprocess.run(["git", f"--git-dir={git_dir}", "ls-tree", "-r", "--name-only", "HEAD", prefix],
                         check=True, capture_output=True, text=True).stdout
    return sorted(p for p in out.splitlines() if p.endswith(".md") and "/includes/" not in p)


def note_name(path: str, prefix: str) -> str:
    """`docs/standard-library/vector-class.md` → `standard-library vector-class.md`."""
    return path[len(prefix):].replace("/", " ")


def make_docs_vault(git_dir: Path, root: Path, prefix: str = "docs/", limit: int | None = None) -> int:
    """Write the pages into `root/raw/` (a new vault); returns how many."""
    init_vault(root)
    paths = page_paths(git_dir, prefix)[:limit]
    # One `git cat-file --batch` for every page: a `git show` per page would take minutes.
    proc = subprocess.Popen(["git", f"--git-dir={git_dir}", "cat-file", "--batch"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    written = 0
    for path in paths:
        proc.stdin.write(f"HEAD:{path}\n".encode())
        proc.stdin.flush()
        header = proc.stdout.readline().split()
        if len(header) < 3:
            continue
        data = proc.stdout.read(int(header[2]))
        proc.stdout.read(1)
        (root / "raw" / note_name(path, prefix)).write_bytes(data)
        written += 1
    proc.stdin.close()
    proc.wait()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("git_dir", type=Path)
    parser.add_argument("vault", type=Path)
    parser.add_argument("--prefix", default="docs/")
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    print(f"{make_docs_vault(args.git_dir, args.vault, args.prefix, args.limit):,} pages written to {args.vault}/raw")


if __name__ == "__main__":
    main()
