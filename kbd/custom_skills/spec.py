"""A custom skill file, read and checked: what it asks, what it reads, where it writes.

```
---
name: weekly_digest          # the file's name without .md
role: worker                 # or verifier
version: 1
description: What I learned this week
reads: {glob: "wiki/sources/*.md", since: last-run, limit: 20}   # or {search: "sleep OR memory"}
writes: {report: "Weekly digest"}                                 # wiki/reports/Weekly digest YYYY-MM-DD.md
# or writes: {note: "Journal/Weekly.md", region: digest}: between the markers you put in your note
schema: {type: object, properties: {...}, required: [...]}
---
The prompt.
```
Every problem is a SkillError naming the file, the line and what to write instead.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath

from kbd.engines.schema import user_schema_problems
from kbd.engines.skills import Skill, SkillError, parse_skill
from kbd.vault.layout import CONTROL_DIR, clean_title

SKILLS_DIR = f"{CONTROL_DIR}/skills"
BUILT_IN = frozenset(p.name[:-3] for p in resources.files("kbd.engines").joinpath("skills").iterdir()
                     if p.name.endswith(".md"))  # overrides of these are prompts kbd runs itself
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
READ_KEYS = ("glob", "search", "since", "limit", "max_chars_per_note")
WRITE_KEYS = ("report", "dated")
REGION_KEYS = ("note", "region")
_REGION = re.compile(r"[a-z][a-z0-9-]{0,40}")
_SINCE = re.compile(r"^\s*(\d{1,5})\s*([hdw])\s*$")
_HOURS = {"h": 1, "d": 24, "w": 168}


@dataclass(frozen=True)
class Reads:
    glob: str | None = None  # vault-relative glob, e.g. wiki/sources/*.md
    search: str | None = None  # a search query (kbd search syntax)
    since_hours: int | None = None  # only notes changed in the last N hours
    since_last_run: bool = False  # only notes changed since this skill last ran
    limit: int = 20  # at most this many notes
    max_chars_per_note: int = 6000  # each note's text is cut here


@dataclass(frozen=True)
class Writes:
    report: str  # the report's title; the note is wiki/reports/<title>[ YYYY-MM-DD].md
    dated: bool = True  # a new dated note per day, or one note kept current
    note: str | None = None  # or: the user's note (vault-relative) whose managed region the skill writes
    region: str | None = None  # the region's name, between `%% kbd:begin NAME %%` and `%% kbd:end NAME %%`


@dataclass(frozen=True)
class CustomSkill:
    skill: Skill
    reads: Reads
    writes: Writes
    path: str  # vault-relative path of the skill file

    @property
    def name(self) -> str:
        return self.skill.name


def skill_path(name: str) -> str:
    return f"{SKILLS_DIR}/{name}.md"


def load_custom_skill(root: Path, name: str) -> CustomSkill:
    """The custom skill `name` from the vault, checked; SkillError says what is wrong and where."""
    if not NAME.fullmatch(name):
        raise SkillError(f"`{name}` is not a skill name: use letters, digits, `-` and `_` (the file is "
                         f"{SKILLS_DIR}/NAME.md)")
    if name in BUILT_IN:
        raise SkillError(f"`{name}` is a built-in skill kbd runs itself; a custom skill needs another name")
    rel = skill_path(name)
    path = root / rel
    if path.is_symlink() or not path.is_file():
        known = sorted(p.stem for p in (root / SKILLS_DIR).glob("*.md") if p.stem not in BUILT_IN) \
            if (root / SKILLS_DIR).is_dir() else []
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean `{close[0]}`?" if close else (f"; custom skills here: {', '.join(known)}" if known
                                                               else "; docs/custom-skills.md has two examples")
        raise SkillError(f"{rel}: no such file{hint}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SkillError(f"{rel}: cannot be read ({exc})") from None
    return parse_custom_skill(text, rel)


def parse_custom_skill(text: str, rel: str) -> CustomSkill:
    skill = parse_skill(text, rel)
    lines = skill.lines or {}

    def where(key: str) -> str:
        return f"{rel}, line {lines[key]}" if key in lines else rel

    stem = PurePosixPath(rel).stem
    if skill.name != stem:
        raise SkillError(f"{where('name')}: name is `{skill.name}` but the file is {stem}.md; make them the same "
                         "(a trigger runs `skill:<file name>`)")
    if not skill.prompt:
        raise SkillError(f"{rel}: the prompt (the text after the frontmatter) is empty; say what the model should do")
    problems = user_schema_problems(skill.schema)
    if problems:
        shown = "; ".join(problems[:3]) + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")
        raise SkillError(f"{where('schema')}: the output schema would be refused by the model provider: {shown}")
    return CustomSkill(skill, _reads(skill, where), _writes(skill, where), rel)


def _reads(skill: Skill, where: Callable[[str], str]) -> Reads:
    at = where("reads")
    value = skill.reads
    if not value:
        raise SkillError(f"{at}: say which notes the skill reads: `reads: {{glob: \"wiki/sources/*.md\"}}` or "
                         "`reads: {search: \"your query\"}`")
    _known(value, READ_KEYS, at, "reads")
    glob, search = value.get("glob"), value.get("search")
    if (glob is None) == (search is None):
        raise SkillError(f"{at}: give exactly one of `glob:` (notes by path) or `search:` (notes by query)")
    if glob is not None:
        if not isinstance(glob, str) or not glob.strip():
            raise SkillError(f"{at}: `glob` must be a path pattern such as \"wiki/sources/*.md\"")
        pure = PurePosixPath(glob.strip())
        if pure.is_absolute() or ".." in pure.parts or any(p.startswith(".") for p in pure.parts):
            raise SkillError(f"{at}: `glob` must stay inside the vault and out of hidden folders (no `/` at the "
                             "start, no `..`)")
        glob = glob.strip()
    if search is not None and (not isinstance(search, str) or not search.strip()):
        raise SkillError(f"{at}: `search` must be a query, e.g. \"sleep OR memory\"")
    since = value.get("since")
    hours, last_run = None, False
    if since is not None:
        m = _SINCE.match(str(since))
        if str(since).strip() == "last-run":
            last_run = True
        elif m and int(m.group(1)) > 0:
            hours = int(m.group(1)) * _HOURS[m.group(2)]
        else:
            raise SkillError(f"{at}: `since` must be `last-run` or a span such as 24h, 7d or 2w, got {since!r}")
    limit = _whole(value.get("limit", 20), 1, 200, at, "limit")
    cap = _whole(value.get("max_chars_per_note", 6000), 200, 200_000, at, "max_chars_per_note")
    return Reads(glob, search.strip() if isinstance(search, str) else None, hours, last_run, limit, cap)


def _writes(skill: Skill, where: Callable[[str], str]) -> Writes:
    at = where("writes")
    value = skill.writes
    if not value:
        raise SkillError(f"{at}: say where the result goes: `writes: {{report: \"Weekly digest\"}}` (a note in "
                         "wiki/reports/)")
    if "region" in value or "note" in value:
        return _region_writes(value, at)
    _known(value, WRITE_KEYS, at, "writes")
    title = value.get("report")
    if not isinstance(title, str) or not clean_title(title) or len(title) > 120:
        raise SkillError(f"{at}: `report` must be the report's title (up to 120 characters), e.g. \"Weekly digest\"")
    dated = value.get("dated", True)
    if not isinstance(dated, bool):
        raise SkillError(f"{at}: `dated` must be true (a new note each day) or false (one note kept current)")
    return Writes(clean_title(title), dated)


def _region_writes(value: dict[str, object], at: str) -> Writes:
    """`writes: {note: "Journal/Weekly.md", region: digest}`: the part of the user's own note between
    the markers the user put there. Where the vault's raw/ and wiki/ folders are is checked by the writer."""
    _known(value, REGION_KEYS, at, "writes")
    note, region = value.get("note"), value.get("region")
    if not isinstance(region, str) or not _REGION.fullmatch(region):
        raise SkillError(f"{at}: `region` must be a name of lowercase letters, digits and `-`, starting with a "
                         "letter, e.g. `region: digest`")
    if not isinstance(note, str) or not note.strip():
        raise SkillError(f"{at}: `note` must be the path of your note that holds the region, e.g. "
                         "`note: \"Journal/Weekly.md\"`")
    pure = PurePosixPath(note.strip())
    if pure.is_absolute() or ".." in pure.parts or pure.suffix.lower() != ".md" or \
            any(p.startswith(".") for p in pure.parts) or pure.parts[0] == CONTROL_DIR:
        raise SkillError(f"{at}: `note` must be a note (.md) of yours inside the vault: no `/` at the start, no "
                         f"`..`, not in a hidden folder or {CONTROL_DIR}/, got {note!r}")
    return Writes(report=region, dated=False, note=pure.as_posix(), region=region)


def _known(value: dict[str, object], keys: tuple[str, ...], at: str, section: str) -> None:
    for key in value:
        if key not in keys:
            close = difflib.get_close_matches(str(key), keys, n=1)
            hint = f"did you mean `{close[0]}`?" if close else f"known keys: {', '.join(keys)}"
            raise SkillError(f"{at}: unknown key `{section}.{key}`; {hint}")


def _whole(value: object, low: int, high: int, at: str, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SkillError(f"{at}: `{key}` must be a whole number from {low} to {high}, got {value!r}")
    return value
