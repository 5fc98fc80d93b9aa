"""The house rules of docs/ARCHITECTURE.md, read from the code: every import of kbd/ (top-level,
inside a function, or for type checkers only; and `"kbd.module:function"` references, which are
imports by name) against the floor table of ARCHITECTURE.md. No circles, nothing imports a higher
floor, packages of a side-by-side floor do not import each other, every module has a floor, no
module is over 500 lines, no private name is used across packages, and nothing outside kbd.search
imports its modules."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"
MAX_LINES = 500
SEALED = ("kbd.search",)  # packages whose modules only the package itself imports
_REFERENCE = re.compile(r"^(kbd(?:\.\w+)+):\w+$")  # "kbd.ask.file:file_answer_note", imported when used


@dataclass(frozen=True)
class Floor:
    name: str
    prefixes: tuple[str, ...]
    side_by_side: bool


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str  # the module, or the package whose name was imported
    line: int
    names: tuple[str, ...]  # the names taken from it (`from m import a, b`)
    module_path: str  # the dotted path as written (`kbd.search.notes`)


def floors_from(markdown: str) -> list[Floor]:
    """The rows of the table between `<!-- floors` and `<!-- end floors -->`, bottom first."""
    block = markdown.split("<!-- floors", 1)[1].split("<!-- end floors -->", 1)[0]
    floors = []
    for row in block.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) < 3 or cells[0] in ("Floor", "") or set(cells[0]) <= {"-"}:
            continue
        floors.append(Floor(cells[0], tuple(re.findall(r"`([\w.]+)`", cells[1])), "side by side" in row))
    return floors


def modules_of(root: Path) -> dict[str, Path]:
    """Dotted name → file, for every module of the package at `root` (a folder named kbd)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imports_of(modules: dict[str, Path]) -> Iterator[Import]:
    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if (target := resolve(alias.name)) and alias.name.startswith("kbd"):
                        yield Import(module, target, node.lineno, (), alias.name)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    written = ".".join(base + ([node.module] if node.module else []))
                else:
                    written = node.module or ""
                if not written.startswith("kbd"):
                    continue
                for alias in node.names:  # `from kbd import clock` imports the module kbd.clock
                    target = resolve(f"{written}.{alias.name}") if f"{written}.{alias.name}" in modules \
                        else resolve(written)
                    if target:
                        yield Import(module, target, node.lineno, (alias.name,), written)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                if (m := _REFERENCE.match(node.value)) and (target := resolve(m.group(1))):
                    yield Import(module, target, node.lineno, (), m.group(1))


def floor_of(module: str, floors: list[Floor]) -> tuple[int, str] | None:
    """(floor index, the table entry that places it): the longest entry naming it or a package of it
    (`kbd` itself places only kbd/__init__.py)."""
    best: tuple[int, str] | None = None
    for index, floor in enumerate(floors):
        for prefix in floor.prefixes:
            inside = module.startswith(prefix + ".") and "." in prefix
            if (module == prefix or inside) and (best is None or len(prefix) > len(best[1])):
                best = (index, prefix)
    return best


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def problems(root: Path, floors: list[Floor]) -> list[str]:
    """Every breach of the house rules in the package at `root`, as readable lines."""
    modules = modules_of(root)
    found = []
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for imp in imports_of(modules):
        if imp.imported == imp.importer:
            continue
        edges[imp.importer].add(imp.imported)
        where = f"{modules[imp.importer].relative_to(root.parent)}:{imp.line}"
        low, high = floor_of(imp.imported, floors), floor_of(imp.importer, floors)
        if low is not None and high is not None:
            if low[0] > high[0]:
                found.append(f"{where}: {imp.importer} ({floors[high[0]].name}) imports {imp.imported} from the "
                             f"higher floor {floors[low[0]].name}")
            elif low[0] == high[0] and floors[low[0]].side_by_side and low[1] != high[1]:
                found.append(f"{where}: {imp.importer} imports {imp.imported}, beside it on the side-by-side "
                             f"floor {floors[low[0]].name}")
        if _package(imp.importer) != _package(imp.imported):
            private = [n for n in imp.names if n.startswith("_") and not n.startswith("__")]
            if private:
                found.append(f"{where}: {imp.importer} uses the private {', '.join(private)} of {imp.imported}")
            for sealed in SEALED:
                if imp.module_path.startswith(sealed + ".") and not imp.importer.startswith(sealed):
                    found.append(f"{where}: {imp.importer} imports {imp.module_path}; import from {sealed} itself")
    for module, path in modules.items():
        if floor_of(module, floors) is None:
            found.append(f"{module}: on no floor of docs/ARCHITECTURE.md; add it to the table")
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            found.append(f"{path.relative_to(root.parent)}: {lines} lines, over {MAX_LINES}; split it by concern")
    for component in circles(edges):
        found.append("import circle: " + " -> ".join(component) + "; "
                     + "; ".join(f"{a} imports {b}" for a in component for b in sorted(edges[a]) if b in component))
    return list(dict.fromkeys(found))  # `from m import a, b` breaks a rule once, not once per name


