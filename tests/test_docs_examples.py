"""Every command README.md and docs/ show runs, and every config example parses (issue 21).

The shell blocks (```sh) are read line by line and run as a reader types them, in document order,
against one vault at ~/Vault: HOME is a temp folder, ~/Downloads holds the sample clippings and
five about sleep, mood and exercise (the notes the examples search for), and the commands run
offline. A command whose doc states a premise ("a note you edited", "the decks listed under
`decks:`", "the pages config.yaml monitors", a custom skill and its model) gets that premise set
up first; one that needs a model talks to the loopback fake model (tests/fake_llm.py).
Long-running commands (`kbd run`, `kbd serve`) are started, waited on for their ready sign and
stopped; `kbd mcp` runs until its stdin closes, as it does when its client goes away.

Benchmarks (`python bench/…`, in blocks or inline) are not run here (they take minutes to hours
and print figures, not verdicts) but each must answer `--help` and know every option the docs
give it. The few commands that are not run at all are in NOT_RUN with the reason.

Every ```yaml block is a `kbd/config.yaml` and goes through kbd's own loader (`load_config`,
which also checks the skill a trigger names), except a custom skill's frontmatter fragment,
which goes through the custom skill parser inside the worked example it belongs to.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from kbd.config import load_config
from kbd.custom_skills.spec import parse_custom_skill
from tests.conftest import FIXED_EPOCH, SAMPLES, clipper_note, tree_bytes
from tests.events import SAFETY_NET, wait_for
from tests.fake_llm import FakeLLM
from tests.model_fixtures import KEY, KEY_ENV, Reply
from tests.page_server import page_server
from tests.skill_model import skill_model

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
SHELL = ("sh", "bash", "shell", "console")
# A fence with no language that starts like a command would hide it from this test.
COMMAND_START = re.compile(r"^\s*((kbd|python3?|pip|bash|npm|marp) |\.venv/)")

NOT_RUN = {
    "bash .ci/run": "it is the command that runs this test suite (CI runs exactly it)",
    ".venv/bin/pip install '.[mcp]'": "installs the extra's packages from a package index; the test checks the extra",
}
# Steps of the quick start's `&&` chain that install; the kbd steps after them are run.
INSTALL_STEPS = {
    "python3 -m venv .venv": "makes a fresh .venv (this test runs in one made the same way by .ci/run)",
    ".venv/bin/pip install -q --require-hashes -r requirements.lock":
        "installs the lock from a package index; .ci/run installs requirements-dev.lock, a superset",
    ".venv/bin/pip install -q --no-deps --no-build-isolation .": "installs kbd, which this test suite runs",
}

CLIPPINGS = {
    "How sleep consolidates memory": (
        "During slow-wave sleep the hippocampus replays the day's experiences and the cortex stores them for "
        "the long term. People deprived of sleep after learning remember markedly less a week later. The "
        "circadian rhythm sets when slow-wave sleep comes.", ("clippings", "health/sleep")),
    "Sleep and mood": (
        "Poor sleep and low mood feed each other: people with insomnia are twice as likely to develop "
        "depression. A disrupted circadian rhythm worsens mood and memory alike. Treating insomnia improved "
        "mood in most trials.", ("clippings", "health")),
    "Body clocks": (
        "The circadian rhythm is the body's twenty-four hour clock, set by morning light. Shift workers whose "
        "circadian rhythm is disrupted sleep less and report lower mood. Light therapy moves the circadian "
        "rhythm earlier.", ("clippings", "health")),
    "Exercise trial for depression": (
        "A randomised trial compared running with usual care for adults with depression. After twelve weeks, "
        "47% of patients who exercised went into remission. Exercise also improved sleep quality in most "
        "participants.", ("clippings",)),
    "Some note": (
        "Some note is a short clipping about sleep, memory and the circadian rhythm. It says that sleep after "
        "learning helps memory, and that a regular bedtime keeps the circadian rhythm steady.", ("clippings",)),
}


@dataclass(frozen=True)
class Block:
    doc: Path
    line: int  # of the opening fence
    lang: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(REPO)}:{self.line}"


def fenced_blocks(doc: Path) -> list[Block]:
    blocks, opened, lang, body = [], 0, "", []
    for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
        fence = re.match(r"^\s*(`{3,})(\S*)", line)
        if not opened and fence:
            opened, lang, body = number, fence.group(2), []
        elif opened and fence and not fence.group(2):
            blocks.append(Block(doc, opened, lang, "\n".join(body) + "\n"))
            opened = 0
        elif opened:
            body.append(line)
    return blocks


ALL_BLOCKS = [block for doc in DOCS for block in fenced_blocks(doc)]


@dataclass(frozen=True)
class Command:
    where: str
    line: str

    @property
    def argv(self) -> list[str]:
        return shlex.split(self.line, comments=True)

    @property
    def bare(self) -> str:
        """The line without its trailing comment."""
        return self.line.split(" #", 1)[0].rstrip()


SHELL_COMMANDS = [Command(f"{b.where}+{n}", line.strip())
                  for b in ALL_BLOCKS if b.lang in SHELL
                  for n, line in enumerate(b.text.splitlines(), 1) if line.strip() and not line.startswith("#")]
# Commands written inline in the prose, whole (a vault and no placeholder such as NAME, <note>, […]).
INLINE_COMMANDS = sorted({Command(f"{doc.relative_to(REPO)}:inline `{span}`", span)
                          for doc in DOCS for span in re.findall(r"`(kbd \w+ ~/Vault[^`]*)`", doc.read_text())
                          if not re.search(r"[<\[…]|\b[A-Z]{3,}\b", span)}, key=lambda c: c.line)
KBD_COMMANDS = [c for c in SHELL_COMMANDS if c.argv[0] == "kbd"] + INLINE_COMMANDS
BENCH = re.compile(r"python3? (?:-m bench\.(\w+)|bench/(\w+)\.py)([^`\n|]*)")


def test_every_shell_line_is_run_or_listed_with_the_reason_it_is_not() -> None:
    assert KBD_COMMANDS, "the docs show kbd commands"
    for command in SHELL_COMMANDS:
        first = command.argv[0]
        known = (first in ("kbd", "cp") or BENCH.match(command.line) or command.bare in NOT_RUN
                 or command.line.startswith("python3 -m venv .venv && "))
        assert known, f"{command.where}: `{command.line}` is neither run by this test nor listed in NOT_RUN"


def test_no_unlabelled_block_hides_a_command() -> None:
    for block in ALL_BLOCKS:
        if not block.lang:
            hidden = [line for line in block.text.splitlines() if COMMAND_START.match(line)]
            assert not hidden, f"{block.where}: a command in a block with no language: label it ```sh"


# -- the documented vault ---------------------------------------------------------------------------

@dataclass
class Home:
    path: Path
    env: dict[str, str]

    @property
    def vault(self) -> Path:
        return self.path / "Vault"

    def expand(self, argv: list[str]) -> list[str]:
        return [str(self.path) + arg[1:] if arg == "~" or arg.startswith("~/") else arg for arg in argv]

    def kbd(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-P", "-m", "kbd", *self.expand(argv[1:])], cwd=self.path,
                              env=self.env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=SAFETY_NET)

    def config(self, text: str) -> None:
        (self.vault / "kbd/config.yaml").write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    path = tmp_path_factory.mktemp("home")
    downloads = path / "Downloads"
    downloads.mkdir()
    for sample in SAMPLES.glob("*.md"):
        shutil.copy(sample, downloads / sample.name)
    for title, (body, tags) in CLIPPINGS.items():
        (downloads / f"{title}.md").write_text(clipper_note(title, body, tags=tags), encoding="utf-8")
    env = {**os.environ, "HOME": str(path), "SOURCE_DATE_EPOCH": FIXED_EPOCH, KEY_ENV: KEY}
    env.pop("XDG_CONFIG_HOME", None)
    made = Home(path, env)
    assert made.kbd(["kbd", "init", "~/Vault"]).returncode == 0
    copy = next(c.line for c in SHELL_COMMANDS if c.argv[0] == "cp")  # the README's own `cp` line, by bash
    assert subprocess.run(["bash", "-c", copy], cwd=path, env=env).returncode == 0
    assert sorted(p.name for p in (made.vault / "raw").glob("*.md")) == sorted(p.name for p in downloads.iterdir())
    compiled = made.kbd(["kbd", "compile", "~/Vault"])
    assert compiled.returncode == 0, compiled.stderr
    yield made
    assert tree_bytes(made.vault / "raw") == tree_bytes(downloads), "no documented command changed raw/"


# -- premises: the state a command's doc line takes for granted ------------------------------------

def edited_note(home: Home, server: FakeLLM) -> None:
    """`kbd adopt …/Some note.md`: "hand a note you edited back to kbd" (kbd keeps it, from the next compile)."""
    note = home.vault / "wiki/sources/Some note.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nMy own line.\n", encoding="utf-8")
    compiled = home.kbd(["kbd", "compile", "~/Vault"])
    assert compiled.returncode == 0 and "wiki/sources/Some note" in (home.vault / "wiki/reports/Status.md").read_text()


def no_config_yet(home: Home, server: FakeLLM) -> None:
    """`kbd init ~/Vault --model …` "writes the preset into a new kbd/config.yaml"."""
    (home.vault / "kbd/config.yaml").unlink()


def no_service_yet(home: Home, server: FakeLLM) -> None:
    """`kbd service install`: the first install (it never replaces a unit file without --force)."""
    for unit in (home.path / ".config/systemd/user").glob("kbd-*.service"):
        unit.unlink()


def decks_listed(home: Home, server: FakeLLM) -> None:
    """`kbd slides ~/Vault`: "refresh the decks listed under `decks:`", the docs' own `decks:` example."""
    example = next(b.text for b in ALL_BLOCKS if b.lang == "yaml" and b.text.startswith("decks:"))
    home.config(example)
    asked = home.kbd(["kbd", "ask", "~/Vault", "Does exercise help depression?"])
    assert asked.returncode == 0, asked.stdout + asked.stderr


