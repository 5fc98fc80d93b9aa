"""Failure isolation (kbd/isolation.py, issue 18): one bad input fails that note only, says so in
Status.md and `kbd status`, and every other note goes on; numbers are bounded before a chart."""

from __future__ import annotations

import json
import sqlite3

from kbd.engines.answers import Passage
from kbd.engines.decks import Chart, ChartPoint
from kbd.render.charts import find_chart, render_svg
from tests.conftest import Vault, clipper_note

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
