"""Lint (issue 12, acceptance 1, 2 and 4): the checks, no false positives on valid Obsidian
syntax, the report with checkboxes, ticked fixes, `kbd lint` and the `lint` job."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.lint import build_planted_vault, finding_key, score
from kbd.config import load_config, parse_config
from kbd.lint.findings import CheckRun, Fix, LintReport
from kbd.lint.registry import FixContext, FixFailed, load
from kbd.lint.report import render_report
from kbd.lint.run import LintOptions, run_lint
from kbd.state import State
from kbd.vault.layout import VaultLayout
from kbd.vault.sanitize import escape_text
from kbd.vault.write import VaultWriter
from tests.conftest import FIXED_EPOCH, Vault, clipper_note, tree_bytes
from tests.test_concept_evidence import compile_real_pages

# Each name said twice: clippings that say a name in one sentence only, the same one word for word, count as one
# (a docs site's boilerplate: kbd/compile/concepts.py), and these clippings are meant as three sources.
BODY = ("B-trees keep their depth small because each node holds many keys. A write-ahead log records every "
        "change before the page is touched. The buffer pool keeps hot pages in memory. Every engine pairs a "
        "B-tree with a write-ahead log and a buffer pool.")


def lint(vault: Vault, **options: bool) -> LintReport:
    config = load_config(vault.root)
    layout = VaultLayout.from_config(vault.root, config)
    state = State(layout.state_dir / "state.db")
    try:
        return run_lint(layout, config, state, LintOptions(**options))
    finally:
        state.close()


def found(report: LintReport, check: str) -> list[str]:
    return [f.message for f in report.findings if f.check == check]


def write(vault: Vault, rel: str, text: str | bytes) -> Path:
    path = vault.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


# -- acceptance 2: valid Obsidian syntax is never a finding -------------------------------------

VALID = {
    "heading and alias": "[[Target#Section one|the section]]",
    "block reference": "[[Target#^para-7]]",
    "sized image embed": "![[img.png|100x145]]",
    "svg embed with fragment": "![[x.svg#icon]]",
    "folder path": "[[folder/Deep]]",
    "path suffix": "[[b/c/Leaf]]",
    "case difference": "[[target]] and [[FOLDER/deep]]",
    "explicit .md": "[[Target.md|with extension]]",
    "heading in this note": "[[#Local heading]]",
    "link in a code span": "`[[Nowhere]]` and ``a [[Nowhere else]] b``",
    "link in a fenced block": "```\n[[Nowhere]]\n![[gone.png]]\n```",
    "link in a tilde fence": "~~~python\nx = '[[Nowhere]]'\n~~~",
    "link in a %% comment": "%% [[Nowhere]] %%",
    "link in a multi-line %% comment": "%%\nTODO [[Nowhere]]\n![[gone.png]]\n%%",
    "link in an HTML comment": "<!-- [[Nowhere]] -->",
    "embed of a note section": "![[Target#Section one]]",
    "relative to the linking note's folder": "[[Sibling]]",
}


@pytest.mark.parametrize("case", list(VALID), ids=list(VALID))
def test_valid_obsidian_syntax_is_not_reported(vault: Vault, case: str) -> None:
    write(vault, "Target.md", "# Target\n\n## Section one\n\nText. ^para-7\n")
    write(vault, "img.png", b"\x89PNG\r\n")
    write(vault, "assets/x.svg", "<svg/>")
    write(vault, "folder/Deep.md", "Deep note, see [[Hub/Note]].\n")
    write(vault, "a/b/c/Leaf.md", "Leaf, see [[Hub/Note]].\n")
    write(vault, "Hub/Sibling.md", "Sibling, see [[Hub/Note]].\n")
    write(vault, "Hub/Note.md", f"# Local heading\n\n{VALID[case]}\n\nSee [[Target]], [[Deep]], [[Leaf]], "
                                "[[Sibling]].\n")
    report = lint(vault, write=False)
    assert found(report, "broken_links") == []
    assert found(report, "missing_attachments") == []


def test_broken_links_and_embeds_are_found_with_the_likely_target(vault: Vault) -> None:
    write(vault, "Write-ahead log.md", "What a WAL is.\n")
    write(vault, "Notes.md", "See [[Write ahead logs]] and ![[Missing chart]] and ![[plot.png]] and "
                             "![chart](assets/gone.jpg) and ![remote](https://example.org/x.png).\n"
                             "Also [[Write-ahead log]].\n")
    report = lint(vault, write=False)
    broken = [f for f in report.findings if f.check == "broken_links"]
    assert {dict(f.detail)["target"] for f in broken} == {"Write ahead logs", "Missing chart"}
    guess = next(f for f in broken if dict(f.detail)["target"] == "Write ahead logs")
    assert dict(guess.detail)["suggestion"] == "Write-ahead log.md"
    assert guess.line == 1 and "did you mean [[Write-ahead log|Write-ahead log]]" in guess.message
    missing = {dict(f.detail)["target"] for f in report.findings if f.check == "missing_attachments"}
    assert missing == {"plot.png", "assets/gone.jpg"}
    assert guess.fix is None, "a note the user owns is never offered a relink"


# -- acceptance 1: every check, precision and recall on planted defects --------------------------

def test_planted_defects_of_every_kind_are_found_with_precision_and_recall_one(tmp_path: Path) -> None:
    root = tmp_path / "Planted"
    planted = build_planted_vault(root)
    result = subprocess.run([sys.executable, "-P", "-m", "kbd", "lint", str(root), "--json"], capture_output=True,
                            text=True, env={"SOURCE_DATE_EPOCH": FIXED_EPOCH, "PATH": "/usr/bin:/bin"},
                            timeout=1200)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {c["name"] for c in data["checks"]} == set(load()), "every registered check ran"
    # kbd/lint/model_checks.py and rules.py need a model (tests/test_lint_model.py): skipped here
    checks = [c["name"] for c in data["checks"] if not load()[c["name"]].needs_model]
    assert {check for check, _ in planted.expected} == set(checks), "a defect is planted for every check"
    scores = score(planted.expected, {finding_key(f) for f in data["findings"]}, checks)
    assert {c: s[:2] for c, s in scores.items()} == {c: (1.0, 1.0) for c in checks}


# -- the config section ---------------------------------------------------------------------------

def test_checks_can_be_switched_off_and_tuned_in_config(vault: Vault) -> None:
    write(vault, "Lonely.md", "Nobody links here. See [[Gone]].\n")
    write(vault, "kbd/config.yaml", "lint:\n  orphans: false\n  broken_links: {enabled: false}\n"
                                    "  unlinked_names: {min_notes: 5}\n  exclude: [\"Private/**\"]\n")
    write(vault, "Private/Secret.md", "")
    config = load_config(vault.root)
    assert config.lint.for_check(load()["unlinked_names"]).get("min_notes") == 5
    report = lint(vault, write=False)
    skipped = {r.name: r.skipped for r in report.checks if r.skipped and not load()[r.name].needs_model}
    assert set(skipped) == {"orphans", "broken_links"} and "switched off" in skipped["orphans"]
    assert found(report, "empty_notes") == [], "excluded folders are not looked at"
    assert "orphans" not in report.counts


def test_a_misspelt_check_name_is_refused_with_the_closest_name() -> None:
    with pytest.raises(Exception, match="did you mean `stale_summaries`"):
        parse_config("lint:\n  stale_summary: false\n")


# -- acceptance 4: the report, ticks and fixes ----------------------------------------------------

def _compiled(vault: Vault, n: int = 3) -> None:
    for i in range(n):
        vault.clip(f"Clip {i}.md", clipper_note(f"Clip {i}", f"{BODY} Part {i} of the series on storage."))
    vault.compile()


def _report_text(vault: Vault, report: LintReport) -> str:
    return (vault.root / report.path).read_text(encoding="utf-8")


def test_why_a_check_did_not_run_reads_as_kbd_wrote_it_and_a_failures_message_is_escaped(vault: Vault) -> None:
    write(vault, "Notes.md", "Some text.\n")
    write(vault, "kbd/config.yaml", "lint:\n  orphans: false\n")
    text = _report_text(vault, lint(vault))
    assert "add `models:` to kbd/config.yaml" in text and "\\`" not in text, text
    assert "switched off in kbd/config.yaml (`lint:`)" in text
    failed = "the check failed: ValueError: `[[x]]` <b>"  # an exception's message may quote a note
    report = render_report(LintReport(date="2026-09-21", checks=(CheckRun("orphans", "orphans", skipped=failed),)),
                           "2026-09-21T00:00:00")
    assert escape_text(failed) in report and "`[[x]]`" not in report, report


def test_report_counts_compare_with_the_previous_report(vault: Vault) -> None:
    write(vault, "Notes.md", "See [[Gone one]], [[Gone two]] and [[Gone three]].\n")
    first = lint(vault)
    assert first.path == "wiki/reports/Lint 2026-09-21.md"
    assert "- Broken links: 3\n" in _report_text(vault, first)
    write(vault, "Notes.md", "See [[Gone one]].\n")
    second = lint(vault)
    text = _report_text(vault, second)
    assert "- Broken links: 3 → 1\n" in text
    assert "- Empty notes: 0 (unchanged)\n" in text
    assert "\\[\\[Gone one" not in text and "“Gone one”" in text, "a broken target is quoted, not linked"
    assert re.search(r"\[\[(?!wiki/|Notes)", text) is None, "the report adds no link of its own that could break"


def _rename_concept(vault: Vault) -> tuple[str, str]:
    """The user renames a concept page kbd made: summaries (kbd's) still link the old name."""
    concept = sorted((vault.wiki / "concepts").glob("*.md"))[0]
    new = concept.with_name(concept.stem + "s.md")
    concept.rename(new)
    return concept.stem, new.stem


def test_ticking_a_box_applies_the_fix_and_the_line_becomes_a_record(vault: Vault) -> None:
    _compiled(vault)
    old, new = _rename_concept(vault)
    report = lint(vault)
    relinks = [f for f in report.findings if f.fix is not None and f.fix.kind == "relink"]
    assert relinks, [f.message for f in report.findings]
    target = relinks[0]
    page = vault.root / report.path
    text = page.read_text(encoding="utf-8")
    box = next(line for line in text.split("\n") if line.endswith(f"^kbd-fix-{target.fix.fix_id}"))
    assert box.startswith("- [ ] Relink to ")
    user_line = "My own note: check these tomorrow."
    page.write_text(text.replace(box, box.replace("- [ ]", "- [x]", 1)) + user_line + "\n", encoding="utf-8")

    second = lint(vault)
    assert [a.ok for a in second.applied] == [True]
    summary = (vault.root / target.path).read_text(encoding="utf-8")
    assert f"[[wiki/concepts/{new}|" in summary and f"[[wiki/concepts/{old}|" not in summary.split("---", 2)[2]
    after = page.read_text(encoding="utf-8")
    record = next(line for line in after.split("\n") if line.endswith(f"^kbd-fix-{target.fix.fix_id}"))
    assert record.startswith("- [x] Done 2026-09-21: relinked ")
    assert after.replace(record, box.replace("- [ ]", "- [x]", 1)) == text.replace(
        box, box.replace("- [ ]", "- [x]", 1)) + user_line + "\n", "only the ticked line changed"
    assert second.path == "wiki/reports/Lint 2026-09-21 (2).md", "the edited report is not replaced"
    assert "## Done since the last report" in _report_text(vault, second)
    third = lint(vault)
    assert third.applied == (), "a fix is applied once"
    assert page.read_text(encoding="utf-8") == after


def test_a_tick_on_a_line_kbd_did_not_offer_does_nothing(vault: Vault) -> None:
    _compiled(vault)
    report = lint(vault)
    page = vault.root / report.path
    forged = "- [x] Delete everything ^kbd-fix-0123456789ab\n"
    page.write_text(page.read_text(encoding="utf-8") + forged, encoding="utf-8")
    before = tree_bytes(vault.root, skip=(".kbd",))
    again = lint(vault)
    assert again.applied == ()
    after = tree_bytes(vault.root, skip=(".kbd",))
    assert {k: v for k, v in after.items() if k != again.path} == before


def test_a_fix_never_changes_a_note_the_user_owns(vault: Vault, tmp_path: Path) -> None:
    _compiled(vault)
    write(vault, "Mine.md", "My note links [[Clip 0s]].\n")
    config = load_config(vault.root)
    layout = VaultLayout.from_config(vault.root, config)
    state = State(layout.state_dir / "state.db")
    try:
        ctx = FixContext(layout, config, state, VaultWriter(layout, state), "2026-09-21")
        from kbd.lint.registry import FIXERS

        with pytest.raises(FixFailed, match="is yours"):
            FIXERS["relink"](ctx, Fix.make("relink", "x", note="Mine.md", old='["[[Clip 0s]]"]',
                                                   new='["[[Clip 0]]"]'))
    finally:
        state.close()
    assert (vault.root / "Mine.md").read_text() == "My note links [[Clip 0s]].\n"


def test_lint_fix_applies_every_safe_fix_and_leaves_user_owned_notes_byte_for_byte(tmp_path: Path) -> None:
    root = tmp_path / "Planted"
    build_planted_vault(root)
    state = State(root / ".kbd" / "state.db")
    try:
        state.db.execute("SELECT 1")
        kbd_owned = {r[0] for r in state.db.execute("SELECT path FROM outputs WHERE user_edited=0")}
    finally:
        state.close()
    raw_and_user = {k: v for k, v in tree_bytes(root, skip=(".kbd",)).items() if k not in kbd_owned}
    result = subprocess.run([sys.executable, "-P", "-m", "kbd", "lint", str(root), "--fix"], capture_output=True,
                            text=True, env={"SOURCE_DATE_EPOCH": FIXED_EPOCH, "PATH": "/usr/bin:/bin"}, timeout=1200)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "fixed: " in result.stdout
    after = tree_bytes(root, skip=(".kbd",))
    changed = sorted(k for k, v in raw_and_user.items() if after.get(k) != v)
    assert changed == [], f"a fix changed notes kbd does not own: {changed}"


def test_ticked_recompile_brings_a_stale_summary_up_to_date(vault: Vault) -> None:
    _compiled(vault)
    with open(vault.raw / "Clip 1.md", "a", encoding="utf-8") as fh:
        fh.write("\nA closing paragraph about fan-out and the buffer pool, added later.\n")
    vault.sync_raw()
    report = lint(vault)
    stale = [f for f in report.findings if f.check == "stale_summaries"]
    assert len(stale) == 1 and stale[0].fix is not None and stale[0].fix.kind == "recompile"
    page = vault.root / report.path
    page.write_text(page.read_text().replace("- [ ] Re-compile", "- [x] Re-compile"), encoding="utf-8")
    again = lint(vault)
    assert [a.kind for a in again.applied] == ["recompile"] and again.applied[0].ok
    assert found(again, "stale_summaries") == []


def test_merging_duplicate_concepts_keeps_the_name_as_an_alias_through_compile(vault: Vault) -> None:
    _compiled(vault)
    config = load_config(vault.root)
    layout = VaultLayout.from_config(vault.root, config)
    state = State(layout.state_dir / "state.db")
    try:
        pages = sorted(tuple(r) for r in state.db.execute("SELECT key, note_name FROM concepts"))
        assert len(pages) >= 2
        (keep_key, keep_name), (_, drop_name) = pages[0], pages[1]
        from kbd.lint.registry import FIXERS

        load()  # the fixers register when their modules are imported (a lint run does it; this test alone not)

        ctx = FixContext(layout, config, state, VaultWriter(layout, state), "2026-09-21")
        record = FIXERS["merge_concepts"](ctx, Fix.make("merge_concepts", "m", alias=drop_name, into=keep_key))
        assert "kept as its alias" in record
        names = {r[0] for r in state.db.execute("SELECT note_name FROM concepts")}
    finally:
        state.close()
    assert drop_name not in names and not (vault.wiki / "concepts" / f"{drop_name}.md").exists()
    kept = vault.note(f"wiki/concepts/{keep_name}.md")
    assert drop_name in kept.get("aliases", [])
    assert found(lint(vault, write=False), "broken_links") == [], "every link to the merged page was redone"


def test_a_ticked_index_fix_regenerates_a_deleted_index(vault: Vault) -> None:
    _compiled(vault)
    (vault.wiki / "index.md").unlink()
    report = lint(vault, fix_all=True)
    assert [a.kind for a in report.applied] == ["reindex"] and report.applied[0].ok
    assert (vault.wiki / "index.md").exists() and found(report, "index_drift") == []


# -- the command and the job ----------------------------------------------------------------------

def test_kbd_lint_prints_a_summary_and_json_with_a_stable_schema(vault: Vault) -> None:
    write(vault, "Notes.md", "See [[Gone]].\n")
    out = vault.kbd("lint", str(vault.root))
    assert "broken links: 1" in out.stdout and "report: wiki/reports/Lint 2026-09-21.md" in out.stdout
    data = json.loads(vault.kbd("lint", str(vault.root), "--json").stdout)
    assert set(data) == {"version", "date", "report", "counts", "previous", "checks", "findings", "applied"}
    assert data["version"] == 1 and data["previous"]["broken_links"] == 1
    finding = next(f for f in data["findings"] if f["check"] == "broken_links")
    assert set(finding) == {"check", "severity", "path", "line", "message", "detail", "fix"}
    assert finding["path"] == "Notes.md" and finding["severity"] == "warning"


def test_kbd_lint_exit_codes(vault: Vault, tmp_path: Path) -> None:
    write(vault, "kbd/config.yaml", "lint:\n  orphan: false\n")
    bad = vault.kbd("lint", str(vault.root), check=False)
    assert bad.returncode == 2 and "did you mean `orphans`" in bad.stderr
    assert vault.kbd("lint", str(tmp_path / "nowhere"), check=False).returncode == 2


def test_the_lint_job_runs_from_a_trigger_and_shows_in_status(vault: Vault) -> None:
    from tests.test_daemon import FAST, start_daemon, wait_for

    _compiled(vault, 2)
    write(vault, "kbd/config.yaml", FAST + "triggers:\n  - {name: nightly, on: {every: 1s}, run: lint}\n")
    running = start_daemon(vault)
    try:
        status = vault.wiki / "reports" / "Status.md"
        wait_for(lambda: status.exists() and "nightly → lint" in status.read_text(),
                 what="the lint run in Status.md")
        assert re.search(r"nightly → lint \(.*\): \d+ findings in wiki/reports/Lint 2026-09-21\.md",
                         status.read_text().replace("\\", ""))
        assert (vault.wiki / "reports" / "Lint 2026-09-21.md").exists()
    finally:
        running.stop()
    shutil.rmtree(vault.root / ".kbd" / "search", ignore_errors=True)


def test_a_name_in_three_clippings_with_no_page_gets_a_page_when_ticked(vault: Vault) -> None:
    vault.clip("Ledgers.md", clipper_note("Ledgers", f"{BODY} The quasar ledger shapes the pool. The quasar "
                                                     "ledger limits the log. The quasar ledger explains the tree."))
    for i in range(2):
        vault.clip(f"Aside {i}.md", clipper_note(f"Aside {i}", f"{BODY} Part {i}. A quasar ledger appears once."))
    vault.compile()
    # A model engine is choosier than the offline one: it filed the name under one clipping only.
    state = State(vault.root / ".kbd" / "state.db")
    try:
        with state.transaction():
            state.db.execute("DELETE FROM source_concepts WHERE key='quasar ledger' AND source_id IN "
                             "(SELECT id FROM sources WHERE raw_path LIKE 'raw/Aside%')")
            state.mark_dirty(["concept:quasar ledger"])
    finally:
        state.close()
    vault.compile()
    assert not (vault.wiki / "concepts" / "Quasar ledger.md").exists()
    report = lint(vault)
    names = [f for f in report.findings if f.check == "unlinked_names"]
    assert [dict(f.detail)["name"].casefold() for f in names if f.fix] == ["quasar ledger"], \
        [f.message for f in names]
    page = vault.root / report.path
    page.write_text(page.read_text().replace("- [ ] Create a concept page", "- [x] Create a concept page"))
    again = lint(vault)
    assert [(a.kind, a.ok) for a in again.applied] == [("create_concept", True)], again.applied
    assert (vault.wiki / "concepts" / "Quasar ledger.md").exists()
    assert found(again, "unlinked_names") == [] and found(again, "broken_links") == []


LISTING = ("create-a-file-descriptor-with-process-substitution", "all-the-environment-variables",
           "check-if-a-port-is-in-use", "extract-a-list-of-values")


def test_a_name_in_capitals_is_mentioned_only_where_a_note_writes_it_so(vault: Vault) -> None:
    # Josh Branchaud's TILs (tests/real_pages/til-jbranchaud): bash's process substitution is "`<(LIST)` where
    # `LIST` is one or more bash commands"; the other three say "list" and "LISTEN" as anyone does. Counted as
    # plain words, lint offered a page "LIST" mentioned in 54 of 199 notes, and the ticked box made one of them all.
    compile_real_pages(vault, "til-jbranchaud", LISTING)
    assert not [m for m in found(lint(vault), "unlinked_names") if "LIST" in m]


WEB_API = ("timing-processes", "make-the-browser-editable-with-design-mode", "character-codes-from-keyboard-listeners",
           "generate-a-v4-uuid-in-the-browser", "turn-an-html-collection-into-an-array")


def test_a_name_in_a_links_address_is_no_mention(vault: Vault) -> None:
    # Josh Branchaud's TILs (tests/real_pages/til-jbranchaud, test half): two say "the console Web API" and "the
    # designMode Web API"; three only link MDN's "developer.mozilla.org/en-US/docs/Web/API/…". Counted with the
    # addresses, lint offered a page "Web API" mentioned in 5 notes (10 of the half's 953; "PNG" in 10 by images'
    # file names, "Auth0" in a repository's).
    compile_real_pages(vault, "til-jbranchaud", WEB_API)
    assert not [m for m in found(lint(vault), "unlinked_names") if "Web API" in m]


def test_kbd_run_applies_a_box_as_soon_as_it_is_ticked(vault: Vault) -> None:
    from tests.test_daemon import FAST, start_daemon, wait_for

    _compiled(vault)
    _rename_concept(vault)
    write(vault, "kbd/config.yaml", FAST)
    report = lint(vault)
    page = vault.root / report.path
    text = page.read_text(encoding="utf-8")
    assert "- [ ] Relink to" in text
    running = start_daemon(vault)
    try:
        wait_for(lambda: (vault.wiki / "reports" / "Status.md").exists(), what="the daemon to start")
        page.write_text(text.replace("- [ ] Relink to", "- [x] Relink to", 1), encoding="utf-8")
        wait_for(lambda: "- [x] Done 2026-09-21: relinked" in page.read_text(encoding="utf-8"),
                 what="the ticked fix to be applied")
        status = (vault.wiki / "reports" / "Status.md")
        wait_for(lambda: "lint-ticks → lint_ticks" in status.read_text().replace("\\", ""), what="the run in Status.md")
    finally:
        running.stop()
    assert page.read_text(encoding="utf-8").count("- [x] Done") == 1
    assert "Lint 2026-09-21" not in status.read_text(), "a ticked report is not listed as a note kbd stopped managing"


def test_ordinary_words_are_not_offered_as_missing_pages() -> None:
    from kbd.lint.checks import looks_like_a_name

    assert [n for n in ("Night", "Rows", "Complaints", "Treatment", "Buffer pool", "SQLite", "MVCC", "Python3")
            if looks_like_a_name(n)] == ["Buffer pool", "SQLite", "MVCC", "Python3"]


def test_a_ticked_index_fix_is_not_done_when_the_user_edited_the_index_meanwhile(vault: Vault) -> None:
    """The daemon's path (apply_ticks_now, a report changed) checks for user edits as `kbd lint`
    does: the user's index.md is kept, and the fix is recorded "Not done", never "Done"."""
    from kbd.lint.run import apply_ticks_now

    _compiled(vault)
    _rename_concept(vault)  # index.md now links a page that is gone: the index fix is offered
    report = lint(vault)
    page = vault.root / report.path
    text = page.read_text(encoding="utf-8")
    box = next(line for line in text.split("\n") if line.startswith("- [ ] Regenerate the index"))
    index = vault.wiki / "index.md"
    mine = index.read_text(encoding="utf-8") + "\nMy own reading list: [[Clip 0]].\n"
    index.write_text(mine, encoding="utf-8")
    page.write_text(text.replace(box, box.replace("- [ ]", "- [x]", 1)), encoding="utf-8")

    config = load_config(vault.root)
    layout = VaultLayout.from_config(vault.root, config)
    state = State(layout.state_dir / "state.db")
    try:
        applied = apply_ticks_now(layout, config, state)
    finally:
        state.close()
    assert [(a.kind, a.ok) for a in applied] == [("reindex", False)]
    assert "yours" in applied[0].record
    assert index.read_text(encoding="utf-8") == mine, "the user's index.md is kept byte for byte"
    record = next(line for line in page.read_text(encoding="utf-8").split("\n") if "^kbd-fix-" in line
                  and "index" in line.lower())
    assert record.startswith("- [x] Not done 2026-09-21: ") and "Done 2026" not in record.replace("Not done", "")