def answer_filed(home: Home, server: FakeLLM) -> None:
    """`kbd slides --from "wiki/answers/Does exercise help.md"`: that answer is in the wiki."""
    asked = home.kbd(["kbd", "ask", "~/Vault", "Does exercise help?"])
    assert asked.returncode == 0, asked.stdout + asked.stderr


def skill_with_model(home: Home, server: FakeLLM) -> None:
    """`kbd skill ~/Vault weekly_digest`: the worked example copied into kbd/skills/, a model configured."""
    (home.vault / "kbd/skills").mkdir(exist_ok=True)
    shutil.copy(REPO / "docs/skills/weekly_digest.md", home.vault / "kbd/skills/weekly_digest.md")
    home.config("models:\n  worker: {provider: openai, base_url: \"" + server.url + "/v1\", model: test-model, "
                f"api_key_env: {KEY_ENV}}}\n")


PREMISES: dict[str, Callable[[Home, FakeLLM], None]] = {
    "kbd adopt ~/Vault/wiki/sources/Some\\ note.md": edited_note,
    "kbd slides ~/Vault": decks_listed,
    "kbd slides ~/Vault --from \"wiki/answers/Does exercise help.md\"": answer_filed,
    "kbd skill ~/Vault weekly_digest": skill_with_model,
    "kbd service install ~/Vault": no_service_yet,
    "kbd init ~/Vault --model ollama:qwen3:8b": no_config_yet,
}


