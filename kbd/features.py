"""The features kbd is made of, assembled: importing this module registers each feature's config
section, trigger kinds, load-time checks and jobs (kbd/configbase.py). It sits above the features
with the job table; the front doors (cli, daemon, serve, mcp) and the job table import it, no
feature does. A new feature adds its registration modules here (docs/ARCHITECTURE.md)."""

from __future__ import annotations

# The order matters: config errors list the jobs in the order they were registered.
# isort: off
import kbd.compile.jobs
import kbd.lint.jobs
import kbd.monitor.jobs
import kbd.ask.jobs
import kbd.ask.settings
import kbd.ask.decksettings
import kbd.lint.settings
import kbd.monitor.settings
import kbd.custom_skills.check
# isort: on

FEATURE_MODULES = (kbd.compile.jobs, kbd.lint.jobs, kbd.monitor.jobs, kbd.ask.jobs, kbd.ask.settings,
                   kbd.ask.decksettings, kbd.lint.settings, kbd.monitor.settings, kbd.custom_skills.check)
