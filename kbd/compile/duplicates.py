"""What makes two clippings one article: the same URL, or the same text once normalised.

A copy joins the source note of the clipping that was compiled first; it is linked from that note
and never counted as a second source (not in the index, not towards a concept's sources).
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

MIN_WORDS = 30  # shorter texts are too generic to call two clippings one article
_TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "ref=", "ref_src=")
_WORD = re.compile(r"\w+")


def url_key(url: str | None) -> str | None:
    """The URL as an identity: scheme, `www.`, fragment, trailing slash and tracking parameters dropped."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().removeprefix("www.")
    port = f":{parts.port}" if parts.port not in (None, 80, 443) else ""
    query = "&".join(sorted(q for q in parts.query.split("&") if q and not q.lower().startswith(_TRACKING)))
    return f"{host}{port}{parts.path.rstrip('/')}" + (f"?{query}" if query else "")


def text_key(text: str) -> str | None:
    """A hash of the words of `text`, case and punctuation ignored; None for texts too short to tell."""
    words = _WORD.findall(text.casefold())
    if len(words) < MIN_WORDS:
        return None
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()[:32]
