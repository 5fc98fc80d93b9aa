"""Failure isolation (kbd/isolation.py, issue 18): one bad input fails that note only, says so in
Status.md and `kbd status`, and every other note goes on; numbers are bounded before a chart."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest

import kbd.lint.scan as lint_scan
import kbd.search.build as search_build
import kbd.search.index as search_index
from kbd.compile.run import open_state
from kbd.config import load_config
from kbd.engines.answers import Passage
from kbd.engines.decks import Chart, ChartPoint
from kbd.lint.run import LintOptions, run_lint
from kbd.render.charts import find_chart, render_svg
from kbd.search import ensure_index, search_vault
from kbd.search.index import SEARCH_DIR
from kbd.vault.layout import VaultLayout
from tests.conftest import FIXED_EPOCH, Vault, clipper_note

QUESTION = "What share of patients went into remission with exercise in depression?"


def _trial(digits: int) -> str:
    huge = "9" * digits
    return clipper_note("Exercise and depression trial",
                        f"In the exercise group, {huge}% of patients went into remission. In the control group, "
                        "12% of patients went into remission. Exercise improves remission rates in depression.")


def _passage(title: str, text: str) -> Passage:
    return Passage(path=f"wiki/sources/{title}.md", title=title, note_type="source", heading=None, block=None,
                   text=text, tokens=0, note_hash="", score=0.0, kbd_owned=True)


def _no_traceback(*outputs: str) -> None:
    for out in outputs:
        assert "Traceback" not in out, out


def test_a_400_digit_percentage_an_answer_cites_never_stops_a_compile(vault: Vault) -> None:
    vault.clip("Exercise and depression trial.md", _trial(400))
    vault.kbd("compile", ".")
    asked = vault.kbd("ask", ".", QUESTION)
    again = vault.kbd("compile", ".")
    (vault.raw / "Exercise and depression trial.md").unlink()  # the user deletes the poison
    vault.sync_raw()
    vault.clip("Sleep and memory.md", clipper_note("Sleep and memory", "Sleep consolidates memory in adults."))
    after = vault.kbd("compile", ".")
    status = vault.kbd("status", ".")
    _no_traceback(asked.stderr, again.stderr, after.stderr, status.stderr)
    assert "compiled 1 source" in after.stdout, "the next clipping is compiled as usual"
    assert (vault.wiki / "sources" / "Sleep and memory.md").exists()
    answer = vault.wiki / "answers" / f"{QUESTION[:-1]}.md"
    assert answer.exists() and "stale: true" in answer.read_text(encoding="utf-8")
    assert "0 pending, 0 failed" in status.stdout
    assert not (vault.wiki / "answers" / "assets").exists(), "a 400-digit number is not charted"


def test_a_300_digit_value_is_never_drawn_and_no_chart_says_inf() -> None:
    huge = "9" * 300
    passages = [_passage("A", f"In trial A, {huge}% of patients recovered."),
                _passage("B", "In trial B, 41% of patients recovered."),
                _passage("C", "In trial C, 38% of patients recovered.")]
    chart = find_chart(passages, "Recovery")
    assert chart is not None and sorted(p.shown for p in chart.points) == ["38%", "41%"]
    svg = render_svg(chart, ["B", "C"])
    assert "inf" not in svg and "nan" not in svg


def test_a_non_finite_value_never_reaches_a_drawing() -> None:
    chart = Chart(title="t", unit="%", kind="bar", points=(ChartPoint("a", float("inf"), "1e999%", 0),
                                                          ChartPoint("b", 12.0, "12%", 0)))
    try:
        render_svg(chart, ["a", "b"])
    except ValueError as exc:
        assert "finite" in str(exc)
    else:
        raise AssertionError("an infinite value was drawn")


def test_tiny_stated_numbers_are_charted_without_looping_forever() -> None:
    passages = [_passage("A", "In trial A, 0.00000000000001% of patients relapsed."),
                _passage("B", "In trial B, 0.00000000000003% of patients relapsed.")]
    chart = find_chart(passages, "Relapse")
    assert chart is not None
    svg = render_svg(chart, ["A", "B"])
    assert svg.count("<line") <= 14, "a bounded number of gridlines"


def _break_answer(vault: Vault) -> None:
    """A stored answer a bug left unreadable: its note cannot be rendered until it is asked again."""
    db = sqlite3.connect(vault.root / ".kbd" / "state.db")
    try:
        db.execute("UPDATE answers SET result=?", (json.dumps({"question": 1}),))
        db.execute("INSERT OR IGNORE INTO dirty(note) VALUES('answer:1'), ('index')")
        db.commit()
    finally:
        db.close()


def test_a_note_that_cannot_be_rendered_fails_alone_is_named_in_status_and_is_retried_when_asked_again(
        vault: Vault) -> None:
    vault.clip("Exercise and depression trial.md", _trial(2))
    vault.kbd("compile", ".")
    vault.kbd("ask", ".", QUESTION)
    _break_answer(vault)
    vault.clip("Sleep and memory.md", clipper_note("Sleep and memory", "Sleep consolidates memory in adults."))
    run = vault.kbd("compile", ".", check=False)
    assert run.returncode == 1 and "failed 1" in run.stdout and "Traceback" not in run.stderr
    assert (vault.wiki / "sources" / "Sleep and memory.md").exists(), "every other note proceeds"
    assert "Sleep and memory" in (vault.wiki / "index.md").read_text(encoding="utf-8")
    answer = f"wiki/answers/{QUESTION[:-1]}.md"
    status = vault.status()
    assert "## Failed notes" in status and "0 pending, 1 failed" in status
    assert f"- {answer} (render) — KeyError" in status
    shown = vault.kbd("status", ".")
    assert f"failed   {answer} (render): KeyError" in shown.stdout and "1 failed" in shown.stdout
    as_json = json.loads(vault.kbd("status", ".", "--json").stdout)
    assert [(f["note"], f["stage"]) for f in as_json["failed_notes"]] == [(answer, "render")]
    quiet = vault.kbd("compile", ".")
    assert "nothing to do" in quiet.stdout, "not tried again until its inputs change"
    vault.kbd("ask", ".", QUESTION)  # asked again: a new stored answer, rendered and cleared
    assert "Failed notes" not in vault.status()
    assert "0 failed" in vault.kbd("status", ".").stdout


def _unreadable(real: Callable[..., Any], bad: str) -> Callable[..., Any]:
    """The reader a module uses, failing for one note as a reader bug on hostile bytes would."""
    def read(*args: Any) -> Any:
        if bad in args:
            raise RuntimeError(f"cannot parse {bad}")
        return real(*args)
    return read


def _user_notes(vault: Vault) -> None:
    vault.clip("Sleep and memory.md", clipper_note("Sleep and memory", "Sleep consolidates memory in adults."))
    (vault.root / "notes").mkdir()
    (vault.root / "notes" / "Broken.md").write_text("# Broken\n\nA note about circadian rhythm.\n")
    (vault.root / "notes" / "Fine.md").write_text("# Fine\n\nA note about melatonin timing.\n")


def test_a_note_the_search_index_cannot_read_is_named_in_status_at_once_and_cleared_when_it_reads_again(
        vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    _user_notes(vault)
    for module in (search_index, search_build):
        monkeypatch.setattr(module, "read_note", _unreadable(module.read_note, "notes/Broken.md"))
    vault.compile()
    status = vault.status()
    assert "## Failed notes" in status and "- notes/Broken.md (index) — RuntimeError: cannot parse" in status, \
        "named by the compile that met it, not the next one"
    assert [h.path for h in search_vault(vault.root, load_config(vault.root), "melatonin").hits] == ["notes/Fine.md"]
    shown = vault.kbd("status", ".")
    assert "failed   notes/Broken.md (index): RuntimeError" in shown.stdout
    monkeypatch.undo()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", FIXED_EPOCH)
    (vault.root / "notes" / "Broken.md").write_text("# Broken\n\nA note about circadian rhythm, mended.\n")
    vault.compile()
    assert "Failed notes" not in vault.status()
    assert [h.path for h in search_vault(vault.root, load_config(vault.root), "circadian").hits] == ["notes/Broken.md"]


def test_a_note_a_background_index_build_cannot_read_is_recorded(vault: Vault,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """`kbd serve`, `kbd mcp`, `kbd search` and the daemon build a missing index with ensure_index."""
    _user_notes(vault)
    vault.compile()
    shutil.rmtree(vault.root / ".kbd" / SEARCH_DIR)
    for module in (search_index, search_build):
        monkeypatch.setattr(module, "read_note", _unreadable(module.read_note, "notes/Fine.md"))
    ensure_index(vault.root, load_config(vault.root))
    as_json = json.loads(vault.kbd("status", ".", "--json").stdout)
    assert [(f["note"], f["stage"]) for f in as_json["failed_notes"]] == [("notes/Fine.md", "index")]
    assert search_vault(vault.root, load_config(vault.root), "circadian").hits, "every other note is indexed"


def test_a_note_lint_cannot_read_fails_alone_and_is_named_in_status(vault: Vault,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _user_notes(vault)
    (vault.root / "notes" / "Fine.md").write_text("# Fine\n\nSee [[Nowhere at all]].\n")
    vault.compile()
    monkeypatch.setattr(lint_scan, "read_note", _unreadable(lint_scan.read_note, "notes/Broken.md"))
    layout = VaultLayout.from_config(vault.root, load_config(vault.root))
    state = open_state(layout)
    try:
        report = run_lint(layout, load_config(vault.root), state, LintOptions(write=False))
    finally:
        state.close()
    assert any("Nowhere at all" in f.message for f in report.findings), "every other note is checked"
    monkeypatch.undo()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", FIXED_EPOCH)
    vault.compile()
    assert "- notes/Broken.md (lint) — RuntimeError: cannot parse" in vault.status()
