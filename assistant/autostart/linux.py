"""XDG autostart entries (freedesktop Desktop Application Autostart Specification).

A user entry in `$XDG_CONFIG_HOME/autostart/<id>.desktop` wins over an entry of the same name in a
system directory (`$XDG_CONFIG_DIRS/autostart`, /etc/xdg/autostart: the .deb's). Turning it off
when a system entry exists therefore writes a user entry with `Hidden=true`; otherwise the user
entry is removed. All paths are parameters, so the logic is tested on any machine.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from assistant import APP_ID, APP_NAME
from assistant.autostart import AutostartStatus
from assistant.autostart.errors import AutostartError
from assistant.i18n import M_

ENTRY_NAME = f"{APP_ID}.desktop"


def desktop_entry(command: list[str]) -> str:
    """The autostart entry's text for this command (Exec quoted per the Desktop Entry spec)."""
    exec_line = " ".join(_quote_exec(arg) for arg in command)
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={APP_NAME}\n"
        "Comment=Démarre l'assistant avec la session (icône de notification et pont local)\n"  # not translated: the entry carries its languages
        "Comment[en]=Starts the assistant with the session (tray icon and local bridge)\n"
        f"Exec={exec_line}\n"
        f"Icon={APP_ID}\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
        "X-GNOME-Autostart-Delay=5\n"
    )


def hidden_entry() -> str:
    """A user override that turns a system-wide autostart entry off for this user only."""
    return f"[Desktop Entry]\nType=Application\nName={APP_NAME}\nHidden=true\n"


def _quote_exec(arg: str) -> str:
    if arg and all(c.isalnum() or c in "/._-+=:@" for c in arg):
        return arg
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
    return f'"{escaped}"'


def parse_entry(text: str) -> dict[str, str]:
    """The [Desktop Entry] group's keys (enough for Hidden, Exec and the GNOME switch)."""
    values: dict[str, str] = {}
    in_group = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            in_group = line == "[Desktop Entry]"
            continue
        if in_group and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def entry_enabled(values: dict[str, str]) -> bool:
    return (
        values.get("Hidden", "false").lower() != "true"
        and values.get("X-GNOME-Autostart-enabled", "true").lower() != "false"
    )


@dataclass(frozen=True)
class Backend:
    config_home: Path
    system_dirs: tuple[Path, ...]

    @classmethod
    def for_user(cls) -> Backend:
        home = Path.home()
        config_home = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
        dirs = os.environ.get("XDG_CONFIG_DIRS") or "/etc/xdg"
        return cls(config_home=config_home, system_dirs=tuple(Path(d) for d in dirs.split(":") if d))

    @property
    def user_entry(self) -> Path:
        return self.config_home / "autostart" / ENTRY_NAME

    def system_entry(self) -> Path | None:
        for folder in self.system_dirs:
            candidate = folder / "autostart" / ENTRY_NAME
            if candidate.is_file():
                return candidate
        return None

    def status(self) -> AutostartStatus:
        system = self.system_entry()
        effective = self.user_entry if self.user_entry.is_file() else system
        if effective is None:
            return AutostartStatus(enabled=False, location=str(self.user_entry), system_entry=False)
        try:
            values = parse_entry(effective.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            values = {"Hidden": "true"}
        enabled = entry_enabled(values)
        command = tuple(shlex.split(values["Exec"])) if enabled and values.get("Exec") else None
        return AutostartStatus(
            enabled=enabled, location=str(effective), command=command, system_entry=system is not None
        )

    def enable(self, command: list[str]) -> None:
        self._write(desktop_entry(command))

    def disable(self) -> None:
        if self.system_entry() is not None:
            self._write(hidden_entry())
            return
        try:
            self.user_entry.unlink(missing_ok=True)
        except OSError as exc:
            raise AutostartError(
                M_(
                    "Impossible de retirer le démarrage automatique ({user_entry}) : {strerror}.",
                    user_entry=self.user_entry,
                    strerror=exc.strerror,
                ),
            ) from exc

    def _write(self, text: str) -> None:
        target = self.user_entry
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, target)
        except OSError as exc:
            raise AutostartError(
                M_(
                    "Impossible d'écrire le démarrage automatique ({target}) : {strerror}.",
                    target=target,
                    strerror=exc.strerror,
                ),
            ) from exc
