"""The CLI while `kbd run` holds the vault (issue 18, item 7): commands are handed to the daemon over
`.kbd/run/daemon.sock`, print what they print in-process, exit with the job's code, and Ctrl-C in
the CLI cancels the job in the daemon. A real daemon process each time; every wait is for an event
(the socket file, a log line, a request at the fake model, a state row)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kbd.daemon.client import socket_refusal
from kbd.daemon.protocol import MAX_MESSAGE, VERSION, socket_path
from kbd.daemon.socket_server import peer_refusal
from tests.conftest import FIXED_EPOCH, SAMPLES, Vault, clipper_note, run_kbd, tree_bytes
from tests.fake_llm import Action, FakeLLM, Received, fake_llm
from tests.model_fixtures import KEY, honest_model
from tests.page_server import PageServer, page_server
from tests.test_daemon import Running, start_daemon, wait_for
from tests.test_monitor import pricing

QUIET = "triggers: []\ndaemon: {debounce_seconds: 0.3, reconcile_minutes: 10000}\n"  # the CLI's jobs only
QUESTION = "Why do B-trees stay shallow?"
OUTSIDER_PYTHON = "/usr/bin/python3"


def sock(vault: Vault) -> Path:
    return socket_path(vault.root / ".kbd")


def daemon_log(vault: Vault) -> str:
    path = vault.root / ".kbd/kbd.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def start(vault: Vault) -> Running:
    running = start_daemon(vault)
    # Its socket is bound before it logs this (a socket and a Status.md a killed daemon left prove nothing).
    wait_for(lambda: f"kbd {running.proc.pid} watching" in daemon_log(vault), what="the daemon's start")
    assert sock(vault).exists()
    return running


@pytest.fixture
def stopper() -> Iterator[list[Running]]:
    daemons: list[Running] = []
    yield daemons
    for r in daemons:
        if r.proc.poll() is None:
            r.stop()


def kbd_in(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_kbd(*args, cwd=folder)


def cli(vault: Vault, *args: str) -> subprocess.Popen[str]:
    """`kbd ARGS` in the vault's parent folder, as a process the test can signal."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH}
    return subprocess.Popen([sys.executable, "-P", "-m", "kbd", *args], cwd=vault.root.parent, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)


def session(folder: Path, site: PageServer) -> list[tuple[int, str, str]]:
    """One user's session of the commands that need the vault, from the vault's parent folder."""
    runs = []
    site.page("/pricing", pricing())
    for args in (("compile", "Vault"), ("ask", "Vault", QUESTION), ("slides", "Vault", "B-trees"),
                 ("lint", "Vault"), ("monitor", "Vault"), ("changed page",), ("monitor", "Vault"),
                 ("ask", "Vault", "zebra quokka marmalade"), ("monitor", "Vault", "nosuch"),
                 ("compile", "Vault", "--limit", "3"), ("skill", "Vault", "nosuch")):
        if args == ("changed page",):
            site.page("/pricing", pricing("$25", extra="<p>A new Team plan arrives in January.</p>"))
            continue
        result = kbd_in(folder, *args)
        runs.append((result.returncode, result.stdout, result.stderr))
    note = folder / "Vault/wiki/sources/Why B-trees stay shallow.md"
    note.write_text(note.read_text() + "\nMy own remark.\n")
    kbd_in(folder, "compile", "Vault")
    result = kbd_in(folder, "adopt", "Vault/wiki/sources/Why B-trees stay shallow.md")
    runs.append((result.returncode, result.stdout, result.stderr))
    return runs


def twin_vaults(tmp_path: Path, site: PageServer) -> tuple[Vault, Vault]:
    vaults = []
    for side in ("daemon", "alone"):
        v = Vault(tmp_path / side / "Vault")
        (v.root / "kbd/config.yaml").write_text(  # one web monitor, due in 6 h: only `kbd monitor` checks it
            QUIET.replace("triggers: []\n", "triggers:\n  - {name: acme, on: {url: \"" + site.url + "/pricing\", "
                          "every: 6h}}\nmonitor: {allow_private_networks: true}\n"))
        vaults.append(v)
    return vaults[0], vaults[1]


