"""One check of each web monitor: fetch, extract, compare with the last snapshot, report, ingest.

- The last version of each page lives in state.db (`.kbd/`, never in the vault), with the ETag and
  Last-Modified its server sent, for a conditional request next time.
- Unchanged (or 304 Not Modified): no note; only the last-checked time, shown in Status.md.
- Changed: a report note `wiki/reports/Monitor NAME YYYY-MM-DD HHMM.md` with what changed (with a
  model, an account of the change and why it matters, verified; always the removed and added
  paragraphs, quoted).
- The first check only takes the snapshot to compare against.
- A refusal (a safety rule: private address, not http(s)) or a failure (network, timeout, HTTP
  error, a content type kbd cannot read) is recorded with its reason and shown in Status.md; it is
  not retried until the monitor's next scheduled check.
- `ingest: true`: the new version is also saved under raw/ as a Web Clipper-style note, so compile
  summarises it. This is the one place kbd writes under raw/, and only because the user asked for
  it. The note is a new file kbd creates (never over an existing file: a name taken gets a
  " (2)" suffix); each later version replaces that same note, and only while it still holds the
  bytes kbd wrote (kbd.vault.write.VaultWriter.write_clipping). One note per monitor, not one per
  version: compile counts clippings of one URL as one article (kbd.compile.duplicates) and would
  file a second version as a copy of the first, never summarising it. A page that changes back
  and forth therefore never adds notes; a version the note already holds (same content hash) is
  not written again.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import asdict, dataclass
from typing import Any

from kbd import clock
from kbd.config import Config
from kbd.engines.change import ChangeEngine, ChangeInput, ChangeSummary, make_change_engine
from kbd.fetch import FetchFailed, FetchRefused, FetchSettings, Validators, fetch
from kbd.monitor.diff import diff_paragraphs
from kbd.monitor.extract import Page, Unsupported, extract
from kbd.monitor.render import ChangeReportNote, render_change_report, render_clipping
from kbd.monitor.settings import Monitor, monitors
from kbd.render.notes import counted
from kbd.state import State
from kbd.vault.layout import VaultLayout, safe_note_name
from kbd.vault.write import Outcome, VaultWriter, WriteRefused

log = logging.getLogger("kbd.monitor")
PROBLEMS = ("refused", "failed", "unsupported")
MAX_VERSIONS = 50  # content hashes remembered per monitor, to say "back to a version seen before"


@dataclass(frozen=True)
class CheckResult:
    name: str
    url: str
    outcome: str  # first | changed | unchanged | refused | failed | unsupported
    detail: str  # one line, for people
    report: str | None = None  # the report note written, vault-relative
    clipping: str | None = None  # the clipping written under raw/, vault-relative

    @property
    def problem(self) -> bool:
        return self.outcome in PROBLEMS

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def fetch_settings(config: Config) -> FetchSettings:
    m = config.monitor
    return FetchSettings(allow_private_networks=m.allow_private_networks, max_bytes=m.max_bytes,
                         connect_timeout=m.connect_timeout_seconds, timeout=m.timeout_seconds,
                         max_redirects=m.max_redirects, user_agent=m.user_agent)


class MonitorChecker:
    def __init__(self, layout: VaultLayout, config: Config, state: State, writer: VaultWriter | None = None,
                 fetcher: Any = fetch) -> None:
        self.layout = layout
        self.config = config
        self.state = state
        self.writer = writer or VaultWriter(layout, state)
        self.fetch = fetcher
        self.settings = fetch_settings(config)
        self.engine: ChangeEngine | None = None

    def close(self) -> None:
        if self.engine is not None:
            self.engine.close()

    def forget_others(self) -> None:
        """Monitors taken out of the config take their snapshots and Status.md rows with them."""
        names = [m.name for m in monitors(self.config)]
        self.state.db.execute(f"DELETE FROM monitors WHERE name NOT IN ({','.join('?' * len(names))})", names)

    def check_all(self, names: list[str] | None = None, stop: threading.Event | None = None) -> list[CheckResult]:
        self.forget_others()
        results = []
        for monitor in monitors(self.config):
            if names is not None and monitor.name not in names:
                continue
            if stop is not None and stop.is_set():
                break
            try:
                result = self.check(monitor)
            except Exception as exc:  # one page kbd did not foresee must not stop the monitors after it
                log.exception("monitor %s: the check failed", monitor.name)
                why = f"{type(exc).__name__}: {str(exc)[:300]}"
                result = self._record(monitor, clock.stamp(clock.now()), "failed",
                                      f"failed: kbd could not check this page ({why}); see .kbd/kbd.log")
            # INFO: `kbd monitor` prints the outcome and `kbd run` logs a failed job as an error already.
            log.info("monitor %s: %s", monitor.name, result.detail)
            results.append(result)
        return results

    def check(self, monitor: Monitor) -> CheckResult:
        now = clock.stamp(clock.now())
        row = self.state.db.execute("SELECT * FROM monitors WHERE name=?", (monitor.name,)).fetchone()
        if row is not None and row["url"] != monitor.url:  # another page under the same name: start afresh
            self.state.db.execute("DELETE FROM monitors WHERE name=?", (monitor.name,))
            row = None
        previous = json.loads(row["snapshot"]) if row is not None and row["snapshot"] else None
        validators = (Validators(row["final_url"], row["etag"], row["last_modified"])
                      if previous is not None and row["final_url"] else None)
        try:
            fetched = self.fetch(monitor.url, self.settings, validators)
        except FetchRefused as exc:
            return self._record(monitor, now, "refused", f"refused: {exc}")
        except FetchFailed as exc:
            return self._record(monitor, now, "failed", f"failed: {exc}")
        if fetched.not_modified:
            return self._record(monitor, now, "unchanged", "unchanged (the server says not modified)")
        try:
            page = extract(fetched.body, fetched.content_type, fetched.charset)
        except Unsupported as exc:
            return self._record(monitor, now, "unsupported", f"cannot be read: {exc}")
        fields: dict[str, Any] = {"final_url": fetched.url, "etag": fetched.etag,
                                  "last_modified": fetched.last_modified,
                                  "title": page.title or (row["title"] if row else ""),
                                  "content_type": fetched.content_type or page.kind}
        versions = json.loads(row["versions"] or "[]") if row is not None else []
        seen_before = page.content_hash in versions
        if page.content_hash not in versions:
            versions = [*versions, page.content_hash][-MAX_VERSIONS:]
        fields.update(snapshot=json.dumps([[b.kind, b.text] for b in page.blocks], ensure_ascii=False),
                      snapshot_hash=page.content_hash, versions=json.dumps(versions))
        clipping, clip_problem = (self._ingest(monitor, page, fetched.url, now, row) if monitor.ingest
                                  else (None, None))
        if previous is None:
            detail = f"first check: {len(page.blocks)} paragraphs kept to compare against"
            return self._record(monitor, now, "first", detail + _saved(clipping, clip_problem), fields,
                                changed=now, clipping=clipping)
        diff = diff_paragraphs([text for _, text in previous], page.paragraphs)
        if not diff.changed:
            return self._record(monitor, now, "unchanged", "unchanged", fields, clipping=clipping)
        title = page.title or (row["title"] if row else "") or monitor.name
        summary, summary_problem = self._summarise(ChangeInput(monitor.name, title, monitor.url,
                                                               diff.removed, diff.added))
        report = self._report_path(monitor.name, now)
        note = ChangeReportNote(title=report.rsplit("/", 1)[1].removesuffix(".md"), monitor=monitor.name,
                                page_title=title, url=monitor.url, checked=now,
                                previous=row["checked"] if row else None, diff=diff, summary=summary,
                                engine=summary.engine if summary else "offline", clipping=clipping,
                                clipping_problem=clip_problem, notice=summary_problem, seen_before=seen_before)
        try:
            self.writer.write(report, render_change_report(note))
        except (WriteRefused, OSError) as exc:
            # The snapshot stays as it was: the next check reports this change again.
            return self._record(monitor, now, "failed", f"changed, but the report could not be written: {exc}")
        detail = (f"changed: {counted(len(diff.added), 'paragraph')} added, {len(diff.removed)} removed; see {report}"
                  + _saved(clipping, clip_problem))
        return self._record(monitor, now, "changed", detail, fields, changed=now, report=report, clipping=clipping)

    def _summarise(self, change: ChangeInput) -> tuple[ChangeSummary | None, str | None]:
        """The model's account of the change, or None and why there is none (the report still
        lists the paragraphs: a model that fails or a spent budget never loses the change)."""
        from kbd.config import ConfigError
        from kbd.engines.errors import ModelError
        from kbd.engines.skills import SkillError

        try:
            if self.engine is None:
                self.engine = make_change_engine(self.config, self.layout.root, self.state.path,
                                                 run=f"monitor {clock.stamp(clock.now())}")
            return self.engine.summarize_change(change), None
        except (ConfigError, ModelError, SkillError) as exc:
            log.warning("monitor %s: no model account of the change: %s", change.monitor, exc)
            return None, f"no model account of the change ({exc}); the changes are listed below"

    def _ingest(self, monitor: Monitor, page: Page, url: str, now: str, row: Any) -> tuple[str | None, str | None]:
        """Save this version under raw/ (see the module doc). Returns the clipping's path, or why not."""
        text = render_clipping(page, url, now, monitor.name)
        if row is not None and row["raw_path"]:
            rel = row["raw_path"]
            if row["raw_content_hash"] == page.content_hash:
                return None, None  # it already holds this version
            try:
                outcome, sha = self.writer.write_clipping(rel, text, row["raw_sha256"])
            except (WriteRefused, OSError) as exc:
                return None, f"{exc}"
            if outcome is Outcome.KEPT_USER_EDIT:
                return None, (f"you edited {rel}, so kbd leaves it alone; delete or rename it and kbd saves the "
                              "next version there again")
            self._keep_clipping(monitor.name, rel, sha, page.content_hash)
            return rel, None
        base = safe_note_name(page.title or monitor.name)
        folder = self.layout.abs(self.layout.raw)
        try:
            taken = {n.casefold() for n in os.listdir(folder)}
        except FileNotFoundError:
            taken = set()
        for n in range(1, 1000):
            name = f"{base}.md" if n == 1 else f"{base} ({n}).md"
            if name.casefold() in taken:
                continue
            rel = f"{self.layout.raw}/{name}"
            try:
                outcome, sha = self.writer.write_clipping(rel, text, None)
            except (WriteRefused, OSError) as exc:
                return None, f"{exc}"
            if outcome is Outcome.WRITTEN:
                self._keep_clipping(monitor.name, rel, sha, page.content_hash)
                return rel, None
        return None, f"no free name for {base}.md in {self.layout.raw}/"

    def _keep_clipping(self, name: str, rel: str, sha: str, content_hash: str) -> None:
        self.state.db.execute(
            "INSERT INTO monitors(name, url, raw_path, raw_sha256, raw_content_hash) VALUES(?, '', ?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET raw_path=excluded.raw_path, raw_sha256=excluded.raw_sha256, "
            "raw_content_hash=excluded.raw_content_hash", (name, rel, sha, content_hash))

    def _report_path(self, name: str, now: str) -> str:
        stamp = f"{now[:10]} {now[11:13]}{now[14:16]}"
        base = f"{self.layout.reports}/Monitor {safe_note_name(name)} {stamp}"
        for n in range(1, 1000):
            rel = f"{base}.md" if n == 1 else f"{base} ({n}).md"
            if not os.path.lexists(self.layout.abs(rel)) and self.state.output(rel) is None:
                return rel
        raise WriteRefused(f"{base}.md: no free name")

    def _record(self, monitor: Monitor, now: str, outcome: str, detail: str, fields: dict[str, Any] | None = None,
                changed: str | None = None, report: str | None = None, clipping: str | None = None) -> CheckResult:
        values = {"url": monitor.url, "checked": now, "outcome": detail, **(fields or {})}
        if changed:
            values["changed"] = changed
        columns = ", ".join(values)
        updates = ", ".join(f"{c}=excluded.{c}" for c in values)
        self.state.db.execute(
            f"INSERT INTO monitors(name, {columns}) VALUES(?, {', '.join('?' * len(values))}) "
            f"ON CONFLICT(name) DO UPDATE SET {updates}", (monitor.name, *values.values()))
        return CheckResult(monitor.name, monitor.url, outcome, detail, report, clipping)


def _saved(clipping: str | None, problem: str | None) -> str:
    if clipping:
        return f"; saved the new version as {clipping}"
    return f"; the new version was not saved: {problem}" if problem else ""
