"""An independent link checker written from Obsidian's help, not from kbd's code: the reference
that `bench/lint_real.py` scores `kbd lint` against.

    python bench/obsidian_links.py VAULT   # prints one finding per line

Rules, as Obsidian's help states them ("Internal links", "Embed files", "Link to blocks",
"Accepted file formats", "Attachments", "Use links in tables" under "Advanced formatting syntax"):
- `[[Name]]` links a note, `![[Name]]` embeds a note or file; `[[Name#Heading]]` a heading,
  `[[Name#^id]]` a block whose line ends in `^id`; `[[Name|Text]]` shows Text; in a table the pipe
  is escaped: `[[Name\\|Text]]`. `![alt](file.png)` is a Markdown embed.
- A link names a file by its path or by its name; Obsidian finds it anywhere in the vault (the
  file whose path ends with what the link says), case-insensitively; a note's `.md` may be left out.
- Files Obsidian opens itself are images, audio, video, PDF, canvas and base files: a link to
  any of those that names no file is a missing attachment; any other unresolved link is broken.
- Nothing in code (fenced blocks, inline code) or comments (`%% %%`, `<!-- -->`) is a link.
  Links in properties (quoted, in valid YAML) are links. Folders starting with a dot are not part of the vault.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from urllib.parse import unquote

import yaml

MEDIA = {"avif", "bmp", "gif", "jpeg", "jpg", "png", "svg", "webp", "flac", "m4a", "mp3", "ogg", "wav",
         "webm", "3gp", "mkv", "mov", "mp4", "ogv", "pdf", "canvas", "base"}


@dataclass(frozen=True, order=True)
class Problem:
    note: str  # vault-relative path of the linking note
    line: int  # 1-based line of the file
    kind: str  # broken | attachment | heading | block
    target: str  # what the link names (for heading/block: `Name#Heading`, `Name#^id`)


def vault_files(root: str) -> list[str]:
    out = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if not name.startswith("."):
                out.append(os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/"))
    return out


def visible_lines(text: str, inline: bool = True) -> list[str]:
    """The note's lines with code and comments replaced by spaces (line count kept); with
    `inline=False` only code blocks (a heading's inline code is part of its text)."""
    out, fence = [], ""
    for line in text.split("\n"):
        marker = re.match(r"\s*(?:>\s*)*(```+|~~~+)", line)
        if fence:
            if marker and marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence):
                fence = ""
            out.append("")
            continue
        if marker:
            fence = marker.group(1)
            out.append("")
            continue
        out.append(line)
    joined = "\n".join(out)
    if not inline:
        return out
    for pattern in (r"`[^`\n]+`", r"%%.*?%%", r"<!--.*?-->"):
        joined = re.sub(pattern, lambda m: "".join(c if c == "\n" else " " for c in m.group(0)), joined,
                        flags=re.DOTALL)
    return joined.split("\n")


