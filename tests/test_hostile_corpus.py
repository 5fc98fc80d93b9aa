"""Issue 8, acceptance 4: the hostile corpus through both engines.

Every malicious or broken input of tests/hostile_corpus.py (bodies, properties, file and folder
names, config files, model replies) is compiled by the offline engine and by the model engine
against the loopback fake model, which here obeys every injection: it copies the clipping's own
markup and a list of hostile payloads into its JSON. Every note kbd writes is then parsed by a
real CommonMark parser plus Obsidian's rules (tests/obsidian.py).

Pass: no crash, no hang, no partial note, no write outside wiki/, no live content, every skip
explained. The summary line printed at the end is what docs/RELIABILITY.md quotes.
"""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import pytest

from kbd.vault.sanitize import is_inert
from tests.conftest import Vault, tree_bytes, unresolved_links
from tests.fake_llm import Action, FakeLLM, Received, fake_llm, openai_reply
from tests.hostile_corpus import CONFIGS, REPLY_PAYLOADS, corpus
from tests.obsidian import live_content

pytestmark = pytest.mark.usefixtures("key")

_DELIMITER_OPEN = re.compile(r"<\s*untrusted\b", re.IGNORECASE)
_DELIMITER_CLOSE = re.compile(r"<\s*/\s*untrusted\s*>", re.IGNORECASE)


class ObeyingModel:
    """Does what the clipping tells it to: its reply is the clipping's own markup plus payloads."""

    def __init__(self) -> None:
        self.broken_delimiters: list[str] = []

    def __call__(self, received: Received) -> Action:
        user = received.body["messages"][-1]["content"]
        if len(_DELIMITER_OPEN.findall(user)) != len(_DELIMITER_CLOSE.findall(user)):
            self.broken_delimiters.append(user[:200])
        body = user.split(">", 1)[1].rsplit("</untrusted>", 1)[0] if "<untrusted" in user else user
        lines = [line for line in body.split("\n") if line.strip()][:40]
        summary = ["\n".join(lines[i:i + 3])[:600] for i in range(0, min(len(lines), 15), 3)][:6] or ["x"]
        payloads = [p[:400] for p in REPLY_PAYLOADS]
        concepts = [{"name": p[:80], "says": p} for p in payloads[:10]]
        concepts.append({"name": "Sorted string table", "says": (lines[-1] if lines else "x")[:400]})
        result = {"title": "../../../etc/passwd", "summary": summary, "key_points": payloads[:8],
                  "concepts": concepts[:12], "tags": [p[:40] for p in payloads[:8]]}
        return Action(body=openai_reply(json.dumps(result)))


@pytest.fixture
def model() -> Iterator[tuple[FakeLLM, ObeyingModel]]:
    with fake_llm() as fake:
        obeying = ObeyingModel()
        fake.default = obeying
        yield fake, obeying


def _model_config(fake: FakeLLM) -> str:
    return ("models:\n  worker: {provider: openai, base_url: \"" + fake.url + "/v1\", model: test-model, "
            "api_key_env: KBD_TEST_KEY, max_concurrency: 4}\n")


class _Hang(Exception):
    pass


def _alarm(seconds: int) -> None:
    def fire(*_: Any) -> None:
        raise _Hang(f"no result within {seconds} s")
    signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)