def clip_samples(vault: Vault) -> None:
    for sample in sorted(SAMPLES.glob("*.md")):
        vault.clip(sample.name, sample.read_bytes())


def test_every_command_works_while_the_daemon_runs_and_leaves_the_vault_as_in_process(
        tmp_path: Path, stopper: list[Running]) -> None:
    with page_server() as site:
        served, alone = twin_vaults(tmp_path, site)
        stopper.append(start(served))
        for v in (served, alone):
            clip_samples(v)
        with_daemon = session(served.root.parent, site)
        in_process = session(alone.root.parent, site)
    assert with_daemon == in_process, "the same text and exit codes either way"
    codes = [code for code, _, _ in with_daemon]
    # compile, ask, slides, lint and two checks of a page work; a question nothing matches fails (1); an
    # unknown monitor, --limit without --redo and an unknown skill are usage errors (2); adopting works
    assert codes == [0, 0, 0, 0, 0, 0, 1, 2, 2, 2, 0], with_daemon
    assert "filed to wiki/answers/Why do B-trees stay shallow.md" in with_daemon[1][1]
    assert "acme: changed" in with_daemon[5][1] and list((served.wiki / "reports").glob("Monitor acme *.md"))
    log = daemon_log(served)
    for command in ("compile", "ask", "slides", "lint", "monitor", "skill", "adopt"):
        assert re.search(rf"kbd {command} [^\n]*: running for the CLI", log), f"kbd {command} was not handed over"
    skip = ("reports/Status.md",)  # it shows the daemon's own section
    assert tree_bytes(served.wiki, skip) == tree_bytes(alone.wiki, skip)
    assert (served.wiki / "slides/B-trees.md").exists() and (served.wiki / "reports").is_dir()


def test_the_socket_is_owner_only(vault: Vault, stopper: list[Running]) -> None:
    (vault.root / "kbd/config.yaml").write_text(QUIET)
    stopper.append(start(vault))
    path = sock(vault)
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    assert socket_refusal(path, os.getuid()) is None
    other = socket_refusal(path, os.getuid() + 1000)
    assert other is not None and f"belongs to uid {os.getuid()}" in other


def test_a_socket_others_could_use_is_refused_by_the_cli(vault: Vault, stopper: list[Running]) -> None:
    (vault.root / "kbd/config.yaml").write_text(QUIET)
    running = start(vault)
    stopper.append(running)
    os.chmod(sock(vault), 0o666)  # someone loosened it: a planted or tampered socket is never used
    result = vault.kbd("compile", ".", check=False)
    assert "not handing the command to the daemon" in result.stderr and "0666" in result.stderr
    assert result.returncode == 2 and f"pid {running.proc.pid}" in result.stderr, "the lock still refuses"
    assert "running for the CLI" not in daemon_log(vault)


def test_the_daemon_refuses_a_process_of_another_user(vault: Vault, stopper: list[Running]) -> None:
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with left, right:
        assert peer_refusal(left, os.getuid()) is None
        refusal = peer_refusal(left, os.getuid() + 1000)
        assert refusal is not None and f"runs as uid {os.getuid()}" in refusal
    if os.getuid() != 0 or not Path(OUTSIDER_PYTHON).exists():
        return  # below, root becomes `nobody`, with a python that `nobody` may run (not the venv's under /root)
    (vault.root / "kbd/config.yaml").write_text(QUIET)
    stopper.append(start(vault))
    path = sock(vault)
    # Open everything up, so that only the daemon's own check stands between `nobody` and the job.
    os.chmod(path.parent, 0o777)
    os.chmod(path, 0o777)
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        intruder = subprocess.run(
            # The slowest client there is: it writes its request only after the refusal and the end of
            # the daemon's side have arrived. The write must still go through (the daemon closing at
            # once failed it with EPIPE under load: the CLI never showed why it was refused).
            [OUTSIDER_PYTHON, "-c", "import socket, sys\ns = socket.socket(socket.AF_UNIX)\n"
             "s.connect(sys.argv[1])\nreply = s.makefile('rb').read()\n"
             "s.sendall(sys.argv[2].encode() + b'\\n')\nprint(reply.decode().strip())",
             f"/proc/self/fd/{folder}/{path.name}",
             json.dumps({"v": VERSION, "type": "run", "argv": ["compile", str(vault.root)], "cwd": "/",
                         "tty": {}})],
            pass_fds=(folder,), user=65534, capture_output=True, text=True, timeout=600)
    finally:
        os.close(folder)
    reply = json.loads(intruder.stdout)
    assert reply["type"] == "error" and "uid 65534" in reply["message"], intruder.stdout + intruder.stderr
    assert "running for the CLI" not in daemon_log(vault)


