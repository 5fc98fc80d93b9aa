"""Custom skills (issue 12, acceptance 10): a skill file in kbd/skills/ runs from `kbd skill` and from
a trigger, through the planner, the budget, the verify gate and the sanitiser, against the fake model."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import frontmatter
import pytest

from kbd.config import ConfigError, load_config
from kbd.custom_skills.spec import parse_custom_skill
from kbd.engines.schema import user_schema_problems
from kbd.engines.skills import SkillError
from kbd.engines.structured import strict_schema
from kbd.jobs import JobContext, job_for
from kbd.state import State
from kbd.vault.layout import VaultLayout
from kbd.vault.sanitize import is_inert
from tests.conftest import Vault, unresolved_links
from tests.fake_llm import Action, FakeLLM, Received, first_user_text, structured_reply
from tests.model_fixtures import Reply
from tests.provider_rules import strict_schema_problem
from tests.skill_model import configure, skill_model

pytestmark = pytest.mark.usefixtures("key")

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "skills"
SKILLS_PAGE = Path(__file__).resolve().parent.parent / "docs" / "custom-skills.md"
DIGEST = "wiki/reports/Weekly digest 2026-09-21.md"  # SOURCE_DATE_EPOCH in tests is 2026-09-21


@pytest.fixture
def model_reply() -> Reply:
    return skill_model


def install(vault: Vault, name: str, text: str | None = None) -> None:
    folder = vault.root / "kbd/skills"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.md").write_text(text if text is not None else (EXAMPLES / f"{name}.md").read_text())


@pytest.fixture
def compiled(sample_vault: Vault) -> Vault:
    sample_vault.compile()  # offline: the sources and concepts the skills read
    return sample_vault


def test_weekly_digest_example_runs_and_links_the_sources_it_read(compiled: Vault, server: FakeLLM) -> None:
    configure(compiled, server)
    install(compiled, "weekly_digest")
    result = compiled.kbd("skill", ".", "weekly_digest")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("skill weekly_digest: reads 3 notes"), result.stdout
    assert "1 model call" in lines[1] and "estimated $" in lines[1], "the cost is shown before the run"
    assert lines[-1].startswith(f"skill weekly_digest: wrote {DIGEST}")
    assert len(server.received) == 1
    note = compiled.note(DIGEST)
    assert note["type"] == "report" and note["verified"] is True and note["skill"].startswith("weekly_digest v1")
    assert note["title"] == "Weekly digest 2026-09-21" and "## Highlights" in note.content
    assert "- [[wiki/sources/Why B-trees stay shallow|Why B-trees stay shallow]] — What Why B-trees" in note.content
    assert unresolved_links(compiled.root, {DIGEST: (compiled.root / DIGEST).read_text()}) == []
    calls = State(compiled.root / ".kbd/state.db").db.execute("SELECT job, outcome FROM llm_calls").fetchall()
    assert [tuple(c) for c in calls] == [("skill:weekly_digest", "ok")]


def test_questions_example_keeps_one_note_current(compiled: Vault, server: FakeLLM) -> None:
    configure(compiled, server)
    install(compiled, "questions_to_explore")
    compiled.kbd("skill", ".", "questions_to_explore")
    note = compiled.note("wiki/reports/Questions to explore.md")
    assert note.content.count("- How does ") == 3
    assert "why: The article does not say.; concepts: [[wiki/concepts/" in note.content
    request = first_user_text(server.received[0])
    assert '<untrusted source="wiki/concepts/' in request and '<untrusted source="wiki/sources/' not in request, \
        "it reads only the notes its `reads:` names"


def test_both_examples_are_in_the_custom_skills_page_word_for_word() -> None:
    page = SKILLS_PAGE.read_text()
    for example in ("weekly_digest", "questions_to_explore"):
        assert (EXAMPLES / f"{example}.md").read_text().strip() in page


def test_plan_shows_the_cost_and_spends_nothing(compiled: Vault, server: FakeLLM) -> None:
    configure(compiled, server, "budget: {daily_usd: 1.5}\n")
    install(compiled, "weekly_digest")
    plan = json.loads(compiled.kbd("skill", ".", "weekly_digest", "--plan", "--json").stdout)
    assert plan["calls"] == 1 and plan["input_tokens"] > 500 and 0 < plan["cost_usd"] < 0.05
    assert plan["daily_cap_usd"] == 1.5 and len(plan["notes"]) == 3
    assert server.received == [] and not (compiled.root / DIGEST).exists()


def test_rerun_over_the_same_notes_makes_no_request(compiled: Vault, server: FakeLLM) -> None:
    configure(compiled, server)
    install(compiled, "weekly_digest")
    compiled.kbd("skill", ".", "weekly_digest")
    again = compiled.kbd("skill", ".", "weekly_digest")
    assert "from the cache, no model call ($0)" in again.stdout
    assert len(server.received) == 1


def run_trigger(vault: Vault, trigger: str) -> tuple[str, bool]:
    """Run a trigger's job the way the daemon does (kbd/daemon/service.py `_run_job`)."""
    config = load_config(vault.root)
    run = next(t for t in config.effective_triggers() if t.name == trigger).run
    state = State(vault.root / ".kbd/state.db")
    try:
        ctx = JobContext(VaultLayout.from_config(vault.root, config), config, state, threading.Event())
        result = job_for(run)(ctx, {})
    finally:
        state.close()
    return result.summary, result.failed


