"""Config errors name the file, the line and the key, and say what would be valid."""

from pathlib import Path

import pytest

from kbd.config import ConfigError, load_config, parse_config
from tests.conftest import run_kbd


@pytest.mark.parametrize(("text", "line", "key", "words"), [
    ("compile:\n  concept_min_source: 3\n", 2, "compile.concept_min_source", "did you mean `concept_min_sources`"),
    ("compile:\n  workers: many\n", 2, "compile.workers", "must be a whole number"),
    ("compile:\n  concept_min_sources: 0\n", 2, "compile.concept_min_sources", "between 1 and 1000"),
    ("compile: [1, 2]\n", 1, "compile", "must be a mapping"),
    ("paths:\n  raw: ../outside\n", None, "paths.raw", "inside the vault"),
    ("paths:\n  raw: notes\n  wiki: notes/wiki\n", None, "paths.wiki", "must not contain each other"),
    ("models:\n  worker: {}\n", 2, "models.worker.provider", "must be openai"),
    ("models:\n  verifier: {provider: anthropic, model: m}\n", 2, "models", "needs a worker"),
    ("models:\n  critic: {provider: anthropic, model: m}\n", 2, "models.critic", "unknown key"),
    ("models:\n  worker: {provider: openai, model: m, api_key_env: sk-live-123}\n", 2, "models.worker.api_key_env",
     "keys never go in this file"),
    ("budget: {daily_usd: lots}\n", 1, "budget.daily_usd", "US dollars"),
    ("triggers:\n  - {name: nightly, on: {cron: \"0 3 * * *\"}, run: tidy}\n", 2, "triggers.nightly.run",
     "no job called `tidy`"),
    ("lint:\n  broken_link: false\n", 2, "lint.broken_link", "did you mean `broken_links`"),
    ("lint:\n  unlinked_names: {min_notes: many}\n", 2, "lint.unlinked_names.min_notes", "whole number"),
    ("lint:\n  orphans: {depth: 2}\n", 2, "lint.orphans.depth", "unknown key"),
    ("triggers:\n  - {name: x, on: {cron: \"0 3\"}, run: compile}\n", 2, "triggers.x.on.cron", "not a valid cron"),
    ("triggers:\n  - {name: x, on: {every: soon}, run: compile}\n", 2, "triggers.x.on.every", "like 30s, 10m"),
    ("triggers:\n  - {name: x, on: {url: \"https://a.example\", every: 6h}, run: compile}\n", 2, "triggers.x.run",
     "a url trigger runs the monitor job"),
    ("triggers:\n  - {name: x, on: {url: \"file:///etc/passwd\", every: 6h}}\n", 2, "triggers.x.on.url",
     "only http and https pages"),
    ("triggers:\n  - {name: x, on: {url: \"https://a.example\"}}\n", 2, "triggers.x.on", "how often"),
    ("triggers:\n  - {name: x, on: {url: \"https://a.example\", every: 5s}}\n", 2, "triggers.x.on.every",
     "at most once a minute"),
    ("triggers:\n  - {name: x, on: {url: \"https://a.example\", every: 1h}, with: {ingest: yes please}}\n", 2,
     "triggers.x.with.ingest", "true or false"),
    ("triggers:\n  - {name: x, on: {url: \"https://a.example\", every: 1h}, with: {ingets: true}}\n", 2,
     "triggers.x.with.ingets", "did you mean `ingest`"),
    ("monitor:\n  allow_private_networks: 1\n", 2, "monitor.allow_private_networks", "true or false"),
    ("monitor:\n  max_bytes: 10\n", 2, "monitor.max_bytes", "from 1,000 to 100,000,000"),
    ("monitor:\n  timeout: 5\n", 2, "monitor.timeout", "did you mean `timeout_seconds`"),
    ("triggers:\n  - {name: x, on: {every: 6h}, run: my-skill}\n", 2, "triggers.x.run", "no job called `my-skill`"),
    ("triggers:\n  - {name: x, on: {start: true}, run: compile}\n  - {name: x, on: {start: true}, run: index}\n",
     3, "triggers.x", "unique"),
    ("triggers:\n  - name: x\n    on: {start: true}\n    run: compile\n    with: {quiet: true}\n", 5,
     "triggers.x.with.quiet", "takes no parameters"),
    ("daemon:\n  debounce_seconds: 0\n", 2, "daemon.debounce_seconds", "between 0.05 and 600"),
    ("compile:\n  workers: 2\n  workers: 3\n", 3, "compile.workers", "appears twice"),
    ("compile:\n  workers: [\n", 3, None, "invalid YAML"),
])
def test_config_errors_locate_the_problem(text: str, line: int | None, key: str | None, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text, "kbd/config.yaml")
    assert err.value.line == line
    assert err.value.key == key
    assert words in str(err.value)
    assert str(err.value).startswith("kbd/config.yaml")


