"""The fuzzing harness (bench/fuzz.py) in CI: a bounded number of random and hostile cases, each
through compile, ask, slides, lint, search and status, with no traceback and no vault-wide stop.
A failure names its seed; `python -m bench.fuzz --seed SEED --cases 1` replays it."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.fuzz import base_vault, make_case, run_case

CI_CASES = 15  # 45 s for the whole test on 2 shared cores (load average 9): under a minute


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return base_vault(tmp_path_factory.mktemp("fuzz"))


@settings(max_examples=CI_CASES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_random_and_hostile_input_never_crashes_or_stops_the_vault(seed: int, base: Path, tmp_path: Path) -> None:
    result = run_case(make_case(seed), base, tmp_path)
    assert result.problems == [], f"seed {seed}: " + "; ".join(result.problems)


def test_the_fuzzer_makes_the_poison_pill_and_other_hostile_numbers() -> None:
    made = "".join(data.decode("utf-8", "replace") for seed in range(60) for _, data in make_case(seed).clippings)
    assert "9" * 400 + "%" in made and "0.00000000000001%" in made and "1e999%" in made