TRIGGER = "triggers:\n  - {name: digest, on: {cron: \"0 8 * * 1\"}, run: skill:weekly_digest}\n"


def test_skill_runs_from_a_trigger_through_the_budget(compiled: Vault, server: FakeLLM) -> None:
    configure(compiled, server, TRIGGER + "budget: {per_run_usd: 0.0001}\n")
    install(compiled, "weekly_digest")
    summary, failed = run_trigger(compiled, "digest")
    assert failed and "paused" in summary and "budget.per_run_usd" in summary
    assert server.received == [] and not (compiled.root / DIGEST).exists(), "refused before sending"
    configure(compiled, server, TRIGGER + "budget: {per_run_usd: 1.0}\n")
    summary, failed = run_trigger(compiled, "digest")
    assert not failed and DIGEST in summary and len(server.received) == 1
    assert (compiled.root / DIGEST).exists()


def test_offline_a_skill_says_it_needs_a_model(compiled: Vault) -> None:
    install(compiled, "weekly_digest")
    (compiled.root / "kbd/config.yaml").write_text(TRIGGER)
    result = compiled.kbd("skill", ".", "weekly_digest", check=False)
    assert result.returncode == 2 and "needs a model" in result.stderr and "models:" in result.stderr
    assert "Traceback" not in result.stderr and not (compiled.root / DIGEST).exists()
    summary, failed = run_trigger(compiled, "digest")
    assert failed and "needs a model" in summary


def test_a_trigger_naming_a_missing_skill_is_refused_with_file_line_and_fix(vault: Vault) -> None:
    (vault.root / "kbd/config.yaml").write_text("compile: {workers: 1}\n" + TRIGGER.replace("weekly_digest",
                                                                                              "weekly_digst"))
    install(vault, "weekly_digest")
    with pytest.raises(ConfigError) as caught:
        load_config(vault.root)
    message = str(caught.value)
    assert message.startswith("kbd/config.yaml, line 3, key `triggers.digest.run`")
    assert "kbd/skills/weekly_digst.md: no such file; did you mean `weekly_digest`?" in message


def test_a_broken_skill_file_is_refused_naming_its_line(vault: Vault) -> None:
    text = (EXAMPLES / "weekly_digest.md").read_text().replace("reads:", "read:")
    install(vault, "weekly_digest", text)
    (vault.root / "kbd/config.yaml").write_text(TRIGGER)
    result = vault.kbd("compile", ".", check=False)
    assert result.returncode == 2
    assert "kbd/skills/weekly_digest.md, line 6: unknown key `read`; did you mean `reads`?" in result.stderr


