"""The wiki the bundled samples compile to, byte for byte: a refactor must not change it.

The three clippings of kbd/samples are compiled offline with the clock pinned (conftest's
SOURCE_DATE_EPOCH), and every file under wiki/ is compared with the sha256 recorded in
tests/golden/samples.sha256 (`sha256sum -c` reads it, from the vault's root). When the output
changes on purpose, write the new digests and commit them with the change that explains why:

    KBD_GOLDEN_WRITE=1 .venv/bin/python -m pytest -q tests/test_golden.py
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from tests.conftest import Vault

DIGESTS = Path(__file__).resolve().parent / "golden" / "samples.sha256"


def wiki_digests(vault: Vault) -> dict[str, str]:
    return {path.relative_to(vault.root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(vault.wiki.rglob("*")) if path.is_file()}


def test_the_samples_compile_to_the_recorded_wiki(sample_vault: Vault) -> None:
    sample_vault.compile()
    made = wiki_digests(sample_vault)
    if os.environ.get("KBD_GOLDEN_WRITE") == "1":
        DIGESTS.write_text("".join(f"{digest}  {path}\n" for path, digest in made.items()), encoding="utf-8")
    recorded = dict(reversed(line.split("  ", 1)) for line in DIGESTS.read_text(encoding="utf-8").splitlines())
    assert made.keys() == recorded.keys(), f"files differ: new {sorted(made.keys() - recorded.keys())}, " \
                                           f"gone {sorted(recorded.keys() - made.keys())}"
    changed = [path for path in made if made[path] != recorded[path]]
    assert not changed, f"these files changed: {changed} (on purpose? see this module's docstring)"
