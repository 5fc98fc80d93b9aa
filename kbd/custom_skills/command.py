"""`kbd skill [VAULT] NAME [--plan]`: the planner first, then (unless --plan) the run, under the vault lock."""

from __future__ import annotations

from pathlib import Path

from kbd import interrupt
from kbd.compile.run import open_state
from kbd.config import Config
from kbd.custom_skills.run import SkillPlan, SkillRun, SkillRunner
from kbd.lock import VaultLock
from kbd.vault.layout import VaultLayout


def plan_skill(root: Path, config: Config, name: str) -> SkillPlan:
    """What running the skill would read and cost; spends nothing, writes nothing."""
    layout = VaultLayout.from_config(root, config)
    state = open_state(layout)
    try:
        return SkillRunner(layout, config, state, name).plan()
    finally:
        state.close()


def run_skill_now(root: Path, config: Config, name: str, show_plan: object = None) -> SkillRun:
    """Plan, show the plan (`show_plan(plan)`), then run; one kbd process per vault."""
    layout = VaultLayout.from_config(root, config)
    with VaultLock(layout.state_dir):
        state = open_state(layout)
        try:
            runner = SkillRunner(layout, config, state, name)
            plan = runner.plan()
            if callable(show_plan):
                show_plan(plan)
            interrupt.checkpoint()  # the run is one model call: the safe point is before it
            return runner.run(plan)
        finally:
            state.close()