def test_a_schema_outside_the_strict_subset_is_refused_before_sending(compiled: Vault, server: FakeLLM) -> None:
    configure(compiled, server)
    text = (EXAMPLES / "weekly_digest.md").read_text().replace(
        "overview: {type: string, maxLength: 1200}", "overview: {oneOf: [{type: string}, {type: number}]}")
    install(compiled, "weekly_digest", text)
    result = compiled.kbd("skill", ".", "weekly_digest", check=False)
    assert result.returncode == 2 and server.received == []
    assert "kbd/skills/weekly_digest.md, line 10: the output schema would be refused" in result.stderr
    assert "$.properties.overview" not in result.stderr and "$.overview: `type` must be one of" in result.stderr


SCHEMAS_KBD_ACCEPTS = [
    {"type": "object", "properties": {"a": {"type": "string", "maxLength": 10}}, "required": ["a"]},
    {"type": "object", "properties": {"n": {"type": ["integer", "null"], "minimum": 0},
                                      "tags": {"type": "array", "items": {"type": "string", "enum": ["x", "y"]}}}},
    {"type": "object", "additionalProperties": False, "properties": {
        "deep": {"type": "object", "properties": {"deeper": {"type": "array", "minItems": 1, "items": {
            "type": "object", "properties": {"ok": {"type": "boolean"}, "why": {"type": "string",
                                                                                "pattern": "^[A-Z]"}}}}}}}},
]
SCHEMAS_KBD_REFUSES = [
    ({"type": "array", "items": {"type": "string"}}, "top level must be `type: object`"),
    ({"type": "object", "properties": {"a": {"type": "string", "const": "x"}}}, "`const` is not accepted"),
    ({"type": "object", "properties": {"a": {"anyOf": [{"type": "string"}]}}}, "`type` must be one of"),
    ({"type": "object", "properties": {"a": {"type": "array"}}}, "needs `items`"),
    ({"type": "object", "properties": {"a": {"type": "array", "items": {"type": "string"}, "uniqueItems": True}}},
     "`uniqueItems` is not accepted"),
    ({"type": "object", "additionalProperties": True, "properties": {}}, "may only be false"),
    ({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["b"]}, "`required` must list"),
]


@pytest.mark.parametrize("schema", SCHEMAS_KBD_ACCEPTS + [
    parse_custom_skill((EXAMPLES / f"{n}.md").read_text(), f"kbd/skills/{n}.md").skill.schema
    for n in ("weekly_digest", "questions_to_explore")])
def test_a_schema_kbd_accepts_is_accepted_by_the_providers_strict_mode(schema: dict[str, object]) -> None:
    assert user_schema_problems(schema) == []
    assert strict_schema_problem(strict_schema(schema)) is None


@pytest.mark.parametrize(("schema", "reason"), SCHEMAS_KBD_REFUSES)
def test_a_schema_providers_would_refuse_is_refused_with_the_reason(schema: dict[str, object], reason: str) -> None:
    problems = user_schema_problems(schema)
    assert any(reason in p for p in problems), problems


def test_a_skill_whose_name_differs_from_its_file_is_refused() -> None:
    text = (EXAMPLES / "weekly_digest.md").read_text()
    with pytest.raises(SkillError, match=r"line 2: name is `weekly_digest` but the file is digest\.md"):
        parse_custom_skill(text, "kbd/skills/digest.md")


def test_the_verify_gate_retries_once_then_marks_the_report_unverified(compiled: Vault, server: FakeLLM) -> None:
    configure(compiled, server, verifier=True)
    install(compiled, "weekly_digest")

    def doubting(received: Received) -> Action:
        if "You check the result of a task" in first_user_text(received):
            return structured_reply(received, {"ok": False, "objections": ["The overview invents a trend."]})
        if "A reviewer found these problems" in first_user_text(received):
            return structured_reply(received, {"overview": "Storage engines, again.", "highlights": []})
        return skill_model(received)

    server.default = doubting
    result = compiled.kbd("skill", ".", "weekly_digest")
    assert "not verified: 1 objection(s)" in result.stdout
    assert len(server.received) == 4, "worker, verifier, worker again with the objections, verifier"
    assert "The overview invents a trend." in first_user_text(server.received[2])
    note = compiled.note(DIGEST)
    assert note["verified"] is False and "> [!warning] Not verified" in note.content
    assert "The overview invents a trend." in note.content


