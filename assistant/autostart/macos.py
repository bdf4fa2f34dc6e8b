"""macOS: a per-user LaunchAgent (~/Library/LaunchAgents), loaded by launchd at the next login.

No administrator right is involved (the folder is the user's). The plist runs the installed
launcher (`.../current/assistant run` or the .app's executable) once at load, as an interactive
process of the Aqua session (a tray application, not a daemon: no KeepAlive).
"""

from __future__ import annotations

import os
import plistlib
from dataclasses import dataclass
from pathlib import Path

from assistant import APP_ID
from assistant.autostart import AutostartStatus
from assistant.autostart.errors import AutostartError
from assistant.i18n import M_

LABEL = f"fr.{APP_ID}.agent"


def plist_content(command: list[str]) -> bytes:
    """The LaunchAgent's property list (XML) for this command."""
    return plistlib.dumps(
        {
            "Label": LABEL,
            "ProgramArguments": list(command),
            "RunAtLoad": True,
            "KeepAlive": False,
            "ProcessType": "Interactive",
            "LimitLoadToSessionType": "Aqua",
        },
        fmt=plistlib.FMT_XML,
    )


@dataclass(frozen=True)
class Backend:
    agents_dir: Path

    @classmethod
    def for_user(cls) -> Backend:
        return cls(agents_dir=Path.home() / "Library" / "LaunchAgents")

    @property
    def plist_path(self) -> Path:
        return self.agents_dir / f"{LABEL}.plist"

    def status(self) -> AutostartStatus:
        try:
            data = plistlib.loads(self.plist_path.read_bytes())
        except (OSError, plistlib.InvalidFileException, ValueError):
            return AutostartStatus(enabled=False, location=str(self.plist_path))
        enabled = bool(data.get("RunAtLoad")) and not data.get("Disabled", False)
        args = data.get("ProgramArguments") or []
        return AutostartStatus(
            enabled=enabled, location=str(self.plist_path), command=tuple(str(a) for a in args) if enabled else None
        )

    def enable(self, command: list[str]) -> None:
        try:
            self.agents_dir.mkdir(parents=True, exist_ok=True)
            tmp = self.plist_path.with_name(f".{self.plist_path.name}.tmp")
            tmp.write_bytes(plist_content(command))
            os.replace(tmp, self.plist_path)
        except OSError as exc:
            raise AutostartError(
                M_(
                    "Impossible d'écrire l'agent de démarrage ({plist_path}) : {strerror}.",
                    plist_path=self.plist_path,
                    strerror=exc.strerror,
                ),
            ) from exc

    def disable(self) -> None:
        try:
            self.plist_path.unlink(missing_ok=True)
        except OSError as exc:
            raise AutostartError(
                M_(
                    "Impossible de retirer l'agent de démarrage ({plist_path}) : {strerror}.",
                    plist_path=self.plist_path,
                    strerror=exc.strerror,
                ),
            ) from exc
