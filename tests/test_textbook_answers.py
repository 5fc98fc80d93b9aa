"""Issue 23's twenty-second round: answers and decks from two books nobody here had tuned on (whole pages of their
development halves, tests/real_pages/d2l and rust-book; README there). A textbook closes a chapter with exercises
and walks its reader through with signposts ("In this section, we’ll talk about modules…"): neither says what the
book found, and both led answers, summaries and decks. Its definitions name the thing last ("This design is called
*multi-head attention*"), and its readers ask what a thing is for and how two differ."""

from __future__ import annotations

from pathlib import Path

import pytest

from kbd.ask.retrieve import read_note
from kbd.config import load_config
from kbd.engines.findings import finding_rank, is_signpost
from kbd.engines.prose import prose_sentences
from kbd.engines.text import clean_document
from kbd.vault.layout import VaultLayout
from kbd.vault.markdown import parse_markdown
from tests.conftest import Vault

REAL = Path(__file__).parent / "real_pages"
D2L = REAL / "d2l"
RUST_BOOK = REAL / "rust-book"


def sentences_of(page: Path) -> list:
    return prose_sentences(clean_document(parse_markdown(page.read_text(encoding="utf-8"))))


@pytest.fixture
def books(vault: Vault) -> Vault:
    for page in sorted([*D2L.rglob("*.md"), *RUST_BOOK.glob("*.md")]):
        vault.clip(page.name, page.read_text(encoding="utf-8"))
    vault.compile()
    return vault


def lead(vault: Vault, question: str) -> str:
    answer = vault.kbd("ask", ".", question, "--no-file").stdout
    return next(line[3:] for line in answer.splitlines() if line.startswith("1. "))


def test_a_textbooks_exercises_name_things_but_are_never_quoted() -> None:
    said = sentences_of(D2L / "chapter_optimization/adam.md")
    exercise = next(s for s in said if s.text.startswith("Try to construct a case for which Adam diverges"))
    assert not exercise.eligible and "Yogi" in exercise.tokens  # its names still count for the page's concepts
    assert all(s.eligible for s in said if s.text.startswith("Adam combines all these techniques"))
    # Colab's "Exercises" ask nothing ("Open any section of this book using Google Colab."): read as prose, as a
    # fitness clipping's "Exercises" are.
    colab = sentences_of(D2L / "chapter_appendix-tools-for-deep-learning/colab.md")
    assert next(s for s in colab if s.text.startswith("Open any section of this book using Google Colab")).eligible


def test_a_signpost_states_no_finding() -> None:
    for sentence in ("In this section, we’ll talk about modules and other parts of the module system, namely paths, "
                     "which allow you to name items.",
                     "Before diving into generics syntax, let’s first look at how to remove duplication.",
                     "First, we’ll review how to extract a function to reduce code duplication.",
                     "Let's see this with a more challenging matrix",
                     "To get a better understanding of the geometric properties of the momentum method we revisit "
                     "gradient descent."):
        assert is_signpost(sentence) and finding_rank(sentence) == 0, sentence
    # A name and a verb's object are no signposts (Joplin's FAQ; the Rust book's chapter 15).
    for sentence in ("This is due to Let's Encrypt root certificate that expired on 30 September.",
                     "Modules let us organize code within a crate for readability and easy reuse."):
        assert not is_signpost(sentence) and finding_rank(sentence) > 0, sentence


def test_a_summary_quotes_no_exercise_and_no_signpost(books: Vault) -> None:
    notes = {p.stem: p.read_text(encoding="utf-8") for p in (books.wiki / "sources").glob("*.md")}
    # Each was a summary or key point line.
    for stem, line in (("Adam", "Try to construct a case for which Adam diverges and Yogi converges?"),
                       ("Hardware", "How would you lay out data across multiple memory channels"),
                       ("Eigendecompositions", "Let's see this with a more challenging matrix"),
                       ("Control Scope and Privacy with Modules", "In this section, we’ll talk about modules")):
        assert line not in notes[stem], (stem, notes[stem])


def test_what_a_thing_is_for_and_how_two_differ_lead_their_answers(books: Vault) -> None:
    # Led by "Typically pairs of memory modules are used to allow for multiple channels." (D2L's hardware page).
    assert lead(books, "What are modules used for?") == \
        "Modules let us organize code within a crate for readability and easy reuse."
    assert lead(books, "How do constants differ from variables?").startswith(
        "Like immutable variables, constants are values that are bound to a name and are not allowed to change, but")
    # A definition that names the thing last: "We call such vectors *eigenvectors*…", "…are called *crate roots*".
    answer = books.kbd("ask", ".", "What are eigenvectors?", "--no-file").stdout
    assert "We call such vectors eigenvectors and the factor they are stretched by eigenvalues." in \
        answer.split("\n4. ")[0], answer
    assert lead(books, "What is a crate root?").endswith("src/main.rs and src/lib.rs are called crate roots.")


def test_a_clipping_without_a_title_is_titled_by_its_heading_in_answers_and_decks(books: Vault) -> None:
    config = load_config(books.root)
    note = read_note(VaultLayout.from_config(books.root, config), config,
                     "raw/ch07-02-defining-modules-to-control-scope-and-privacy.md", "clipping")
    assert note is not None and note.title == "Control Scope and Privacy with Modules", note and note.title
