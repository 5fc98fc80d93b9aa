"""`kbd serve` in a real browser: headless Chromium, driven over the DevTools protocol.

A person types into the search box, results render with highlighted snippets, the type filter
narrows them, a result opens its preview, and a hostile clipping's preview runs nothing and
loads nothing (a loopback beacon records any request it manages to make).

Set KBD_SCREENSHOT=docs/serve.png to keep the screenshot the README shows.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cdp import Chromium, find_chromium
from tests.conftest import Vault
from tests.serving import MARKER, Beacon, hostile_clipping, running_server

CHROMIUM = find_chromium()
if CHROMIUM is None and os.environ.get("CI"):
    raise RuntimeError("chromium is missing; .ci/run installs it (apt-get install chromium)")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (apt-get install chromium)")


@pytest.fixture
def beacon() -> Iterator[Beacon]:
    b = Beacon()
    yield b
    b.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Chromium]:
    assert CHROMIUM is not None
    chromium = Chromium(CHROMIUM, tmp_path / "profile")
    yield chromium
    chromium.close()


def _results(browser: Chromium) -> list[dict[str, object]]:
    return list(browser.evaluate("""Array.from(document.querySelectorAll('#results .result')).map(li => ({
        title: li.querySelector('.result-title').textContent,
        type: li.querySelector('.badge').textContent,
        marks: Array.from(li.querySelectorAll('.snippet mark')).map(m => m.textContent),
        open: li.querySelector('a.open').getAttribute('href')}))"""))


def test_typing_a_query_shows_results_and_a_preview(sample_vault: Vault, browser: Chromium, tmp_path: Path) -> None:
    sample_vault.compile()
    with running_server(sample_vault.root) as server:
        browser.navigate(server.url)
        browser.click("#q")
        browser.type_text("shallow")
        browser.wait_for("document.querySelectorAll('#results .result').length >= 2")
        hits = _results(browser)
        assert hits[0]["title"] == "Why B-trees stay shallow"
        assert all(str(h["open"]).startswith("obsidian://open?vault=Vault&file=") for h in hits)
        assert any("shallow" in str(m).lower() for h in hits for m in h["marks"])  # type: ignore[attr-defined]
        assert browser.evaluate("location.search") == "?q=shallow"

        browser.click("#types button[data-type='concept']")
        browser.wait_for("Array.from(document.querySelectorAll('#results .badge')).every(b => "
                         "b.textContent === 'concept') && document.querySelectorAll('#results .result').length > 0")

        browser.click("#types button[data-type='']")
        browser.wait_for("document.querySelector('#results .badge')?.textContent === 'source'")
        browser.click("#q")
        browser.press("ArrowDown")  # from the box to the first result, as a keyboard user goes
        assert browser.evaluate("document.activeElement.textContent") == "Why B-trees stay shallow"
        browser.press("Enter")
        title = browser.wait_for("document.querySelector('#preview .preview-title')?.textContent")
        assert title == "Why B-trees stay shallow"
        assert browser.evaluate("document.querySelectorAll('#preview .preview-body li').length") >= 3
        assert browser.evaluate("document.querySelector('#results .result.selected .result-title').textContent") \
            == title
        # A link to another note opens that note's preview in place.
        browser.click("#preview .preview-body a.note-link[data-note*='concepts/']")
        browser.wait_for("document.querySelector('#preview .preview-head .path')?.textContent"
                         ".startsWith('wiki/concepts/')")
        browser.click("#results .result-title")
        browser.wait_for("document.querySelector('#preview .preview-title')?.textContent === " + json.dumps(title))

        shot = tmp_path / "serve.png"
        browser.screenshot(shot)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        if os.environ.get("KBD_SCREENSHOT"):
            shutil.copyfile(shot, os.environ["KBD_SCREENSHOT"])

        browser.navigate(server.url + "status")
        assert browser.wait_for("document.querySelector('main h1')?.textContent") == "kbd status"


def test_a_hostile_clipping_preview_runs_nothing_and_loads_nothing(
        vault: Vault, browser: Chromium, beacon: Beacon) -> None:
    vault.clip("Zanzibar.md", hostile_clipping(beacon.url))
    vault.compile()
    with running_server(vault.root) as server:
        browser.navigate(server.url + "?q=zanzibar&type=raw")
        browser.wait_for("document.querySelector('#results .result-title')?.textContent === 'Zanzibar hostile page'")
        browser.click("#results .result-title")
        browser.wait_for("!!document.querySelector('#preview .preview-body p')")
        # Poke everything a person could: hover and click every link that is not an outside link.
        browser.evaluate("""(() => {
            for (const el of document.querySelectorAll('#preview .preview-body *')) {
                el.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
            }
            for (const a of document.querySelectorAll('#preview .preview-body a')) {
                if (!/^https?:/.test(a.getAttribute('href'))) a.click();
            }
        })()""")
        browser.wait_for("document.readyState === 'complete'")
        body_text = browser.evaluate("document.querySelector('#preview .preview-body')?.textContent || ''")
        live = browser.evaluate("""Array.from(document.querySelectorAll('#preview *')).flatMap(el => [
            ...(['SCRIPT', 'IMG', 'IFRAME', 'SVG', 'STYLE', 'OBJECT', 'EMBED'].includes(el.tagName.toUpperCase())
                ? [el.tagName] : []),
            ...Array.from(el.attributes).filter(a => a.name.startsWith('on')
                || (a.name === 'href' && /^\\s*(javascript|data):/i.test(a.value)))
                .map(a => a.name + '=' + a.value)])""")
        pwned = browser.evaluate(MARKER)
        # Any request the page still had in flight would have arrived by now.
        browser.evaluate("new Promise(r => setTimeout(r, 300))")
    assert pwned is None
    assert live == []
    assert beacon.hits == []
    assert "<script>" in body_text  # the hostile markup is shown as text, not dropped silently
