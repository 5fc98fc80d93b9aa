"""Provider faults, both wire formats (issue 8, acceptance 5): 429 with and without retry-after,
5xx, 529, timeouts, resets mid-body, truncated JSON, schema-invalid JSON, empty choices, a 200
whose body is an error, slow-drip bodies. Pass: no partial note, the budget never exceeded,
retries bounded, and the jobs succeed once the fault clears. The fault table is shared with
`python bench/llm.py --faults`, which prints it for docs/RELIABILITY.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from kbd.compile.run import compile_vault
from kbd.config import load_config
from tests.conftest import Vault
from tests.fake_llm import FakeLLM, fake_llm
from tests.model_fixtures import KEY
from tests.provider_faults import CAP_USD, FAULTS, add_sources, configure, partial_notes, run_fault

SOURCES = 2


def compile_once(root: Path) -> tuple[int, int]:
    report = compile_vault(root, load_config(root))
    return report.ingested, report.failed


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_passing_fault_costs_a_bounded_retry_and_loses_nothing(vault: Vault, monkeypatch: pytest.MonkeyPatch,
                                                                 provider: str, fault: str) -> None:
    monkeypatch.setenv("KBD_TEST_KEY", KEY)
    with fake_llm() as server:
        check_passing_fault(vault, server, provider, fault)


def check_passing_fault(vault: Vault, server: FakeLLM, provider: str, fault: str) -> None:
    configure(vault.root, server.url, provider)
    add_sources(vault.root, SOURCES)
    vault.sync_raw()
    times = 1 if fault == "schema-invalid JSON" else 2  # one bad reply, then its repair succeeds
    run = run_fault(server, vault.root, provider, fault, times, compile_once)
    assert (run.compiled, run.failed) == (SOURCES, 0), run
    assert run.requests == SOURCES + times, f"each faulted request costs exactly one more: {run}"
    assert run.partial_notes == [] and run.spent_usd <= CAP_USD
    assert all(r.refused is None for r in server.received), server.refusals


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("fault", ["503 unavailable", "connection reset mid-body"])
def test_a_lasting_fault_fails_the_jobs_cleanly_and_they_succeed_once_it_clears(
        vault: Vault, monkeypatch: pytest.MonkeyPatch, provider: str, fault: str) -> None:
    monkeypatch.setenv("KBD_TEST_KEY", KEY)
    with fake_llm() as server:
        check_lasting_fault(vault, server, provider, fault)


def check_lasting_fault(vault: Vault, server: FakeLLM, provider: str, fault: str) -> None:
    configure(vault.root, server.url, provider)
    add_sources(vault.root, SOURCES)
    vault.sync_raw()
    down = run_fault(server, vault.root, provider, fault, 10**6, compile_once)
    assert (down.compiled, down.failed) == (0, SOURCES) and down.partial_notes == []
    assert not list((vault.root / "wiki").rglob("sources/*.md")), "no note from a failed job"
    assert down.requests <= 6 + 5, "retries are bounded and the circuit breaker stops the rest"
    up = run_fault(server, vault.root, provider, fault, 0, compile_once)
    assert (up.compiled, up.failed) == (SOURCES, 0) and partial_notes(vault.root) == []
    assert len(list((vault.root / "wiki/sources").glob("*.md"))) == SOURCES
