"""Question notes (issue 11, acceptance 5) and stale answers (acceptance 4): a note dropped into
kbd/questions/ is answered once through the job table's `ask` job (what `kbd run` runs on a change
there), a link to the answer goes into the note's managed region, an edit re-asks, a deletion leaves
the answer, and templates and sync-conflict copies are never asked. An answer whose cited note
changed is marked stale by the next compile; `kbd ask --refresh-stale` asks again within the budget."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import frontmatter
import pytest

from kbd.compile.run import open_state
from kbd.config import load_config
from kbd.jobs import JOBS, JobContext, JobResult
from kbd.lock import VaultLock
from kbd.vault.layout import VaultLayout
from kbd.vault.region import find
from tests.conftest import Vault, tree_bytes
from tests.fake_llm import Action, AskModel, FakeLLM, Received, fake_llm

QUESTION = "Why do B-trees stay shallow?"


def run_job(vault: Vault, name: str = "ask", **params: str) -> JobResult:
    config = load_config(vault.root)
    layout = VaultLayout.from_config(vault.root, config)
    with VaultLock(layout.state_dir):
        state = open_state(layout)
        try:
            return JOBS[name](JobContext(layout, config, state, threading.Event()), params)
        finally:
            state.close()


def ask_runs(vault: Vault) -> int:
    with sqlite3.connect(vault.root / ".kbd/state.db") as db:
        return db.execute("SELECT COUNT(*) FROM runs WHERE kind='ask'").fetchone()[0]


def question(vault: Vault, name: str, text: str) -> Path:
    path = vault.root / "kbd" / "questions" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def linked_answer(vault: Vault, path: Path) -> Path:
    text = path.read_text(encoding="utf-8")
    found = find(text, "answer")
    assert found is not None, text
    region = found.body(text)
    target = region.split("[[", 1)[1].split("|", 1)[0]
    answer = vault.root / f"{target}.md"
    assert answer.is_file(), region
    return answer


@pytest.fixture
def compiled(sample_vault: Vault) -> Vault:
    sample_vault.compile()
    return sample_vault


def test_question_note_is_answered_once(compiled: Vault) -> None:
    vault = compiled
    users = f"---\ntags: [to-ask]\n---\n{QUESTION}\n\nSomething I read about fan-out.\n"
    path = question(vault, "B-trees.md", users)
    result = run_job(vault)
    assert "answered 1 question notes" in result.summary, result.summary
    text = path.read_text(encoding="utf-8")
    assert text.startswith(users), "kbd changed the user's text"
    answer = linked_answer(vault, path)
    assert answer.parent == vault.wiki / "answers"
    note = frontmatter.loads(answer.read_text(encoding="utf-8"))
    assert note["question"] == f"{QUESTION} Something I read about fan-out."
    assert note["sources"], "the answer cites nothing"
    # Answered once: another run (and the watcher echo of kbd's own region write) asks nothing.
    runs, before = ask_runs(vault), tree_bytes(vault.root, skip=(".kbd",))
    assert "answered 0 question notes, 1 unchanged" in run_job(vault).summary
    assert ask_runs(vault) == runs
    assert tree_bytes(vault.root, skip=(".kbd",)) == before


def test_editing_the_question_reasks_it(compiled: Vault) -> None:
    vault = compiled
    path = question(vault, "Q.md", QUESTION + "\n")
    run_job(vault)
    first = linked_answer(vault, path)
    runs = ask_runs(vault)
    # The user rewrites the question above kbd's region (Obsidian saves the whole note).
    text = path.read_text(encoding="utf-8").replace(QUESTION, "What does a write-ahead log guarantee?", 1)
    path.write_text(text, encoding="utf-8")
    assert "answered 1 question notes" in run_job(vault).summary
    assert ask_runs(vault) == runs + 1
    second = linked_answer(vault, path)
    assert second != first and "write-ahead log" in second.read_text(encoding="utf-8")
    assert path.read_text(encoding="utf-8").startswith("What does a write-ahead log guarantee?\n")
    # Deleting the question leaves both answers.
    path.unlink()
    run_job(vault)
    assert first.is_file() and second.is_file()
    with sqlite3.connect(vault.root / ".kbd/state.db") as db:
        assert db.execute("SELECT COUNT(*) FROM questions").fetchone()[0] == 0


def test_sync_conflict_copies_are_ignored(compiled: Vault) -> None:
    vault = compiled
    ignored = {
        "Q.sync-conflict-20261126-101010-ABCDEFG.md": QUESTION,
        "Q (conflicted copy 2026-11-26 101010).md": QUESTION,
        "Q (Alice's conflicted copy 2026-11-26).md": QUESTION,
        "templates/Question.md": "---\nformat: md\n---\n",
        "Templates/Ask.md": QUESTION,
        "Question template.md": QUESTION,
        "Dated.md": "<% tp.date.now() %> — a question: <% tp.file.title %>",
        ".hidden.md": QUESTION,
        "Q.md~": QUESTION,
        "Q (edited while kbd wrote 1).md": QUESTION,
    }
    for name, text in ignored.items():
        question(vault, name, text)
    before = tree_bytes(vault.root, skip=(".kbd",))
    result = run_job(vault)
    assert "answered 0 question notes, 0 unchanged" in result.summary, result.summary
    assert ask_runs(vault) == 0
    assert not list((vault.wiki / "answers").glob("*.md"))
    assert tree_bytes(vault.root, skip=(".kbd", "wiki")) == {k: v for k, v in before.items()
                                                             if not k.startswith("wiki/")}


def test_a_question_kbd_cannot_read_is_reported_not_asked(compiled: Vault) -> None:
    vault = compiled
    question(vault, "Bad format.md", f"---\nformat: pptx\n---\n{QUESTION}\n")
    question(vault, "Binary.md", "")
    (vault.root / "kbd/questions/Binary.md").write_bytes(b"\xff\xfe not text")
    result = run_job(vault)
    assert "2 skipped" in result.summary
    assert ask_runs(vault) == 0


def test_marp_questions_say_what_they_got(compiled: Vault) -> None:
    vault = compiled
    path = question(vault, "Deck.md", f"---\nformat: marp\n---\n{QUESTION}\n")
    run_job(vault)
    region = find(path.read_text(encoding="utf-8"), "answer")
    assert region is not None
    body = region.body(path.read_text(encoding="utf-8"))
    assert "[[" in body
    try:
        import kbd.ask.slides  # noqa: F401
    except ImportError:
        assert "slides feature" in body


def test_user_edit_in_the_question_notes_region_is_reported_in_status(compiled: Vault) -> None:
    vault = compiled
    path = question(vault, "Q.md", QUESTION + "\n")
    run_job(vault)
    text = path.read_text(encoding="utf-8")
    edited = text.replace("**Answer**", "**My answer**")
    path.write_text(edited.replace(QUESTION, "What does a write-ahead log guarantee?", 1), encoding="utf-8")
    run_job(vault)  # asks the edited question; the region is the user's now
    assert path.read_text(encoding="utf-8") == edited.replace(QUESTION, "What does a write-ahead log guarantee?", 1)
    status = vault.status()
    assert "## Question notes" in status and "kbd/questions/Q.md" in status
    assert "you edited the text inside kbd's region" in status
    assert "kbd adopt kbd/questions/Q.md" in status
    # `kbd adopt` hands the region back: the next run writes kbd's link there again.
    result = vault.kbd("adopt", "kbd/questions/Q.md")
    assert "adopted kbd/questions/Q.md" in result.stdout
    run_job(vault)
    text = path.read_text(encoding="utf-8")
    assert "**My answer**" not in text and "**Answer**" in text
    assert text.startswith("What does a write-ahead log guarantee?\n")
    assert "## Question notes" not in vault.status()


# -- stale answers --------------------------------------------------------------------------------

def _answer(vault: Vault, question_text: str) -> Path:
    result = vault.kbd("ask", ".", question_text, "--json")
    return vault.root / json.loads(result.stdout)["note"]


def test_changed_source_marks_answer_stale(compiled: Vault) -> None:
    vault = compiled
    answer = _answer(vault, QUESTION)
    cited = frontmatter.loads(answer.read_text(encoding="utf-8"))
    assert not cited.get("stale")
    # An unchanged vault: a compile finds nothing stale and rewrites nothing.
    mtimes = vault.mtimes()
    vault.compile()
    assert vault.mtimes() == mtimes
    with sqlite3.connect(vault.root / ".kbd/state.db") as db:
        paths = [r[0] for r in db.execute("SELECT path FROM answer_sources")]
    assert paths
    raw_cited = [p for p in paths if p.startswith("raw/")]
    target = raw_cited[0] if raw_cited else None
    if target is None:  # only summaries cited: change the clipping they summarise
        target = "raw/Why B-trees stay shallow.md"
    clip = vault.root / target
    # Whichever clipping the answer cites, a correction to it changes its bytes.
    vault.clip(clip.name, clip.read_text(encoding="utf-8") + "\nA correction: the figures above are for 4 KiB pages.\n")
    vault.compile()
    note = frontmatter.loads(answer.read_text(encoding="utf-8"))
    assert note["stale"] is True
    assert "[!warning] Stale" in note.content
    changed = [p for p in paths if p in note.content]
    assert changed, note.content
    status = vault.status()
    assert "## Stale answers" in status and answer.stem in status
    assert f"stale    wiki/answers/{answer.name}" in vault.kbd("status", ".").stdout
    # With `kbd run` going, a trigger's `ask` job with `refresh_stale: true` asks it again.
    assert run_job(vault, refresh_stale="true").summary == "re-asked 1 stale answers, 0 still stale"
    assert not frontmatter.loads(answer.read_text(encoding="utf-8")).get("stale")
    assert "## Stale answers" not in vault.status()


def test_refresh_stale_reasks_within_budget(compiled: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    vault = compiled
    first, second = _answer(vault, QUESTION), _answer(vault, "What does a write-ahead log guarantee?")
    for clip in vault.raw.glob("*.md"):
        vault.clip(clip.name, clip.read_text(encoding="utf-8") + "\nA line added later.\n")
    vault.compile()
    assert all(frontmatter.loads(p.read_text(encoding="utf-8")).get("stale") for p in (first, second))
    monkeypatch.setenv("KBD_TEST_KEY", "sk-test-refresh")
    with fake_llm() as fake:
        fake.default = CostlyAskModel()
        # Each answer costs $1.50 (1,500 output tokens at $1,000 a million); the daily cap of $2.50
        # leaves room for one, and the budget check refuses the second before it is sent.
        (vault.root / "kbd/config.yaml").write_text(_model_config(fake, daily_usd=2.5))
        result = vault.kbd("ask", ".", "--refresh-stale", "--json", check=False)
        assert result.returncode == 1, result.stdout + result.stderr
        report = json.loads(result.stdout)
        assert len(report["refreshed"]) == 1 and len(report["left"]) == 1, report
        assert "cap" in report["left"][0]["reason"] or "budget" in report["left"][0]["reason"]
        assert len([r for r in fake.received if r.refused is None]) == 1
    stale = {p: bool(frontmatter.loads(p.read_text(encoding="utf-8")).get("stale")) for p in (first, second)}
    assert sorted(stale.values()) == [False, True], stale
    refreshed = next(p for p, s in stale.items() if not s)
    assert frontmatter.loads(refreshed.read_text(encoding="utf-8"))["engine"] == "openai:test-model"
    # With nothing stale left under the cap, the stale one stays listed in Status.md.
    assert "## Stale answers" in vault.status()


class CostlyAskModel(AskModel):
    """The tests' ask model, reporting 1,500 output tokens for every answer."""

    def __call__(self, received: Received) -> Action:
        action = super().__call__(received)
        action.body["usage"]["completion_tokens"] = 1500
        return action


