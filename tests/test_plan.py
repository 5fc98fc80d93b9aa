"""`kbd plan` estimates a compile before spending anything (part of the LLM-engine issue)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.conftest import Vault
from tests.fake_llm import FakeLLM
from tests.model_fixtures import configure

pytestmark = pytest.mark.usefixtures("key")


def test_plan_spends_nothing_and_is_within_25_percent_of_the_real_spend(sample_vault: Vault, server: FakeLLM) -> None:
    from tests.clippings import make_clipping

    long = make_clipping(7, words=9000)  # long enough to be split into parts and combined
    sample_vault.clip(long.filename, long.text)
    configure(sample_vault, server, "budget: {daily_usd: 5, per_run_usd: 1}\n")
    plan = json.loads(sample_vault.kbd("plan", ".", "--json").stdout)
    assert len(server.received) == 0, "planning makes no model call"
    assert plan["calls"] >= 6 and len(plan["sources"]) == 4
    text = sample_vault.kbd("plan", ".").stdout
    assert "model calls" in text and "budget: per run $1.00" in text

    sample_vault.compile()
    with sqlite3.connect(sample_vault.root / ".kbd/state.db") as db:
        spent, calls = db.execute("SELECT SUM(cost_usd), COUNT(*) FROM llm_calls WHERE outcome='ok'").fetchone()
    assert calls == plan["calls"] == len(server.received)
    assert abs(plan["cost_usd"] - spent) <= 0.25 * spent, f"estimated ${plan['cost_usd']:.5f}, spent ${spent:.5f}"

    again = json.loads(sample_vault.kbd("plan", ".", "--json").stdout)
    assert again["calls"] == 0 and again["sources"] == []


def test_plan_with_the_offline_engine(sample_vault: Vault) -> None:
    text = sample_vault.kbd("plan", ".").stdout
    assert "3 clippings to compile" in text and "engine offline" in text
    sample_vault.compile()
    assert sample_vault.kbd("plan", ".").stdout.startswith("nothing to do")