def test_model_text_is_sanitised_and_only_notes_it_read_become_links(compiled: Vault, server: FakeLLM) -> None:
    configure(compiled, server)
    install(compiled, "weekly_digest")

    def hostile(received: Received) -> Action:
        return structured_reply(received, {
            "overview": "<script>alert(1)</script> See [[Secret plans]] and "
                        "[[lsm trees, explained without the hype]]. `$=dv.x`",
            "highlights": [{"source": "[[../../etc/passwd]]", "point": "![x](https://evil.example/t.png) %%x%%"}]})

    server.default = hostile
    compiled.kbd("skill", ".", "weekly_digest")
    text = (compiled.root / DIGEST).read_text()
    assert is_inert(text) == []
    assert unresolved_links(compiled.root, {DIGEST: text}) == []
    assert "[[wiki/sources/LSM trees, explained without the hype|LSM trees, explained without the hype]]" in text
    assert "Secret plans" in text and "[[Secret plans]]" not in text


def test_a_report_the_user_edited_is_kept(compiled: Vault, server: FakeLLM) -> None:
    configure(compiled, server)
    install(compiled, "questions_to_explore")
    compiled.kbd("skill", ".", "questions_to_explore")
    note = compiled.root / "wiki/reports/Questions to explore.md"
    note.write_text(note.read_text() + "\nMy own thoughts.\n")
    (compiled.root / "kbd/skills/questions_to_explore.md").write_text(
        (EXAMPLES / "questions_to_explore.md").read_text().replace("version: 1", "version: 2"))
    result = compiled.kbd("skill", ".", "questions_to_explore")
    assert "you edited" in result.stdout and note.read_text().endswith("My own thoughts.\n")


def test_since_last_run_reads_only_what_changed(compiled: Vault, server: FakeLLM) -> None:
    configure(compiled, server)
    text = (EXAMPLES / "weekly_digest.md").read_text().replace("since: 7d", "since: last-run")
    install(compiled, "weekly_digest", text)
    compiled.kbd("skill", ".", "weekly_digest")
    quiet = compiled.kbd("skill", ".", "weekly_digest")
    assert "nothing to read" in quiet.stdout and len(server.received) == 1
    compiled.clip("New.md", "---\ntitle: Fresh news\n---\nA fresh article about compaction in LSM trees today.\n")
    config = (compiled.root / "kbd/config.yaml").read_text()
    (compiled.root / "kbd/config.yaml").write_text("")
    compiled.compile()  # offline, so that only the skill asks the model
    (compiled.root / "kbd/config.yaml").write_text(config)
    compiled.kbd("skill", ".", "weekly_digest")
    assert len(server.received) == 2
    assert "Fresh news" in first_user_text(server.received[1])


def test_skill_help_teaches_the_file_format() -> None:
    from tests.conftest import run_kbd

    out = run_kbd("skill", "--help").stdout
    assert "kbd/skills/NAME.md" in out and "run: skill:weekly_digest" in out and "--plan" in out


def test_unknown_skill_from_the_cli_names_the_file(vault: Vault) -> None:
    result = vault.kbd("skill", ".", "nope", check=False)
    assert result.returncode == 2 and "kbd/skills/nope.md: no such file" in result.stderr
    assert frontmatter  # the module is used by Vault.note


def test_a_skill_runs_against_anthropic_too(compiled: Vault, server: FakeLLM) -> None:
    (compiled.root / "kbd/config.yaml").write_text(
        "models:\n  worker: {provider: anthropic, base_url: \"" + server.url + "\", model: claude-test, "
        "api_key_env: KBD_TEST_KEY}\n")
    install(compiled, "questions_to_explore")
    compiled.kbd("skill", ".", "questions_to_explore")
    assert server.refusals == [] and server.received[0].path.endswith("/messages")
    assert server.received[0].body["tools"][0]["name"] == "record_questions_to_explore"
    assert (compiled.root / "wiki/reports/Questions to explore.md").exists()


