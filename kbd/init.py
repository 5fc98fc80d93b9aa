"""`kbd init`: lay out a vault from the packaged template, adding only what is missing."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kbd.commandline import EXIT_OK, Subcommands, UsageError, shown_path
from kbd.config import load_config

if TYPE_CHECKING:  # importlib.resources brings tempfile, random and more: only `kbd init` reads the template
    from importlib.abc import Traversable
from kbd.vault.layout import enclosing_vault

KEEP_FILE = ".keep"  # marks an empty folder in the template; not copied
CONFIG_FILE = "kbd/config.yaml"


@dataclass
class InitReport:
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # already there, left untouched
    raw: str = "raw"  # the raw folder, vault-relative
    models_written: bool = False  # the `models:` section went into a new kbd/config.yaml


def init_vault(root: Path, samples: bool = False, config_path: Path | None = None, models: str = "") -> InitReport:
    """Lay out `root`. The template's `raw/` and `wiki/` go where the config's `paths:` say (a config
    already in the vault, or `config_path`): with `paths.raw: Clippings` that is `Clippings/`.
    `models`: a `models:` section (kbd/engines/presets.py) to end a new kbd/config.yaml with; an
    existing config is never changed. Raises ConfigError, before creating anything, when that
    config is invalid."""
    from importlib import resources  # with tempfile and random: only `kbd init` reads the template

    report = InitReport()
    config = load_config(root, config_path)
    folders = {"raw": config.paths.raw.strip("/"), "wiki": config.paths.wiki.strip("/")}
    report.raw = folders["raw"]
    root.mkdir(parents=True, exist_ok=True)
    template = resources.files("kbd") / "vault_template"
    for template_rel, item in _walk(template, ""):
        top, _, rest = template_rel.partition("/")
        rel = "/".join(p for p in (folders.get(top, top), rest) if p)
        if item.is_dir():
            target = root / rel
            if not target.exists():
                target.mkdir(parents=True)
                report.created.append(rel + "/")
        elif item.name != KEEP_FILE:
            data = item.read_bytes()
            if rel == CONFIG_FILE and models:
                data = data.rstrip(b"\n") + b"\n\n" + models.encode("utf-8")
            _create(root, rel, data, report)
            report.models_written |= bool(models) and rel == CONFIG_FILE and rel in report.created
    if samples:
        for item in sorted(resources.files("kbd").joinpath("samples").iterdir(), key=lambda t: t.name):
            if item.name.endswith(".md"):
                _create(root, f"{folders['raw']}/{item.name}", item.read_bytes(), report)
    return report


def _create(root: Path, rel: str, data: bytes, report: InitReport) -> None:
    from kbd.vault.write import create_if_missing  # the writer loads when a vault is made, not with the CLI

    (report.created if create_if_missing(root, rel, data) else report.kept).append(rel)


def _walk(folder: Traversable, prefix: str) -> list[tuple[str, Traversable]]:
    out: list[tuple[str, Traversable]] = []
    for item in sorted(folder.iterdir(), key=lambda t: t.name):
        if item.name == "__pycache__":
            continue
        rel = f"{prefix}{item.name}"
        out.append((rel, item))
        if item.is_dir():
            out.extend(_walk(item, rel + "/"))
    return out


def add_init(sub: Subcommands) -> None:
    p = sub.add_parser("init", help="create the vault layout; never overwrites a file",
                       description="Create raw/, wiki/, kbd/config.yaml and kbd/constraints.md in VAULT. "
                                   "Existing files are left exactly as they are.")
    p.add_argument("vault", type=Path, help="vault folder (created if missing)")
    p.add_argument("--samples", action="store_true", help="also add three sample clippings to raw/")
    p.add_argument("--model", metavar="SERVER:MODEL", help="a model on this machine, e.g. ollama:qwen3:8b (servers: "
                   "ollama, llama.cpp, lmstudio, vllm): its preset goes into a new kbd/config.yaml")
    p.set_defaults(handler=cmd_init)


def cmd_init(args: argparse.Namespace) -> int:
    from kbd.init import init_vault

    root = args.vault.expanduser()
    enclosing = enclosing_vault(root.resolve())
    if enclosing is not None:
        raise UsageError(f"{root} is inside the vault {enclosing}; a vault inside a vault would compile its notes "
                         f"twice. Run kbd on {shown_path(enclosing)}, or pick a folder outside it")
    models = ""
    if args.model:
        from kbd.engines.presets import models_block, parse_model, server_context

        try:
            preset, model = parse_model(args.model)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        models = models_block(preset, model, server_context(preset, model))
    report = init_vault(root, samples=args.samples, models=models)
    for rel in report.created:
        print(f"  created {rel}")
    for rel in report.kept:
        print(f"  kept    {rel} (already there)")
    if report.models_written:
        print(f"kbd: kbd/config.yaml uses {args.model} on this machine; `kbd doctor {shown_path(root.resolve())}` "
              "checks that the server answers and which structured mode it takes")
    if models and not report.models_written:
        print("kbd: kbd/config.yaml was already there and is left as it is; to use the model, put this in it:\n"
              + models)
    shown = shown_path(root.resolve())
    print(f"kbd: vault ready at {shown}; clip articles into {report.raw}/ and run `kbd compile {shown}`")
    return EXIT_OK