class Vault:
    def __init__(self, root: str) -> None:
        self.root = root
        self.files = vault_files(root)
        self.lower = {f.lower(): f for f in self.files}
        self.named: dict[str, list[str]] = {}
        for f in self.files:
            self.named.setdefault(f.rsplit("/", 1)[-1].lower(), []).append(f)
        self._anchors: dict[str, tuple[set[str], set[str]]] = {}

    def find(self, name: str, note: str) -> str | None:
        name = name.strip()
        if not name:
            return note
        tries = [name] if "." in name.rsplit("/", 1)[-1] and name.rsplit(".", 1)[1].lower() in (MEDIA | {"md"}) \
            else [name + ".md", name]
        for want in tries:
            want_l = want.lower()
            if want_l.startswith(("./", "../")):
                joined = os.path.normpath(os.path.join(os.path.dirname(note), want)).replace(os.sep, "/").lower()
                if joined in self.lower:
                    return self.lower[joined]
            want_l = want_l.lstrip("/")
            hits = [f for f in self.named.get(want_l.rsplit("/", 1)[-1], [])
                    if f.lower() == want_l or f.lower().endswith("/" + want_l)]
            if hits:
                return min(hits, key=len)
        return None

    def anchors(self, path: str) -> tuple[set[str], set[str]]:
        if path not in self._anchors:
            heads, blocks = set(), set()
            for line in visible_lines(body_of(read(os.path.join(self.root, path)))[1], inline=False):
                h = re.match(r"\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
                if h:
                    heads.add(simplify(h.group(1)))
                b = re.search(r"(?:^|\s)\^([\w-]+)\s*$", line)
                if b:
                    blocks.add(b.group(1).lower())
            self._anchors[path] = (heads, blocks)
        return self._anchors[path]


def simplify(heading: str) -> str:
    return " ".join(re.sub(r"[#|^:%\[\]\\`]", " ", heading).split()).lower()


def read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read().replace("\r\n", "\n")


def body_of(text: str) -> tuple[str, str]:
    """(frontmatter text, body with the frontmatter's lines left blank so line numbers hold)."""
    lines = text.split("\n")
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() == "---":
                return "\n".join(lines[: i + 1]), "\n" * i + "\n" + "\n".join(lines[i + 1:])
    return "", text


def readable_yaml(front: str) -> bool:
    """Obsidian shows no properties (so no property links) when the frontmatter is not valid YAML."""
    try:
        return isinstance(yaml.safe_load(front.strip().strip("-")), dict)
    except yaml.YAMLError:
        return False


def check(root: str) -> list[Problem]:
    vault = Vault(root)
    problems: list[Problem] = []
    for note in sorted(f for f in vault.files if f.lower().endswith(".md")):
        front, body = body_of(read(os.path.join(root, note)))
        lines = visible_lines(body)
        if front and readable_yaml(front):  # a property holds a link when it is quoted: `up: "[[Home]]"`
            for i, line in enumerate(front.split("\n")):
                lines[i] = line if '"[[' in line or "'[[" in line else ""
        for number, line in enumerate(lines, 1):
            for m in re.finditer(r"(!?)\[\[([^\[\]\n]+?)\]\]", line):
                problems.extend(check_link(vault, note, number, m.group(2)))
            for m in re.finditer(r"!\[[^\]\n]*\]\(([^)\n]+)\)", line):
                problems.extend(check_image(vault, note, number, m.group(1)))
    return problems


def check_link(vault: Vault, note: str, number: int, inner: str) -> list[Problem]:
    inner = re.split(r"\\?\|", inner, maxsplit=1)[0]
    name, _, fragment = inner.partition("#")
    found = vault.find(name, note)
    ext = name.strip().rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else ""
    if found is None:
        return [Problem(note, number, "attachment" if ext in MEDIA else "broken", name.strip())]
    if not fragment or not found.lower().endswith(".md"):
        return []
    heads, blocks = vault.anchors(found)
    if fragment.startswith("^"):
        ok = fragment[1:].strip().lower() in blocks
        return [] if ok else [Problem(note, number, "block", f"{name.strip()}#{fragment.strip()}")]
    last = fragment.split("#")[-1]
    ok = not simplify(last) or simplify(last) in heads
    return [] if ok else [Problem(note, number, "heading", f"{name.strip()}#{last.strip()}")]


def check_image(vault: Vault, note: str, number: int, inside: str) -> list[Problem]:
    target = inside.strip()
    target = target[1:target.index(">")] if target.startswith("<") and ">" in target else target.split(" ")[0]
    if re.match(r"^[a-zA-Z][\w+.-]*:", target) or target.startswith("#"):
        return []
    path = unquote(target.split("#")[0])
    relative = os.path.normpath(os.path.join(os.path.dirname(note), path)).replace(os.sep, "/").lower()
    if relative in vault.lower or vault.find(path.lstrip("/"), note):
        return []
    return [Problem(note, number, "attachment", path)]


if __name__ == "__main__":
    for problem in check(sys.argv[1]):
        print(f"{problem.note}:{problem.line}: {problem.kind} {problem.target}")
