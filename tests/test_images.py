"""Local images (issue 20, part 2): by default the remote images a clipping
embeds are downloaded through the monitor's SSRF-safe fetcher into raw/assets/<clipping>/, checked
(declared type and magic bytes agree, no SVG, size cap), named by content hash, and embedded with
their captions in the source note. The clipping's own bytes never change. With a vision model
each image's description joins the summary's input. A loopback server (tests/page_server.py)
stands in for the web, the strict fake (tests/fake_llm.py) for the model."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kbd.compile.run import compile_vault
from kbd.config import load_config
from tests.conftest import Vault, clipper_note, tree_bytes, unresolved_links
from tests.fake_llm import Action, FakeLLM, Received, fake_llm, first_user_text, structured_reply, untrusted_blocks
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
    _clip(vault, site)  # the default config: downloads on, private addresses refused
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


# -- vision: each downloaded image's description joins the summary's input ----------------------------
KEY = "sk-test-VISION-SECRET-31"


def _image_parts(received: Received) -> list[dict[str, Any]]:
    content = next(m for m in received.body["messages"] if m["role"] == "user")["content"]
    return [p for p in content if isinstance(p, dict) and p.get("type") in ("image", "image_url")] \
        if isinstance(content, list) else []


def _image_bytes(part: dict[str, Any]) -> bytes:
    data = part["source"]["data"] if part["type"] == "image" else part["image_url"]["url"].split(",", 1)[1]
    return base64.b64decode(data)


def vision_model(received: Received) -> Action:
    """Describes an image by its format; summarises a clipping from its first sentences."""
    parts = _image_parts(received)
    if parts:
        data = _image_bytes(parts[0])
        kind = "line chart" if data.startswith(b"\x89PNG") else "photograph"
        return structured_reply(received, {"description": f"A {kind} of {len(data)} bytes showing node splits."})
    source = untrusted_blocks(received)[0][1]
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", source) if len(s.split()) > 5][:3]
    return structured_reply(received, {"title": "x", "summary": sentences or ["Nothing."], "key_points": [],
                                       "concepts": [{"name": "B-tree", "says": sentences[0] if sentences else "B"}],
                                       "tags": []})


@pytest.fixture
def model() -> Iterator[FakeLLM]:
    with fake_llm() as fake:
        fake.default = vision_model
        yield fake


def _configure_model(vault: Vault, model: FakeLLM, provider: str, vision: bool,
                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KBD_TEST_KEY", KEY)
    where = model.url + ("/v1" if provider == "openai" else "")
    (vault.root / "kbd" / "config.yaml").write_text(
        f'models:\n  worker: {{provider: {provider}, base_url: "{where}", model: test-vision, '
        f"api_key_env: KBD_TEST_KEY, vision: {str(vision).lower()}}}\n"
        "images: {allow_private_networks: true}\n", encoding="utf-8")


def _clip_two(vault: Vault, site: PageServer, extra: str = "") -> Path:
    png = site.page("/fig/tree.png", PNG, content_type="image/png")
    jpg = site.page("/fig/page.jpg", JPEG, content_type="image/jpeg")
    body = f"{BODY}{extra}\n\n![A B-tree of height three]({png})\n\n![One page on disk]({jpg})\n"
    return vault.clip("B-trees.md", clipper_note("Why B-trees stay shallow", body))


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_vision_model_describes_each_image_once_and_the_summary_reads_the_descriptions(
        vault: Vault, site: PageServer, model: FakeLLM, provider: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _configure_model(vault, model, provider, True, monkeypatch)
    _clip_two(vault, site)
    _compile(vault)
    assert model.refusals == [], model.refusals  # the strict fake accepts the image parts as sent
    described = [r for r in model.received if _image_parts(r)]
    assert sorted(_image_bytes(_image_parts(r)[0]) for r in described) == sorted([PNG, JPEG])
    summary = [r for r in model.received if not _image_parts(r)]
    assert len(summary) == 1
    blocks = dict(untrusted_blocks(summary[0]))
    images = blocks["raw/B-trees.md (its images, as a model described them)"]
    assert f"caption: A B-tree of height three): A line chart of {len(PNG)} bytes showing node splits." in images
    assert f"caption: One page on disk): A photograph of {len(JPEG)} bytes showing node splits." in images
    assert "node splits" not in blocks["raw/B-trees.md"], "descriptions are their own labelled block"
    note = (vault.wiki / "sources" / "Why B-trees stay shallow.md").read_text(encoding="utf-8")
    assert note.count("![[raw/assets/B-trees/") == 2
    # An unchanged vault costs nothing; an edited clipping whose images are unchanged is summarised
    # again, and its images are not described again (cached by their content hash).
    asked = len(model.received)
    _compile(vault)
    assert len(model.received) == asked
    _clip_two(vault, site, extra=" Each level multiplies the reach by the fan-out.")
    _compile(vault)
    again = model.received[asked:]
    assert len(again) == 1 and not _image_parts(again[0])
    assert "caption: One page on disk" in dict(untrusted_blocks(again[0]))[
        "raw/B-trees.md (its images, as a model described them)"]


def test_without_vision_no_image_is_sent_to_the_model(vault: Vault, site: PageServer, model: FakeLLM,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _configure_model(vault, model, "openai", False, monkeypatch)
    _clip_two(vault, site)
    _compile(vault)
    assert len(model.received) == 1 and not _image_parts(model.received[0])
    assert "its images" not in first_user_text(model.received[0])
    assert len(list((vault.raw / "assets" / "B-trees").iterdir())) == 2  # still downloaded and embedded
    vault.sync_raw()


def _post(model: FakeLLM, provider: str, part: dict[str, Any]) -> httpx.Response:
    if provider == "openai":
        return httpx.post(model.url + "/v1/chat/completions", json={
            "model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": [
                {"type": "text", "text": "Describe."}, part]}]}, timeout=10)
    return httpx.post(model.url + "/v1/messages", headers={"x-api-key": KEY, "anthropic-version": "2023-06-01"},
                      json={"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": [
                          part, {"type": "text", "text": "Describe."}]}]}, timeout=10)


def _openai_image(url: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url}}


def _anthropic_image(media_type: str, data: str) -> dict[str, Any]:
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}


PNG64 = base64.b64encode(PNG).decode()


@pytest.mark.parametrize(("provider", "part"), [
    ("openai", _openai_image("data:image/png;base64,not base64!")),
    ("openai", _openai_image("data:image/png;base64," + base64.b64encode(b"<html>no</html>").decode())),
    ("openai", _openai_image("data:image/svg+xml;base64," + base64.b64encode(SVG).decode())),
    ("openai", {"type": "image_url", "image_url": {"url": "data:image/png;base64," + PNG64, "detail": "max"}}),
    ("openai", {"type": "picture", "url": "x"}),
    ("anthropic", _anthropic_image("image/svg+xml", base64.b64encode(SVG).decode())),
    ("anthropic", _anthropic_image("image/jpeg", PNG64)),
    ("anthropic", _anthropic_image("image/png", "not base64!")),
    ("anthropic", _anthropic_image("image/png", "A" * (5 * 1024 * 1024 + 4))),
    ("anthropic", {"type": "image", "source": {"type": "file", "data": PNG64}}),
])
def test_the_fake_refuses_malformed_images_as_the_real_apis_do(model: FakeLLM, provider: str,
                                                               part: dict[str, Any]) -> None:
    model.then(Action(body={"unused": True}))
    answer = _post(model, provider, part)
    assert answer.status_code == 400
    error = answer.json()
    if provider == "openai":
        assert set(error["error"]) == {"message", "type", "param", "code"}
        assert error["error"]["type"] == "invalid_request_error"
    else:
        assert error["type"] == "error" and error["error"]["type"] == "invalid_request_error"
    assert model.script, "a refused request never consumes a scripted reply"


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_the_fake_accepts_images_in_the_documented_shapes(model: FakeLLM, provider: str) -> None:
    part = _openai_image("data:image/png;base64," + PNG64) if provider == "openai" \
        else _anthropic_image("image/png", PNG64)
    model.then(Action(body={"ok": True}))
    assert _post(model, provider, part).status_code == 200


def test_a_refused_description_is_a_warning_and_the_summary_goes_on(vault: Vault, site: PageServer, model: FakeLLM,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def refuses_images(received: Received) -> Action:
        if _image_parts(received):
            return Action(400, {"error": {"message": "Image content is not supported by this model.",
                                          "type": "invalid_request_error", "param": None, "code": None}})
        return vision_model(received)

    model.default = refuses_images
    _configure_model(vault, model, "openai", True, monkeypatch)
    _clip_two(vault, site)
    _compile(vault)
    vault.sync_raw()
    note = (vault.wiki / "sources" / "Why B-trees stay shallow.md").read_text(encoding="utf-8")
    assert "2 of 2 images not described" in note and note.count("![[raw/assets/B-trees/") == 2
    assert "its images" not in first_user_text(model.received[-1])
