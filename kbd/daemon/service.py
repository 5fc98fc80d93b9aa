"""The daemon: one worker loop fed by the watcher, the scheduler and signals.

Every state.db access happens on the thread that calls `Daemon.run`; the watcher's and the
scheduler's threads only put requests on the queue. Jobs therefore never overlap, and a burst of
requests for one trigger collapses into a single run.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import signal
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from kbd import clock
from kbd.compile.model import WikiModel
from kbd.compile.run import open_state
from kbd.config import CONFIG_RELPATH, ConfigError, Trigger, load_config
from kbd.daemon.memory import limit_arenas, release_free_memory
from kbd.daemon.schedule import TriggerScheduler
from kbd.daemon.socket_server import CommandServer, FrontDoor, HandedJob
from kbd.daemon.watch import VaultWatcher
from kbd.jobs import JobContext, job_for
from kbd.lock import VaultLock
from kbd.vault.fsread import Unreadable, read_optional
from kbd.vault.layout import VaultLayout, glob_to_regex
from kbd.vault.write import VaultWriter, WriteRefused, sha256_bytes

log = logging.getLogger("kbd.daemon")
RECONCILE = "reconcile"
LINT_TICKS = "lint-ticks"
INDEX_STOP_SECONDS = 5.0  # a stopping search-index build ends between two notes; this bounds the wait


@dataclass(frozen=True)
class _Run:
    trigger: Trigger
    reason: str


@dataclass(frozen=True)
class _Paths:
    paths: frozenset[str]


class _Stop:
    pass




def _static_prefix(glob: str) -> str:
    head = re.split(r"[*?\[]", glob, maxsplit=1)[0]
    return head.rsplit("/", 1)[0] + "/" if "/" in head else ""


class Daemon:
    def __init__(self, root: Path, config_path: Path | None = None, front_door: FrontDoor | None = None) -> None:
        self.root = root
        self.front_door = front_door  # runs a command line the CLI hands over (cli.main, passed in by it)
        self.config_path = config_path
        self.config_rel = (config_path.resolve().relative_to(root).as_posix()
                           if config_path and config_path.resolve().is_relative_to(root) else CONFIG_RELPATH)
        self.requests: queue.Queue[_Run | _Paths | _Stop | HandedJob] = queue.Queue()
        self.queued: set[str] = set()
        self.queued_lock = threading.Lock()
        # Paths reported for each queued file trigger: its compile looks at just those. Touched
        # only by the worker loop.
        self.changed: dict[str, set[str]] = {}
        self.stop = threading.Event()
        self.server: CommandServer | None = None
        self.stop_signal = ""
        self.config_error: str | None = None
        self.recent: deque[dict[str, str]] = deque(maxlen=8)
        self.started = clock.stamp(clock.now())

    # -- requests, from any thread ----------------------------------------------------------
    def request(self, trigger: Trigger, reason: str) -> None:
        with self.queued_lock:
            if trigger.name in self.queued:
                return  # already waiting to run: one run will cover both
            self.queued.add(trigger.name)
        self.requests.put(_Run(trigger, reason))

    def _on_paths(self, paths: set[str]) -> None:
        self.requests.put(_Paths(frozenset(paths)))

    def _on_signal(self, signum: int, _frame: object) -> None:
        # Runs on the main thread between two bytecodes, possibly while it holds the queue's lock
        # inside get(): putting from here could deadlock, so a helper thread delivers the stop.
        self.stop.set()
        self.stop_signal = signal.Signals(signum).name
        threading.Thread(target=self.requests.put, args=(_Stop(),), daemon=True).start()
        if self.server is not None:
            threading.Thread(target=self.server.cancel_all, daemon=True).start()

    # -- main loop --------------------------------------------------------------------------
    def run(self) -> int:
        limit_arenas()
        self.config = load_config(self.root, self.config_path)
        self.layout = VaultLayout.from_config(self.root, self.config)
        with VaultLock(self.layout.state_dir):
            self.state = open_state(self.layout)
            self.writer = VaultWriter(self.layout, self.state)
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, self._on_signal)
            self.watcher = VaultWatcher(self.root, self.config.daemon.debounce_seconds, self._on_paths,
                                        force_polling=self.config.daemon.watcher == "polling")
            self.scheduler = TriggerScheduler(lambda t: self.request(t, "schedule"),
                                              timedelta(hours=self.config.daemon.missed_run_grace_hours))
            indexing: threading.Thread | None = None
            try:
                # First thing: from here on the CLI's commands queue up here instead of failing on the lock.
                server = CommandServer(self.layout.state_dir, self.requests.put) if self.front_door else None
                self.server = server if server is not None and server.start() else None
                self.watching = self.watcher.start()
                log.info("kbd %s watching %s (%s)", os.getpid(), self.root, self.watching)
                self._apply_triggers(starting=True)
                self._publish()
                from kbd.search import reserve_build

                reserve_build(self.root, self.config)  # the start-up compile leaves a missing index to it
                indexing = threading.Thread(target=self._ensure_search_index, name="kbd-search-build", daemon=True)
                indexing.start()  # in the background: compiles start at once, and a stop ends it
                self._loop()
            finally:
                self.stop.set()
                if indexing is not None:
                    indexing.join(timeout=INDEX_STOP_SECONDS)
                if self.server is not None:
                    self.server.close()
                self.scheduler.shutdown()
                self.watcher.stop()
                self.state.db.execute("DELETE FROM meta WHERE key='daemon'")
                self._render_status()
                self.state.close()
                log.info("kbd stopped")
        return 0

    def _loop(self) -> None:
        while not self.stop.is_set():
            item = self.requests.get()
            if isinstance(item, _Stop):
                break
            if isinstance(item, _Paths):
                self._handle_paths(item.paths)
                continue
            if isinstance(item, HandedJob):
                self._run_handed(item)
                continue
            with self.queued_lock:
                self.queued.discard(item.trigger.name)
            self._run_job(item.trigger, item.reason, self.changed.pop(item.trigger.name, None))
        if self.stop_signal:
            log.info("received %s; stopped after the job in hand", self.stop_signal)

    def _handle_paths(self, paths: frozenset[str]) -> None:
        if self.config_rel in paths:
            self._reload()
        for trigger in self.config.effective_triggers():
            if trigger.kind != "files":
                continue
            pattern, prefix = glob_to_regex(trigger.spec), _static_prefix(trigger.spec).lower()
            matched = []
            for rel in sorted(paths):
                if rel == self.config_rel:
                    continue
                is_dir = (self.root / rel).is_dir()
                if (pattern.match(rel) and not self._own_echo(rel)) or \
                        ((is_dir or not rel.lower().endswith(".md")) and (rel.lower() + "/").startswith(prefix)):
                    matched.append(rel)
            if matched:
                self.changed.setdefault(trigger.name, set()).update(matched)
                self.request(trigger, f"changed: {matched[0]}" + (f" and {len(matched) - 1} more"
                                                                 if len(matched) > 1 else ""))
        self._on_ticks(paths)
        # Notes no compile will look at (the user's own notes, edits to wiki notes): indexed here,
        # on the worker thread, so the index still has exactly one writer.
        pending = set().union(*self.changed.values())
        rest = [p for p in paths if p not in pending and p != self.config_rel and not self._own_echo(p)]
        if rest:
            from kbd.search import update_index

            update_index(self.root, self.config, rest)
        self._render_status_if_due()

    def _on_ticks(self, paths: frozenset[str]) -> None:
        """A lint report the user edited (a box ticked): apply what was ticked now."""
        ticked = sorted(p for p in paths if self.layout.is_lint_report(p) and not self._own_echo(p))
        if ticked and self.config.lint.apply_ticks:
            self.request(Trigger(LINT_TICKS, "files", f"{self.layout.reports}/Lint *.md", "lint_ticks"),
                         f"changed: {ticked[0]}")

    def _ensure_search_index(self) -> None:
        """On its own thread: build the search index if it is missing or broken, or bring it up to
        date (once; then compiles and the watcher keep it current). Searches meanwhile answer from
        what exists; a stop ends the build between two notes."""
        from kbd.search import BuildStopped, IndexUnavailable, ensure_index, release_build

        log.info("search index: checking")
        try:
            ensure_index(self.root, self.config, stop=self.stop.is_set)
            log.info("search index: ready")
            # Notes the build could not read are named in Status.md now: by the main loop, the
            # one thread that writes (an empty batch of changed paths ends in that check).
            self.requests.put(_Paths(frozenset()))
        except BuildStopped:
            log.info("search index: build stopped; the next start resumes it")
        except IndexUnavailable as exc:  # another process is building it: it will be there shortly
            log.info("search index: %s", exc)
        except Exception:  # derived data: a failure here must not stop the daemon
            log.exception("the search index could not be built; `kbd search` will try again")
        finally:
            release_build(self.root, self.config)

    def _own_echo(self, rel: str) -> bool:
        """A change event for a file whose bytes are what kbd last wrote there."""
        record = self.state.output(rel)
        if record is None:
            return self._own_region_echo(rel)
        try:
            data = read_optional(self.root, rel)
        except (Unreadable, OSError):
            return False  # a FIFO or symlink swapped in is never opened for reading
        if data is None:
            return False
        return sha256_bytes(data) in (record.sha256, record.pending_sha256)

    def _own_region_echo(self, rel: str) -> bool:
        """A question note holding exactly what kbd's region write left there."""
        if not rel.startswith(self.layout.questions + "/"):
            return False
        try:
            data = read_optional(self.root, rel)
        except (Unreadable, OSError):
            return False
        return data is not None and self.writer.is_own_region_echo(rel, data)

    def _run_job(self, trigger: Trigger, reason: str, changed: set[str] | None = None) -> None:
        started = self.scheduler.now()
        try:
            context = JobContext(self.layout, self.config, self.state, self.stop,
                                 frozenset(changed) if changed is not None else None)
            result = job_for(trigger.run)(context, dict(trigger.params))
            outcome = result.summary
            level = logging.ERROR if result.failed else logging.INFO
        except Exception as exc:  # one failing job must not take the daemon down
            log.exception("%s failed", trigger.name)
            outcome, level = f"failed: {type(exc).__name__}: {exc}", logging.ERROR
        log.log(level, "%s → %s (%s): %s", trigger.name, trigger.run, reason, outcome)
        if trigger.kind in ("cron", "every"):
            self.state.db.execute(
                "INSERT INTO trigger_runs(name, last_run, outcome) VALUES(?, ?, ?) ON CONFLICT(name) DO UPDATE "
                "SET last_run=excluded.last_run, outcome=excluded.outcome",
                (trigger.name, started.isoformat(), outcome))
        self.recent.appendleft({"time": clock.stamp(clock.now()), "trigger": trigger.name, "job": trigger.run,
                                "reason": reason[:120], "outcome": outcome})
        self._publish()
        release_free_memory()

    def _run_handed(self, job: HandedJob) -> None:
        """A command the CLI handed over, run here as it would have run in the CLI's process."""
        assert self.front_door is not None
        log.info("%s: running for the CLI", job.title)
        code = job.run(self.front_door)
        outcome = {0: "done", 130: "interrupted (Ctrl-C)"}.get(code, f"exit code {code}")
        log.log(logging.INFO if code in (0, 130) else logging.ERROR, "%s: %s", job.title, outcome)
        self.recent.appendleft({"time": clock.stamp(clock.now()), "trigger": "cli", "job": job.title,
                                "reason": "handed over by the CLI", "outcome": outcome})
        self._publish()
        release_free_memory()

    def _last_runs(self) -> dict[str, datetime]:
        return {r["name"]: datetime.fromisoformat(r["last_run"])
                for r in self.state.db.execute("SELECT name, last_run FROM trigger_runs")}

    def _apply_triggers(self, starting: bool = False) -> None:
        triggers = self.config.effective_triggers()
        reconcile = Trigger(RECONCILE, "every", str(self.config.daemon.reconcile_minutes * 60), "compile")
        missed = self.scheduler.apply(triggers, self._last_runs(),
                                      extra=[(RECONCILE, int(reconcile.spec),
                                              lambda: self.request(reconcile, "periodic rescan"))])
        if starting:
            self.request(reconcile, "start-up scan")
            for t in triggers:
                if t.kind == "start":
                    self.request(t, "kbd started")
                elif t.kind == "files" and t.run == "ask":  # question notes dropped while kbd was stopped
                    self.request(t, "start-up scan")
        for t in missed:
            self.request(t, "missed while kbd was not running")

    def _reload(self) -> None:
        try:
            new = load_config(self.root, self.config_path)
            if new.paths != self.config.paths:
                raise ConfigError("changing `paths:` needs a restart of kbd run; keeping the previous paths",
                                  file=self.config_rel, key="paths")
        except ConfigError as exc:
            self.config_error = str(exc)
            log.error("config not reloaded, the previous one stays in force: %s", exc)
            self._publish()
            return
        except Exception as exc:  # whatever the file holds, the daemon keeps the config it has
            log.exception("config not reloaded, the previous one stays in force")
            self.config_error = f"{self.config_rel}: cannot be loaded ({type(exc).__name__}: {exc})"
            self._publish()
            return
        self.config = new
        self.config_error = None
        self._apply_triggers()
        log.info("config reloaded: %d triggers", len(new.effective_triggers()))
        self._publish()

    # -- the status note --------------------------------------------------------------------
    def _publish(self) -> None:
        next_runs = self.scheduler.next_runs()
        last_runs = {name: _short(moment) for name, moment in self._last_runs().items()}
        for run in reversed(self.recent):  # file and start triggers are not persisted; this session's are known
            last_runs.setdefault(run["trigger"], run["time"].replace("T", " ")[:16])
        triggers = [{"name": t.name, "on": _describe(t), "run": t.run,
                     "last_run": last_runs.get(t.name, "—"), "next_run": _short(next_runs.get(t.name))}
                    for t in self.config.effective_triggers()]
        info: dict[str, Any] = {"pid": os.getpid(), "since": self.started, "watching": self.watching,
                                "config_error": self.config_error, "triggers": triggers,
                                "reconcile_minutes": self.config.daemon.reconcile_minutes,
                                "recent": list(self.recent)}
        self.state.set_meta("daemon", json.dumps(info, ensure_ascii=False))
        self._render_status()

    def _render_status_if_due(self) -> None:
        """Status.md again when something outside a compile changed it (a note the search index
        could not read, or read again): compiles render it themselves."""
        if "status" in self.state.dirty():
            self._render_status()
            with self.state.transaction():
                self.state.clear_dirty(["status"])

    def _render_status(self) -> None:
        model = WikiModel(self.state, self.layout, self.config.compile.max_concepts_per_source)
        rendered = model.render("status")
        if rendered is not None:
            try:
                self.writer.write(rendered.path, rendered.text)
            except (WriteRefused, OSError) as exc:  # e.g. wiki/reports swapped for a symlink
                log.error("status note not written: %s", exc)


def _describe(t: Trigger) -> str:
    url = dict(t.params).get("url") if t.run == "monitor" else None
    if url:  # a web monitor
        return f"{url} {_describe(Trigger(t.name, t.kind, t.spec, t.run))}"
    if t.kind == "every":
        seconds = int(t.spec)
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if seconds % size == 0:
                return f"every {seconds // size}{unit}"
        return f"every {seconds}s"
    return {"files": f"files {t.spec}", "cron": f"cron {t.spec}", "start": "at start"}[t.kind]


def _short(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "—"


def run_daemon(root: Path, config_path: Path | None = None, front_door: FrontDoor | None = None) -> int:
    return Daemon(root, config_path, front_door).run()



