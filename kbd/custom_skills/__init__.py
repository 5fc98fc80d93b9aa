"""Custom skills: prompt files the user writes in `kbd/skills/NAME.md`, run by `kbd skill` or a trigger
(`run: skill:NAME`) through the same planner, budget, verify gate and sanitiser as built-in jobs."""