def test_a_skill_reads_the_notes_a_search_finds(compiled: Vault, server: FakeLLM) -> None:
    configure(compiled, server)
    text = (EXAMPLES / "weekly_digest.md").read_text().replace(
        'reads: {glob: "wiki/sources/*.md", since: 7d, limit: 30}', 'reads: {search: "compaction", limit: 1}')
    install(compiled, "weekly_digest", text)
    plan = json.loads(compiled.kbd("skill", ".", "weekly_digest", "--plan", "--json").stdout)
    # The samples make two results for "compaction" (a clipping and its summary are one result since
    # issue 22): the best one is read, the other is left out.
    assert len(plan["notes"]) == 1 and plan["left_out"], "the best of the notes the search finds"
    assert all("compaction" in (compiled.root / p).read_text().lower() for p in plan["notes"])
    assert "raw/What a write-ahead log guarantees.md" not in plan["notes"]


def test_a_search_the_parser_cannot_read_is_refused_naming_the_skill_file(compiled: Vault, server: FakeLLM) -> None:
    configure(compiled, server)
    text = (EXAMPLES / "weekly_digest.md").read_text().replace(
        'reads: {glob: "wiki/sources/*.md", since: 7d, limit: 30}', 'reads: {search: "NOT NOT compaction"}')
    install(compiled, "weekly_digest", text)
    result = compiled.kbd("skill", ".", "weekly_digest", check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "kbd/skills/weekly_digest.md: reads.search: the query cannot be read" in result.stderr
    assert server.received == []

REGION_NOTE = "Journal/Weekly.md"
BEFORE = "---\ntags: [journal]\n---\n# My week\n\nWhat I did.\n\n%% kbd:begin digest %%\n"
AFTER = "%% kbd:end digest %%\n\nMy own closing thoughts.\n"


def install_region_skill(vault: Vault, note: str = REGION_NOTE, version: int = 1) -> None:
    text = (EXAMPLES / "weekly_digest.md").read_text()
    install(vault, "weekly_digest", text.replace('writes: {report: "Weekly digest"}',
                                                 f'writes: {{note: "{note}", region: digest}}')
            .replace("version: 1", f"version: {version}"))


def test_a_skill_writes_only_inside_the_region_of_the_users_note(compiled: Vault, server: FakeLLM) -> None:
    configure(compiled, server)
    install_region_skill(compiled)
    note = compiled.root / REGION_NOTE
    note.parent.mkdir()
    note.write_bytes((BEFORE + AFTER).encode())
    result = compiled.kbd("skill", ".", "weekly_digest")
    assert "wrote the digest region of Journal/Weekly.md from 3 note(s)" in result.stdout, result.stdout
    data = note.read_bytes().decode()
    assert data.startswith(BEFORE) and data.endswith(AFTER), "every byte outside the region is the user's"
    inside = data[len(BEFORE):-len(AFTER)]
    assert "## Highlights" in inside and "[[wiki/sources/Why B-trees stay shallow|Why B-trees stay shallow]]" in inside
    assert "title:" not in inside and "%%" not in inside, "no frontmatter, nothing that ends the region early"
    assert not (compiled.root / DIGEST).exists() and len(server.received) == 1


def test_a_user_edit_in_the_skill_region_stops_kbd_and_is_reported(compiled: Vault, server: FakeLLM) -> None:
    configure(compiled, server)
    install_region_skill(compiled)
    note = compiled.root / REGION_NOTE
    note.parent.mkdir()
    note.write_text(BEFORE + AFTER)
    compiled.kbd("skill", ".", "weekly_digest")
    edited = note.read_text().replace("## Highlights", "## Highlights\n\nMy note inside kbd's part.")
    note.write_text(edited)
    install_region_skill(compiled, version=2)  # a new prompt: the model is asked again
    result = compiled.kbd("skill", ".", "weekly_digest", check=False)
    assert "you edited the text inside kbd's region" in result.stdout + result.stderr
    assert "kbd adopt Journal/Weekly.md" in result.stdout + result.stderr
    assert note.read_text() == edited
    again = compiled.kbd("skill", ".", "weekly_digest", check=False)
    assert "kbd no longer writes its digest region" in again.stdout + again.stderr and note.read_text() == edited
    compiled.compile()
    assert "kbd no longer updates its custom skill's region there: you edited the text inside kbd's region" \
        in compiled.status()
    assert "the region is kbd's again" in compiled.kbd("adopt", REGION_NOTE).stdout
    compiled.kbd("skill", ".", "weekly_digest")
    handed_back = note.read_text()
    assert "My note inside" not in handed_back and handed_back.startswith(BEFORE) and handed_back.endswith(AFTER)


def test_a_skill_note_without_markers_is_refused_with_the_lines_to_paste(compiled: Vault, server: FakeLLM) -> None:
    configure(compiled, server)
    install_region_skill(compiled)
    note = compiled.root / REGION_NOTE
    note.parent.mkdir()
    note.write_text("# My week\n\nNo markers yet.\n")
    result = compiled.kbd("skill", ".", "weekly_digest", check=False)
    out = result.stdout + result.stderr
    assert result.returncode != 0 and "Traceback" not in out
    assert "Journal/Weekly.md has no `digest` region" in out
    assert "%% kbd:begin digest %%\n%% kbd:end digest %%" in out, out
    assert note.read_text() == "# My week\n\nNo markers yet.\n" and server.received == [], "nothing spent"
    note.unlink()
    gone = compiled.kbd("skill", ".", "weekly_digest", check=False)
    assert "Journal/Weekly.md is not there" in gone.stdout + gone.stderr and not note.exists(), "never created"


@pytest.mark.parametrize("target", ["raw/Mine.md", "wiki/sources/Why B-trees stay shallow.md"])
def test_a_skill_cannot_write_a_region_in_raw_or_wiki(compiled: Vault, server: FakeLLM, target: str) -> None:
    configure(compiled, server)
    install_region_skill(compiled, target)
    note = compiled.root / target
    note.write_text((note.read_text() if note.exists() else "# Mine\n") + "\n%% kbd:begin digest %%\n"
                    "%% kbd:end digest %%\n")
    compiled.sync_raw()
    before = note.read_bytes()
    result = compiled.kbd("skill", ".", "weekly_digest", check=False)
    out = result.stdout + result.stderr
    assert result.returncode != 0 and "Traceback" not in out
    assert f"{target}: a skill writes a region only into your own notes, not into raw/, wiki/" in out, out
    assert note.read_bytes() == before and server.received == []


@pytest.mark.parametrize("target", [".kbd/state.md", "kbd/config.yaml", "../outside.md", "/etc/notes.md",
                                    "kbd/skills/weekly_digest.md"])
def test_a_skill_region_in_kbds_folders_or_outside_the_vault_is_refused_naming_the_line(target: str) -> None:
    text = (EXAMPLES / "weekly_digest.md").read_text().replace(
        'writes: {report: "Weekly digest"}', f'writes: {{note: "{target}", region: digest}}')
    with pytest.raises(SkillError) as caught:
        parse_custom_skill(text, "kbd/skills/weekly_digest.md")
    assert str(caught.value).startswith("kbd/skills/weekly_digest.md, line 7: `note` must be a note (.md) of yours")


def test_region_markers_inside_a_dataviewjs_block_are_refused_before_any_model_call(compiled: Vault,
                                                                                     server: FakeLLM) -> None:
    configure(compiled, server)
    install_region_skill(compiled)
    note = compiled.root / REGION_NOTE
    note.parent.mkdir()
    text = "# My week\n\n```dataviewjs\n%% kbd:begin digest %%\n%% kbd:end digest %%\n```\n"
    note.write_text(text)
    result = compiled.kbd("skill", ".", "weekly_digest", check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "is inside a code block" in result.stdout + result.stderr
    assert note.read_text() == text and server.received == [], "no model call, not a byte written"
