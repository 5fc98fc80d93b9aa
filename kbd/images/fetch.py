"""Find the remote images a clipping embeds and download them through the monitor's SSRF-safe
fetcher (kbd/fetch.py: http(s) only, public addresses only unless allowed, every redirect
checked, bytes and time capped, no cookies).

An image is kept only if its declared type and its first bytes agree on a raster format kbd
accepts (PNG, JPEG, GIF, WebP). SVG is never kept: it is a document that can carry script and
external references, not an image to embed. The file name is the content's hash, so an image two
clippings share, or one downloaded again, is stored once.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from kbd.fetch import FetchFailed, FetchRefused, FetchSettings, fetch

MAX_IMAGES = 30  # per clipping: a gallery page does not turn into hundreds of downloads

# type → (extension, magic check on the first bytes)
FORMATS = {
    "image/png": ("png", lambda b: b.startswith(b"\x89PNG\r\n\x1a\n")),
    "image/jpeg": ("jpg", lambda b: b.startswith(b"\xff\xd8\xff")),
    "image/gif": ("gif", lambda b: b.startswith((b"GIF87a", b"GIF89a"))),
    "image/webp": ("webp", lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP"),
}

# ![caption](https://… "title"), not inside a code span; <…> around the URL is allowed.
_EMBED = re.compile(r"!\[([^\]\n]{0,500})\]\(\s*<?(https?://[^\s)>]{1,2000})>?(?:\s+\"([^\"\n]{0,500})\")?\s*\)")
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class RemoteImage:
    url: str
    caption: str


@dataclass(frozen=True)
class Downloaded:
    image: RemoteImage
    data: bytes
    extension: str

    @property
    def name(self) -> str:
        return f"{hashlib.sha256(self.data).hexdigest()[:16]}.{self.extension}"

    @property
    def media_type(self) -> str:
        return next(kind for kind, (extension, _) in FORMATS.items() if extension == self.extension)


@dataclass(frozen=True)
class FetchedImages:
    """What one version of a clipping's remote images came to."""

    sha256: str  # of the clipping's bytes they were found in
    total: int  # remote images it embeds (at most MAX_IMAGES)
    downloaded: tuple[Downloaded, ...]
    problems: tuple[str, ...]  # one line per image not kept


def remote_images(markdown: str) -> list[RemoteImage]:
    """The remote image embeds of a clipping's text, in order, each URL once (code blocks skipped)."""
    text = _FENCE.sub("", markdown)
    seen: set[str] = set()
    out: list[RemoteImage] = []
    for m in _EMBED.finditer(text):
        url = m.group(2)
        if url in seen:
            continue
        seen.add(url)
        caption = re.sub(r"\s+", " ", (m.group(1) or m.group(3) or "")).strip()
        out.append(RemoteImage(url, caption))
    return out[:MAX_IMAGES]


def download(image: RemoteImage, settings: FetchSettings) -> Downloaded | str:
    """The image, or why it was not kept (one line, for the source note's warnings)."""
    if re.search(r"\.svgz?$", image.url.split("?", 1)[0].split("#", 1)[0], re.IGNORECASE):
        return f"image {image.url[:120]} not downloaded: SVG is never fetched as an image"
    try:
        got = fetch(image.url, settings)
    except (FetchRefused, FetchFailed) as exc:
        # The fetcher names the monitor's settings; images have their own, under `images:`.
        return f"image {image.url[:120]} not downloaded: {str(exc).replace('monitor.', 'images.')}"
    if got.content_type in ("image/svg+xml", "image/svg") or got.body.lstrip()[:5].lower() in (b"<svg ", b"<?xml"):
        return f"image {image.url[:120]} not kept: it is SVG, which kbd never keeps as an image"
    known = FORMATS.get(got.content_type)
    if known is None:
        return f"image {image.url[:120]} not downloaded: {got.content_type or 'no type'} is not an image kbd keeps"
    extension, looks_right = known
    if not looks_right(got.body):
        return f"image {image.url[:120]} not downloaded: its bytes are not the {got.content_type} it claims to be"
    return Downloaded(image, got.body, extension)
