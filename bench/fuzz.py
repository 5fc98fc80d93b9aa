"""Fuzzing the vault (issue 18): random and hostile clippings, properties, question notes, questions
and queries go through `kbd compile`, `ask`, `slides`, `lint`, `search` and `status`, as a user runs
them, and through the question notes job `kbd run` runs. Each case must end without a traceback (an
exception escaping the CLI or the job, or one printed), with an exit code the README documents, and
without stopping the vault: a plain clipping added after the hostile ones is still compiled, no chart
holds a non-finite number, no half-written file is left, no byte under raw/ changes.

    python -m bench.fuzz [--cases N] [--seed S]

prints the cases run, the failures (each with its seed, to replay with --seed S --cases 1) and the
machine. tests/test_fuzz.py runs the same cases, a bounded number of them, in CI.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import re
import shutil
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.compile import machine  # noqa: E402
from kbd.cli import main as kbd_main  # noqa: E402
from kbd.compile.run import open_state  # noqa: E402
from kbd.config import load_config  # noqa: E402
from kbd.init import init_vault  # noqa: E402
from kbd.jobs import JobContext, job_for  # noqa: E402
from kbd.vault.layout import VaultLayout  # noqa: E402
from tests.hostile_corpus import corpus  # noqa: E402

WORDS = ("sleep", "memory", "exercise", "remission", "patients", "trial", "depression", "B-tree", "log", "index",
         "the", "of", "and", "group", "rate", "week", "dose", "Café", "naïve", "東京", "مرحبا")
NUMBERS = ("9" * 400 + "%", "9" * 300 + "%", "9" * 40 + "%", "0.00000000000001%", "0." + "0" * 300 + "1%",
           "1e999%", "-" + "9" * 30 + "%", "NaN%", "inf%", "47%", "12 %", "3.5 percent", "1,000,000,000,000,000,000%",
           "d = " + "9" * 60, "d = 0.00000000000001", "odds ratio of " + "9" * 200, "g = -0.62",
           "9" * 25 + " participants", "12 participants", "2024", "1" * 5000, "4.2.1%", "--5%", ".5%")
MARKUP = ("```dataviewjs\n", "```\n", "~~~\n", "%%", "%% kbd:begin answer %%\n", "%% kbd:end answer %%\n", "<!--",
          "-->", "[[", "]]", "![[x.png]]", "[[a|b]]", "> [!note]\n", "^block-1", "#tag", "#123", "$$", "<% tp %>",
          "`$=dv.pages()`", "<script>x</script>", "\u202e", "\u200b", "\ufeff", "\r", "\r\n", "\t", "---\n", "|",
          "* * *", "- [ ] ", "> " * 50, "[" * 200, "(" * 200, "**", "_", "\\", "&amp;", "&#0;", "\u2028")
OPERATORS = ("AND", "OR", "NOT", '"', "(", ")", "*", "?", "tag:", "title:", "type:", "-", "~", "^", "[", "]",
             "{", "}", ":")
PROPERTY_VALUES = ('"' + "9" * 400 + '"', "9" * 400, "1e999", ".nan", "-.inf", "[[[[]]]]", "&a [*a]", "!!binary AAAA",
                   "2024-13-45", "{a: {b: {c: 1}}}", '"[[Evil]]"', "null", "~", "''", '"%% kbd:begin answer %%"',
                   "|\n  ```dataviewjs\n  x\n  ```")
HOSTILE_CORPUS = corpus()
ALLOWED_EXIT = {0, 1, 2}  # README: ok, failure, usage/config error; anything else (or an exception) is a crash


@dataclass(frozen=True)
class FuzzCase:
    seed: int
    clippings: tuple[tuple[str, bytes], ...]
    question_note: str  # the text of a note dropped into kbd/questions/
    question: str  # asked with `kbd ask`
    deck: str  # the title given to `kbd slides`
    query: str  # given to `kbd search`


@dataclass
class CaseResult:
    seed: int
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _pick(rng: random.Random, items: tuple[str, ...], low: int, high: int) -> list[str]:
    return [rng.choice(items) for _ in range(rng.randint(low, high))]


def _sentence(rng: random.Random) -> str:
    if rng.random() < 0.4:  # a finding a chart is drawn from, when two of them are cited together
        return f"In the {rng.choice(WORDS)} group, {rng.choice(NUMBERS)} of patients went into remission. "
    parts = _pick(rng, WORDS, 2, 8)
    for _ in range(rng.randint(0, 3)):
        parts.insert(rng.randint(0, len(parts)), rng.choice(NUMBERS if rng.random() < 0.6 else MARKUP))
    return " ".join(parts) + rng.choice((".", ".", "!", "?", "", "\n\n"))


def _frontmatter(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.3:
        return ""
    keys = ("title", "source", "author", "published", "tags", "aliases", "description", "format", "type", "x" * 300)
    lines = [f"{rng.choice(keys)}: {rng.choice(PROPERTY_VALUES) if rng.random() < 0.7 else _sentence(rng)}"
             for _ in range(rng.randint(1, 5))]
    return "---\n" + "\n".join(lines) + ("\n---\n" if rng.random() < 0.9 else "\n")


def make_case(seed: int) -> FuzzCase:
    rng = random.Random(seed)
    clippings = []
    for i in range(rng.randint(1, 3)):
        if rng.random() < 0.25:  # a known hostile clipping (tests/hostile_corpus.py), with numbers spliced in
            case = rng.choice(HOSTILE_CORPUS)
            text = case.text.replace("\n\n", f"\n\n{_sentence(rng)}\n\n", 1)
            name = f"corpus {i}/{case.name}" if rng.random() < 0.3 else case.name
        else:
            text = _frontmatter(rng) + "\n".join(_sentence(rng) for _ in range(rng.randint(1, 12)))
            name = f"Fuzz {seed} {i} {''.join(_pick(rng, ('a', 'b', ' ', '%', '#', '^', '[', ']', '.'), 0, 6))}.md"
        data = text.encode("utf-8", "surrogatepass")
        if rng.random() < 0.05:
            data = data[: rng.randint(0, len(data))] + bytes([0xff, 0xfe])  # invalid UTF-8
        clippings.append((name, data))
    question_note = _frontmatter(rng) + _sentence(rng) + (rng.choice(MARKUP) if rng.random() < 0.5 else "")
    topic = "What share of patients went into remission" if rng.random() < 0.6 else ""
    question = " ".join([topic, *_pick(rng, WORDS, 1, 6), *_pick(rng, NUMBERS + MARKUP, 0, 2)]).strip()
    deck = " ".join(["remission" if topic else "", *_pick(rng, WORDS, 1, 4), *_pick(rng, MARKUP, 0, 1)]).strip()
    query = " ".join(_pick(rng, WORDS, 0, 4) + _pick(rng, OPERATORS, 0, 4)).strip() or "sleep"
    return FuzzCase(seed, tuple(clippings), question_note, question, deck, query)


def base_vault(folder: Path) -> Path:
    """A compiled vault of the samples, copied for every case (compiling it each time costs more than the case)."""
    root = folder / "base"
    init_vault(root, samples=True)
    code, out, err = run_kbd("compile", str(root))
    if code != 0:
        raise RuntimeError(f"the base vault did not compile: {out}{err}")
    return root


def run_kbd(*args: str) -> tuple[int, str, str]:
    """The CLI in this process, as a user runs it: (exit code, stdout, stderr); an exception that
    escapes it is what the user would see as a traceback, and comes back in stderr as one."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = kbd_main(list(args))
        except SystemExit as exc:  # argparse refusing the arguments
            code = exc.code if isinstance(exc.code, int) else 2
        except BaseException:  # what the user would see as a traceback: the harness reports it
            err.write(traceback.format_exc())
            code = -1
    return code, out.getvalue(), err.getvalue()


