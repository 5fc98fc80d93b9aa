"""Lint on Obsidian's link grammar (issue 22): escaped pipes in tables, links in every context
Obsidian parses and none in code, resolution with the attachment folder, headings and blocks,
Web Clipper property links, orphans and the index, line numbers from the top of the file; and
duplicate-concept merges offered only on evidence that the names share a meaning."""

from __future__ import annotations

from kbd.lint.findings import Finding, LintReport, Severity
from tests.conftest import Vault, clipper_note
from tests.test_lint import found, lint, write


def findings(report: LintReport, check: str) -> list[Finding]:
    return [f for f in report.findings if f.check == check]


def targets(report: LintReport, check: str) -> set[str]:
    return {dict(f.detail)["target"] for f in findings(report, check)}


# -- where links are -----------------------------------------------------------------------------

def test_an_escaped_pipe_in_a_table_separates_target_and_alias(vault: Vault) -> None:
    # Reduced from obsidianmd/obsidian-help, en/Editing and formatting/Properties.md and
    # Advanced formatting syntax.md: 15 false "broken links" on the help vault came from these.
    write(vault, "Editing and formatting/Tags.md", "# Tags\n")
    write(vault, "Permalinks.md", "# Permalinks\n")
    write(vault, "Social media link previews.md", "# Social media link previews\n## Description\n## Image\n")
    write(vault, "Attachments/Engelbart.jpg", b"\xff\xd8\xff")
    write(vault, "Properties.md",
          "| Property | Type | Description |\n| --- | --- | --- |\n"
          "| `tags`       | List | See [[Editing and formatting/Tags\\|Tags]].                   |\n"
          "| `permalink`   | See [[Permalinks\\|Permalinks]].       |\n"
          "| `description` | See [[Social media link previews#Description\\|Description]]. |\n"
          "| `image`       | See [[Social media link previews#Image\\|Image]].             |\n"
          "| [[Permalinks]]    | ![[Engelbart.jpg\\|100]]                 |\n")
    report = lint(vault, write=False)
    assert found(report, "broken_links") == [] and found(report, "missing_attachments") == []


def test_links_in_callouts_lists_footnotes_and_tables_are_checked_but_not_in_code(vault: Vault) -> None:
    write(vault, "Note.md",
          "> [!tip] See [[Gone in a callout]].\n"
          "> ```\n> [[Not a link in callout code]]\n> ```\n\n"
          "- an item with [[Gone in a list]]\n\n"
          "Text.[^1]\n\n[^1]: A footnote citing [[Gone in a footnote]].\n\n"
          "| a | b |\n|---|---|\n| [[Gone in a table\\|shown]] | x |\n\n"
          "`[[Not a link in a span]]` %% [[Not a link in a comment]] %%\n")
    report = lint(vault, write=False)
    assert targets(report, "broken_links") == {"Gone in a callout", "Gone in a list", "Gone in a footnote",
                                                "Gone in a table"}


# -- what they resolve to ------------------------------------------------------------------------

def test_a_markdown_image_with_a_fragment_is_found_in_the_attachment_folder(vault: Vault) -> None:
    # obsidian-help, en/Bases/Introduction to Bases.md: the picture is in Attachments/.
    write(vault, ".obsidian/app.json", '{"attachmentFolderPath": "Attachments"}')
    write(vault, "Attachments/bases-noshadow.png", b"\x89PNG\r\n")
    write(vault, "Bases/Introduction to Bases.md",
          "![Example of a base showing a table view with a list of books](bases-noshadow.png#interface)\n"
          "![[bases-noshadow.png#interface]] and ![gone](missing-shot.png#interface)\n")
    report = lint(vault, write=False)
    assert targets(report, "missing_attachments") == {"missing-shot.png"}


def test_a_link_to_a_missing_heading_or_block_is_reported(vault: Vault) -> None:
    write(vault, "Functions.md", "# Functions\n\n### `hasTag()`\n\nText.\n\n## Date\n\nA paragraph. ^para-1\n")
    write(vault, "Uses.md", "[[Functions#hasTag()]] [[Functions#Functions#Date]] [[Functions#^para-1]] "
                            "[[functions#DATE]]\n[[Functions#Nothing here]]\n![[Functions#^gone-id]]\n")
    report = lint(vault, write=False)
    assert targets(report, "broken_links") == {"Functions#Nothing here", "Functions#^gone-id"}
    lines = sorted(f.line for f in findings(report, "broken_links"))
    assert lines == [2, 3]


def test_web_clipper_property_links_in_raw_are_not_missing_attachments(vault: Vault) -> None:
    vault.clip("Clipped.md", clipper_note("Clipped", "Body text.", author="nytimes.com").replace(
        '  - "[[nytimes.com]]"', '  - "[[nytimes.com]]"\n  - "[[Jane Doe, Ph.D]]"'))
    write(vault, "Mine.md", "From [[example.org]].\n")
    report = lint(vault, write=False)
    assert found(report, "missing_attachments") == []
    assert targets(report, "broken_links") == {"example.org"}, "outside raw/ a dotted name is a note link"


