"""Benchmark `kbd ask` on the 10,000-note benchmark vault against the loopback fake model.

    python bench/ask.py [--notes 10000] [--small 100] [--questions 20] [--latency 0.3] [--invent 0.3]
                        [--keep DIR]

The vaults come from bench/search.py's generator (the labelled notes of tests/search_corpus.py plus
clipping-sized articles in raw/ and short notes in notes/); the questions are the labelled queries.
The fake model (tests/fake_llm.py's AskModel) cites the passages it is given, one claim each
quoting its first sentence, and waits `--latency` seconds before every reply.

Prints the machine, then for the small and the large vault: search index build time, retrieval
time p50/p95 (search, link walk, passages into the token budget), prompt tokens per question (the
context must not grow with the vault: the two sizes within 10 %), end-to-end latency of `kbd ask`
p50/p95 (retrieve, answer, check, file and render the note, in process); then, on the large vault,
the citation check against a model that invents `--invent` of its citations: the share of
citations rejected, invented ones caught (must be all) and genuine ones rejected (should be none).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.compile import machine  # noqa: E402
from bench.search import make_vault, pct  # noqa: E402
from kbd.ask.answer import check_citation  # noqa: E402
from kbd.ask.command import AskOptions, ask  # noqa: E402
from kbd.ask.retrieve import normalise, retrieve  # noqa: E402
from kbd.compile.run import open_state  # noqa: E402
from kbd.config import load_config  # noqa: E402
from kbd.engines import make_answerer  # noqa: E402
from kbd.search import ensure_index  # noqa: E402
from kbd.vault.layout import VaultLayout  # noqa: E402
from tests.fake_llm import Action, AskModel, FakeLLM, Received, fake_llm  # noqa: E402
from tests.search_corpus import QUERIES  # noqa: E402

KEY_ENV = "KBD_BENCH_ASK_KEY"
INVENTED_NOTE, INVENTED_QUOTE = "wiki/sources/Invented note.md", "the moon is made of green cheese"  # AskModel's


class SlowAskModel(AskModel):
    """The tests' ask model, taking `delay` seconds to answer like a hosted model."""

    def __init__(self, delay: float, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.delay = delay

    def __call__(self, received: Received) -> Action:
        action = super().__call__(received)
        action.delay = self.delay
        return action


def model_config(url: str, model: str, context_tokens: int = 0) -> str:
    # The model's name is part of the answer cache's key: each phase gets its own, so none is
    # answered from the cache another filled.
    return (f"models:\n  worker: {{provider: openai, base_url: \"{url}/v1\", model: {model}, "
            f"api_key_env: {KEY_ENV}, max_concurrency: 4}}\n"
            + (f"ask:\n  context_tokens: {context_tokens}\n" if context_tokens else ""))


def build(root: Path, notes: int) -> float:
    make_vault(root, notes)
    config = load_config(root)
    started = time.perf_counter()
    ensure_index(root, config)
    return time.perf_counter() - started


Tokens = dict[str, tuple[int, int, int]]  # question → (prompt tokens of the draft request, passage tokens, budget)


def prompt_tokens(root: Path, fake: FakeLLM, questions: list[str], model: str, context_tokens: int) -> Tokens:
    """What each question sends, filing nothing (filed answers would be retrieved by later questions)."""
    (root / "kbd" / "config.yaml").write_text(model_config(fake.url, model, context_tokens))
    config = load_config(root)
    out: Tokens = {}
    for q in questions:
        before = len(fake.received)
        result = ask(root, config, q, AskOptions(file=False))
        if len(fake.received) > before:  # no passages at all: no model call
            out[q] = (fake.received[before].prompt_tokens, result.plan.tokens, result.plan.budget)
    return out


def size_figures(root: Path, questions: list[str], latency: float, small_budget: int) -> dict[str, Any]:
    config = load_config(root)
    retrieval = []
    for q in questions:
        started = time.perf_counter()
        retrieve(root, config, q)
        retrieval.append(time.perf_counter() - started)
    with fake_llm() as fake:
        fake.default = SlowAskModel(latency)
        tokens = prompt_tokens(root, fake, questions, "bench-tokens", 0)
        tokens_small = prompt_tokens(root, fake, questions, "bench-tokens-small", small_budget)
        (root / "kbd" / "config.yaml").write_text(model_config(fake.url, "bench-e2e"))
        config = load_config(root)
        e2e = []
        for q in questions:
            started = time.perf_counter()
            result = ask(root, config, q, AskOptions())
            e2e.append(time.perf_counter() - started)
            assert result.note or not result.plan.passages, f"no answer filed for {q!r}"
    return {"retrieval_p50": pct(retrieval, 0.5), "retrieval_p95": pct(retrieval, 0.95), "tokens": tokens,
            "tokens_small": tokens_small, "e2e_p50": pct(e2e, 0.5), "e2e_p95": pct(e2e, 0.95)}


def compare(label: str, few: Tokens, many: Tokens, sizes: tuple[int, int]) -> float:
    """Mean prompt tokens of the questions both vaults sent passages for; returns the growth in %."""
    both = [q for q in few if q in many]
    small, large = (statistics.mean(t[q][0] for q in both) for t in (few, many))
    fill = [statistics.mean(t[q][1] / t[q][2] for q in both) * 100 for t in (few, many)]
    growth = (large - small) / small * 100
    print(f"prompt tokens, {label} ({few[both[0]][2]} tokens of passages), {sizes[0]:,} → {sizes[1]:,} notes: "
          f"{small:.0f} → {large:.0f} ({growth:+.1f} %); budget filled {fill[0]:.0f} % → {fill[1]:.0f} % "
          f"({len(both)} questions)")
    return growth


def citation_check(root: Path, questions: list[str], invent: float) -> dict[str, float]:
    """Drafts from a model that invents a share of its citations, through kbd's citation check."""
    with fake_llm() as fake:
        (root / "kbd" / "config.yaml").write_text(model_config(fake.url, "bench-citations"))
        config = load_config(root)
        layout = VaultLayout.from_config(root, config)
        state = open_state(layout)
        answerer = make_answerer(config, root, state.path, "bench")
        issued = invented = caught = genuine_rejected = 0
        try:
            # Half the questions get citations of notes it was not given, half quotes no note holds.
            liars = [AskModel(invent=invent, kind="quote"), AskModel(invent=invent, kind="note")]
            for number, q in enumerate(questions):
                fake.default = liars[number % 2]
                plan = retrieve(root, config, q)
                draft = answerer.draft(q, plan.passages, [])
                provided = set(plan.chosen_notes())
                for item in draft.claims:
                    for cited in item.citations:
                        issued += 1
                        made_up = cited.note == INVENTED_NOTE or cited.quote == INVENTED_QUOTE
                        citation, why = check_citation(cited, plan, provided)
                        invented += made_up
                        caught += made_up and citation is None
                        if not made_up and citation is None:
                            genuine_rejected += 1
                            print(f"  genuine citation rejected: {why}")
                        if citation is not None:  # independently: the quote is in the text of the note
                            text = " ".join(b.text for b in plan.notes[citation.path].blocks)
                            assert normalise(citation.quote) in normalise(text), (citation.path, citation.quote)
        finally:
            answerer.close()
            state.close()
    return {"issued": issued, "invented": invented, "caught": caught, "rejected": caught + genuine_rejected,
            "genuine_rejected": genuine_rejected}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--invent", type=float, default=0.3)
    parser.add_argument("--small-budget", type=int, default=800,
                        help="passage tokens per question for the like-for-like comparison (ask.context_tokens)")
    parser.add_argument("--keep", type=Path, help="build the vaults here and keep them")
    args = parser.parse_args()
    os.environ[KEY_ENV] = "sk-bench-ask"
    print(machine())
    questions = [q for q, _ in QUERIES][:args.questions]
    base = args.keep or Path(tempfile.mkdtemp(prefix="kbd-bench-ask-"))
    results: dict[int, dict[str, Any]] = {}
    try:
        for notes in (args.small, args.notes):
            root = base / f"vault-{notes}"
            if root.exists():
                shutil.rmtree(root)
            seconds = build(root, notes)
            print(f"\n{notes:,} notes: search index built in {seconds:.1f} s")
            results[notes] = figures = size_figures(root, questions, args.latency, args.small_budget)
            tokens = figures["tokens"]
            print(f"  retrieval          p50 {figures['retrieval_p50'] * 1000:.0f} ms, "
                  f"p95 {figures['retrieval_p95'] * 1000:.0f} ms ({len(questions)} questions)")
            print(f"  prompt tokens      {statistics.mean(t[0] for t in tokens.values()):.0f} per question (max "
                  f"{max(t[0] for t in tokens.values())}; {len(tokens)} of {len(questions)} questions had passages)")
            print(f"  end to end         p50 {figures['e2e_p50']:.2f} s, p95 {figures['e2e_p95']:.2f} s "
                  f"with {args.latency * 1000:.0f} ms model latency (retrieve, answer, check, file)")
        sizes = (args.small, args.notes)
        print()
        compare("default budget", results[args.small]["tokens"], results[args.notes]["tokens"], sizes)
        growth = compare("a budget both vaults can fill", results[args.small]["tokens_small"],
                         results[args.notes]["tokens_small"], sizes)
        verdict = "ok" if abs(growth) <= 10 else "FAIL"
        print(f"  → within ±10 %: {verdict}")
        check = citation_check(base / f"vault-{args.notes}", questions, args.invent)
        share = check["rejected"] / check["issued"] * 100
        print(f"citation check, model inventing {args.invent:.0%} of citations: {check['issued']} issued, "
              f"{check['invented']} invented, {check['rejected']} rejected ({share:.1f} %); invented caught "
              f"{check['caught']}/{check['invented']}; genuine rejected {check['genuine_rejected']}")
        if check["caught"] != check["invented"] or verdict != "ok":
            sys.exit(1)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
