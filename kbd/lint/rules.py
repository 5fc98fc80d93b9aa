"""Self-improving rules: when the verifier or a lint check finds the same kind of problem in model
output again and again, the lint report proposes a one-line rule; ticking it appends the rule to
`kbd/constraints.md`, which every later model call carries in its system prompt (and in its cache
key, so answers made without the rule are not reused).

Occurrences are counted in state.db (`recurring_findings`), each distinct one once: the same
objection to the same note seen by ten lint runs is one occurrence, not ten. After a rule is adopted
only later occurrences count towards proposing it again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from kbd import clock
from kbd.engines.recurring import BY_NAME, counts, record_objections
from kbd.lint.findings import Finding, Fix, Severity
from kbd.lint.registry import CheckSettings, FixContext, FixFailed, LintContext, check, fixer
from kbd.state import State

CONSTRAINTS = "kbd/constraints.md"


def sync_verifier_objections(state: State) -> None:
    """Count the objections the compile's verifier and grounding check left on summaries (kept in the
    sources table), so recurring ones are seen whoever ran the compile."""
    for raw_path, result in state.db.execute("SELECT raw_path, result FROM sources").fetchall():
        try:
            objections = (json.loads(result).get("summary") or {}).get("objections") or []
        except (ValueError, AttributeError):
            continue
        record_objections(state, raw_path, [str(o) for o in objections])


# needs_model: only model output has these problems (summaries, skills and model checks all need one).
@check("recurring_problems", "rules proposed for recurring problems", options={"min_count": 3}, needs_model=True)
def recurring_problems(ctx: LintContext, settings: CheckSettings) -> Iterable[Finding]:
    """A `- [ ]` proposal per kind of problem seen at least `min_count` times in model output."""
    sync_verifier_objections(ctx.state)
    threshold = max(1, int(settings.get("min_count")))
    constraints = _read_constraints(ctx)
    for name, (n, examples) in sorted(counts(ctx.state).items()):
        kind = BY_NAME.get(name)
        if kind is None or n < threshold or kind.rule in constraints:
            continue
        shown = "; ".join(f"“{_clip(e)}”" for e in examples[:2])
        yield Finding("recurring_problems", Severity.WARNING, CONSTRAINTS,
                      f"{n} times the model wrote {kind.what} (e.g. {shown})",
                      fix=Fix.make("adopt-constraint", f"Adopt the rule: {kind.rule}", problem=kind.name,
                                   rule=kind.rule),
                      detail=(("kind", kind.name), ("count", str(n)), ("rule", kind.rule)))


@fixer("adopt-constraint")
def adopt_constraint(ctx: FixContext, fix: Fix) -> str:
    """Append the rule to kbd/constraints.md (the user's text is never changed) and count afresh."""
    from kbd.vault.errors import WriteRefused

    rule, kind = fix.arg("rule"), fix.arg("problem")
    try:
        added = ctx.writer.append_line(CONSTRAINTS, f"- {rule}")
    except WriteRefused as exc:
        raise FixFailed(str(exc)) from None
    ctx.state.db.execute("INSERT INTO adopted_rules(kind, rule, adopted) VALUES(?, ?, ?) ON CONFLICT(kind) DO UPDATE "
                         "SET rule=excluded.rule, adopted=excluded.adopted", (kind, rule, clock.stamp(clock.now())))
    already = "" if added else " (it was already there)"
    return f"Adopted the rule “{rule}” into [[kbd/constraints]]{already}; every model call from now on follows it"


def _clip(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def _read_constraints(ctx: LintContext) -> str:
    from kbd.engines.provenance import read_constraints

    return read_constraints(ctx.layout.root)
