"""A monitored page's main text (issue 12, acceptance 8): the standard library's HTML parser, page
chrome dropped, text normalised; plain text and JSON read; other content types refused."""

from __future__ import annotations

import json

import pytest

from kbd.monitor.diff import diff_paragraphs
from kbd.monitor.extract import Unsupported, extract

PAGE = """<!doctype html><html><head><title>Acme &amp; Co — Pricing</title>
<style>p { color: red }</style><script>document.write("<p>injected</p>")</script></head>
<body><header><a href="/">Acme</a><nav><ul><li>Home</li><li>Blog</li></ul></nav></header>
<aside>Sponsored: buy more</aside>
<p>Pricing, in   plain
 words.</p>
<div role="navigation">Skip to content</div>
<table><tr><th>Plan</th><th>Price</th></tr><tr><td>Pro</td><td>$20&nbsp;/ month</td></tr></table>
<ul><li>Unlimited projects</li><li>Priority <b>support</b></li></ul>
<form><label>Email</label><input name=e><button>Subscribe</button></form>
<noscript>Enable JavaScript</noscript><div hidden>secret draft</div>
<footer>© 2026 Acme · Privacy</footer></body></html>"""


def test_main_text_drops_scripts_styles_and_page_chrome() -> None:
    page = extract(PAGE.encode(), "text/html", "utf-8")
    assert page.title == "Acme & Co — Pricing"
    assert page.paragraphs == ["Pricing, in plain words.", "Plan · Price", "Pro · $20 / month", "Unlimited projects",
                               "Priority support"]
    assert [b.kind for b in page.blocks] == ["paragraph", "row", "row", "item", "item"]


def test_the_main_element_is_preferred_when_the_page_marks_it() -> None:
    html = "<body><div>Related posts</div><main><h2>Changelog</h2><p>Version 2 is out.</p></main><div>More</div>"
    page = extract(html.encode(), "text/html")
    assert page.paragraphs == ["Changelog", "Version 2 is out."]
    assert page.title == "Changelog"  # no <title>: the first heading


def test_charset_comes_from_the_header_or_the_page() -> None:
    latin = "<html><head><meta charset='iso-8859-1'></head><body><p>Café crème</p></body></html>".encode("latin-1")
    assert extract(latin, "text/html", None).paragraphs == ["Café crème"]
    assert extract("<p>Café</p>".encode("cp1252"), "text/html", "windows-1252").paragraphs == ["Café"]


def test_plain_text_is_split_into_paragraphs() -> None:
    page = extract(b"Release notes\r\n\r\nFixed   a crash.\nFaster start.\n\n\n", "text/plain")
    assert page.kind == "text" and page.paragraphs == ["Release notes", "Fixed a crash. Faster start."]


def test_json_becomes_one_line_per_value_and_key_order_is_not_a_change() -> None:
    one = extract(json.dumps({"plans": [{"name": "Pro", "price": 20}], "currency": "USD"}).encode(), "application/json")
    two = extract(json.dumps({"currency": "USD", "plans": [{"price": 20, "name": "Pro"}]}).encode(),
                  "application/vnd.api+json")
    assert one.paragraphs == ['currency: "USD"', 'plans[0].name: "Pro"', "plans[0].price: 20"]
    assert one.content_hash == two.content_hash


@pytest.mark.parametrize(("content_type", "body"), [("application/pdf", b"%PDF-1.7"), ("image/png", b"\x89PNG"),
                                                    ("application/octet-stream", b"\x00\x01")])
def test_other_content_types_are_refused_with_a_reason(content_type: str, body: bytes) -> None:
    with pytest.raises(Unsupported, match=f"the page is {content_type}; kbd monitors HTML, plain-text and JSON"):
        extract(body, content_type)


def test_broken_json_and_binary_text_are_refused() -> None:
    with pytest.raises(Unsupported, match="does not parse"):
        extract(b"{not json", "application/json")
    with pytest.raises(Unsupported, match="binary"):
        extract(b"text\x00\x00\x00binary", "text/plain")
    with pytest.raises(Unsupported, match="nested too deeply"):
        extract(b"[" * 100_000 + b"]" * 100_000, "application/json")


def test_diff_groups_replaced_paragraphs_and_counts_the_rest() -> None:
    diff = diff_paragraphs(["Intro", "Pro: $20", "Team: $50", "Footer note"],
                           ["Intro", "Pro: $25", "Team: $50", "New: Enterprise plan", "Footer note"])
    assert [(h.removed, h.added) for h in diff.hunks] == [(("Pro: $20",), ("Pro: $25",)),
                                                          ((), ("New: Enterprise plan",))]
    assert diff.kept == 3 and diff.added == ["Pro: $25", "New: Enterprise plan"] and diff.removed == ["Pro: $20"]
    assert not diff_paragraphs(["a"], ["a"]).changed
