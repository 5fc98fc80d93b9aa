"""An image as a model request carries it, for a vision model (`vision: true` in a model's config).

The providers' documented shapes: OpenAI chat completions take a user content part
`{"type": "image_url", "image_url": {"url": "data:<type>;base64,…"}}`; Anthropic messages take
`{"type": "image", "source": {"type": "base64", "media_type": …, "data": …}}`. Both accept PNG,
JPEG, GIF and WebP; OpenAI up to 20 MB per image (vision guide), Anthropic up to 5 MB of base64
per image ("image exceeds 5 MB maximum"). An image over its provider's limit is not sent: a request
the service refuses would fail the source's summary, and the caption still reaches the summary.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

MEDIA_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
MAX_BASE64_CHARS = {"openai": 20 * 1024 * 1024 * 4 // 3, "anthropic": 5 * 1024 * 1024}
# What one image costs in input tokens at most, for the budget: OpenAI's high-detail tiles for a
# 2048 × 768 image come to 1,105; Anthropic's (width × height / 750) caps near 1,600.
IMAGE_TOKENS = 1_600


@dataclass(frozen=True)
class ImageInput:
    media_type: str  # one of MEDIA_TYPES (kbd/images/fetch.py checked the bytes agree)
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def encoded(self) -> str:
        return base64.b64encode(self.data).decode("ascii")

    def fits(self, provider: str) -> bool:
        return self.media_type in MEDIA_TYPES and 4 * ((len(self.data) + 2) // 3) <= MAX_BASE64_CHARS[provider]

    def part(self, provider: str) -> dict[str, Any]:
        """The content part that carries this image in a user message of `provider`'s API."""
        if provider == "anthropic":
            return {"type": "image", "source": {"type": "base64", "media_type": self.media_type,
                                                "data": self.encoded()}}
        return {"type": "image_url", "image_url": {"url": f"data:{self.media_type};base64,{self.encoded()}"}}


def image_chars(body: dict[str, Any]) -> tuple[int, int]:
    """(characters of base64 image data, number of images) in a request body: the budget counts an
    image as IMAGE_TOKENS, not as the length of its encoding."""
    chars = count = 0
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        for part in content if isinstance(content, list) else []:
            if part.get("type") == "image_url":
                chars, count = chars + len(part["image_url"]["url"]), count + 1
            elif part.get("type") == "image":
                chars, count = chars + len(part["source"]["data"]), count + 1
    return chars, count
