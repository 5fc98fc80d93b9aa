"""Time triggers (cron, every) on APScheduler 3, with last runs kept in state.db.

- coalesce + misfire grace: a run missed while the machine slept happens once on wake;
- on start, a run missed while kbd was not running (last run + schedule < now, within the grace)
  happens once; an interval restarts from its last run, so a restart neither repeats nor skips it;
- one job of a trigger at a time (the daemon's single worker also serialises them).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from tzlocal import get_localzone

from kbd.config import Trigger

log = logging.getLogger("kbd.schedule")


def aps_trigger(trigger: Trigger, last_run: datetime | None, tz: object) -> BaseTrigger:
    if trigger.kind == "cron":
        return CronTrigger.from_crontab(trigger.spec, timezone=tz)
    seconds = int(trigger.spec)
    start = last_run + timedelta(seconds=seconds) if last_run else None
    return IntervalTrigger(seconds=seconds, start_date=start, timezone=tz)


def missed_run(trigger: Trigger, last_run: datetime | None, now: datetime, grace: timedelta) -> datetime | None:
    """The scheduled time a trigger should have fired at while kbd was not running, if any."""
    if last_run is None or trigger.kind not in ("cron", "every"):
        return None
    if trigger.kind == "cron":
        due = CronTrigger.from_crontab(trigger.spec, timezone=now.tzinfo).get_next_fire_time(
            None, last_run + timedelta(seconds=1))
    else:
        due = last_run + timedelta(seconds=int(trigger.spec))
    if due is not None and due <= now and now - due <= grace:
        return due
    return None


class TriggerScheduler:
    def __init__(self, fire: Callable[[Trigger], None], grace: timedelta) -> None:
        self.tz = get_localzone()
        self.fire = fire
        self.grace = grace
        self.scheduler = BackgroundScheduler(timezone=self.tz)
        self.scheduler.start(paused=False)

    def now(self) -> datetime:
        return datetime.now(self.tz)

    def apply(self, triggers: tuple[Trigger, ...], last_runs: dict[str, datetime],
              extra: list[tuple[str, int, Callable[[], None]]] = ()) -> list[Trigger]:
        """Replace all scheduled jobs; returns the triggers whose run was missed while kbd was down."""
        self.scheduler.remove_all_jobs()
        missed = []
        now = self.now()
        for t in triggers:
            if t.kind not in ("cron", "every"):
                continue
            last = last_runs.get(t.name)
            self.scheduler.add_job(self.fire, aps_trigger(t, last, self.tz), args=[t], id=f"trigger:{t.name}",
                                   coalesce=True, max_instances=1,
                                   misfire_grace_time=max(1, int(self.grace.total_seconds())))
            if missed_run(t, last, now, self.grace):
                missed.append(t)
        for job_id, seconds, func in extra:
            self.scheduler.add_job(func, IntervalTrigger(seconds=seconds, timezone=self.tz), id=job_id,
                                   coalesce=True, max_instances=1)
        return missed

    def next_runs(self) -> dict[str, datetime]:
        return {job.id.split(":", 1)[1]: job.next_run_time for job in self.scheduler.get_jobs()
                if job.id.startswith("trigger:") and job.next_run_time}

    def shutdown(self) -> None:
        self.scheduler.shutdown(wait=False)
