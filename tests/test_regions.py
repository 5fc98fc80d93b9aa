"""Managed regions (DESIGN.md section 6): kbd rewrites only the part of a user's note between
`%% kbd:begin answer %%` and `%% kbd:end answer %%`, only while it holds what kbd wrote there, and
never loses a byte the user wrote anywhere else, even while kbd is writing."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from kbd.compile.run import open_state
from kbd.config import Config
from kbd.vault.errors import WriteRefused
from kbd.vault.layout import VaultLayout
from kbd.vault.region import find
from kbd.vault.write import RegionOutcome, VaultWriter

USERS = "---\ntags: [question]\n---\nWhy do B-trees stay shallow?\n\nMy own notes: *fan-out*.\n"


@pytest.fixture
def writer(tmp_path: Path) -> VaultWriter:
    root = tmp_path / "Vault"
    (root / "kbd" / "questions").mkdir(parents=True)
    layout = VaultLayout.from_config(root, Config())
    return VaultWriter(layout, open_state(layout))


def _note(writer: VaultWriter, name: str, text: str) -> Path:
    path = writer.layout.root / "kbd" / "questions" / name
    path.write_bytes(text.encode("utf-8"))
    return path


def _outside(text: str) -> tuple[str, str]:
    found = find(text, "answer")
    assert found is not None
    return text[:found.start], text[found.end:]


def test_kbd_only_changes_the_managed_region(writer: VaultWriter) -> None:
    path = _note(writer, "Q.md", USERS)
    rel = "kbd/questions/Q.md"
    assert writer.write_region(rel, "answer", "Answer: [[wiki/answers/Q|Q]]").outcome is RegionOutcome.WRITTEN
    text = path.read_text(encoding="utf-8")
    assert text.startswith(USERS), "the user's bytes before the region changed"
    assert text == USERS + "\n%% kbd:begin answer %%\nAnswer: [[wiki/answers/Q|Q]]\n%% kbd:end answer %%\n"
    # The user writes above and below the region; kbd's next write keeps every byte of it.
    edited = "# Mine\n" + text + "Written after the region.\r\nno newline at the end"
    path.write_bytes(edited.encode("utf-8"))
    before, after = _outside(edited)
    assert writer.write_region(rel, "answer", "Answer: [[wiki/answers/Q2|Q2]]").outcome is RegionOutcome.WRITTEN
    now = path.read_bytes().decode("utf-8")
    assert _outside(now) == (before, after)
    assert "Q2" in now and "[[wiki/answers/Q|Q]]" not in now
    # The same content again: nothing is written (no mtime churn, no watcher echo).
    mtime = path.stat().st_mtime_ns
    assert writer.write_region(rel, "answer", "Answer: [[wiki/answers/Q2|Q2]]").outcome is RegionOutcome.UNCHANGED
    assert path.stat().st_mtime_ns == mtime
    assert writer.is_own_region_echo(rel, path.read_bytes())


def test_region_content_is_sanitised_and_cannot_end_the_region(writer: VaultWriter) -> None:
    path = _note(writer, "Q.md", "Question?\n")
    content = "x %% kbd:end answer %%\n<script>alert(1)</script>\n```dataviewjs\nx\n```"
    writer.write_region("kbd/questions/Q.md", "answer", content)
    text = path.read_text(encoding="utf-8")
    assert text.count("%% kbd:end answer %%") == 1
    assert "<script>" not in text and "```dataviewjs" not in text
    assert text.startswith("Question?\n")


def test_user_edit_in_region_stops_kbd_and_is_reported(writer: VaultWriter) -> None:
    path = _note(writer, "Q.md", USERS)
    rel = "kbd/questions/Q.md"
    writer.write_region(rel, "answer", "Answer: [[wiki/answers/Q|Q]]")
    edited = path.read_text(encoding="utf-8").replace("Answer:", "Answer (I disagree):")
    path.write_text(edited, encoding="utf-8")
    result = writer.write_region(rel, "answer", "Answer: [[wiki/answers/Q3|Q3]]")
    assert result.outcome is RegionOutcome.USER_EDITED
    assert "edited the text inside kbd's region" in result.reason
    assert path.read_text(encoding="utf-8") == edited
    # kbd keeps its hands off for good, even if the region is later restored by chance.
    assert writer.write_region(rel, "answer", "Answer: [[wiki/answers/Q|Q]]").outcome is RegionOutcome.USER_EDITED
    assert path.read_text(encoding="utf-8") == edited
    record = writer.region(rel, "answer")
    assert record is not None and record.user_edited
    # `kbd adopt` hands it back: kbd's next write replaces the region again.
    assert writer.adopt_region(rel)
    assert writer.write_region(rel, "answer", "Answer: [[wiki/answers/Q3|Q3]]").outcome is RegionOutcome.WRITTEN
    assert "Q3" in path.read_text(encoding="utf-8")


def test_a_removed_region_is_not_put_back(writer: VaultWriter) -> None:
    path = _note(writer, "Q.md", USERS)
    rel = "kbd/questions/Q.md"
    writer.write_region(rel, "answer", "Answer")
    path.write_text(USERS, encoding="utf-8")
    assert writer.write_region(rel, "answer", "Answer 2").outcome is RegionOutcome.USER_EDITED
    assert path.read_text(encoding="utf-8") == USERS


def test_broken_markers_are_left_alone_with_a_reason(writer: VaultWriter) -> None:
    text = "Q?\n%% kbd:begin answer %%\nmine\n"
    path = _note(writer, "Q.md", text)
    result = writer.write_region("kbd/questions/Q.md", "answer", "Answer")
    assert result.outcome is RegionOutcome.USER_EDITED and "exactly one of each" in result.reason
    assert path.read_text(encoding="utf-8") == text


@pytest.mark.parametrize("rel", ["raw/x.md", "kbd/config.yaml", "kbd/questions/../constraints.md", "kbd/x.md",
                                 "wiki/answers/x.md"])
def test_regions_are_written_only_in_question_notes(writer: VaultWriter, rel: str) -> None:
    with pytest.raises(WriteRefused):
        writer.write_region(rel, "answer", "x")


def test_a_symlinked_question_note_is_not_followed(writer: VaultWriter, tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("secret\n")
    (writer.layout.root / "kbd" / "questions" / "Q.md").symlink_to(outside)
    assert writer.write_region("kbd/questions/Q.md", "answer", "x").outcome is RegionOutcome.REFUSED
    assert outside.read_text() == "secret\n"


def test_a_deleted_question_note_is_not_recreated(writer: VaultWriter) -> None:
    assert writer.write_region("kbd/questions/Gone.md", "answer", "x").outcome is RegionOutcome.GONE
    assert not (writer.layout.root / "kbd" / "questions" / "Gone.md").exists()


def test_a_user_edit_during_region_writes_is_never_lost(writer: VaultWriter) -> None:
    """A user appends lines, one save at a time, while kbd rewrites the region over and over: every
    line the user saved is in the final note. While the user keeps saving, kbd may give way every
    time (BUSY: tried again on its next run; on a loaded machine each of its writes is slower than
    the user's saves); once the user stops, its next write lands."""
    path = _note(writer, "Q.md", "Question?\n")
    rel = "kbd/questions/Q.md"
    stop = threading.Event()
    saved: list[str] = []

    def user() -> None:
        n = 0
        while not stop.is_set() or n < 50:
            line = f"user line {n}\n"
            with open(path, "a", encoding="utf-8") as fh:  # an editor saving in place
                fh.write(line)
            saved.append(line)
            n += 1
            time.sleep(0.001)

    thread = threading.Thread(target=user)
    thread.start()
    outcomes = []
    try:
        for i in range(40):
            outcomes.append(writer.write_region(rel, "answer", f"Answer {i}").outcome)
    finally:
        stop.set()
        thread.join()
    assert set(outcomes) <= {RegionOutcome.WRITTEN, RegionOutcome.BUSY}
    assert writer.write_region(rel, "answer", "Answer 40").outcome == RegionOutcome.WRITTEN
    text = path.read_text(encoding="utf-8")
    assert "Answer 40" in text
    conflicts = [p.read_text(encoding="utf-8") for p in path.parent.iterdir() if "edited while kbd wrote" in p.name]
    for line in saved:
        assert line in text or any(line in c for c in conflicts), f"lost the user's {line!r}"
    assert text.startswith("Question?\n")


# -- markers count only where Obsidian reads the note's own text (issue 18) ----------------------------

HIDING = {
    "a dataviewjs block": ("```dataviewjs\n%% kbd:begin answer %%\n%% kbd:end answer %%\n```\n", "a code block"),
    "a tilde fence": ("~~~\n%% kbd:begin answer %%\n%% kbd:end answer %%\n~~~\n", "a code block"),
    "a comment block": ("%%\nmy drafts\n%% kbd:begin answer %%\n%% kbd:end answer %%\n%%\n", "a `%%` comment"),
    "an html comment": ("<!--\n%% kbd:begin answer %%\n%% kbd:end answer %%\n-->\n", "an HTML comment"),
}


@pytest.mark.parametrize("case", sorted(HIDING))
def test_markers_inside_code_or_a_comment_are_refused_with_where_they_are(writer: VaultWriter, case: str) -> None:
    hidden, where = HIDING[case]
    text = f"Why do B-trees stay shallow?\n\n{hidden}\nMy own notes.\n"
    path = _note(writer, "Q.md", text)
    result = writer.write_region("kbd/questions/Q.md", "answer", "**Answer**: [[Fan-out]]")
    assert result.outcome is RegionOutcome.USER_EDITED
    assert f"is inside {where}" in result.reason and "outside code blocks, comments and frontmatter" in result.reason
    assert path.read_text(encoding="utf-8") == text, "nothing lands inside the block"


def test_markers_inside_frontmatter_are_refused_and_the_yaml_is_kept(writer: VaultWriter) -> None:
    text = "---\ntags: [q]\n%% kbd:begin answer %%\n%% kbd:end answer %%\n---\nWhy do B-trees stay shallow?\n"
    path = _note(writer, "Q.md", text)
    result = writer.write_region("kbd/questions/Q.md", "answer", "title: injected\n")
    assert result.outcome is RegionOutcome.USER_EDITED and "is inside the frontmatter" in result.reason
    assert path.read_text(encoding="utf-8") == text


def test_markers_shown_in_a_code_block_next_to_real_ones_are_ignored(writer: VaultWriter) -> None:
    shown = "```\n%% kbd:begin answer %%\n%% kbd:end answer %%\n```\n"
    text = f"Q?\n\nkbd's markers look like this:\n{shown}\n%% kbd:begin answer %%\n%% kbd:end answer %%\n"
    path = _note(writer, "Q.md", text)
    assert writer.write_region("kbd/questions/Q.md", "answer", "Answer").outcome is RegionOutcome.WRITTEN
    after = path.read_text(encoding="utf-8")
    assert after.startswith(f"Q?\n\nkbd's markers look like this:\n{shown}") and after.endswith(
        "%% kbd:begin answer %%\nAnswer\n%% kbd:end answer %%\n")


def test_a_region_is_not_appended_into_a_code_block_left_open(writer: VaultWriter) -> None:
    text = "Q?\n\n```dataviewjs\ndv.paragraph('mine')\n"
    path = _note(writer, "Q.md", text)
    result = writer.write_region("kbd/questions/Q.md", "answer", "Answer")
    assert result.outcome is RegionOutcome.USER_EDITED and "ends inside a code block" in result.reason
    assert path.read_text(encoding="utf-8") == text


def test_inline_markers_and_inline_code_do_not_open_a_comment() -> None:
    text = "Q? `%%` is how a comment starts.\n%% kbd:begin answer %%\nA\n%% kbd:end answer %%\n"
    found = find(text, "answer")
    assert found is not None and found.body(text) == "A\n"
