"""Model lint checks and self-improving rules (issue 12, acceptance 3 and 5), against the fake model:
contradictions only with both quotes found in their notes, unsupported claims, gaps; bounded calls,
the budget, the verify gate and the cache; recurring problems proposed as rules, adopted into
kbd/constraints.md by appending, and carried by every later call."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest

from kbd.config import load_config
from kbd.engines.recurring import counts, record_objections
from kbd.lint.findings import Finding, Fix
from kbd.lint.registry import FIXERS, FixContext, FixFailed, LintContext, load
from kbd.lint.scan import scan_vault
from kbd.state import State
from kbd.vault.errors import WriteRefused
from kbd.vault.layout import VaultLayout
from kbd.vault.write import VaultWriter
from tests.conftest import Vault, unresolved_links
from tests.fake_llm import Action, FakeLLM, Received, first_user_text, structured_reply
from tests.model_fixtures import Reply, honest_model
from tests.skill_model import asks, blocks, configure, skill_model

pytestmark = pytest.mark.usefixtures("key")

RULE = "Never write a number, date, percentage or statistic that does not appear word for word in the source."


def lint_model(received: Received) -> Action:
    """Summaries as a model would write them, and honest lint answers: the first sentence of the first
    two notes as a contradiction, the first claim as unsupported, one new article and one question."""
    text = first_user_text(received)
    if "You summarise one clipped web article" in text:
        return honest_model(received)
    if "You check a summary" in text:
        return structured_reply(received, {"ok": True, "objections": []})
    if asks(received, "Find statements in two"):
        (a, ta), (b, tb) = blocks(received)[:2]
        return structured_reply(received, {"contradictions": [
            {"note_a": a, "quote_a": first_sentence(ta), "note_b": b, "quote_b": first_sentence(tb),
             "why": "They give different depths."}]})
    if asks(received, "numbered claims a summary makes"):
        return structured_reply(received, {"unsupported": [{"claim": 1, "why": "The source never says so."},
                                                           {"claim": 99, "why": "No such claim."}]})
    if asks(received, "Find its gaps"):
        return structured_reply(received, {
            "articles": [{"title": "Bloom filter", "why": "LSM trees lean on them.", "related": ["LSM tree"]},
                         {"title": "B-trees", "why": "Already there.", "related": []}],
            "questions": [{"question": "When does a B-tree beat an LSM tree?", "related": ["B-tree", "LSM tree"]}]})
    if asks(received, "numbered findings it reported"):
        return structured_reply(received, {"rejected": []})
    return skill_model(received)


def first_sentence(text: str) -> str:
    body = text.split("\n\n", 1)[1]
    body = re.sub(r"^#.*\n+", "", body)
    return re.split(r"(?<=[.!?])\s", body.strip(), maxsplit=1)[0]


@pytest.fixture
def model_reply() -> Reply:
    return lint_model


def run_checks(vault: Vault, *names: str) -> list[Finding]:
    """The named checks, as the lint runner calls them (kbd/lint/registry.py)."""
    checks = load()
    config = load_config(vault.root)
    layout = VaultLayout.from_config(vault.root, config)
    state = State(layout.state_dir / "state.db")
    try:
        ctx = LintContext(layout, config, state, scan_vault(layout, state), threading.Event())
        found = []
        for name in names:
            spec = checks[name]
            found += list(spec.run(ctx, config.lint.for_check(spec)))
        return found
    finally:
        state.close()


@pytest.fixture
def compiled(sample_vault: Vault, server: FakeLLM) -> Vault:
    configure(sample_vault, server)
    sample_vault.compile()  # with the model: its summaries are what unsupported_claims checks
    server.received.clear()
    return sample_vault


def test_contradiction_with_both_quotes_in_their_notes_is_reported(compiled: Vault, server: FakeLLM) -> None:
    found = run_checks(compiled, "contradictions")
    assert found and all(f.check == "contradictions" for f in found)
    state = State(compiled.root / ".kbd/state.db")
    raw_of = {f"wiki/sources/{name}.md": raw
              for name, raw in state.db.execute("SELECT note_name, raw_path FROM sources")}
    state.close()
    for finding in found:
        detail = dict(finding.detail)
        assert detail["note_a"] != detail["note_b"]
        for note, quote in ((detail["note_a"], detail["quote_a"]), (detail["note_b"], detail["quote_b"])):
            assert quote in " ".join((compiled.root / raw_of[note]).read_text().split())
            assert quote in finding.message
    assert unresolved_links(compiled.root, {"report.md": "\n".join(f.message for f in found)}) == []


def test_contradiction_with_a_quote_not_in_the_note_is_not_reported(compiled: Vault, server: FakeLLM) -> None:
    def inventive(received: Received) -> Action:
        if asks(received, "Find statements in two"):
            (a, ta), (b, _) = blocks(received)[:2]
            return structured_reply(received, {"contradictions": [
                {"note_a": a, "quote_a": first_sentence(ta), "note_b": b,
                 "quote_b": "B-trees are always slower than a linked list.", "why": "Made up."},
                {"note_a": a, "quote_a": first_sentence(ta), "note_b": a, "quote_b": first_sentence(ta),
                 "why": "One note cannot contradict itself."}]})
        return lint_model(received)

    server.default = inventive
    assert run_checks(compiled, "contradictions") == []
    assert server.received, "the model was asked; its answer did not hold"


def test_quotes_are_matched_with_whitespace_normalised() -> None:
    from kbd.lint.model_checks import quote_found

    note = "A B-tree keeps its height low\n  because each node holds hundreds of keys."
    assert quote_found("A B-tree keeps its height low because each node holds hundreds of keys.", note)
    assert quote_found("“A B-tree keeps its height   low”", note)
    assert not quote_found("A B-tree keeps its height very low", note)
    assert not quote_found("height", note), "a few words prove nothing"


def test_each_call_carries_one_concepts_sources_never_the_vault(compiled: Vault, server: FakeLLM) -> None:
    run_checks(compiled, "contradictions")
    state = State(compiled.root / ".kbd/state.db")
    # One call per concept page with two sources or more (a name shared only in passing has no page).
    shared = state.db.execute("SELECT COUNT(*) FROM (SELECT sc.key FROM source_concepts sc JOIN concepts c "
                              "ON c.key=sc.key GROUP BY sc.key HAVING COUNT(*) >= 2)").fetchone()[0]
    state.close()
    assert len(server.received) == shared
    for received in server.received:
        labels = [label for label, _ in blocks(received)]
        assert 2 <= len(labels) - 1 <= 6 and len(first_user_text(received)) < 6 * 3000 + 3000


def test_unsupported_claims_are_reported_by_the_number_kbd_gave_them(compiled: Vault, server: FakeLLM) -> None:
    found = run_checks(compiled, "unsupported_claims")
    assert len(found) == 3, "one per model-made summary; the claim numbered 99 does not exist"
    assert all("which its source does not support: The source never says so." in f.message for f in found)
    state = State(compiled.root / ".kbd/state.db")
    first_claims = {json.loads(r[0])["summary"]["summary"][0] for r in state.db.execute("SELECT result FROM sources")}
    state.close()
    assert {dict(f.detail)["claim"] for f in found} == first_claims, "claim 1 is the summary's first sentence"
    state = State(compiled.root / ".kbd/state.db")
    assert counts(state)["unsupported-claim"][0] == 3, "each is counted towards a rule"
    state.close()


def test_gaps_suggest_new_articles_and_questions_not_existing_ones(compiled: Vault, server: FakeLLM) -> None:
    messages = [f.message for f in run_checks(compiled, "gaps")]
    assert any(m.startswith("Suggested article: **Bloom filter**") and "[[wiki/concepts/LSM tree|" in m
               for m in messages), messages
    assert not any("**B-trees**" in m for m in messages), "B-trees is the existing B-tree article"
    assert any(m.startswith("Question to explore: When does a B-tree beat an LSM tree?") for m in messages)


def test_unchanged_vault_relint_makes_no_model_calls(compiled: Vault, server: FakeLLM) -> None:
    checks = ("contradictions", "unsupported_claims", "gaps")
    first = run_checks(compiled, *checks)
    asked = len(server.received)
    assert asked > 0
    again = run_checks(compiled, *checks)
    assert len(server.received) == asked, "every answer came from the cache"
    assert [f.message for f in again] == [f.message for f in first]


def test_the_verifier_can_reject_a_finding(sample_vault: Vault, server: FakeLLM) -> None:
    configure(sample_vault, server, verifier=True)
    sample_vault.compile()

    def sceptic(received: Received) -> Action:
        if asks(received, "numbered findings it reported"):
            return structured_reply(received, {"rejected": [{"number": 1, "why": "Both can be true."}]})
        return lint_model(received)

    server.default = sceptic
    assert run_checks(sample_vault, "contradictions") == []
    assert any(asks(r, "numbered findings it reported") for r in server.received)


def test_a_budget_cap_stops_the_model_checks_and_says_so(compiled: Vault, server: FakeLLM) -> None:
    configure(compiled, server, "budget: {per_run_usd: 0.00001}\n")
    found = run_checks(compiled, "contradictions")
    assert server.received == []
    assert len(found) == 1 and "were not made (budget:" in found[0].message and found[0].path == ""


def test_model_checks_need_a_model_and_can_be_switched_off(vault: Vault) -> None:
    checks = load()
    assert all(checks[n].needs_model for n in ("contradictions", "unsupported_claims", "gaps"))
    (vault.root / "kbd/config.yaml").write_text("lint:\n  contradictions: false\n  gaps: {max_concepts: 5}\n")
    lint = load_config(vault.root).lint
    assert not lint.for_check(checks["contradictions"]).enabled
    assert lint.for_check(checks["gaps"]).get("max_concepts") == 5


# -- self-improving rules -----------------------------------------------------------------------

def test_the_same_objection_seen_again_is_counted_once(vault: Vault) -> None:
    state = State(vault.root / ".kbd/state.db")
    for _ in range(3):
        record_objections(state, "raw/a.md", ["the number 42 does not appear in the clipping"])
    record_objections(state, "raw/a.md", ["Nice tone."])  # no kind: not counted
    assert counts(state) == {"invented-number": (1, ["the number 42 does not appear in the clipping"])}
    state.close()


def proposals(vault: Vault) -> list[Finding]:
    return run_checks(vault, "recurring_problems")


def test_a_recurring_kind_of_problem_is_proposed_as_a_rule(vault: Vault) -> None:
    state = State(vault.root / ".kbd/state.db")
    for note in ("raw/a.md", "raw/b.md"):
        record_objections(state, note, ["The summary gives 40% but the article has no such figure."])
    state.close()
    assert proposals(vault) == [], "twice is not yet a pattern (min_count 3)"
    state = State(vault.root / ".kbd/state.db")
    record_objections(state, "raw/c.md", ["the number 7 does not appear in the clipping"])
    state.close()
    [finding] = proposals(vault)
    assert finding.fix is not None and finding.fix.kind == "adopt-constraint"
    assert finding.fix.label == f"Adopt the rule: {RULE}" and finding.fix.arg("rule") == RULE
    assert finding.message.startswith("3 times the model wrote numbers or statistics that are not in the source")


def test_verifier_objections_left_on_summaries_count_towards_rules(sample_vault: Vault, server: FakeLLM) -> None:
    configure(sample_vault, server, verifier=True)

    def strict(received: Received) -> Action:
        if asks(received, "You check a summary"):
            return structured_reply(received, {"ok": False, "objections": ["It invents a statistic: 90 percent."]})
        return lint_model(received)

    server.default = strict
    sample_vault.compile()
    [finding] = proposals(sample_vault)
    assert finding.fix is not None and finding.fix.arg("problem") == "invented-number"


def tick(vault: Vault, fix: Fix) -> str:
    config = load_config(vault.root)
    layout = VaultLayout.from_config(vault.root, config)
    state = State(layout.state_dir / "state.db")
    try:
        return FIXERS[fix.kind](FixContext(layout, config, state, VaultWriter(layout, state), "2026-09-21"), fix)
    finally:
        state.close()


def test_ticking_a_rule_appends_it_to_constraints_and_the_next_call_uses_it(compiled: Vault,
                                                                            server: FakeLLM) -> None:
    from tests.test_custom_skills import install

    install(compiled, "weekly_digest")
    compiled.kbd("skill", ".", "weekly_digest")
    compiled.kbd("skill", ".", "weekly_digest")
    assert len(server.received) == 1, "cached while nothing changes"
    constraints = compiled.root / "kbd/constraints.md"
    before = constraints.read_bytes()
    state = State(compiled.root / ".kbd/state.db")
    for note in ("raw/a.md", "raw/b.md", "raw/c.md"):
        record_objections(state, note, ["the number 42 does not appear in the clipping"])
    state.close()
    [finding] = proposals(compiled)
    assert finding.fix is not None
    record = tick(compiled, finding.fix)
    assert record.startswith(f"Adopted the rule “{RULE}” into [[kbd/constraints]]")
    assert constraints.read_text().endswith(f"\n- {RULE}\n") and constraints.read_bytes().startswith(before)
    assert proposals(compiled) == [], "an adopted rule is not proposed again"
    compiled.kbd("skill", ".", "weekly_digest")
    assert len(server.received) == 2, "the rule changed the cache key: the call is made again"
    system = server.received[-1].body["messages"][0]["content"]
    assert "Rules that always apply:" in system and RULE in system


def test_appending_a_rule_keeps_every_byte_of_the_users_text(vault: Vault) -> None:
    constraints = vault.root / "kbd/constraints.md"
    mine = "# My rules\r\n\r\n- Write in British English — always.\r\n%% a comment %%\r\n- No emoji"
    constraints.write_bytes(mine.encode())
    state = State(vault.root / ".kbd/state.db")
    writer = VaultWriter(VaultLayout.from_config(vault.root, load_config(vault.root)), state)
    assert writer.append_line("kbd/constraints.md", f"- {RULE}")
    assert constraints.read_bytes() == mine.encode() + f"\n- {RULE}\n".encode()
    assert not writer.append_line("kbd/constraints.md", f"- {RULE}"), "already there: nothing written"
    assert constraints.read_bytes() == mine.encode() + f"\n- {RULE}\n".encode()
    with pytest.raises(WriteRefused, match=r"kbd appends only to kbd/constraints\.md"):
        writer.append_line("kbd/config.yaml", "x: 1")
    assert state.output("kbd/constraints.md") is None, "the file stays the user's"
    state.close()


def test_a_rule_appended_while_the_user_saves_goes_after_their_new_text(vault: Vault,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import kbd.vault.write as write

    constraints = vault.root / "kbd/constraints.md"
    constraints.write_text("- First rule.\n")
    real = write.install
    calls = []

    def user_saves_first(fd: int, name: str, data: bytes, expected: object) -> object:
        if not calls:
            constraints.write_text("- First rule.\n- A rule the user just typed.\n")
        calls.append(name)
        return real(fd, name, data, expected)  # type: ignore[arg-type]

    monkeypatch.setattr(write, "install", user_saves_first)
    state = State(vault.root / ".kbd/state.db")
    writer = VaultWriter(VaultLayout.from_config(vault.root, load_config(vault.root)), state)
    assert writer.append_line("kbd/constraints.md", "- New rule.")
    state.close()
    assert constraints.read_text() == "- First rule.\n- A rule the user just typed.\n- New rule.\n"
    assert len(calls) == 2


def test_a_symlinked_constraints_file_is_refused(vault: Vault, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.md"
    outside.write_text("- theirs\n")
    constraints = vault.root / "kbd/constraints.md"
    constraints.unlink()
    constraints.symlink_to(outside)
    fix = Fix.make("adopt-constraint", f"Adopt the rule: {RULE}", problem="invented-number", rule=RULE)
    with pytest.raises(FixFailed, match="symlink"):
        tick(vault, fix)
    assert outside.read_text() == "- theirs\n"


# -- through `kbd lint`: the report, its checkboxes, the next run ---------------------------------

def lint_report(vault: Vault) -> Path:
    [report] = sorted((vault.root / "wiki/reports").glob("Lint *.md"))
    return report


def test_without_a_model_the_model_sections_say_they_need_one(sample_vault: Vault) -> None:
    sample_vault.compile()
    sample_vault.kbd("lint", ".")
    text = lint_report(sample_vault).read_text()
    for title in ("contradictions between sources", "claims not supported by their source",
                  "gaps: suggested articles and questions"):
        assert re.search(re.escape(title) + r".*needs a model", text, re.I), (title, text)


def test_ticking_the_proposed_rule_in_the_report_adopts_it(compiled: Vault, server: FakeLLM) -> None:
    from tests.test_custom_skills import install

    state = State(compiled.root / ".kbd/state.db")
    for note in ("raw/a.md", "raw/b.md", "raw/c.md"):
        record_objections(state, note, ["the number 42 does not appear in the clipping"])
    state.close()
    (compiled.root / "kbd/config.yaml").write_text((compiled.root / "kbd/config.yaml").read_text()
                                                   + "lint: {contradictions: false, unsupported_claims: false, "
                                                     "gaps: false}\n")
    compiled.kbd("lint", ".")
    report = lint_report(compiled)
    text = report.read_text()
    line = next(x for x in text.splitlines() if f"Adopt the rule: {RULE}" in x)
    assert line.startswith("- [ ] ")
    report.write_text(text.replace(line, line.replace("- [ ] ", "- [x] ", 1)))
    compiled.kbd("lint", ".")
    assert (compiled.root / "kbd/constraints.md").read_text().endswith(f"- {RULE}\n")
    done = next(x for x in report.read_text().splitlines() if "^kbd-fix-" in x and "[x]" in x)
    assert "Adopted the rule" in done
    install(compiled, "weekly_digest")
    compiled.kbd("skill", ".", "weekly_digest")
    assert RULE in server.received[-1].body["messages"][0]["content"]


def test_model_checks_keep_to_the_models_concurrency_cap(compiled: Vault, server: FakeLLM) -> None:
    (compiled.root / "kbd/config.yaml").write_text(
        (compiled.root / "kbd/config.yaml").read_text().replace("max_concurrency: 2", "max_concurrency: 1"))

    def slow(received: Received) -> Action:
        action = lint_model(received)
        action.delay = 0.05
        return action

    server.default = slow
    server.max_in_flight = 0
    run_checks(compiled, "contradictions")
    assert len(server.received) >= 3 and server.max_in_flight == 1


@pytest.mark.parametrize(("objection", "kind"), [
    ("the number 4 does not appear in the clipping", "invented-number"),
    ("It invents a statistic: 90 percent.", "invented-number"),
    ("the quotation “a slow disk” does not appear in the clipping", "invented-quote"),
    ("The answer has no citation for its second claim.", "missing-citation"),
    ("The summary reverses the article's conclusion.", "contradicts-source"),
    ("The article does not say that compaction is free.", "unsupported-claim"),
])
def test_objections_are_sorted_into_kinds_by_what_they_say(objection: str, kind: str) -> None:
    from kbd.engines.recurring import classify

    found = classify(objection)
    assert found is not None and found.name == kind
