"""Web monitors in a vault (issue 12, acceptance 6–9): `kbd monitor`, the change report, the
snapshot in .kbd/, Status.md, `ingest: true` under raw/, and the model's account of a change
through the budget and verify gate. Pages come from a real loopback server, which a monitor may
reach only because each test's config says `allow_private_networks: true`."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from kbd.config import load_config
from kbd.monitor.command import monitor_vault
from kbd.vault.sanitize import is_inert, render_as_text
from tests.conftest import Vault, tree_bytes
from tests.fake_llm import (
    Action,
    FakeLLM,
    Received,
    fake_llm,
    first_user_text,
    openai_reply,
    structured_reply,
    untrusted_blocks,
)
from tests.model_fixtures import KEY
from tests.page_server import PageServer, page_server

pytestmark = pytest.mark.usefixtures("key")

def pricing(pro: str = "$20", extra: str = "", nav: str = "Home · Blog") -> str:
    return (f"<!doctype html><html><head><title>Acme pricing</title><script>track()</script></head><body>"
            f"<header><nav>{nav}</nav></header><main><h1>Pricing</h1>"
            "<p>Every plan includes unlimited projects and email support.</p>"
            f"<p>The Pro plan costs {pro} per month, billed monthly.</p>{extra}"
            "<p>Cancel at any time from your account page.</p></main><footer>© 2026 Acme</footer></body></html>")


@pytest.fixture
def site() -> Iterator[PageServer]:
    with page_server() as server:
        yield server


def configure(vault: Vault, url: str, *, ingest: bool = False, allow: bool = True, extra: str = "") -> None:
    monitor = "monitor:\n  allow_private_networks: true\n" if allow else ""
    (vault.root / "kbd/config.yaml").write_text(
        f"{monitor}{extra}triggers:\n  - name: acme\n    on: {{url: \"{url}\", every: 6h}}\n"
        + ("    with: {ingest: true}\n" if ingest else ""))


def check(vault: Vault) -> list:
    return monitor_vault(vault.root, load_config(vault.root)).results


def reports(vault: Vault) -> list[Path]:
    return sorted((vault.wiki / "reports").glob("Monitor *.md"))


def test_first_check_keeps_a_snapshot_in_kbd_state_and_writes_no_report(vault: Vault, site: PageServer) -> None:
    configure(vault, site.page("/pricing", pricing()))
    [result] = check(vault)
    assert result.outcome == "first" and not result.problem
    assert reports(vault) == []
    with sqlite3.connect(vault.root / ".kbd/state.db") as db:
        snapshot = json.loads(db.execute("SELECT snapshot FROM monitors WHERE name='acme'").fetchone()[0])
    assert ["paragraph", "The Pro plan costs $20 per month, billed monthly."] in snapshot
    outside = {rel: data for rel, data in tree_bytes(vault.root, skip=(".kbd",)).items()}
    assert not any(b"billed monthly" in data for data in outside.values())  # the snapshot is not in the vault


def test_unchanged_page_writes_no_note(vault: Vault, site: PageServer) -> None:
    configure(vault, site.page("/pricing", pricing()))
    check(vault)
    before = vault.generated()
    [result] = check(vault)
    assert result.outcome == "unchanged" and result.report is None
    after = vault.generated()
    assert reports(vault) == []
    assert {k: v for k, v in after.items() if not k.endswith("Status.md")} == \
        {k: v for k, v in before.items() if not k.endswith("Status.md")}
    assert "| acme | " in vault.status() and "| unchanged |" in vault.status()


def test_not_modified_answer_writes_no_note(vault: Vault, site: PageServer) -> None:
    configure(vault, site.page("/pricing", pricing(), etag='"v1"'))
    check(vault)
    [result] = check(vault)
    assert site.requests[1].headers["if-none-match"] == '"v1"'
    assert result.outcome == "unchanged" and "not modified" in result.detail and reports(vault) == []


def test_changes_to_page_chrome_alone_are_not_a_change(vault: Vault, site: PageServer) -> None:
    url = site.page("/pricing", pricing())
    configure(vault, url)
    check(vault)
    site.page("/pricing", pricing(nav="Home · Blog · Careers").replace("track()", "track(2)"))
    assert check(vault)[0].outcome == "unchanged"


def test_changed_page_writes_a_report_with_the_added_and_removed_paragraphs(vault: Vault, site: PageServer) -> None:
    configure(vault, site.page("/pricing", pricing()))
    check(vault)
    site.page("/pricing", pricing("$25", extra="<p>A new Team plan arrives in January.</p>"))
    [result] = check(vault)
    assert result.outcome == "changed" and result.report == reports(vault)[0].relative_to(vault.root).as_posix()
    assert reports(vault)[0].name.startswith("Monitor acme 2026-09-21 ")
    note = vault.note(result.report)
    assert (note["type"], note["monitor"], note["engine"]) == ("report", "acme", "offline")
    assert note["source"] == site.url + "/pricing"
    text = note.content
    was, now = text.split("**Was**:", 1)[1].split("**Now**:", 1)
    assert "> The Pro plan costs $20 per month, billed monthly." in was
    assert "> The Pro plan costs $25 per month, billed monthly." in now
    assert "> A new Team plan arrives in January." in now
    assert "2 paragraphs added, 1 removed, 3 unchanged" in text
    assert "Every plan includes" not in text  # unchanged paragraphs are counted, not repeated
    assert "changed: 2 paragraphs added, 1 removed" in vault.status()


def test_report_quotes_hostile_page_text_inertly(vault: Vault, site: PageServer) -> None:
    configure(vault, site.page("/pricing", pricing()))
    check(vault)
    hostile = ("<p>[[Secret note]] `$=dv.pages()` &lt;%tp.file.name%&gt; ![x](https://evil.example/x.png) "
               "&lt;script&gt;alert(1)&lt;/script&gt; #injected</p><pre>```dataviewjs\ndv.paragraph(1)\n```</pre>")
    site.page("/pricing", pricing(extra=hostile))
    [result] = check(vault)
    text = (vault.root / result.report).read_text()
    assert is_inert(text) == []
    body = text.split("---\n", 2)[2]
    assert "[[Secret note]]" not in body.replace("\\[", "[") or "\\[\\[Secret note" in body
    assert all(line.startswith("> ") for line in body.splitlines() if "Secret note" in line or "dataviewjs" in line)


def test_ingest_saves_a_clipping_that_compile_summarises(vault: Vault, site: PageServer) -> None:
    configure(vault, site.page("/pricing", pricing()), ingest=True)
    before = set(tree_bytes(vault.raw))
    [result] = check(vault)
    assert result.clipping == "raw/Acme pricing.md"
    assert set(tree_bytes(vault.raw)) - before == {"Acme pricing.md"}  # one new file; nothing else touched
    clip = vault.note("raw/Acme pricing.md")
    assert (clip["title"], clip["source"], clip["tags"]) == ("Acme pricing", site.url + "/pricing",
                                                            ["clippings", "kbd/monitor"])
    assert str(clip["created"]) == "2026-09-21"
    assert "The Pro plan costs $20 per month" in clip.content and "track()" not in clip.content
    vault.sync_raw()
    vault.compile()
    assert "$20" in (vault.wiki / "sources/Acme pricing.md").read_text()
    site.page("/pricing", pricing("$25"))
    [result] = check(vault)
    assert result.clipping == "raw/Acme pricing.md" and "saved as [[raw/Acme pricing]]" in \
        (vault.root / result.report).read_text()
    vault.sync_raw()
    assert vault.compile().ingested == 1
    summary = (vault.wiki / "sources/Acme pricing.md").read_text()
    assert "$25" in summary and "$20" not in summary


def test_page_that_flips_back_is_not_ingested_twice(vault: Vault, site: PageServer) -> None:
    configure(vault, site.page("/pricing", pricing()), ingest=True)
    results = []
    for pro in ("$20", "$25", "$20", "$20"):
        site.page("/pricing", pricing(pro))
        results += check(vault)
        vault.sync_raw()
    assert [r.outcome for r in results] == ["first", "changed", "changed", "unchanged"]
    clippings = [p.name for p in vault.raw.glob("*.md")]
    assert clippings == ["Acme pricing.md"]  # one note for the page, whatever it went through
    assert "$20 per month" in (vault.raw / "Acme pricing.md").read_text()
    assert "back to a version seen before" in (vault.root / results[2].report).read_text()
    mtime = (vault.raw / "Acme pricing.md").stat().st_mtime_ns
    check(vault)
    assert (vault.raw / "Acme pricing.md").stat().st_mtime_ns == mtime
    vault.compile()
    assert [p.name for p in (vault.wiki / "sources").glob("*.md")] == ["Acme pricing.md"]


def test_ingest_never_overwrites_a_users_note(vault: Vault, site: PageServer) -> None:
    mine = vault.clip("Acme pricing.md", "---\ntitle: My notes on Acme pricing\n---\nMine.\n")
    configure(vault, site.page("/pricing", pricing()), ingest=True)
    [result] = check(vault)
    assert result.clipping == "raw/Acme pricing (2).md"
    assert mine.read_text() == "---\ntitle: My notes on Acme pricing\n---\nMine.\n"
    vault.sync_raw()


def test_a_user_edit_of_the_clipping_is_kept(vault: Vault, site: PageServer) -> None:
    configure(vault, site.page("/pricing", pricing()), ingest=True)
    check(vault)
    clipping = vault.raw / "Acme pricing.md"
    edited = clipping.read_text() + "\nMy highlight: ask about the discount.\n"
    clipping.write_text(edited)
    vault.sync_raw()
    site.page("/pricing", pricing("$25"))
    [result] = check(vault)
    assert result.outcome == "changed" and result.clipping is None
    assert clipping.read_text() == edited
    assert "you edited raw/Acme pricing.md, so kbd leaves it alone" in (vault.root / result.report).read_text()


def test_refused_fetch_is_reported_not_retried(vault: Vault, site: PageServer) -> None:
    configure(vault, site.page("/pricing", pricing()), allow=False)
    result = vault.kbd("monitor", ".", check=False)
    assert result.returncode == 1
    assert "acme: refused: 127.0.0.1 is a loopback address" in result.stdout
    assert "allow_private_networks" in result.stdout
    assert site.requests == [] and reports(vault) == []
    assert "refused: 127.0.0.1 is a loopback address" in vault.status()


def test_a_page_kbd_cannot_read_is_reported_with_the_reason(vault: Vault, site: PageServer) -> None:
    configure(vault, site.page("/report.pdf", b"%PDF-1.7", content_type="application/pdf"))
    result = vault.kbd("monitor", ".", check=False)
    assert result.returncode == 1
    assert "cannot be read: the page is application/pdf; kbd monitors HTML, plain-text and JSON" in result.stdout


def configure_many(vault: Vault, urls: dict[str, str]) -> None:
    (vault.root / "kbd/config.yaml").write_text(
        "monitor:\n  allow_private_networks: true\ntriggers:\n"
        + "".join(f"  - name: {name}\n    on: {{url: \"{url}\", every: 6h}}\n" for name, url in urls.items()))


def test_a_charset_that_is_no_text_encoding_is_read_as_utf8(vault: Vault, site: PageServer) -> None:
    # Python's codecs know rot13, idna, undefined and hex too; none of them is how a web page is encoded.
    body = "<html><head>{meta}</head><body><main><p>Caf\u00e9\u2019s prices went up.</p></main></body></html>"
    configure_many(vault, {
        "rot13": site.page("/rot13", body.format(meta=""), content_type="text/html; charset=rot13"),
        "idna": site.page("/idna", body.format(meta=""), content_type="text/html; charset=idna"),
        "undefined": site.page("/undefined", body.format(meta=""), content_type="text/html; charset=undefined"),
        "hex": site.page("/hex", body.format(meta='<meta charset="hex">'), content_type="text/html"),
        "cp1252": site.page("/cp1252", body.format(meta="").encode("cp1252"), content_type="text/html; charset=latin1"),
    })
    result = vault.kbd("monitor", ".", "--json")
    outcomes = {r["name"]: r["outcome"] for r in json.loads(result.stdout)["results"]}
    assert outcomes == dict.fromkeys(["rot13", "idna", "undefined", "hex", "cp1252"], "first")
    with sqlite3.connect(vault.root / ".kbd/state.db") as db:
        snapshots = dict(db.execute("SELECT name, snapshot FROM monitors").fetchall())
    assert all("Caf\u00e9\u2019s prices went up." in json.loads(s)[0][1] for s in snapshots.values())


def test_a_redirect_to_an_invalid_url_fails_that_page_and_the_next_monitor_still_runs(
        vault: Vault, site: PageServer) -> None:
    configure_many(vault, {"broken": site.page("/moved", "", status=302, headers={"location": "http:x"}),
                           "acme": site.page("/pricing", pricing())})
    result = vault.kbd("monitor", ".", check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "broken: failed: 127.0.0.1 answered with an address that is not a valid URL" in result.stdout
    assert "acme: first check" in result.stdout
    status = vault.status()
    assert "| broken |" in status and "not a valid URL" in status and "| acme |" in status


def test_a_check_that_fails_unforeseen_is_that_pages_status_row_and_later_monitors_run(
        vault: Vault, site: PageServer) -> None:
    from kbd.fetch import fetch
    from kbd.monitor.check import MonitorChecker
    from kbd.state import State
    from kbd.vault.layout import VaultLayout

    configure_many(vault, {"odd": site.page("/odd", pricing()), "acme": site.page("/pricing", pricing())})

    def fetch_with_a_bug_for_odd(url: str, *args: object) -> object:
        if url.endswith("/odd"):
            raise KeyError("a bug kbd did not foresee")
        return fetch(url, *args)  # type: ignore[arg-type]

    config = load_config(vault.root)
    state = State(vault.root / ".kbd/state.db")
    try:
        checker = MonitorChecker(VaultLayout.from_config(vault.root, config), config, state,
                                 fetcher=fetch_with_a_bug_for_odd)
        odd, acme = checker.check_all()
    finally:
        state.close()
    assert odd.outcome == "failed" and "KeyError" in odd.detail and "a bug kbd did not foresee" in odd.detail
    assert acme.outcome == "first"
    with sqlite3.connect(vault.root / ".kbd/state.db") as db:
        assert "KeyError" in db.execute("SELECT outcome FROM monitors WHERE name='odd'").fetchone()[0]


def test_kbd_monitor_checks_one_monitor_or_says_which_exist(vault: Vault, site: PageServer) -> None:
    configure(vault, site.page("/pricing", pricing()))
    result = vault.kbd("monitor", ".", "acme", "--json")
    data = json.loads(result.stdout)
    assert data["results"][0]["outcome"] == "first" and data["status_note"] == "wiki/reports/Status.md"
    unknown = vault.kbd("monitor", ".", "acmee", check=False)
    assert unknown.returncode == 2 and "no web monitor called 'acmee'; the config has: acme" in unknown.stderr
    (vault.root / "kbd/config.yaml").write_text("")
    none = vault.kbd("monitor", ".", check=False)
    assert none.returncode == 2 and "on: {url:" in none.stderr
    assert "monitor    acme" not in vault.kbd("status", ".").stdout  # a monitor taken out of the config is gone


def test_the_monitor_job_checks_the_named_monitor_or_every_one(vault: Vault, site: PageServer) -> None:
    import threading

    from kbd.jobs import JOBS, JobContext
    from kbd.state import State
    from kbd.vault.layout import VaultLayout

    configure(vault, site.page("/pricing", pricing()))
    config_file = vault.root / "kbd/config.yaml"
    config_file.write_text(config_file.read_text()
                           + f"  - {{name: blog, on: {{url: \"{site.url}/blog\", every: 1d}}}}\n"
                           "  - {name: nightly, on: {cron: \"0 3 * * *\"}, run: monitor, with: {name: blog}}\n")
    config = load_config(vault.root)
    state = State(vault.root / ".kbd/state.db")
    try:
        context = JobContext(VaultLayout.from_config(vault.root, config), config, state, threading.Event())
        one = JOBS["monitor"](context, {"name": "blog"})
        assert one.failed and one.summary == "blog: failed: the server answered 404 Not Found"
        every = JOBS["monitor"](context, {})
        assert every.summary.startswith("acme: first check") and "blog: failed" in every.summary
    finally:
        state.close()
    assert site.paths() == ["/blog", "/pricing", "/blog"]


# -- with a model --------------------------------------------------------------------------------

@pytest.fixture
def model() -> Iterator[FakeLLM]:
    with fake_llm() as fake:
        yield fake


def honest_change_model(received: Received) -> Action:
    """Reports the change as a model would: from the added and removed paragraphs it was given."""
    blocks = dict(untrusted_blocks(received))
    added = next(text for label, text in blocks.items() if label.endswith("added to the page"))
    removed = next(text for label, text in blocks.items() if label.endswith("removed from the page"))
    return structured_reply(received, {"summary": f"Before: {removed.splitlines()[0]} Now: {added.splitlines()[0]}",
                                       "why_it_matters": "Anyone on the Pro plan pays more."})


def verdict(ok: bool, *objections: str) -> Action:
    return Action(body=openai_reply(json.dumps({"ok": ok, "objections": list(objections)})))


def with_model(vault: Vault, model: FakeLLM, url: str, verifier: bool = False, budget: str = "") -> None:
    common = f"provider: openai, base_url: \"{model.url}/v1\", api_key_env: KBD_TEST_KEY"
    models = (f"models:\n  worker: {{{common}, model: test-model, price_per_mtok: {{input: 1.0, output: 4.0}}}}\n"
              + (f"  verifier: {{{common}, model: verifier-model}}\n" if verifier else ""))
    configure(vault, url, extra=models + budget)


def test_a_model_accounts_for_the_change_through_the_verify_gate(vault: Vault, site: PageServer,
                                                                 model: FakeLLM) -> None:
    verdicts = [verdict(True)]
    model.default = lambda r: verdicts.pop(0) if r.body["model"] == "verifier-model" else honest_change_model(r)
    with_model(vault, model, site.page("/pricing", pricing()), verifier=True)
    check(vault)
    assert model.received == []  # the first check compares nothing: no call
    site.page("/pricing", pricing("$25"))
    [result] = check(vault)
    worker = [r for r in model.received if r.body["model"] == "test-model"]
    checker = [r for r in model.received if r.body["model"] == "verifier-model"]
    assert (len(worker), len(checker)) == (1, 1)
    labels = [label for label, _ in untrusted_blocks(worker[0])]
    assert labels == [f"Acme pricing ({site.url}/pricing), removed from the page",
                      f"Acme pricing ({site.url}/pricing), added to the page"]
    note = vault.note(result.report)
    assert note["engine"] == "openai:test-model" and note["verified"] is True
    assert "> [!summary] What changed" in note.content
    assert "Now: The Pro plan costs $25 per month, billed monthly." in render_as_text(note.content)
    assert "**Why it matters**: Anyone on the Pro plan pays more." in note.content
    assert "**Now**:" in note.content  # the paragraphs themselves are there too
    with sqlite3.connect(vault.root / ".kbd/state.db") as db:
        calls = db.execute("SELECT skill, job, outcome FROM llm_calls ORDER BY id").fetchall()
    assert calls == [("summarize_change", "monitor:acme", "ok"), ("verify_change", "verify:monitor:acme", "ok")]
    assert KEY not in note.content and KEY not in vault.status()


def test_an_account_the_verifier_rejects_twice_is_marked_unverified(vault: Vault, site: PageServer,
                                                                    model: FakeLLM) -> None:
    verdicts = [verdict(False, "It says prices fell."), verdict(False, "It still says prices fell.")]

    def route(received: Received) -> Action:
        if received.body["model"] == "verifier-model":
            return verdicts.pop(0)
        if "reviewer objections" not in first_user_text(received):
            return honest_change_model(received)
        # A model given objections revises its account (so the verifier is asked again, not its cache).
        return structured_reply(received, {"summary": "The Pro plan costs more now.", "why_it_matters": "Revised."})

    model.default = route
    with_model(vault, model, site.page("/pricing", pricing()), verifier=True)
    check(vault)
    site.page("/pricing", pricing("$25"))
    [result] = check(vault)
    worker = [r for r in model.received if r.body["model"] == "test-model"]
    assert len(worker) == 2 and "It says prices fell." in json.dumps(worker[1].body)
    note = vault.note(result.report)
    assert note["verified"] is False
    assert "> [!warning] Not verified" in note.content and "It still says prices fell." in note.content


def test_an_invented_number_fails_the_grounding_check(vault: Vault, site: PageServer, model: FakeLLM) -> None:
    model.default = lambda r: structured_reply(r, {"summary": "The Pro plan rose by 41.7% to $28.",
                                                   "why_it_matters": "Costs rise."})
    with_model(vault, model, site.page("/pricing", pricing()))
    check(vault)
    site.page("/pricing", pricing("$25"))
    [result] = check(vault)
    note = vault.note(result.report)
    assert note["verified"] is False and "the number 41.7 does not appear" in note.content


def test_a_spent_budget_still_writes_the_report_with_the_paragraphs(vault: Vault, site: PageServer,
                                                                   model: FakeLLM) -> None:
    model.default = honest_change_model
    with_model(vault, model, site.page("/pricing", pricing()), budget="budget: {per_run_usd: 0.0}\n")
    check(vault)
    site.page("/pricing", pricing("$25"))
    [result] = check(vault)
    assert model.received == []
    text = (vault.root / result.report).read_text()
    assert "no model account of the change" in text and "per_run_usd" in text
    assert "> The Pro plan costs $25 per month, billed monthly." in text


# -- from `kbd run` ----------------------------------------------------------------------------

def test_kbd_run_checks_a_url_trigger_and_compiles_the_ingested_version(vault: Vault, site: PageServer) -> None:
    from datetime import datetime, timedelta

    from tests.test_daemon import FAST, start_daemon, wait_for

    configure(vault, site.page("/pricing", pricing()), ingest=True, extra=FAST)
    (vault.root / "kbd/config.yaml").write_text((vault.root / "kbd/config.yaml").read_text().replace("6h", "1m"))
    start_daemon(vault).stop()
    earlier = (datetime.now().astimezone() - timedelta(minutes=2)).isoformat()
    with sqlite3.connect(vault.root / ".kbd/state.db") as db:  # the check was due while kbd was not running
        db.execute("INSERT INTO trigger_runs(name, last_run) VALUES('acme', ?)", (earlier,))
    running = start_daemon(vault)
    try:
        wait_for(lambda: (vault.wiki / "sources/Acme pricing.md").exists(),
                 what="the monitor's clipping to be compiled")
        wait_for(lambda: "acme → monitor (missed while kbd was not running)" in vault.status(),
                 what="the run in Status.md")
        status = vault.status()
        assert f"{site.url}/pricing every 1m" in status.replace("\\", "")
        assert "## Web monitors" in status and "| acme |" in status
    finally:
        running.stop()
        vault.sync_raw()
    assert "$20 per month" in (vault.wiki / "sources/Acme pricing.md").read_text()
