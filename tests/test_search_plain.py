"""A snippet's plain text without the markdown parser (issue 22: `kbd search` CPU at 10,000 notes):
the same text as kbd.vault.markdown gives a passage, and a search that never loads mistune."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kbd.config import load_config
from kbd.search import search_vault
from kbd.search.plain import MAX_PASSAGE_CHARS, plain_text
from kbd.vault.markdown import parse_markdown
from tests.conftest import Vault
from tests.test_search import compiled, write  # noqa: F401  (the fixture)

# Passages as they come in real notes (Web Clipper clippings, Microsoft's C++ docs, kbd's own pages).
PASSAGES = [
    "During **deep sleep** the *hippocampus* replays the ~~night~~ day, as [Walker](https://example.org/a_b) "
    "and [[Sleep and memory|others]] found ([[notes/Nap#Method]], [[Cortex]]).",
    "Call `std::vector::reserve` before a `push_back` loop; ``a `tick` inside`` stays code.",
    "An escaped \\*star\\*, \\`/Zc:auto\\` and a snake_case_name stay as written, and so does 3 < 4.",
    "![chart](img/chart.png) The chart, embedded: ![[diagram.png|300]] and a footnote[^1].\n\n[^1]: The note.",
    "> [!note] A callout\n> with two lines of **quoted** text.",
    "- first item with a [link](a.md)\n- second item\n  continued\n1. numbered",
    "| Option | Meaning |\n|--|--|\n| `/W4` | warning level **4** |\n| [`/MD`](md.md) | DLL runtime |",
    "| A | B | C |\n|--|--|--|\n| one row of two | cells |",
    "Intro line before a table:\n| Header | Other |\n|---|---|\n| x | y |",
    "```cpp\nint main() { return 0; }\n```",
    "Some prose\n```\ncode after prose\n```\nand prose after.",
    "Line one\\\nline two after a hard break, and <b>bold html</b> with <xref:System.String>.",
    "[!INCLUDE[product-lifecycle-status](includes/lifecycle-note.md)] and "
    "[IRowsetNotify](/previous-versions/ms712959(v=vs.85)).",
    "A %%hidden comment%% sentence with a block id ^abc123",
    "at least 2 hidden layers.[[105]](#cite_note-Neural_networks-113) **[[v1]](/abs/1706.03762v1)** Mon, "
    "[[Aliases]] (a page) and [[Properties|props]](https://example.org/p).",
    "The message:\n>The system returned code *error code*\\\n>PCH: Commit size too large",
]


@pytest.mark.parametrize("passage", PASSAGES)
def test_a_passage_reads_as_the_markdown_parser_reads_it(passage: str) -> None:
    assert plain_text(passage) == parse_markdown(passage, keep_code=True).plain_text().replace("\n\n", " ")


def test_entities_read_as_the_characters_they_stand_for() -> None:
    # mistune leaves them as written (`&emsp;` in Microsoft's grammar pages): a snippet shows the text.
    assert plain_text("3 &lt; 4 &amp;&amp; x&emsp;y") == "3 < 4 && x y"


# Each one was a share of every `kbd search` call's start-up (docs/performance.md): the markdown
# parser, whoosh's modules for features kbd does not use (word variations, phonetics, the
# fourteen other languages' stemmers, the index writer), other commands' modules, the lint
# registry, sqlite3 (state.db), the rotating log file's module (opened with the first record)
# and the vectors of search by meaning.
NOT_FOR_A_SEARCH = ("mistune", "kbd.vault.markdown", "whoosh.lang.morph_en", "whoosh.lang.dmetaphone",
                    "importlib.resources", "whoosh.lang.snowball.danish", "whoosh.writing", "kbd.ask.cli",
                    "kbd.compile.cli", "kbd.lint.registry", "sqlite3", "kbd.state", "logging.handlers",
                    "kbd.search.vectors")


def test_a_search_command_loads_only_what_searching_needs(compiled: Vault) -> None:  # noqa: F811
    write(compiled, "notes/Linked.md", "# Linked\n\nThe **hippocampus** replays [[Sleep diary|the diary]] "
          "and `code` at night.\n")
    search_vault(compiled.root, load_config(compiled.root), "linked")  # indexed (this needs the parser), stamped
    probe = ("import sys, kbd.cli; code = kbd.cli.main(['search', sys.argv[1], 'hippocampus replays'], "
             f"hand_over=False); print('loaded:', *(m for m in {NOT_FOR_A_SEARCH!r} if m in sys.modules))")
    shown = subprocess.run([sys.executable, "-c", probe, str(compiled.root)], capture_output=True, text=True,
                           check=True).stdout
    assert "notes/Linked.md" in shown and "The hippocampus replays the diary and code at night." in shown
    assert shown.strip().splitlines()[-1] == "loaded:"


def python_prints(probe: str) -> str:
    """What a fresh Python process running `probe` prints (a module's first import is the subject)."""
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()


def test_the_whoosh_modules_kbd_does_not_load_still_work_when_called() -> None:
    probe = ("import kbd.search; kbd.search.SearchIndex; from whoosh.query.terms import variations; "
             "from whoosh.analysis.morph import double_metaphone; from whoosh.lang import stemmer_for_language; "
             "from kbd.search.schema import text_analyzer; import whoosh.lang.snowball.english; "
             "print(sorted(variations('running'))[:3], double_metaphone('Thompson'), "
             "stemmer_for_language('de')('häuser'), [t.text for t in text_analyzer()('Memories of running')], "
             "whoosh.lang.snowball.english.EnglishStemmer().stem('studies'))")
    assert python_prints(probe) == "['ran', 'run', 'runner'] ('TMPSN', None) haus ['memori', 'run'] studi"


@pytest.mark.parametrize("markdown, shown", [
    ("sleep <!-- secret plan --> memory", "sleep memory"),
    ("<script>\nvar sleep = 1;\n</script>", ""),
    ("<style>body{}</style> sleep", "sleep"),
    ('<a title="x>y" href="z">link</a>', "link"),
    ("> > [!tip] inner\n> > sleep deeper", "inner sleep deeper"),
    ("sleep `code` \x005\x00 tail", "sleep code 5 tail"),  # a NUL in the note is no mark of this module's
    ("rem \ue03cscript\ue03e", "rem \ufffdscript\ufffd"),  # nor a private-use character
])
def test_hostile_markup_reads_as_the_reader_sees_it_and_never_raises(markdown: str, shown: str) -> None:
    # Cases of a hostile review of the regular-expression reading (not from real pages).
    assert plain_text(markdown) == shown


def test_a_paragraph_of_markers_that_never_close_is_read_in_bounded_time(compiled: Vault) -> None:  # noqa: F811
    # `*a *a *a …` made the emphasis expressions' work grow with the square of the paragraph (16 s for
    # 90 KB, past the search deadline). Bounded by what is read, not timed: the snippet is found past it.
    assert len(plain_text("*a " * 30000)) <= MAX_PASSAGE_CHARS
    write(compiled, "notes/Stars.md", "# Stars\n\n" + "*a " * 30000 + "quokka dreams.\n")
    hits = search_vault(compiled.root, load_config(compiled.root), "quokka").hits
    assert hits and hits[0].path == "notes/Stars.md" and "quokka" in hits[0].snippet


def test_with_other_threads_running_whoosh_loads_without_stand_ins() -> None:
    # A thread importing urllib.request (httpx does) while kbd.search loads whoosh could get the
    # stand-in module (a hostile review made it happen with two threads): with threads, no stand-ins.
    probe = ("import sys, threading; done = threading.Event(); t = threading.Thread(target=done.wait); t.start(); "
             "import kbd.search; kbd.search.SearchIndex; done.set(); t.join(); "
             "print(hasattr(sys.modules.get('urllib.request'), 'urlopen'))")
    assert python_prints(probe) == "True"