def _check_vault(vault: Vault, expected: list[str]) -> dict[str, int]:
    """Every invariant of the corpus; returns the outcome counts."""
    generated = vault.generated()
    for path, text in generated.items():
        assert text.endswith("\n") and text.startswith("---\n"), f"{path}: partial note"
        assert is_inert(text) == [], f"{path}: {is_inert(text)}"
        assert live_content(text) == [], f"{path}: {live_content(text)}"
    assert unresolved_links(vault.root, generated) == []
    assert not [p for p in vault.wiki.rglob("*") if p.name.endswith(".kbd-tmp")], "a temp file is visible"
    db = sqlite3.connect(vault.root / ".kbd" / "state.db")
    files = {r[0]: (r[1], r[2]) for r in db.execute("SELECT path, status, reason FROM files")}
    sources = {r[0]: r[1] for r in db.execute("SELECT raw_path, note_name FROM sources")}
    # A copy of an article already compiled counts once: its note is the first clipping's.
    sources.update({r[0]: r[1] for r in db.execute(
        "SELECT c.raw_path, s.note_name FROM copies c JOIN sources s ON s.id=c.source_id")})
    db.close()
    status = vault.status()
    outcome = {"compiled": 0, "skipped": 0}
    for rel in expected:
        assert rel in files, f"{rel!r} was neither compiled nor reported"
        state, reason = files[rel]
        if state == "ok":
            note = vault.wiki / "sources" / f"{sources[rel]}.md"
            assert note.is_file() and "## Related sources" in note.read_text(encoding="utf-8"), rel
            outcome["compiled"] += 1
        else:
            assert reason, f"{rel!r} skipped without a reason"
            outcome["skipped"] += 1
    assert f"Skipped files**: {outcome['skipped']}" in status
    outcome["source notes"] = len({sources[rel] for rel in expected if files[rel][0] == "ok"})
    return outcome


def _run_corpus(vault: Vault, config: str) -> dict[str, int]:
    cases = corpus()
    for case in cases:
        vault.clip(case.name, case.text)
    if config:
        (vault.root / "kbd/config.yaml").write_text(config)
    outside = tree_bytes(vault.root.parent, skip=(vault.root.name,))
    beside = tree_bytes(vault.root, skip=("wiki", ".kbd"))
    started = time.monotonic()
    _alarm(600)
    try:
        vault.compile()
        vault.compile()  # a second run over the same vault converges without error
    finally:
        signal.alarm(0)
    seconds = time.monotonic() - started
    assert tree_bytes(vault.root.parent, skip=(vault.root.name,)) == outside, "a write outside the vault"
    assert tree_bytes(vault.root, skip=("wiki", ".kbd")) == beside, "a write outside wiki/"
    expected = [p.relative_to(vault.root).as_posix() for p in vault.raw.rglob("*") if p.is_file()
                and not p.name.startswith(".")]
    assert len(expected) == len(cases)
    outcome = _check_vault(vault, expected)
    kinds = {k: sum(c.kind == k for c in cases) for k in ("body", "property", "name")}
    print(f"\nhostile corpus: {len(cases)} inputs ({kinds}), {outcome['compiled']} compiled, "
          f"{outcome['skipped']} skipped with a reason, {outcome['source notes']} source notes, "
          f"{len(vault.generated())} notes checked, {seconds:.1f} s")
    return outcome


def test_hostile_corpus_through_the_offline_engine(vault: Vault) -> None:
    outcome = _run_corpus(vault, "")
    assert outcome["source notes"] >= 60, "the corpus must exercise the writer, not only the rejections"


def test_hostile_corpus_through_an_obeying_model(vault: Vault, model: tuple[FakeLLM, ObeyingModel]) -> None:
    fake, obeying = model
    outcome = _run_corpus(vault, _model_config(fake))
    assert outcome["source notes"] >= 60
    assert len(fake.received) >= 60
    assert obeying.broken_delimiters == [], "a label or a clipping closed the untrusted block early"
    note = vault.generated()
    assert any(json.dumps("openai:test-model") in t for t in note.values())


@pytest.mark.parametrize("engine", ["offline", "model"])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_a_hostile_config_is_refused_with_a_reason_and_writes_nothing(
        vault: Vault, model: tuple[FakeLLM, ObeyingModel], name: str, engine: str) -> None:
    vault.clip("note.md", corpus()[0].text)
    config = CONFIGS[name] + (_model_config(model[0]) if engine == "model" and "- just" not in CONFIGS[name] else "")
    (vault.root / "kbd/config.yaml").write_text(config)
    before = tree_bytes(vault.root, skip=(".kbd",))
    outside = tree_bytes(vault.root.parent, skip=(vault.root.name,))
    result = vault.kbd("compile", ".", check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "config.yaml" in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert tree_bytes(vault.root, skip=(".kbd",)) == before
    assert tree_bytes(vault.root.parent, skip=(vault.root.name,)) == outside
    assert model[0].received == []
