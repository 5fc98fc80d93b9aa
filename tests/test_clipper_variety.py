"""Acceptance 9: the variety real Obsidian Web Clipper notes come in."""

from __future__ import annotations

from tests.conftest import Vault, unresolved_links

BODY = ("Sorted string tables store keys in order. Each sorted string table is immutable once written. "
        "Merging sorted string tables is how compaction reclaims space.")


def test_frontmatter_variants_are_normalised_to_one_type_each(vault: Vault) -> None:
    vault.clip("quoted.md", '---\ntitle: "Quoted: title"\nsource: "https://a.example/x"\nauthor:\n'
               '  - "[[Ada Example]]"\n  - "[[Grace Sample|Grace]]"\npublished: "2025-03-14T10:00:00+01:00"\n'
               'tags:\n  - "#clippings"\n  - "web dev"\n  - "2025"\n---\n' + BODY)
    vault.clip("unquoted.md", "---\ntitle: Unquoted title\nsource: https://b.example/y\nauthor: Alan Placeholder\n"
               "published:\ntags: [clippings, '#databases']\n---\n" + BODY)
    vault.clip("null author.md", "---\ntitle: Null author\nauthor:\npublished: not a date\n---\n" + BODY)
    vault.compile()

    quoted = vault.note("wiki/sources/Quoted title.md")
    assert quoted["title"] == "Quoted: title" and quoted["aliases"] == ["Quoted: title"]
    assert quoted["author"] == ["Ada Example", "Grace"]
    assert str(quoted["published"]) == "2025-03-14"
    assert quoted["tags"] == ["kbd/source", "clippings", "web-dev"]
    unquoted = vault.note("wiki/sources/Unquoted title.md")
    assert unquoted["author"] == ["Alan Placeholder"] and "published" not in unquoted.metadata
    assert unquoted["tags"] == ["kbd/source", "clippings", "databases"]
    null = vault.note("wiki/sources/Null author.md")
    assert null["author"] == [] and "published" not in null.metadata and "source" not in null.metadata


def test_long_lines_html_tables_citations_and_remote_images(vault: Vault) -> None:
    long_line = " ".join(f"Sentence {i} about the sorted string table format and its index blocks." for i in
                         range(900))
    assert len(long_line) > 60_000
    text = ("---\ntitle: Messy page\n---\n# Messy page\n\n" + long_line + "\n\n"
            "<table><tr><th>Engine</th><th>Format</th></tr><tr><td>LevelDB</td><td>sorted string table</td></tr>"
            "</table>\n\n"
            "Compaction rewrites each sorted string table [[12](#ref-CR12)] and reclaims space [[3](#ref-CR3), "
            "[4](#ref-CR4)].\n\n"
            "![chart](https://tracker.example/pixel.png?user=me&secret=1)\n\n"
            "<img src=\"https://tracker.example/p.gif\">\n\n" + BODY)
    vault.no_image_downloads()  # tracker.example is not 127.0.0.1
    vault.clip("messy.md", text)
    vault.clip("other.md", "---\ntitle: Other\n---\n" + BODY)
    vault.compile()
    generated = vault.generated()
    note = generated["wiki/sources/Messy page.md"]
    assert unresolved_links(vault.root, generated) == []
    assert "[[12" not in note and "[[3" not in note
    assert "tracker.example" not in "".join(generated.values())
    assert "<table" not in note and "<img" not in note