@pytest.fixture
def model_reply() -> Reply:
    return skill_model


@pytest.mark.parametrize("command", KBD_COMMANDS, ids=lambda c: c.where)
def test_every_kbd_command_the_docs_show_runs(command: Command, home: Home, server: FakeLLM) -> None:
    home.config("")
    premise = PREMISES.get(command.bare)
    if premise is not None:
        premise(home, server)
    argv = command.argv
    if argv[1] == "run":
        assert_runs_until_stopped(home, argv)
    elif argv[1] == "serve":
        # The docs' ports (8765, 9000) could be taken by another run on this machine: any free one.
        argv = [a for i, a in enumerate(argv) if a != "--port" and argv[i - 1] != "--port"] + ["--port", "0"]
        assert_runs_until_stopped(home, argv)
    elif argv[1] == "monitor":
        with page_server() as site:
            url = site.page("/pricing", "<main><h1>Pricing</h1><p>The plan costs 10 dollars a month.</p></main>")
            home.config("monitor:\n  allow_private_networks: true\ntriggers:\n"
                        f"  - {{name: acme-pricing, on: {{url: \"{url}\", every: 6h}}}}\n")
            assert_exit_0(command, home.kbd(argv))
    else:
        assert_exit_0(command, home.kbd(argv))
    if argv[1] == "skill":
        assert server.received, "the skill asked the (fake) model"


