"""Obsidian's link resolution rules, which every check of kbd's own links relies on."""

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
