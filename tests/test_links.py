"""Obsidian's link resolution rules, which every check of kbd's own links relies on."""

from pathlib import Path

from kbd.vault.links import LinkResolver, find_wikilinks, parse_wikilink, wikilink

FILES = ["raw/Why B-trees.md", "wiki/sources/Why B-trees.md", "wiki/concepts/B-tree.md", "Notes/B-tree.md",
         "B-tree.md", "a/deep/folder/Unique.md", "wiki/sources/Other.md", "raw/assets/img.png"]


def test_exact_vault_path_wins_case_insensitively() -> None:
    r = LinkResolver(FILES)
    assert r.resolve("wiki/concepts/b-tree", "wiki/index.md") == "wiki/concepts/B-tree.md"
    assert r.resolve("WIKI/SOURCES/why b-trees.md", "x.md") == "wiki/sources/Why B-trees.md"


def test_then_the_linking_notes_folder_then_the_shortest_path() -> None:
    r = LinkResolver(FILES)
    assert r.resolve("Other", "wiki/sources/Why B-trees.md") == "wiki/sources/Other.md"
    assert r.resolve("B-tree", "wiki/index.md") == "B-tree.md"  # shortest path among three
    assert r.resolve("Why B-trees", "wiki/index.md") == "raw/Why B-trees.md"  # why kbd writes full paths
    assert r.resolve("Unique", "") == "a/deep/folder/Unique.md"
    assert r.resolve("folder/Unique", "") == "a/deep/folder/Unique.md"
    assert r.resolve("img.png", "") == "raw/assets/img.png"
    assert r.resolve("Missing", "") is None


def test_parse_heading_block_alias_and_sized_embed() -> None:
    assert parse_wikilink("Note#Part|shown") == parse_wikilink("Note#Part|shown")
    link = parse_wikilink("Note#Part|shown")
    assert (link.target, link.heading, link.block, link.alias) == ("Note", "Part", None, "shown")
    link = parse_wikilink("Note#^abc123")
    assert (link.target, link.block) == ("Note", "abc123")
    link = parse_wikilink("img.png|300x200", embed=True)
    assert (link.target, link.size, link.alias, link.embed) == ("img.png", "300x200", None, True)
    assert parse_wikilink("#Heading").target == ""


def test_citation_brackets_are_not_wikilinks() -> None:
    assert find_wikilinks("see [[12](#ref-CR12)] and [[3](#r3), [4](#r4)]") == []
    assert [w.target for w in find_wikilinks("a [[Real]] and ![[pic.png|100]]")] == ["Real", "pic.png"]


def test_kbd_links_always_carry_display_text() -> None:
    assert wikilink("wiki/concepts/B-tree.md", "B-tree") == "[[wiki/concepts/B-tree|B-tree]]"
    assert wikilink("raw/x.md") == "[[raw/x|x]]"


def test_sync_conflict_copies_are_recognised() -> None:
    from kbd.vault.layout import is_conflict_copy

    for name in ["Note.sync-conflict-20260101-101010-ABCDEFG.md", "Note (Conflicted copy 2026-01-01 101010).md",
                 "Note (Ben's conflicted copy 2026-01-01).md", "Note (conflict 2026-01-01 10-10-10).md"]:
        assert is_conflict_copy(name), name
    for name in ["Conflict resolution in CRDTs.md", "Note (draft).md", "Why conflicts happen.md",
                 "CRDTs (conflict-free replicated data types).md", "Wars (conflict in 1914).md"]:
        assert not is_conflict_copy(name), name


# -- the shared link grammar (kbd/vault/linkgrammar.py, issue 22) ---------------------------------