def run_case(case: FuzzCase, base: Path, work: Path) -> CaseResult:
    started = time.perf_counter()
    result = CaseResult(case.seed)
    root = work / f"case-{case.seed}"
    shutil.copytree(base, root, symlinks=True)
    for name, data in case.clippings:
        path = root / "raw" / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except OSError:
            continue  # a name this file system refuses is no case at all
    raw_before = {p: p.read_bytes() for p in (root / "raw").rglob("*") if p.is_file()}
    (root / "kbd" / "questions").mkdir(parents=True, exist_ok=True)
    (root / "kbd" / "questions" / "Fuzzed question.md").write_text(case.question_note, encoding="utf-8",
                                                                    errors="surrogatepass")
    vault = str(root)
    steps = [("compile", vault), ("ask", vault, case.question), ("ask", vault, "--no-file", case.question),
             ("slides", vault, case.deck), ("lint", vault), ("search", vault, case.query),
             ("search", vault, "--json", case.query), ("compile", vault)]
    for args in steps:
        code, out, err = run_kbd(*args)
        if code not in ALLOWED_EXIT or "Traceback" in err or "Traceback" in out:
            result.problems.append(f"`kbd {args[0]}` exit {code}: {_tail(err or out)}")
    problem = _question_notes(root)
    if problem:
        result.problems.append(problem)
    (root / "raw" / "Fuzz control.md").write_text(
        '---\ntitle: "Fuzz control"\n---\nSleep consolidates memory in adults. 41% of adults sleep too little.\n',
        encoding="utf-8")
    code, out, err = run_kbd("compile", vault)
    if not (root / "wiki" / "sources" / "Fuzz control.md").exists():
        result.problems.append(f"a plain clipping after the hostile ones was not compiled (exit {code}): "
                               f"{_tail(err or out)}")
    code, out, err = run_kbd("status", vault)
    if code != 0 or "Traceback" in err:
        result.problems.append(f"`kbd status` exit {code}: {_tail(err or out)}")
    for svg in (root / "wiki").rglob("*.svg"):
        if re.search(r'="[^"]*(?:inf|nan)', svg.read_text(encoding="utf-8"), re.IGNORECASE):
            result.problems.append(f"{svg.relative_to(root)} holds a non-finite number")
    leftovers = [p.name for p in root.rglob("*.kbd-tmp")]
    if leftovers:
        result.problems.append(f"half-written files left: {leftovers}")
    changed = [str(p.relative_to(root)) for p, data in raw_before.items() if not p.exists() or p.read_bytes() != data]
    if changed:
        result.problems.append(f"kbd changed files under raw/: {changed}")
    shutil.rmtree(root, ignore_errors=True)
    result.seconds = time.perf_counter() - started
    return result


