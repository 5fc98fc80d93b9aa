"""The features kbd is made of, assembled: importing this module registers each feature's config
section, trigger kinds and load-time checks (kbd/configbase.py) and the wiki pages it owns
(kbd/pages.py). It sits above the features with the job table; the front doors (cli, daemon,
serve, mcp) and the job table import it, no feature does. A new feature adds its registration
module here (docs/ARCHITECTURE.md)."""

from __future__ import annotations

import kbd.ask.decksettings
import kbd.ask.settings
import kbd.custom_skills.check
import kbd.lint.settings
import kbd.monitor.settings

FEATURE_MODULES = (kbd.ask.settings, kbd.ask.decksettings, kbd.lint.settings, kbd.monitor.settings,
                   kbd.custom_skills.check)