def test_an_escaped_table_pipe_separates_target_and_alias_in_every_reader() -> None:
    from kbd.vault.markdown import parse_markdown

    link = parse_wikilink("Social media link previews#Image\\|Image")
    assert (link.target, link.heading, link.alias) == ("Social media link previews", "Image", "Image")
    link = parse_wikilink("Engelbart.jpg\\|100", embed=True)
    assert (link.target, link.size) == ("Engelbart.jpg", "100")
    table = "| a | b |\n|---|---|\n| [[Permalinks\\|Permalinks]] | x |\n"
    assert parse_markdown(table).wikilinks == ["Permalinks"], "compile and search read it the same way"


def test_links_are_found_with_file_line_numbers_and_never_in_code_or_comments() -> None:
    from kbd.vault.linkgrammar import blank_code_and_comments, find_links

    body = ("> [!note] [[A]]\n> ```\n> [[In callout code]]\n> ```\n- [[B]]\n[^1]: [[C]]\n"
            "`[[span]]` %% [[comment]] %% <!-- [[html]] -->\n| [[D\\|d]] |\n")
    found = [(at.link.target, at.line) for at in find_links(blank_code_and_comments(body), first_line=5)]
    assert found == [("A", 5), ("B", 9), ("C", 10), ("D", 12)]


def test_attachments_are_obsidians_file_formats_not_any_dotted_name() -> None:
    from kbd.vault.linkgrammar import is_attachment

    assert [t for t in ("a.png", "b.PDF", "c.canvas", "d.base", "e.mp4", "nytimes.com", "J. Doe, Ph.D", "v1.2",
                        "Note") if is_attachment(t)] == ["a.png", "b.PDF", "c.canvas", "d.base", "e.mp4"]


def test_the_attachment_folder_wins_for_a_bare_attachment_name(tmp_path: Path) -> None:
    from kbd.vault.linkgrammar import attachment_folder

    (tmp_path / ".obsidian").mkdir()
    (tmp_path / ".obsidian" / "app.json").write_text('{"attachmentFolderPath": "Files/Attachments"}')
    folder = attachment_folder(tmp_path)
    assert folder == "Files/Attachments"
    files = ["Old/pic.png", "Files/Attachments/pic.png", "Notes/a.md"]
    assert LinkResolver(files, folder).resolve("pic.png", "Notes/a.md") == "Files/Attachments/pic.png"
    assert LinkResolver(files).resolve("pic.png", "Notes/a.md") == "Old/pic.png", "else the shortest path"
    assert LinkResolver(["pic.png", *files], folder).resolve("pic.png", "") == "pic.png", "an exact path first"
    (tmp_path / ".obsidian" / "app.json").write_text('{"attachmentFolderPath": "./"}')
    assert attachment_folder(tmp_path) is None


def test_headings_and_blocks_are_matched_as_obsidian_links_them() -> None:
    from kbd.vault.linkgrammar import blank_fenced_code, headings_and_blocks, missing_fragment

    body = "# Title\n\n### `hasTag()`\n\nSetext\n---\n\nText ^para-1\n\n```\n# Not a heading ^not-a-block\n```\n"
    heads, blocks = headings_and_blocks(blank_fenced_code(body))
    assert [missing_fragment(parse_wikilink(t), heads, blocks) for t in (
        "N#title", "N#hasTag()", "N#Title#Setext", "N#^PARA-1", "N#Not a heading", "N#^not-a-block")] == \
        [None, None, None, None, "Not a heading", "^not-a-block"]


def test_the_phrase_matcher_counts_whole_word_phrases_in_one_pass() -> None:
    from kbd.engines.base import phrase_tokens
    from kbd.lint.phrases import PhraseMatcher, longer_page_names

    pool, manager = tuple(phrase_tokens("buffer pool")), tuple(phrase_tokens("Buffer pool manager"))
    assert longer_page_names({pool}, {manager, pool}) == {pool: (manager,)}
    counts = PhraseMatcher([pool, manager, tuple(phrase_tokens("B-trees"))]).count(
        "The Buffer pools; a buffer-pool manager. B-tree, btree, b tree. Bufferpool.")
    assert dict(counts) == {pool: 2, manager: 1, ("b", "tree"): 2}