@pytest.mark.parametrize("name", sorted({" ".join(c.argv[1:3] if c.argv[1] == "service" else c.argv[1:2])
                                          for c in KBD_COMMANDS}))
def test_every_command_the_docs_show_has_help(name: str) -> None:
    result = subprocess.run([sys.executable, "-P", "-m", "kbd", *name.split(), "--help"], capture_output=True,
                            text=True, timeout=SAFETY_NET)
    assert result.returncode == 0 and result.stdout.startswith("usage: kbd " + name), result.stdout + result.stderr


def assert_exit_0(command: Command, result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, f"{command.where}: `{command.line}` exited {result.returncode}\n" \
                                   f"{result.stdout}\n{result.stderr}"


def assert_runs_until_stopped(home: Home, argv: list[str]) -> None:
    """Start a long-running command, wait for its ready sign, stop it as Ctrl-C or a service manager does."""
    socket = home.vault / ".kbd/run/daemon.sock"
    proc = subprocess.Popen([sys.executable, "-P", "-m", "kbd", *home.expand(argv[1:])], cwd=home.path,
                            env=home.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    assert proc.stdout is not None
    try:
        if argv[1] == "serve":
            first = proc.stdout.readline()
            url = re.search(r"http://127\.0\.0\.1:\d+/", first)
            assert url, first + proc.stdout.read()
            with urllib.request.urlopen(url.group(0), timeout=SAFETY_NET) as page:  # ready: it answers
                assert page.status == 200 and b"<html" in page.read().lower()
        else:  # `kbd run` is ready to take commands once its socket is there
            wait_for(lambda: proc.poll() is not None or socket.exists(), what="the daemon's socket")
            assert proc.poll() is None, proc.stdout.read()
        proc.send_signal(signal.SIGINT if argv[1] == "serve" else signal.SIGTERM)  # as each one's doc says
        out, _ = proc.communicate(timeout=SAFETY_NET)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, out
    assert not socket.exists(), "a stopped daemon leaves no socket behind"


def test_the_quick_start_makes_and_compiles_the_demo_vault(tmp_path: Path) -> None:
    chain = next(c.line for c in SHELL_COMMANDS if c.line.startswith("python3 -m venv .venv && "))
    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH}
    ran = []
    for step in (s.strip() for s in chain.split("&&")):
        if step in INSTALL_STEPS:
            continue
        argv = shlex.split(step)
        assert argv[0] == ".venv/bin/kbd", f"a quick-start step neither installs nor runs kbd: {step}"
        result = subprocess.run([sys.executable, "-P", "-m", "kbd", *argv[1:]], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=SAFETY_NET)
        assert result.returncode == 0, f"`{step}` exited {result.returncode}\n{result.stdout}{result.stderr}"
        ran.append(step)
    assert ran == [".venv/bin/kbd init demo-vault --samples", ".venv/bin/kbd compile demo-vault"]
    assert (tmp_path / "demo-vault/wiki/index.md").is_file(), "then open demo-vault and start at wiki/index.md"


def test_the_extras_the_docs_install_exist() -> None:
    project = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    for extra in ("mcp", "vectors", "wordfreq"):
        assert re.search(rf"^{extra} = \[", project, re.M), f"kbd[{extra}] is not an extra of pyproject.toml"


# -- benchmarks: valid, not run ---------------------------------------------------------------------

BENCH_CALLS = sorted({(m.group(1) or m.group(2), m.group(3).strip())
                      for doc in DOCS for m in BENCH.finditer(doc.read_text(encoding="utf-8"))})


@functools.cache
def bench_help(script: str) -> str:
    result = subprocess.run([sys.executable, "-m", f"bench.{script}", "--help"], cwd=REPO, capture_output=True,
                            text=True, timeout=SAFETY_NET)
    assert result.returncode == 0, f"bench/{script}.py --help exited {result.returncode}\n{result.stderr}"
    return result.stdout


@pytest.mark.parametrize(("script", "options"), BENCH_CALLS, ids=lambda v: v or "-")
def test_every_benchmark_the_docs_name_answers_help_and_knows_its_options(script: str, options: str) -> None:
    text = bench_help(script)
    for option in re.findall(r"(?:^|\s)(--?[a-z][\w-]*)", options):
        assert re.search(rf"(^|[\s,\[]){re.escape(option)}\b", text), f"bench/{script}.py has no option {option}"


# -- config examples --------------------------------------------------------------------------------

YAML_BLOCKS = [b for b in ALL_BLOCKS if b.lang in ("yaml", "yml")]
SKILL_KEYS = {"reads", "writes", "schema", "name", "role", "version", "description"}


@pytest.mark.parametrize("block", YAML_BLOCKS, ids=lambda b: b.where)
def test_every_config_example_parses_with_kbds_own_loader(block: Block, home: Home, tmp_path: Path) -> None:
    keys = set(yaml.safe_load(block.text) or {})
    if keys <= SKILL_KEYS:  # a fragment of a custom skill's frontmatter: put it into the worked example
        example = (REPO / "docs/skills/weekly_digest.md").read_text(encoding="utf-8")
        front = yaml.safe_load(example.split("---\n")[1])
        front.update(yaml.safe_load(block.text))
        text = "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n" + example.split("---\n", 2)[2]
        skill = parse_custom_skill(text, "kbd/skills/weekly_digest.md")
        assert skill.name == "weekly_digest"
        return
    (home.vault / "kbd/skills").mkdir(exist_ok=True)
    for example in (REPO / "docs/skills").glob("*.md"):  # triggers may `run: skill:NAME` of the examples
        shutil.copy(example, home.vault / "kbd/skills" / example.name)
    config = tmp_path / "config.yaml"
    config.write_text(block.text, encoding="utf-8")
    load_config(home.vault, config)


# -- links ------------------------------------------------------------------------------------------

def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_relative_link_of_the_docs_reaches_a_file_and_heading() -> None:
    for doc in DOCS:
        text = re.sub(r"```.*?```|`[^`\n]*`", "", doc.read_text(encoding="utf-8"), flags=re.S)  # code is not a link
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            linked = (doc.parent / path).resolve() if path else doc
            assert linked.exists(), f"{doc.relative_to(REPO)}: link to {target}, which does not exist"
            if anchor and linked.suffix == ".md":
                headings = re.findall(r"^#+ (.+)$", linked.read_text(encoding="utf-8"), re.M)
                assert anchor in {github_anchor(h) for h in headings}, f"{doc.relative_to(REPO)}: no heading #{anchor}"
