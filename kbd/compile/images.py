"""Download the remote images of a summarised clipping into raw/assets/<clipping>/ (unless
`images: {download: false}`), and record them with its summary so that the source note embeds the
local copies with their captions. With a vision model (`vision: true` in the worker's config), the
images are downloaded before the summary instead, and each one's description joins its input.

The network waits happen outside any transaction; only the compiling process's writer stores an
image, and what could not be kept becomes one warning on the source note. Only a changed clipping
is looked at, so an unchanged one costs nothing; an image already stored (same content hash) is not
written again, and a description is cached by the image's content hash.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from kbd.compile.ingest import IngestOutcome, summarise_file
from kbd.config import Config, ImagesConfig
from kbd.engines.base import Engine
from kbd.engines.errors import BudgetExceeded, ModelError
from kbd.engines.vision import ImageInput
from kbd.fetch import FetchSettings
from kbd.images.fetch import FetchedImages, download, remote_images
from kbd.papers.read import is_pdf
from kbd.vault.fsread import Unreadable, read_snapshot
from kbd.vault.layout import VaultLayout, safe_note_name
from kbd.vault.note import file_sha256
from kbd.vault.write import VaultWriter, WriteRefused

log = logging.getLogger("kbd.images")


def fetch_images(layout: VaultLayout, rel: str, settings: ImagesConfig, max_bytes: int) -> FetchedImages | None:
    """The remote images of the clipping's current bytes, downloaded and checked; None when it
    cannot be read now (the next scan sees it)."""
    try:
        snap = read_snapshot(layout.root, rel, max_bytes)
    except (OSError, Unreadable):
        return None
    images = remote_images(snap.data.decode("utf-8", "replace"))
    fetch = FetchSettings(allow_private_networks=settings.allow_private_networks, max_bytes=settings.max_bytes,
                          timeout=settings.timeout_seconds, connect_timeout=min(10.0, settings.timeout_seconds))
    got = [download(image, fetch) for image in images]
    return FetchedImages(file_sha256(snap.data), len(images), tuple(g for g in got if not isinstance(g, str)),
                         tuple(g for g in got if isinstance(g, str)))


def summarise_with_images(layout: VaultLayout, config: Config, rel: str, engine: Engine,
                          fallback: Engine | None = None) -> IngestOutcome:
    """summarise_file, and for a vision model the descriptions of the clipping's images in its input."""
    root, limit = str(layout.root), config.compile.max_note_bytes
    describe = getattr(engine, "describe_image", None)  # a model engine has it; features name no concrete engine
    if not config.images.download or describe is None or is_pdf(rel) or not config.models["worker"].vision:
        return summarise_file(root, rel, limit, engine, fallback)
    fetched = fetch_images(layout, rel, config.images, limit)
    if fetched is None:
        return summarise_file(root, rel, limit, engine, fallback)
    described: list[tuple[str, str]] = []
    problems: list[str] = []
    for got in fetched.downloaded:
        try:
            text = describe(ImageInput(got.media_type, got.data), rel)
        except BudgetExceeded as exc:
            return IngestOutcome(rel, 0, 0, paused=str(exc))
        except ModelError as exc:  # the image is kept and embedded; only its description is missing
            problems.append(f"image {got.image.url[:120]} not described: {exc}")
            continue
        if text:
            described.append((got.image.caption, text))
    for problem in problems:
        log.info("%s: %s", rel, problem)
    outcome = summarise_file(root, rel, limit, engine, fallback, images=tuple(described))
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        problems = [f"{len(problems)} of {len(fetched.downloaded)} images not described: {problems[0]}{more}"]
    return replace(outcome, prefetched=fetched, warnings=[*outcome.warnings, *problems])


def localise_images(outcome: IngestOutcome, layout: VaultLayout, settings: ImagesConfig, writer: VaultWriter,
                    max_bytes: int) -> IngestOutcome:
    if not settings.download or outcome.summary is None or is_pdf(outcome.path):
        return outcome
    fetched = outcome.prefetched
    if fetched is None:
        fetched = fetch_images(layout, outcome.path, settings, max_bytes)
    if fetched is None or fetched.sha256 != outcome.sha256 or not fetched.total:
        return replace(outcome, prefetched=None)  # changed since it was summarised: the next scan sees it
    folder = f"{layout.raw}/assets/{safe_note_name(outcome.path.rsplit('/', 1)[-1].rsplit('.', 1)[0])}"
    kept: list[tuple[str, str]] = []
    problems = list(fetched.problems)
    for got in fetched.downloaded:
        rel = f"{folder}/{got.name}"
        try:
            writer.write_asset(rel, got.data)
        except WriteRefused as exc:
            problems.append(f"image {got.image.url[:120]} not stored: {exc}")
            continue
        kept.append((rel, got.image.caption))
    for problem in problems:
        log.info("%s: %s", outcome.path, problem)
    if problems:
        shown = problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
        problems = [f"{len(problems)} of {fetched.total} images not downloaded: {shown}"]
    return replace(outcome, images=kept, warnings=[*outcome.warnings, *problems], prefetched=None)