def test_notes_linked_from_the_index_and_its_sub_pages_are_not_orphans(vault: Vault) -> None:
    write(vault, "wiki/index/Sources A.md", "- [[Notes/Listed]]\n")
    write(vault, "Notes/Listed.md", "Listed in a sub-index page.\n")
    write(vault, "Notes/Lonely.md", "Nobody links here.\n")
    report = lint(vault, write=False)
    orphans = {f.path for f in findings(report, "orphans")}
    assert "Notes/Lonely.md" in orphans and "Notes/Listed.md" not in orphans


def test_line_numbers_count_from_the_first_line_of_the_file(vault: Vault) -> None:
    # The repeated property link is reduced from kepano/kepano-obsidian (MIT), References/Obsidian.md.
    write(vault, "Note.md", '---\ntitle: "Note"\nup: "[[Nowhere up]]"\ncategories:\n  - "[[Apps]]"\ntype:\n'
                            '  - "[[Apps]]"\n---\n\nIntro.\n![chart](gone-chart.png)\n\n[[Nowhere]]\n![[gone.pdf]]\n')
    report = lint(vault, write=False)
    lines = {dict(f.detail)["target"]: f.line or f.message[-8:] for f in report.findings
             if f.check in ("broken_links", "missing_attachments")}
    assert lines == {"Nowhere up": 3, "Apps": "es 5, 7)", "gone-chart.png": 11, "Nowhere": 13, "gone.pdf": 14}


# -- suggestions only with evidence ----------------------------------------------------------------

def test_names_only_spelt_alike_are_listed_without_a_merge_box(vault: Vault) -> None:
    # Pairs seen offered as tick-to-apply merges on real clippings and on a documentation corpus.
    for name in ("Light", "Night", "Mediation", "Medications", "Use code", "User code"):
        write(vault, f"wiki/concepts/{name}.md", f"About {name}.\n")
    write(vault, "Hub.md", "".join(f"[[{n}]] " for n in ("Light", "Night", "Mediation", "Medications",
                                                          "Use code", "User code")))
    report = lint(vault, write=False)
    pairs = findings(report, "duplicate_concepts")
    assert len(pairs) == 3
    assert all(f.fix is None and f.severity is Severity.INFO and "no merge is offered" in f.message for f in pairs)


def test_a_merge_is_offered_on_a_shared_lemma_an_alias_or_a_written_out_abbreviation(vault: Vault) -> None:
    write(vault, "wiki/concepts/MVCC.md", "Short name.\n")
    write(vault, "wiki/concepts/Multi-version concurrency control.md",
          "Postgres uses multi-version concurrency control (MVCC) for snapshots.\n")
    write(vault, "wiki/concepts/ADO.md", "ActiveX Data Objects.\n")  # same initials, nothing says so
    write(vault, "wiki/concepts/ATL Dialog object.md", "A dialog class.\n")
    write(vault, "wiki/concepts/B-trees.md", "Plural.\n")
    write(vault, "wiki/concepts/B-tree.md", "Singular.\n")
    write(vault, "wiki/concepts/WAL.md", '---\naliases: ["Journal"]\n---\nLog.\n')
    write(vault, "wiki/concepts/Journal.md", "Same thing.\n")
    write(vault, "wiki/concepts/AVX-512.md", "Vector instructions.\n")  # pairs seen on cpp-docs
    write(vault, "wiki/concepts/AVX512.md", "The same.\n")
    write(vault, "wiki/concepts/Active Server Pages Component Wizard.md", "A wizard.\n")
    write(vault, "wiki/concepts/Active Server Page Component Wizard.md", "The same.\n")
    write(vault, "wiki/concepts/CRect.md", "A class.\n")
    write(vault, "wiki/concepts/CREATE.md", "A statement.\n")
    report = lint(vault, write=False)
    sure = {frozenset((f.path, dict(f.detail)["other"])) for f in findings(report, "duplicate_concepts")
            if f.severity is Severity.WARNING}
    c = "wiki/concepts/"
    assert sure == {frozenset((f"{c}MVCC.md", f"{c}Multi-version concurrency control.md")),
                    frozenset((f"{c}B-trees.md", f"{c}B-tree.md")), frozenset((f"{c}WAL.md", f"{c}Journal.md")),
                    frozenset((f"{c}AVX-512.md", f"{c}AVX512.md")),
                    frozenset((f"{c}Active Server Pages Component Wizard.md",
                               f"{c}Active Server Page Component Wizard.md"))}
    assert not any("ADO" in f.message for f in findings(report, "duplicate_concepts"))
    crect = [f for f in findings(report, "duplicate_concepts") if "CRect" in f.message]
    assert [(f.severity, f.fix) for f in crect] == [(Severity.INFO, None)], "spelt alike: listed, no box"
