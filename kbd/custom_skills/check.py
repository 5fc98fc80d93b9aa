"""Config validation for `run: skill:NAME` triggers: the skill file must exist and parse, so a broken
skill is reported when the config is loaded (with the file, the line and the fix), not at 3 a.m."""

from __future__ import annotations

from pathlib import Path

from kbd.config import SKILL_JOB, Config
from kbd.configbase import ConfigError, register_config_check


def check_skill_triggers(vault: Path, config: Config) -> None:
    for trigger in config.triggers or ():
        if trigger.run.startswith(SKILL_JOB):
            # Loaded when a config names a skill: every command reads the config, few configs name one.
            from kbd.custom_skills.spec import load_custom_skill
            from kbd.engines.skills import SkillError

            try:
                load_custom_skill(vault, trigger.run[len(SKILL_JOB):])
            except SkillError as exc:
                raise ConfigError(f"this trigger runs a skill that cannot be used: {exc}", file=config.source,
                                  line=trigger.line, key=f"triggers.{trigger.name}.run") from None


register_config_check(check_skill_triggers)