def converse(path: Path, payload: bytes) -> dict[str, object]:
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(path))
        s.sendall(payload)
        return json.loads(s.makefile("rb").readline())


def test_malformed_messages_are_refused_with_a_reason(vault: Vault, stopper: list[Running]) -> None:
    (vault.root / "kbd/config.yaml").write_text(QUIET)
    stopper.append(start(vault))
    path = sock(vault)
    run = {"v": VERSION, "type": "run", "argv": ["compile", str(vault.root)], "cwd": "/", "tty": {}}
    cases = {
        b"this is not json\n": "not JSON",
        b"[1, 2]\n": "not a JSON object",
        json.dumps({**run, "v": 99}).encode() + b"\n": "protocol version 99",
        json.dumps({**run, "type": "shell"}).encode() + b"\n": "unknown type 'shell'",
        json.dumps({**run, "argv": "compile"}).encode() + b"\n": "'argv' is not a list",
        json.dumps({**run, "argv": ["run", "/"]}).encode() + b"\n": "`kbd run` is not a command the daemon runs",
        json.dumps({**run, "cwd": "relative"}).encode() + b"\n": "cwd is not an absolute path",
        json.dumps({"v": VERSION, "type": "cancel"}).encode() + b"\n": "cancel message before any run",
        b"x" * (MAX_MESSAGE + 10): f"over the {MAX_MESSAGE}-byte limit",
    }
    for payload, reason in cases.items():
        reply = converse(path, payload)
        assert reply["type"] == "error" and reason in str(reply["message"]), (payload[:80], reply)
    assert "running for the CLI" not in daemon_log(vault)
    vault.clip("After.md", clipper_note("After the garbage", "The daemon still serves the CLI after all that."))
    assert vault.kbd("compile", ".").stdout.startswith("compiled 1 source")
    assert "running for the CLI" in daemon_log(vault)


