"""What made a generated note: the engine and its model, the skill version, the verifier and the
constraints it followed.

Every source summary records this (in state.db and, flat, in the note's frontmatter). A summary
whose record differs from what the configured engine would write now is out of date; nothing is
redone because of that alone: `kbd plan` counts and prices such notes and `kbd compile --redo`
redoes them, within the budget.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the offline engine imports this module: it stays light
    from kbd.config import Config
    from kbd.engines.skills import Skill

# The offline engine's own version: raise it when its output for the same clipping changes.
# 2: the curating offline engine (summaries made before it carry version 1: out of date, redone for free).
# 3: concepts from evidence, findings first, maths kept, cut descriptions completed (issue 23).
# 4: names a title gives, "add-ons" with "add-on", steps that open with their verb (issue 23).
# 5: page chrome (link rows, hatnotes, the U.S. government banner), abbreviations as aliases (issue 23).
# 6: affiliate disclosures are page furniture (issue 23).
# 7: each concept says whether the source marks it as a name (linked, emphasised, a heading's) (issue 23).
# 8: a name's spellings in inline code (`daily-note.md`, `SYNC_ENDPOINT_MEDIA`) are not how the source spells it;
#    container fences (`::: tip`) are no text (issue 23).
# 9: a possessive spells its owner; a URL, a handle, a change log's credit, a version, a file name's extension,
#    org-mode markup and a shortcut's modifier keys hold no name; "Google Summer of Code" is one name; a
#    sentence's opening "Using" is a verb; `key:: value` lines, Logseq's titles and org blocks (issue 23).
# 10: template expressions (`${…}`, `{{…}}`) are code; a Logseq heading without its "- " heads its blocks;
#     "using", "including"… end a name; a digit in a defined initialism stands for a word ("E2EE"); icon
#     shortcodes are no text; admonitions' and content tabs' bodies are prose (issue 23).
# 11: attribute lists (`{ .md-button }`, `{#install}`), definition lists' markers and Liquid's tags are no text;
#     HTML character references read as their characters (issue 23).
# 12: a name with the form it takes ("Python code", "CSV files", "SQLite database") mentions the name; a title
#     that opens with a verb is a task; a word after a dot glued to code in a title ("click.File") names nothing
#     (issue 23).
# 13: a word most quotes write in lowercase is no name for the task-title rule; titles with a quantifier, a
#     particle or an auxiliary are tasks; a form word alone ("File") needs a title of its own, and a name with a
#     form word after it ("Tmux session") is the name's page (issue 23).
# 14: two verbs joined by "and" open a task title; an article after a noun's "of" is none; "another" counts; an
#     everyday word needs at least as many titles about it as tasks on it; inline code is never MathJax, display
#     maths on one line stays maths, and a TeX command names nothing (issue 23).
# 15: a phrase of everyday words every source says in one sentence only, in lowercase, unquoted, unmarked and
#     untitled, is an aside and gets no page ("Handy way", "Single line"); mentions record what the source itself
#     marks (`shown`), and a highlight (`==…==`) marks as emphasis does (issue 23).
# 16: a title that opens with a word another title of the vault opens a sure task with is no title about the
#     words it names ("Print Version Information" beside "Print Out Files In Reverse"); an article, a determiner
#     or a question word never opens a task; a page's forms and title listings follow how its sources spell it
#     now (issue 23).
# 17: a query or a workflow after a name is that name's ("SQL query", "GitHub Actions workflow"); a word
#     with a wildcard glued to it in a title names the phrase after it ("findBy* Queries"); a hyphen or a
#     lowercase phrase after a name makes it no maker ("Pytest-django", "UTC time zone"); a page titled "# Tags"
#     or "# Footnotes" keeps its text (issue 23).
# 18: a tool's word in lowercase with its form is the tool's ("markdown files", "the sed command"); a title that
#     names a name with its form is about the name ("the largest SQLite files"); a pointer elsewhere ("See `man
#     curl` for more details.") is quoted last (issue 23).
# 19: a phrase of everyday words that notes marking their names leave plain, and no note marks, heads or titles, is
#     a description unless more notes that mark too few names to tell count it as marked; a hat tip on a line of
#     its own ("h/t Dillon Hafer") is a credit, no text (issue 23).
# 20: a shortcode's tag over several lines is no text, and a `highlight` or `code-toggle` pair holds code (Hugo's
#     docs); a concept page's synthesis opens with the sentence that says what it is ("A page bundle is a
#     directory…"); a page titled "Page" keeps that title before its first sentence (issue 23).
# 21: TeX maths is read as written (no emphasis or escape read into it) and names nothing; `$x$` is maths; an
#     acronym's plural is the acronym ("GPUs"); a citation's or a label's role is no text (D2L's ":cite:`…`"),
#     a cross-reference keeps its target apart from the word before it (issue 23).
# 22: a textbook's exercises are read for names and never quoted; a signpost ("Let’s move on to Chapter 5") is no
#     summary line; a step of what "we" did ranks with methods; the words after a package's member ("the
#     time.Format function") are no name with it (issue 23).
# 23: the folders of a path from a root, the home or the current folder ("/en/examples/old-name/") are no name; a
#     pointer to a listing ("Listing 5-9 shows another version…") is no finding (issue 23).
# 24: a call to action inside a sentence is the text's own ("…even if you subscribe again"); a question the page
#     asks, a page saying what it holds ("This page explains…") and an outliner's task ("TODO …") are no summary
#     line; "See this tutorial for…" is a pointer (issue 23).
# 25: a section saying how to do what it shows ("This section shows how to use QuickAdd…") and a paragraph or list
#     item of inline code alone are no summary line (issue 23).
OFFLINE_VERSION = "25"
WORKER_SKILL = "summarize_source"
VERIFIER_SKILL = "verify_summary"
CONSTRAINTS_FILE = Path("kbd") / "constraints.md"


@dataclass(frozen=True)
class MadeBy:
    engine: str  # "offline", or the worker model as "provider:model"
    skill: str  # "summarize_source v1 (1a2b3c4d)": name, version and a hash of the prompt and schema
    verifier: str = ""  # the verifier model and its skill, when one checks summaries
    constraints: str = ""  # hash of kbd/constraints.md; "" for an engine that reads none

    def key(self) -> str:
        """The stored form: equal keys mean the same engine would make the same note."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_key(cls, key: str | None) -> MadeBy | None:
        if not key:
            return None
        try:
            data = json.loads(key)
            return cls(**{f.name: str(data.get(f.name, "")) for f in fields(cls)})
        except (ValueError, TypeError, AttributeError):
            return None

    def changes(self, older: MadeBy | None) -> list[str]:
        """What differs from an older record, in words: ["model", "constraints"]."""
        if older is None:
            return ["unknown engine"]
        out = []
        if older.engine != self.engine:
            offline = older.engine.startswith("offline") or self.engine.startswith("offline")
            out.append("engine" if offline else "model")
        if older.skill != self.skill and older.engine == self.engine:
            out.append("skill")
        if older.verifier != self.verifier:
            out.append("verifier")
        if older.constraints != self.constraints and older.engine == self.engine:
            out.append("constraints")
        return out