def _model_config(fake: FakeLLM, daily_usd: float) -> str:
    return ("models:\n  worker: {provider: openai, base_url: \"" + fake.url + "/v1\", model: test-model, "
            "api_key_env: KBD_TEST_KEY, price_per_mtok: {input: 0, output: 1000}}\n"
            f"budget:\n  daily_usd: {daily_usd}\n")


@pytest.fixture(autouse=True)
def _no_stray_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("KBD_TEST_KEY", raising=False)
    yield


# -- with `kbd run` going ---------------------------------------------------------------------------

def test_kbd_run_answers_a_dropped_question_and_its_region_write_is_no_edit(sample_vault: Vault) -> None:
    from tests.events import drain
    from tests.test_daemon import FAST, start_daemon, wait_for

    vault = sample_vault
    (vault.root / "kbd/config.yaml").write_text(FAST)
    question(vault, "Asked while stopped.md", "What does a write-ahead log guarantee?\n")
    running = start_daemon(vault)
    try:
        early = vault.root / "kbd/questions/Asked while stopped.md"
        wait_for(lambda: find(early.read_text(encoding="utf-8"), "answer"),
                 what="the question dropped before kbd run started to be answered")
        path = question(vault, "Dropped.md", QUESTION + "\n")
        wait_for(lambda: find(path.read_text(encoding="utf-8"), "answer"), what="the answer link")
        answer = linked_answer(vault, path)
        assert "B-tree" in answer.read_text(encoding="utf-8")
        # kbd's region write reaches the watcher like any edit: it must not be asked again.
        drain(vault.root)
        asked = ask_runs(vault)
        assert asked == 2
        # The user edits the question: asked again, once.
        edited = path.read_text(encoding="utf-8").replace(QUESTION, "How deep is a B-tree of a billion keys?", 1)
        path.write_text(edited, encoding="utf-8")
        wait_for(lambda: ask_runs(vault) == 3, what="the edited question to be asked")
        wait_for(lambda: "billion" in linked_answer(vault, path).name, what="the new link")
        drain(vault.root)
        assert ask_runs(vault) == 3
    finally:
        running.stop()
