"""Download the remote images of a summarised clipping into raw/assets/<clipping>/ (with
`images: {download: true}`), and record them with its summary so that the source note embeds the
local copies with their captions.

Runs in the compiling process after the summary is made and before it is committed: the network
waits happen outside any transaction, the writer stores each image, and what could not be kept
becomes one warning on the source note. Only a changed clipping is looked at, so an unchanged one
costs nothing; an image already stored (same content hash) is not written again.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from kbd.compile.ingest import IngestOutcome
from kbd.config import ImagesConfig
from kbd.images.fetch import download, remote_images
from kbd.monitor.fetch import FetchSettings
from kbd.papers.read import is_pdf
from kbd.vault.fsread import Unreadable, read_snapshot
from kbd.vault.layout import VaultLayout, safe_note_name
from kbd.vault.note import file_sha256
from kbd.vault.write import VaultWriter, WriteRefused

log = logging.getLogger("kbd.images")


def localise_images(outcome: IngestOutcome, layout: VaultLayout, settings: ImagesConfig, writer: VaultWriter,
                    max_bytes: int) -> IngestOutcome:
    if not settings.download or outcome.summary is None or is_pdf(outcome.path):
        return outcome
    try:
        snap = read_snapshot(layout.root, outcome.path, max_bytes)
    except (OSError, Unreadable):
        return outcome  # gone or changed since: the next scan sees it
    if file_sha256(snap.data) != outcome.sha256:
        return outcome
    images = remote_images(snap.data.decode("utf-8", "replace"))
    if not images:
        return outcome
    fetch = FetchSettings(allow_private_networks=settings.allow_private_networks, max_bytes=settings.max_bytes,
                          timeout=settings.timeout_seconds, connect_timeout=min(10.0, settings.timeout_seconds))
    folder = f"{layout.raw}/assets/{safe_note_name(outcome.path.rsplit('/', 1)[-1].rsplit('.', 1)[0])}"
    kept: list[tuple[str, str]] = []
    problems: list[str] = []
    for image in images:
        got = download(image, fetch)
        if isinstance(got, str):
            problems.append(got)
            continue
        rel = f"{folder}/{got.name}"
        try:
            writer.write_asset(rel, got.data)
        except WriteRefused as exc:
            problems.append(f"image {image.url[:120]} not stored: {exc}")
            continue
        kept.append((rel, image.caption))
    for problem in problems:
        log.info("%s: %s", outcome.path, problem)
    if problems:
        shown = problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
        problems = [f"{len(problems)} of {len(images)} images not downloaded: {shown}"]
    return replace(outcome, images=kept, warnings=[*outcome.warnings, *problems])