def _question_notes(root: Path) -> str | None:
    """The question notes job, as `kbd run` runs it when a note in kbd/questions/ changes (the same
    function, from the one job table): None, or the exception that escaped it."""
    config = load_config(root)
    layout = VaultLayout.from_config(root, config)
    state = open_state(layout)
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            job_for("ask")(JobContext(layout, config, state, threading.Event()), {})
    except Exception:
        return f"the question notes job raised: {_tail(traceback.format_exc())}"
    finally:
        state.close()
    return None


def _tail(text: str, lines: int = 6) -> str:
    return " | ".join(text.strip().splitlines()[-lines:])[:1500]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1, help="the first case's seed; case i has seed + i")
    args = parser.parse_args(argv)
    failures: list[CaseResult] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kbd-fuzz-") as tmp:
        base = base_vault(Path(tmp))
        for i in range(args.cases):
            result = run_case(make_case(args.seed + i), base, Path(tmp))
            if result.problems:
                failures.append(result)
                print(f"case {result.seed}: " + "; ".join(result.problems), flush=True)
    seconds = time.perf_counter() - started
    print(f"cases: {args.cases} (seeds {args.seed}..{args.seed + args.cases - 1}), failures: {len(failures)}, "
          f"{seconds:.1f} s ({seconds / max(args.cases, 1):.2f} s a case)")
    print(f"machine: {machine()}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