def test_a_url_trigger_is_a_web_monitor_run_by_the_monitor_job() -> None:
    from kbd.monitor.settings import Monitor, monitors

    config = parse_config("monitor:\n  allow_private_networks: true\n  max_bytes: 50000\ntriggers:\n"
                          "  - name: acme\n    on: {url: \"https://acme.example/pricing#plans\", every: 6h}\n"
                          "    with: {ingest: true}\n"
                          "  - {name: nightly-checks, on: {cron: \"0 3 * * *\"}, run: monitor, with: {name: acme}}\n")
    assert config.monitor.allow_private_networks and config.monitor.max_bytes == 50_000
    acme, nightly = config.triggers or ()
    assert (acme.kind, acme.spec, acme.run) == ("every", "21600", "monitor")
    assert monitors(config) == [Monitor("acme", "https://acme.example/pricing", 21600, ingest=True)]
    assert (nightly.run, dict(nightly.params)) == ("monitor", {"name": "acme"})
    assert parse_config("").monitor.allow_private_networks is False


def test_defaults_and_overrides() -> None:
    config = parse_config("paths:\n  raw: Clippings\ncompile:\n  concept_min_sources: 3\n")
    assert config.paths.raw == "Clippings" and config.paths.wiki == "wiki"
    assert config.compile.concept_min_sources == 3 and config.compile.max_note_bytes == 5_000_000
    assert parse_config("") == parse_config("# only comments\n")


def test_missing_config_means_defaults_but_a_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    assert load_config(tmp_path).compile.concept_min_sources == 2
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path, tmp_path / "nope.yaml")


def test_cli_exits_2_on_a_config_error_and_names_it(tmp_path: Path) -> None:
    assert run_kbd("init", str(tmp_path / "v")).returncode == 0
    (tmp_path / "v/kbd/config.yaml").write_text("compile:\n  concept_min_source: 3\n")
    result = run_kbd("compile", str(tmp_path / "v"))
    assert result.returncode == 2
    assert "kbd/config.yaml, line 2, key `compile.concept_min_source`" in result.stderr


def test_cli_refuses_a_folder_that_is_not_a_vault(tmp_path: Path) -> None:
    result = run_kbd("compile", str(tmp_path))
    assert result.returncode == 2 and "kbd init" in result.stderr
    assert not (tmp_path / ".kbd").exists()


def test_a_custom_raw_folder_is_compiled(tmp_path: Path) -> None:
    root = tmp_path / "v"
    assert run_kbd("init", str(root)).returncode == 0
    (root / "kbd/config.yaml").write_text("paths:\n  raw: Clippings\n")
    (root / "Clippings").mkdir()
    (root / "Clippings/a.md").write_text("---\ntitle: A note\n---\nThe buffer pool keeps pages. The buffer pool.\n")
    result = run_kbd("compile", str(root))
    assert result.returncode == 0, result.stderr
    assert (root / "wiki/sources/A note.md").read_text().count("[[Clippings/a|") == 2
