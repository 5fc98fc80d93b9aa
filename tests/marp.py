"""marp-cli, as .ci/run installs it (npm ci --prefix .ci/marp): render a deck and read the result."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def marp_command() -> list[str]:
    local = ROOT / ".ci" / "marp" / "node_modules" / ".bin" / "marp"
    if local.exists():
        return [str(local)]
    if shutil.which("marp"):
        return ["marp"]
    if os.environ.get("CI"):
        pytest.fail("marp-cli is missing: .ci/run installs it with `npm ci --prefix .ci/marp`")
    pytest.skip("marp-cli is not installed (run .ci/run, or `npm ci --prefix .ci/marp`)")


def render_html(deck: Path, out: Path) -> str:
    """The deck rendered by marp-cli to HTML; asserts a clean exit and no warning."""
    result = subprocess.run([*marp_command(), str(deck), "-o", str(out)],
                            capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARN" not in result.stderr and "ERROR" not in result.stderr, result.stderr
    return out.read_text(encoding="utf-8")


def slide_sections(html: str) -> list[str]:
    """The opening tag of each slide marp rendered."""
    return re.findall(r'<section id="\d+"[^>]*>', html)


def speaker_notes(html: str) -> list[str]:
    return re.findall(r'<div class="bespoke-marp-note" data-index="\d+" tabindex="0"><p>(.*?)</p></div>', html,
                      re.DOTALL)
