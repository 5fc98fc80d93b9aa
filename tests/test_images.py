"""Local images (issue 20, part 2): with `images: {download: true}`, the remote images a clipping
embeds are downloaded through the monitor's SSRF-safe fetcher into raw/assets/<clipping>/, checked
(declared type and magic bytes agree, no SVG, size cap), named by content hash, and embedded with
their captions in the source note. The clipping's own bytes never change. A loopback server
(tests/page_server.py) stands in for the web."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from kbd.compile.run import compile_vault
from kbd.config import load_config
from tests.conftest import Vault, clipper_note, tree_bytes, unresolved_links
from tests.page_server import PageServer, page_server

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x10" * 64
GIF = b"GIF89a" + b"\x01" * 64
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
BODY = ("B-trees keep their height low because every node holds hundreds of keys, so a lookup touches "
        "only three or four pages even for a billion rows. Fan-out is the reason databases love them.")


@pytest.fixture
def site() -> Iterator[PageServer]:
    with page_server() as server:
        yield server


def _configure(vault: Vault, images: str) -> None:
    config = vault.root / "kbd" / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8") + f"\nimages: {images}\n", encoding="utf-8")


def _clip(vault: Vault, site: PageServer, extra: str = "") -> Path:
    png = site.page("/fig/tree.png", PNG, content_type="image/png")
    jpg = site.page("/fig/page.jpg", JPEG, content_type="image/jpeg")
    gif = site.page("/fig/split.gif", GIF, content_type="image/gif")
    body = (f"{BODY}\n\n![A B-tree of height three]({png})\n\nText between.\n\n![]({jpg} \"One page on disk\")\n\n"
            f"![Splitting a full node]({gif})\n{extra}")
    return vault.clip("B-trees.md", clipper_note("Why B-trees stay shallow", body))


def _compile(vault: Vault) -> None:
    compile_vault(vault.root, load_config(vault.root))


def test_three_remote_images_become_three_local_copies(vault: Vault, site: PageServer) -> None:
    _configure(vault, "{download: true, allow_private_networks: true}")
    clipping = _clip(vault, site)
    before = clipping.read_bytes()
    raw_before = tree_bytes(vault.raw)
    _compile(vault)
    assert clipping.read_bytes() == before, "kbd changed the clipping"
    added = {p: d for p, d in tree_bytes(vault.raw).items() if p not in raw_before}
    assert all(p.startswith("assets/B-trees/") for p in added), added
    assert sorted(added.values()) == sorted([PNG, JPEG, GIF])
    for path, data in added.items():
        assert Path(path).stem == hashlib.sha256(data).hexdigest()[:16]
    vault.sync_raw()  # the raw guard: what changed under raw/ is exactly the three images
    note = (vault.wiki / "sources" / "Why B-trees stay shallow.md").read_text(encoding="utf-8")
    images = note.split("## Images", 1)[1].split("\n## ", 1)[0]
    for path, caption in zip(sorted(added, key=lambda p: [PNG, JPEG, GIF].index(added[p])),
                             ["A B-tree of height three", "One page on disk", "Splitting a full node"], strict=True):
        assert f"![[raw/{path}]]\n*{caption}*" in images
    assert unresolved_links(vault.root, {"wiki/sources/Why B-trees stay shallow.md": note}) == []
    # An unchanged clipping costs nothing: no request goes out again.
    asked = len(site.requests)
    _compile(vault)
    assert len(site.requests) == asked


def test_images_from_private_addresses_are_refused_unless_allowed(vault: Vault, site: PageServer) -> None:
    _configure(vault, "{download: true}")
    _clip(vault, site)
    _compile(vault)
    assert not list((vault.raw / "assets").rglob("*.*")) and site.requests == []
    note = vault.note("wiki/sources/Why B-trees stay shallow.md")
    assert "## Images" not in note.content
    assert "3 of 3 images not downloaded" in note.content and "loopback" in note.content
    assert "images.allow_private_networks" in note.content


def test_svg_and_a_lying_content_type_are_not_kept(vault: Vault, site: PageServer) -> None:
    _configure(vault, "{download: true, allow_private_networks: true}")
    svg = site.page("/fig/logo.svg", SVG, content_type="image/svg+xml")
    fake = site.page("/fig/fake.png", b"<html>not an image</html>", content_type="image/png")
    disguised = site.page("/fig/shape.png", SVG, content_type="image/svg+xml")
    _clip(vault, site, extra=f"\n![logo]({svg})\n\n![fake]({fake})\n\n![shape]({disguised})\n")
    _compile(vault)
    vault.sync_raw()
    assert len(list((vault.raw / "assets" / "B-trees").iterdir())) == 3
    text = (vault.wiki / "sources" / "Why B-trees stay shallow.md").read_text(encoding="utf-8")
    assert "3 of 6 images not downloaded" in text and "SVG is never fetched" in text
    assert "/fig/logo.svg" not in site.paths(), "an .svg URL is not even requested"


def test_download_false_leaves_images_remote(vault: Vault, site: PageServer) -> None:
    _configure(vault, "{download: false, allow_private_networks: true}")
    _clip(vault, site)
    _compile(vault)
    assert not list((vault.raw / "assets").rglob("*.*")) and site.requests == []
