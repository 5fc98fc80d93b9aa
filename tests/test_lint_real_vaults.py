"""Lint on reduced extracts of real public Obsidian vaults, against the independent checker in
bench/obsidian_links.py (written from Obsidian's help): the same broken links, missing attachments
and missing headings/blocks, and nothing else.

The link-bearing lines below are quoted, reduced, from:
- obsidianmd/obsidian-help (https://github.com/obsidianmd/obsidian-help), the `en/` vault, © Obsidian
  (the repository states no licence; a few lines are quoted here for testing, with attribution);
- obsidian-community/obsidian-hub (https://github.com/obsidian-community/obsidian-hub), © its
  contributors (no licence stated; quoted likewise);
- kepano/kepano-obsidian (https://github.com/kepano/kepano-obsidian), © Steph Ango, MIT licence.
"""

from __future__ import annotations

from pathlib import Path

from bench.obsidian_links import check
from tests.conftest import Vault
from tests.test_lint import lint, write

NOTES = {
    # obsidian-help en: tables with escaped pipes, markdown embeds with #fragments, an attachment folder
    "Bases/Views.md": "| View | What |\n| --- | --- |\n"
                      "| [[Cards view\\|Cards]] | Display files as a grid of cards. |\n"
                      "| [[Table view\\|Table]] | Rows and columns. |\n",
    "Bases/Layouts/Cards view.md": "# Cards view\n",
    "Bases/Layouts/Table view.md": "# Table view\n\n![Example of a base showing a table view with a list of books]"
                                   "(bases-noshadow.png#interface)\n",
    "Editing and formatting/Advanced formatting syntax.md":
        "| First name | Last name |\n| ---------- | --------- |\n"
        "| [[Embed files]]    | ![[Engelbart.jpg\\|100]]                 |\n",
    "Editing and formatting/Tags.md":
        "- In [[Introduction to Bases|Bases]], nested tags are recognized by the [[Functions#hasTag|`hasTag`]] "
        "function, so `file.hasTag(\"a\")` will match both `#a` and `#a/b`.\n",
    "Bases/Functions.md": "# Functions\n\n### `hasTag()`\n\n`file.hasTag(...values: string): boolean`\n",
    "Bases/Introduction to Bases.md": "# Introduction to Bases\n",
    "Linking notes and files/Embed files.md": "# Embed files\n\n![[Internal links#^b15695]]\n\n"
                                              "![[Engelbart.jpg#outline]]\n\n![[Engelbart.jpg|100x145]]\n",
    "Linking notes and files/Internal links.md":
        "# Internal links\n\nText of the block. ^b15695\n\n"
        "> [!tip] Prefixing an internal link with an exclamation mark (!) allows you to embed the linked "
        "content. For more details, see [[Embed Files]].\n\n"
        "- `[[Example]]` displays as [[Example]]  \n"
        "- `[[Example#Details]]` displays as [[Example#Details]]\n",
    "Obsidian Sync/Version history.md": "![[Collaborate on a shared vault#^version-history-image]]\n",
    "Obsidian Sync/Collaborate on a shared vault.md": "![[version-history-collaboration.png]]^version-history-image\n",
    # obsidian-hub: a heading embed whose heading has a question mark, a block embed, unresolved names
    "00 - Start here.md": "![[README#What is the Obsidian Hub]]\n",
    "README.md": "# Obsidian Hub\n\n## What is the Obsidian Hub?\n",
    "05 - Concepts/Digital garden.md": "![[A Brief History and Ethos of the Digital Garden#^883251]]\n",
    "05 - Concepts/A Brief History and Ethos of the Digital Garden.md": "A paragraph.\n\n^883251\n",
    "01 - Community/Events/Obsidian Community Talks.md":
        "- [[Note-taking for University Students]]\n- [[CSS 101 - Community Talk]] by [[lithou]]\n",
    # kepano-obsidian: links in properties, one repeated, unresolved category notes
    "References/Obsidian.md": '---\ncategories:\n  - "[[Companies]]"\n  - "[[Apps]]"\ntype:\n  - "[[Apps]]"\n'
                              "url: https://obsidian.md/\n---\n",
    "Categories/Companies.md": "# Companies\n",
}
FILES = {".obsidian/app.json": b'{"attachmentFolderPath": "Attachments"}',
         "Attachments/Engelbart.jpg": b"\xff\xd8\xff", "Attachments/bases-noshadow.png": b"\x89PNG",
         "Attachments/version-history-collaboration.png": b"\x89PNG"}
EXPECTED = {
    ("Editing and formatting/Tags.md", 1, "fragment", "Functions#hasTag"),
    ("Linking notes and files/Internal links.md", 8, "broken", "Example"),
    ("Linking notes and files/Internal links.md", 7, "broken", "Example"),
    ("Obsidian Sync/Version history.md", 1, "fragment", "Collaborate on a shared vault#^version-history-image"),
    ("00 - Start here.md", 1, "fragment", "README#What is the Obsidian Hub"),
    ("01 - Community/Events/Obsidian Community Talks.md", 1, "broken", "Note-taking for University Students"),
    ("01 - Community/Events/Obsidian Community Talks.md", 2, "broken", "CSS 101 - Community Talk"),
    ("01 - Community/Events/Obsidian Community Talks.md", 2, "broken", "lithou"),
    ("References/Obsidian.md", 4, "broken", "Apps"),
    ("References/Obsidian.md", 6, "broken", "Apps"),
}


def _build(vault: Vault) -> None:
    for rel, text in NOTES.items():
        write(vault, rel, text)
    for rel, data in FILES.items():
        write(vault, rel, data)


def _kbd_findings(vault: Vault) -> set[tuple[str, int, str, str]]:
    found = set()
    for f in lint(vault, write=False).findings:
        if f.check not in ("broken_links", "missing_attachments"):
            continue
        target = dict(f.detail)["target"]
        kind = "attachment" if f.check == "missing_attachments" else "fragment" if "#" in target else "broken"
        lines = [f.line] if f.line else [int(n) for n in f.message.rsplit("(lines ", 1)[1].rstrip(")").split(", ")]
        found |= {(f.path, line, kind, target) for line in lines}
    return found


def test_lint_finds_what_an_independent_obsidian_checker_finds_on_real_vault_lines(vault: Vault) -> None:
    _build(vault)
    reference = {(p.note, p.line, "fragment" if p.kind in ("heading", "block") else p.kind, p.target)
                 for p in check(str(vault.root))}
    assert reference == EXPECTED, "the checker itself reads these lines as Obsidian's help says"
    assert _kbd_findings(vault) == reference


def test_the_extracts_cover_the_contexts_the_issue_names() -> None:
    text = "\n".join(NOTES.values())
    for needle in ("\\|", "> [!tip]", "](bases-noshadow.png#interface)", "#^", '  - "[[', "- [["):
        assert needle in text, needle
    assert Path(__file__).read_text(encoding="utf-8").count("github.com/") >= 3, "every source is attributed"
