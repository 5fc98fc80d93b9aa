"""`kbd ask` (issue 11, acceptance 1–4): retrieval within a budget, citations that resolve and are
checked, the offline extractive answer, and answers filed back into the wiki. Model answers come
from the loopback fake (tests/fake_llm.py), which refuses what the real services refuse."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from kbd.ask.blocks import note_blocks
from kbd.ask.retrieve import normalise, retrieve
from kbd.config import load_config
from kbd.engines.skills import load_skill
from kbd.engines.structured import strict_schema
from kbd.vault.links import WIKILINK, parse_wikilink
from kbd.vault.note import split_frontmatter
from tests.conftest import Vault, clipper_note, unresolved_links
from tests.fake_llm import AskModel, FakeLLM, is_ask_request, is_repair
from tests.hostile_corpus import REPLY_PAYLOADS, corpus
from tests.model_fixtures import Reply
from tests.obsidian import live_content
from tests.provider_rules import strict_schema_problem

pytestmark = pytest.mark.usefixtures("key")

QUESTION = "Why do B-trees stay shallow?"
ANSWER = "wiki/answers/Why do B-trees stay shallow.md"


@pytest.fixture
def model_reply() -> Reply:
    return AskModel()


def configure(vault: Vault, server: FakeLLM, extra: str = "", verifier: bool = False, provider: str = "openai"
              ) -> None:
    url = server.url + ("/v1" if provider == "openai" else "")
    model = ("{provider: " + provider + ", base_url: \"" + url + "\", model: test-model, api_key_env: KBD_TEST_KEY, "
             "price_per_mtok: {input: 1.0, output: 4.0}}")
    text = f"models:\n  worker: {model}\n" + (f"  verifier: {model}\n" if verifier else "") + extra
    (vault.root / "kbd/config.yaml").write_text(text)


def compiled(vault: Vault) -> Vault:
    """The sample vault compiled offline (before any model is configured)."""
    vault.compile()
    return vault


def ask_json(vault: Vault, question: str, *args: str, check: bool = True) -> dict:
    result = vault.kbd("ask", ".", question, "--json", *args, check=check)
    return json.loads(result.stdout)


def answer_text(vault: Vault, path: str = ANSWER) -> str:
    return (vault.root / path).read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """The body of `## heading` up to the next `## `."""
    part = text.split(f"\n## {heading}\n", 1)[1]
    return part.split("\n## ", 1)[0]


def headings_and_blocks(path: Path) -> tuple[set[str], set[str]]:
    text = path.read_text(encoding="utf-8")
    _, body, _ = split_frontmatter(text)
    headings = {m.group(2).strip() for m in re.finditer(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$", body, re.MULTILINE)}
    blocks = set(re.findall(r"\s\^([A-Za-z0-9-]+)\s*$", body, re.MULTILINE))
    return headings, blocks


def assert_citations_resolve(vault: Vault, text: str) -> int:
    """Every link in an answer note resolves to a note, and every #heading / #^block in it exists
    there. Returns how many links named a heading or block."""
    anchored = 0
    assert unresolved_links(vault.root, {"answer": text}) == []
    for m in WIKILINK.finditer(text):
        link = parse_wikilink(m.group(2))
        target = vault.root / (link.target if link.target.endswith(".md") else link.target + ".md")
        assert target.is_file(), link
        headings, blocks = headings_and_blocks(target)
        if link.heading is not None:
            assert link.heading in headings, f"{link.heading!r} is not a heading of {link.target}: {headings}"
            anchored += 1
        if link.block is not None:
            assert link.block in blocks, f"^{link.block} is not a block of {link.target}"
            assert link.target.startswith("wiki/"), "a block id may only be in kbd's own notes"
            anchored += 1
    return anchored


def live(text: str) -> list[str]:
    """What in a note Obsidian would treat as live, except the claim block ids kbd writes on purpose."""
    return [p for p in live_content(text) if not re.fullmatch(r"block id: (['\"]).* \^claim-\d+\1", p)]


def assert_quotes_occur(vault: Vault, result: dict) -> None:
    for claim in result["claims"]:
        for c in claim["citations"]:
            _, body, _ = split_frontmatter((vault.root / c["path"]).read_text(encoding="utf-8"))
            plain = normalise(" ".join(b.text for b in note_blocks(body)[0]))
            assert normalise(c["quote"]) in plain, (c["quote"], c["path"])


# -- 3. the offline engine --------------------------------------------------------------------------
def test_offline_answer_is_extractive_and_labelled(sample_vault: Vault) -> None:
    compiled(sample_vault)
    result = ask_json(sample_vault, QUESTION)
    assert result["engine"] == "offline" and result["extractive"] is True and result["filed"] == "written"
    assert result["note"] == ANSWER and len(result["claims"]) >= 3
    assert result["spent"] == {"calls": 0, "usd": 0.0}
    assert_quotes_occur(sample_vault, result)
    for claim in result["claims"]:  # extractive: each claim is the quoted sentence itself
        assert [c["quote"] for c in claim["citations"]] == [claim["text"]]
    text = answer_text(sample_vault)
    note = sample_vault.note(ANSWER)
    assert note["type"] == "answer" and note["question"] == QUESTION and note["engine"] == "offline"
    assert note["verified"] is True and "kbd/answer" in note["tags"] and str(note["asked"]).startswith("2026-09-21")
    assert all(s.startswith("[[") for s in note["sources"])
    assert "> [!info] Extractive answer (no model configured)" in text
    answer = section(text, "Answer")
    groups = re.findall(r"^### (.+)$", answer, re.MULTILINE)
    assert len(groups) >= 2 and len(groups) == len(set(groups)), groups  # grouped by note, each once
    assert "fan-out" in answer  # the clipping's own explanation is quoted
    assert live(text) == []


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_every_rendered_citation_resolves_to_a_heading_that_exists(sample_vault: Vault, server: FakeLLM,
                                                                   provider: str) -> None:
    compiled(sample_vault)
    sample_vault.kbd("ask", ".", QUESTION)
    assert assert_citations_resolve(sample_vault, answer_text(sample_vault)) >= 3
    configure(sample_vault, server, provider=provider)
    question = "What does a write-ahead log guarantee after a crash?"
    result = ask_json(sample_vault, question)
    assert server.refusals == []
    assert result["engine"] == f"{provider}:test-model" and result["extractive"] is False and result["claims"]
    assert_quotes_occur(sample_vault, result)
    text = answer_text(sample_vault, result["note"])
    assert assert_citations_resolve(sample_vault, text) >= len(result["claims"])
    # every claim carries a block id, so a later answer can cite exactly that claim
    assert len(re.findall(r" \^claim-\d+$", section(text, "Answer"), re.MULTILINE)) == len(result["claims"])


def test_an_answer_can_cite_an_earlier_answer_by_its_claim_block(sample_vault: Vault, server: FakeLLM) -> None:
    compiled(sample_vault)
    configure(sample_vault, server)
    fake_model = AskModel(claims=10)
    server.default = fake_model
    first = ask_json(sample_vault, "What does a write-ahead log guarantee after a crash?")
    earlier = first["note"]
    second = ask_json(sample_vault, "According to the notes, what guarantee does the log give after a crash?")
    cited = [c for claim in second["claims"] for c in claim["citations"] if c["path"] == earlier]
    assert cited, "the earlier answer was retrieved and cited"
    assert all(c["anchor"].startswith("#^claim-") for c in cited)
    assert_citations_resolve(sample_vault, answer_text(sample_vault, second["note"]))


# -- 2. citations are checked -----------------------------------------------------------------------
def test_invented_quote_is_repaired_then_dropped_and_the_note_says_so(sample_vault: Vault, server: FakeLLM) -> None:
    compiled(sample_vault)
    configure(sample_vault, server)
    model = AskModel(claims=4, invent=0.5)
    server.default = model
    result = ask_json(sample_vault, QUESTION)
    asks = [r for r in server.received if is_ask_request(r)]
    assert len(asks) == 2 and not is_repair(asks[0]) and is_repair(asks[1]), "one draft, one repair"
    assert "does not occur in" in json.dumps(asks[1].body)  # the repair lists the failures
    assert model.invented == 4 and result["dropped"], "two invented claims in each of the two answers"
    assert all("moon" in d["claim"] for d in result["dropped"])
    assert result["claims"] and not any("moon" in c["text"] for c in result["claims"])
    assert_quotes_occur(sample_vault, result)
    text = answer_text(sample_vault)
    assert re.search(r"> \[!warning\] 2 claims were dropped", text), text
    assert "moon" not in section(text, "Answer")


def test_a_citation_of_a_note_that_was_not_retrieved_is_caught(sample_vault: Vault, server: FakeLLM) -> None:
    compiled(sample_vault)
    configure(sample_vault, server)
    server.default = AskModel(claims=3, invent=1.0, kind="note")
    result = ask_json(sample_vault, QUESTION, check=False)
    assert result["claims"] == [] and len(result["dropped"]) == 3
    assert all("not one of the notes provided" in d["reason"] for d in result["dropped"])
    assert "Invented note" not in json.dumps(result["claims"])
    assert "Nothing in the wiki supports an answer" in answer_text(sample_vault)


def test_a_repair_that_fixes_the_quotes_keeps_every_claim(sample_vault: Vault, server: FakeLLM) -> None:
    compiled(sample_vault)
    configure(sample_vault, server)
    server.default = AskModel(claims=4, invent=0.5, repairs=True)
    result = ask_json(sample_vault, QUESTION)
    assert result["dropped"] == [] and len(result["claims"]) == 4
    assert "dropped" not in answer_text(sample_vault)


def test_a_verifier_objection_is_retried_once_then_shown(sample_vault: Vault, server: FakeLLM) -> None:
    compiled(sample_vault)
    configure(sample_vault, server, verifier=True)
    server.default = AskModel(objections=["The second claim overstates the source."], objecting=1)
    result = ask_json(sample_vault, QUESTION)
    assert result["verified"] is True, "the retry with the objection satisfied the verifier"
    assert sum(is_ask_request(r) for r in server.received) == 2
    retry = [r for r in server.received if is_ask_request(r)][1]
    assert "overstates the source" in json.dumps(retry.body)
    server.default = AskModel(objections=["Nothing here says why."], objecting=99)
    result = ask_json(sample_vault, "How deep is a B-tree over a billion keys?")
    assert result["verified"] is False and result["objections"] == ["Nothing here says why."]
    assert sample_vault.note(result["note"])["verified"] is False
    assert "> - Nothing here says why." in answer_text(sample_vault, result["note"])


def test_the_ask_skills_fit_the_strict_schema_subset() -> None:
    for name in ("answer_question", "verify_answer"):
        assert strict_schema_problem(strict_schema(load_skill(name).schema)) is None


# -- 1. retrieval -------------------------------------------------------------------------------------
def test_plan_spends_nothing(sample_vault: Vault, server: FakeLLM) -> None:
    compiled(sample_vault)
    configure(sample_vault, server)
    before = set(p.relative_to(sample_vault.root).as_posix() for p in sample_vault.wiki.rglob("*"))
    result = sample_vault.kbd("ask", ".", QUESTION, "--plan")
    assert server.received == []
    assert "wiki/sources/Why B-trees stay shallow.md" in result.stdout and "estimate" in result.stdout
    plan = ask_json(sample_vault, QUESTION, "--plan")
    assert plan["filed"] == "planned" and plan["claims"] == [] and plan["spent"]["calls"] == 0
    assert plan["estimate"]["calls"] == 1 and plan["estimate"]["usd"] > 0
    assert 0 < plan["retrieval"]["tokens"] <= plan["retrieval"]["budget"]
    assert server.received == []
    assert set(p.relative_to(sample_vault.root).as_posix() for p in sample_vault.wiki.rglob("*")) == before
    db = sqlite3.connect(sample_vault.root / ".kbd/state.db")
    assert db.execute("SELECT COUNT(*) FROM llm_calls").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 0


def test_plan_on_a_vault_never_compiled_creates_no_state(sample_vault: Vault) -> None:
    before = {p.relative_to(sample_vault.root) for p in sample_vault.root.rglob("*") if ".kbd" not in p.parts}
    result = sample_vault.kbd("ask", ".", QUESTION, "--plan")
    assert "raw/Why B-trees stay shallow.md" in result.stdout and "estimate" in result.stdout
    assert not (sample_vault.root / ".kbd/state.db").exists()  # only the search index, derived data, is made
    assert {p.relative_to(sample_vault.root) for p in sample_vault.root.rglob("*") if ".kbd" not in p.parts} == before


def test_retrieval_fills_the_budget_with_passages_never_whole_large_notes(vault: Vault) -> None:
    sentence = "Compaction merges sorted runs of the log-structured tree, step {}.{}, and rewrites data."
    body = "\n\n".join(f"## Part {i}\n\n" + " ".join(sentence.format(i, j) for j in range(40)) for i in range(30))
    vault.clip("Huge.md", clipper_note("A very long article on compaction", body))
    vault.compile()
    config = load_config(vault.root)
    plan = retrieve(vault.root, config, "How does compaction merge sorted runs?", budget=1200)
    assert plan.passages and plan.tokens <= 1200 and plan.left_out > 0
    assert all(p.tokens <= config.ask.passage_tokens for p in plan.passages)
    raw = [p for p in plan.passages if p.path == "raw/Huge.md"]
    assert raw and sum(p.tokens for p in raw) < len(body) / 4 / 10  # a few passages of a huge note
    assert all(p.heading and p.heading.startswith("Part ") for p in raw)


def test_prompt_size_does_not_depend_on_how_big_the_vault_is(vault: Vault) -> None:
    for i in range(40):
        vault.clip(f"Note {i}.md", clipper_note(f"Compaction notes {i}", f"Compaction merges sorted runs, case {i}. "
                                                "A log-structured tree compacts its runs in the background. " * 5))
    vault.compile()
    config = load_config(vault.root)
    plan = retrieve(vault.root, config, "How does compaction merge sorted runs?")
    assert plan.budget == 1500 and plan.tokens <= plan.budget
    assert len(plan.hits) <= config.ask.top_hits


# -- 4. filing back -----------------------------------------------------------------------------------
def test_answer_is_found_by_search(sample_vault: Vault) -> None:
    compiled(sample_vault)
    sample_vault.kbd("ask", ".", QUESTION)
    result = sample_vault.kbd("search", ".", "stay shallow", "--type", "answer", "--json")
    hits = json.loads(result.stdout)["hits"]
    assert [h["path"] for h in hits] == [ANSWER]


def test_answer_is_listed_in_the_index_logged_and_linked_from_its_concepts(sample_vault: Vault) -> None:
    compiled(sample_vault)
    sample_vault.kbd("ask", ".", QUESTION)
    link = "[[wiki/answers/Why do B-trees stay shallow|Why do B-trees stay shallow?]]"
    index = (sample_vault.wiki / "index.md").read_text()
    assert "## Answers (1)" in index and link in section(index, "Answers (1)")
    log = (sample_vault.wiki / "log.md").read_text()
    assert f"] ask | {QUESTION}\n- Answer: {link}" in log
    concept = (sample_vault.wiki / "concepts/B-tree.md").read_text()
    assert link in section(concept + "\n## end\n", "Questions answered here")
    assert unresolved_links(sample_vault.root, sample_vault.generated()) == []
    db = sqlite3.connect(sample_vault.root / ".kbd/state.db")
    cited = dict(db.execute("SELECT path, sha256 FROM answer_sources").fetchall())
    assert cited and all(h.startswith("sha256:") for h in cited.values())
    assert "raw/Why B-trees stay shallow.md" in cited or "wiki/sources/Why B-trees stay shallow.md" in cited
    # a compile afterwards keeps the answer (it is a wanted note, not an orphan)
    path = sample_vault.clip("Another.md", clipper_note("Another clipping", "B-trees and pages, again and again."))
    path.unlink()
    sample_vault.sync_raw()
    sample_vault.compile()
    assert (sample_vault.root / ANSWER).exists()


def test_reasking_updates_the_same_answer_note(sample_vault: Vault) -> None:
    compiled(sample_vault)
    sample_vault.kbd("ask", ".", QUESTION)
    first = answer_text(sample_vault)
    sample_vault.clip("Shallow trees.md", clipper_note(
        "Shallow trees in practice", "Why do B-trees stay shallow? Because each B-tree node is one page wide and "
        "holds hundreds of keys, so shallow trees stay shallow as they grow."))
    sample_vault.compile()
    result = ask_json(sample_vault, "  why do B-trees   stay shallow ")
    assert result["note"] == ANSWER and result["filed"] == "written"
    assert sorted(p.name for p in (sample_vault.wiki / "answers").iterdir()) == [Path(ANSWER).name]
    assert answer_text(sample_vault) != first and "Shallow trees in practice" in answer_text(sample_vault)
    db = sqlite3.connect(sample_vault.root / ".kbd/state.db")
    assert db.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 1


def test_user_edited_answer_is_not_overwritten(sample_vault: Vault) -> None:
    compiled(sample_vault)
    sample_vault.kbd("ask", ".", QUESTION)
    path = sample_vault.root / ANSWER
    mine = path.read_text() + "\nMy own notes on this answer.\n"
    path.write_text(mine)
    result = sample_vault.kbd("ask", ".", QUESTION, check=False)
    assert result.returncode == 1 and "you edited" in result.stdout
    assert path.read_text() == mine
    sample_vault.compile()
    assert path.read_text() == mine


def test_reasking_an_unchanged_vault_makes_no_model_request(sample_vault: Vault, server: FakeLLM) -> None:
    compiled(sample_vault)
    configure(sample_vault, server)
    first = ask_json(sample_vault, QUESTION, "--no-file")
    sent = len(server.received)
    assert first["spent"]["calls"] == 1 and first["spent"]["usd"] > 0
    for args in (["--no-file"], ["--plan"], []):
        again = ask_json(sample_vault, QUESTION, *args)
        assert len(server.received) == sent and again["spent"] == {"calls": 0, "usd": 0.0}
        assert again["estimate"]["usd"] == 0.0
    assert again["filed"] == "written" and again["claims"] == first["claims"]


def test_no_file_writes_nothing_into_the_vault(sample_vault: Vault) -> None:
    compiled(sample_vault)
    before = {p: p.read_bytes() for p in sample_vault.wiki.rglob("*.md")}
    result = ask_json(sample_vault, QUESTION, "--no-file")
    assert result["filed"] == "not-filed" and result["note"] is None and result["claims"]
    assert {p: p.read_bytes() for p in sample_vault.wiki.rglob("*.md")} == before


def test_a_spending_cap_fails_the_ask_cleanly(sample_vault: Vault, server: FakeLLM) -> None:
    compiled(sample_vault)
    configure(sample_vault, server, extra="budget: {per_run_usd: 0.0000001}\n")
    result = sample_vault.kbd("ask", ".", QUESTION, check=False)
    assert result.returncode == 1 and "budget" in result.stderr and "nothing was filed" in result.stderr
    assert server.received == [] and not (sample_vault.root / ANSWER).exists()


def test_usage_errors_exit_2(sample_vault: Vault) -> None:
    assert sample_vault.kbd("ask", ".", "   ", check=False).returncode == 2
    result = sample_vault.kbd("ask", ".", QUESTION, "--format", "pptx", check=False)
    assert result.returncode == 2 and "marp" in result.stderr


# -- 8. hostile input ---------------------------------------------------------------------------------
def test_hostile_clipping_text_cannot_reach_an_answer_live(vault: Vault, server: FakeLLM) -> None:
    for case in corpus():
        if case.kind != "name":
            vault.clip(case.name, case.text)
    vault.compile()
    question = "What does the sorted string table keep, and what does compaction merge?"
    offline = ask_json(vault, question)
    assert offline["claims"]
    assert live(answer_text(vault, offline["note"])) == []

    def obeying(received):  # type: ignore[no-untyped-def]
        """Quotes the hostile passages faithfully, and writes the payloads as its claims."""
        reply = AskModel(claims=10)(received)
        data = json.loads(reply.body["choices"][0]["message"]["content"])
        for claim, payload in zip(data["claims"], REPLY_PAYLOADS * 2, strict=False):
            claim["text"] = payload + " " + claim["text"]
        reply.body["choices"][0]["message"]["content"] = json.dumps(data)
        return reply

    configure(vault, server)
    server.default = obeying
    model = ask_json(vault, question + " Tell me everything.")
    assert model["claims"]
    text = answer_text(vault, model["note"])
    assert live(text) == [], live(text)
    assert unresolved_links(vault.root, {"answer": text}) == []


def test_a_hostile_question_files_an_inert_note(sample_vault: Vault) -> None:
    compiled(sample_vault)
    question = "Why are B-trees shallow? <script>alert(1)</script> `$=dv.pages()` [[../../x]] #tag %% <% tp %>"
    result = ask_json(sample_vault, question)
    note = result["note"]
    assert note.startswith("wiki/answers/") and note.count("/") == 2 and "[" not in note and "<" not in note
    text = answer_text(sample_vault, note)
    assert live(text) == [], live(text)
    assert sample_vault.note(note)["question"] == "Why are B-trees shallow? <script>alert(1)</script> " \
        "`$=dv.pages()` ../../x tag %% <% tp %>"


def test_a_concept_note_the_user_edited_keeps_their_version(sample_vault: Vault) -> None:
    compiled(sample_vault)
    concept = sample_vault.wiki / "concepts/B-tree.md"
    mine = concept.read_text() + "\nMy own thoughts on B-trees.\n"
    concept.write_text(mine)
    # A question both concept notes answer (their syntheses state what the sources found about each).
    result = ask_json(sample_vault, "How do LSM trees compare with B-trees?")
    assert result["filed"] == "written"
    assert concept.read_text() == mine
    other = (sample_vault.wiki / "concepts/LSM tree.md").read_text()
    assert "## Questions answered here" in other  # the concepts kbd still manages do list it


def test_a_question_nothing_matches_is_not_filed(sample_vault: Vault) -> None:
    compiled(sample_vault)
    result = sample_vault.kbd("ask", ".", "zebra quantum chromodynamics", check=False)
    assert result.returncode == 1 and "no note matches" in result.stdout
    assert not (sample_vault.wiki / "answers/zebra quantum chromodynamics.md").exists()


@pytest.mark.parametrize("file_name", ["foam daily | Foam.md", "foam daily #cli.md"])
def test_a_clipping_whose_file_name_holds_a_pipe_or_a_hash_can_be_cited(vault: Vault, file_name: str) -> None:
    # A clipping saved as "<title> | <site>.md": its quotes were dropped as citing "a note not provided", for the check
    # read the path as a link ("raw/foam daily" with an alias " Foam.md"), and the answer lost its best sentence.
    page = Path(__file__).parent / "real_pages" / "openings" / "daily.md"
    vault.clip(file_name, page.read_text(encoding="utf-8"))
    vault.compile()
    answer = vault.kbd("ask", ".", "What is foam daily?", "--no-file").stdout
    assert "dropped" not in answer, answer
    assert f"[raw/{file_name}#" in answer, answer