OFFLINE = MadeBy(engine="offline", skill=f"extractive v{OFFLINE_VERSION}")


def skill_label(skill: Skill) -> str:
    material = json.dumps([skill.name, skill.version, skill.prompt, skill.schema, skill.max_output_tokens],
                          sort_keys=True, ensure_ascii=False)
    # No "#": the property sanitiser reads "#…" in a property as a tag and drops it.
    return f"{skill.name} v{skill.version} ({hashlib.sha256(material.encode('utf-8')).hexdigest()[:8]})"


def constraints_hash(constraints: str) -> str:
    return "sha256:" + hashlib.sha256(constraints.strip().encode("utf-8")).hexdigest()[:12]


def read_constraints(vault_root: Path) -> str:
    path = vault_root / CONSTRAINTS_FILE
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def made_by(config: Config, skill: Skill, verifier_skill: Skill | None, constraints: str) -> MadeBy:
    """The record the configured model engine writes (the offline engine's is `OFFLINE`)."""
    worker = config.models["worker"]
    verifier = ""
    if verifier_skill is not None and "verifier" in config.models:
        v = config.models["verifier"]
        verifier = f"{v.provider}:{v.model} {skill_label(verifier_skill)}"
    return MadeBy(engine=f"{worker.provider}:{worker.model}", skill=skill_label(skill), verifier=verifier,
                  constraints=constraints_hash(constraints))


def current_made_by(config: Config, vault_root: Path) -> MadeBy:
    """What the configured engine would record now, without building it (no key, no network)."""
    if not config.models:
        return OFFLINE
    from kbd.engines.skills import load_skill

    skills = vault_root / "kbd" / "skills"
    verifier = load_skill(VERIFIER_SKILL, skills) if "verifier" in config.models else None
    return made_by(config, load_skill(WORKER_SKILL, skills), verifier, read_constraints(vault_root))
