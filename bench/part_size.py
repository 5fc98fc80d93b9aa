"""Calls per long source before and after the part-size change, against the loopback fake.

    python bench/part_size.py        (also printed by bench/llm.py)

Before, a long source was cut into parts of a fixed 24,000 characters, each summarised and the
summaries combined. Now the part size follows the worker model's `max_input_tokens`, by default
half its context window (at most 100,000 tokens). Both are measured by compiling the same long
clippings (50,000 to 90,000 characters of text): the "before" vault sets max_input_tokens so that
its parts are 24,000 characters; the "after" vaults use a model's default.
"""

from __future__ import annotations

import math
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kbd.compile.run import compile_vault  # noqa: E402
from kbd.config import load_config  # noqa: E402
from kbd.engines.base import SourceInput  # noqa: E402
from kbd.engines.context import CHARS_PER_TOKEN, PROMPT_ALLOWANCE_CHARS, default_input_tokens  # noqa: E402
from kbd.engines.llm import source_text  # noqa: E402
from kbd.engines.provenance import read_constraints  # noqa: E402
from kbd.engines.skills import load_skill, system_prompt  # noqa: E402
from kbd.init import init_vault  # noqa: E402
from kbd.vault.note import Rejection, read_raw_note  # noqa: E402
from tests.clippings import make_clipping  # noqa: E402
from tests.fake_llm import fake_llm  # noqa: E402
from tests.model_fixtures import honest_model  # noqa: E402

OLD_PART_CHARS = 24_000
SOURCES = 6


def _vault(root: Path, url: str, model: str, input_tokens: int | None) -> tuple[int, int]:
    """Compile the long clippings; (calls, shortest text in characters)."""
    init_vault(root)
    extra = f", max_input_tokens: {input_tokens}" if input_tokens else ""
    (root / "kbd/config.yaml").write_text(
        f"models:\n  worker: {{provider: openai, base_url: \"{url}/v1\", model: {model}{extra}}}\n")
    shortest = 10**9
    for i in range(SOURCES):
        c = make_clipping(700 + i, words=9_000 + 1_200 * i, seed=17)
        (root / "raw" / c.filename).write_text(c.text)
        note = read_raw_note(root, f"raw/{c.filename}", 10**8)
        assert not isinstance(note, Rejection)
        shortest = min(shortest, len(source_text(SourceInput(note.title, note.document, note.meta))))
    compile_vault(root, load_config(root))
    with sqlite3.connect(root / ".kbd/state.db") as db:
        return int(db.execute("SELECT COUNT(*) FROM llm_calls WHERE outcome='ok'").fetchone()[0]), shortest


def long_source_calls() -> None:
    base = Path(tempfile.mkdtemp(prefix="kbd-part-bench-"))
    try:
        with fake_llm() as server:
            server.default = honest_model
            system = len(system_prompt(load_skill("summarize_source"), read_constraints(_template(base))))
            old_tokens = math.ceil((OLD_PART_CHARS + system + PROMPT_ALLOWANCE_CHARS) / CHARS_PER_TOKEN)
            before, shortest = _vault(base / "before", server.url, "gpt-4.1-mini", old_tokens)
            figures = [f"{before / SOURCES:.1f} with fixed {OLD_PART_CHARS:,}-character parts"]
            for model in ("gpt-4.1-mini", "gpt-4o-mini", "llama3.1:8b"):
                after, _ = _vault(base / model.replace(":", "-"), server.url, model, None)
                figures.append(f"{after / SOURCES:.1f} on {model} (max_input_tokens {default_input_tokens(model):,} "
                               "by default)")
        print(f"calls per long source ({SOURCES} clippings, {shortest:,} characters of text or more): "
              + "; ".join(figures))
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _template(base: Path) -> Path:
    root = base / "template"
    init_vault(root)
    return root


if __name__ == "__main__":
    long_source_calls()
