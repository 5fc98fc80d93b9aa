"""`kbd service install`: run `kbd run` at login (systemd user unit on Linux, launchd agent on macOS)."""

from __future__ import annotations

import hashlib
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class ServiceFile:
    path: Path
    text: str
    enable: str  # the command that turns it on


def _slug(vault: Path) -> str:
    """The folder name plus a short hash of the whole path: `a/Vault` and `b/Vault` get two units."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", vault.name).strip("-.") or "vault"
    return f"{name}-{hashlib.sha256(str(vault).encode()).hexdigest()[:8]}"


def service_file(vault: Path, home: Path, platform: str = sys.platform, python: str = sys.executable) -> ServiceFile:
    vault = vault.resolve()
    name = f"kbd-{_slug(vault)}"
    args = [python, "-P", "-m", "kbd", "run", str(vault)]
    if platform == "darwin":
        label = f"dev.kbd.{_slug(vault)}"
        path = home / "Library/LaunchAgents" / f"{label}.plist"
        program = "".join(f"\n    <string>{escape(a)}</string>" for a in args)
        text = f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>{label}</string>
  <key>ProgramArguments</key>
  <array>{program}
  </array>
  <key>WorkingDirectory</key>
  <string>{escape(str(vault))}</string>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>StandardErrorPath</key>
  <string>{escape(str(vault / '.kbd' / 'launchd.log'))}</string>
</dict>
</plist>
"""
        return ServiceFile(path, text, f"launchctl load -w {shlex.quote(str(path))}")
    path = home / ".config/systemd/user" / f"{name}.service"
    exec_start = " ".join(_systemd_quote(a) for a in args)
    text = f"""[Unit]
Description=kbd knowledge-base daemon for {vault}
Documentation=https://github.com/kbd (kbd run --help)
After=default.target

[Service]
Type=simple
ExecStart={exec_start}
WorkingDirectory={_systemd_quote(str(vault))}
Restart=on-failure
RestartSec=10
# kbd stops within 10 s of SIGTERM, re-queuing unfinished work.
KillSignal=SIGTERM
TimeoutStopSec=20

[Install]
WantedBy=default.target
"""
    return ServiceFile(path, text, f"systemctl --user daemon-reload && systemctl --user enable --now {name}.service")


def _systemd_quote(arg: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_./:@+=-]+", arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%") + '"'


def install_service(vault: Path, home: Path, force: bool = False) -> tuple[ServiceFile, bool]:
    """Write the service file; returns it and whether it was written (False: one exists, no --force)."""
    unit = service_file(vault, home)
    if unit.path.exists() and not force:
        return unit, False
    unit.path.parent.mkdir(parents=True, exist_ok=True)
    unit.path.write_text(unit.text, encoding="utf-8")
    return unit, True