def test_kbd_keeps_the_floors_of_architecture_md() -> None:
    floors = floors_from(ARCHITECTURE.read_text(encoding="utf-8"))
    assert [f.name for f in floors][:1] == ["base"] and floors[-1].name == "front doors", floors
    found = problems(ROOT / "kbd", floors)
    assert not found, "\n".join(found)


def test_architecture_md_stays_one_page() -> None:
    assert len(ARCHITECTURE.read_text(encoding="utf-8").splitlines()) < 150


def test_starting_a_command_loads_no_features_work() -> None:
    """Every command imports kbd/features.py, which registers every job: a jobs module imports its
    work when the job runs, or each `kbd search` pays for loading compile (0.25 s of CPU)."""
    heavy = ("whoosh", "mistune", "httpx", "wordfreq", "pypdf", "kbd.compile.run", "kbd.engines", "kbd.lint.run",
             "kbd.monitor.check", "kbd.ask.questions", "kbd.custom_skills.run")
    probe = f"import sys, kbd.cli; print(' '.join(m for m in {heavy!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert loaded.stdout.split() == []


# The check itself must be able to fail: a small package with one of each breach.
def _plant(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / "kbd" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "kbd"


FLOORS = """<!-- floors -->
| Floor | Modules | What |
|---|---|---|
| base | `kbd`, `kbd.clock` | |
| features | `kbd.ask`, `kbd.lint`, `kbd.search` | *side by side* |
| front doors | `kbd.cli` | |
<!-- end floors -->"""


def test_the_check_finds_each_kind_of_breach(tmp_path: Path) -> None:
    root = _plant(tmp_path, {
        "__init__.py": "",
        "clock.py": "def now():\n    from kbd.cli import main  # a lazy import is still an import\n",
        "cli.py": "import kbd.ask.run\nmain = None\n",
        "ask/__init__.py": "",
        "ask/run.py": "from kbd.lint.checks import _private\nFORMATS = {'x': 'kbd.ask.other:f'}\n",
        "ask/other.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from kbd.ask.run import FORMATS\n",
        "lint/__init__.py": "",
        "lint/checks.py": "_private = 1\n" + "x = 1\n" * 500,
        "search/__init__.py": "",
        "search/notes.py": "",
        "stray.py": "from kbd.search.notes import *\n",
    })
    found = "\n".join(problems(root, floors_from(FLOORS)))
    assert "kbd.clock (base) imports kbd.cli from the higher floor front doors" in found
    assert "kbd.ask.run imports kbd.lint.checks, beside it on the side-by-side floor features" in found
    assert "uses the private _private of kbd.lint.checks" in found
    assert "kbd.stray: on no floor" in found
    assert "kbd/lint/checks.py: 501 lines, over 500" in found
    assert "kbd.stray imports kbd.search.notes; import from kbd.search itself" in found
    assert "import circle: kbd.ask.other -> kbd.ask.run" in found  # through a type-only import and a reference
    assert "import circle: kbd.ask.run -> kbd.cli -> kbd.clock" not in found  # clock -> cli -> ask.run: no way back