class Gate:
    """The fake model holds the first request until the test opens the gate."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.open = threading.Event()

    def __call__(self, received: Received) -> Action:
        self.arrived.set()
        if not self.open.wait(60):
            return Action(500, {"error": "the test never opened the gate"})
        return honest_model(received)


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeLLM, Gate]]:
    monkeypatch.setenv("KBD_TEST_KEY", KEY)
    gate = Gate()
    with fake_llm() as fake:
        fake.default = gate
        yield fake, gate
        gate.open.set()


def model_vault(vault: Vault, fake: FakeLLM, clippings: int) -> None:
    (vault.root / "kbd/config.yaml").write_text(
        QUIET + "models:\n  worker: {provider: openai, base_url: \"" + fake.url + "/v1\", model: test-model, "
        "api_key_env: KBD_TEST_KEY, price_per_mtok: {input: 1.0, output: 4.0}, max_concurrency: 1}\n")
    for i in range(clippings):
        vault.clip(f"Clip {i}.md", clipper_note(f"Clip {i}", f"Clipping number {i} is about the buffer pool. "
                                                           "The buffer pool keeps hot pages in memory for reads. "
                                                           f"Its size is the main tuning decision, says note {i}."))


def sources(vault: Vault) -> list[Path]:
    return sorted((vault.wiki / "sources").glob("*.md")) if (vault.wiki / "sources").is_dir() else []


def pending(vault: Vault) -> int:
    with sqlite3.connect(vault.root / ".kbd/state.db") as db:
        return db.execute("SELECT COUNT(*) FROM jobs WHERE state='pending'").fetchone()[0]


def test_ctrl_c_in_the_cli_cancels_the_job_in_the_daemon(vault: Vault, gated: tuple[FakeLLM, Gate],
                                                        stopper: list[Running]) -> None:
    fake, gate = gated
    model_vault(vault, fake, 0)
    running = start(vault)
    stopper.append(running)
    model_vault(vault, fake, 6)  # after the start-up scan: only the CLI's compile will see them
    compiling = cli(vault, "compile", "Vault")
    assert gate.arrived.wait(60), "the daemon never started the handed-over compile"
    compiling.send_signal(signal.SIGINT)
    wait_for(lambda: "Ctrl-C in the CLI" in daemon_log(vault), what="the cancel to reach the daemon")
    gate.open.set()
    out, err = compiling.communicate(timeout=600)
    assert compiling.returncode == 130, out + err
    assert "interrupted; run the command again to finish (nothing is half-written)" in err
    wait_for(lambda: "interrupted (Ctrl-C)" in daemon_log(vault), what="the daemon to log the outcome")
    written = sources(vault)
    assert len(written) < 6 and pending(vault) > 0, "the job stopped at a safe point, the rest is queued"
    for note in written:
        assert vault.note(note.relative_to(vault.root).as_posix())["engine"] == "openai:test-model"
    assert running.proc.poll() is None, "the daemon keeps running"
    again = vault.kbd("compile", ".")
    assert len(sources(vault)) == 6 and pending(vault) == 0, again.stdout


def test_a_daemon_killed_mid_job_is_reported_and_a_rerun_works_in_process(
        vault: Vault, gated: tuple[FakeLLM, Gate], stopper: list[Running]) -> None:
    fake, gate = gated
    model_vault(vault, fake, 0)
    running = start(vault)
    stopper.append(running)
    model_vault(vault, fake, 4)
    compiling = cli(vault, "compile", "Vault")
    assert gate.arrived.wait(60), "the daemon never started the handed-over compile"
    running.proc.kill()
    running.proc.wait(timeout=600)
    out, err = compiling.communicate(timeout=600)
    assert compiling.returncode == 1, out + err
    assert f"the kbd daemon (pid {running.proc.pid}) stopped before the command finished" in err
    assert "Traceback" not in err
    gate.open.set()
    assert sock(vault).exists(), "a killed daemon leaves its socket behind"
    rerun = vault.kbd("compile", ".")
    assert rerun.stdout.startswith("compiled 4 sources"), rerun.stdout + rerun.stderr
    assert len(sources(vault)) == 4
    restarted = start(vault)  # and a new daemon takes the stale socket's place
    stopper.append(restarted)
    assert vault.kbd("compile", ".").stdout.startswith("nothing to do")
    assert daemon_log(vault).count("running for the CLI") == 2


def test_a_vault_held_by_another_command_is_still_refused_and_ask_says_no_file(sample_vault: Vault) -> None:
    from kbd.lock import VaultLock

    with VaultLock(sample_vault.root / ".kbd"):  # a plain command (not a daemon) holds the vault: no socket
        result = sample_vault.kbd("ask", ".", QUESTION, check=False)
    assert result.returncode == 2 and f"pid {os.getpid()}" in result.stderr
    assert "`kbd ask --no-file` answers now without filing" in result.stderr


def test_stopping_the_daemon_mid_job_stops_the_handed_command_cleanly(
        vault: Vault, gated: tuple[FakeLLM, Gate], stopper: list[Running]) -> None:
    fake, gate = gated
    model_vault(vault, fake, 0)
    running = start(vault)
    stopper.append(running)
    model_vault(vault, fake, 6)
    compiling = cli(vault, "compile", "Vault")
    assert gate.arrived.wait(60), "the daemon never started the handed-over compile"
    running.proc.send_signal(signal.SIGTERM)
    wait_for(lambda: "the daemon is stopping; stopping at the next safe point" in daemon_log(vault),
             what="the stop to reach the command")
    gate.open.set()
    out, err = compiling.communicate(timeout=600)
    assert compiling.returncode == 130 and "interrupted; run the command again to finish" in err, out + err
    assert running.proc.wait(timeout=600) == 0
    assert len(sources(vault)) < 6 and pending(vault) > 0
    assert not sock(vault).exists(), "a daemon that stops removes its socket"
    assert vault.kbd("compile", ".").stdout.startswith("compiled ")
    assert len(sources(vault)) == 6
