"""« Démarrer avec ma session »: start the assistant when the user logs in, on each OS, never as admin.

The OS entry is the setting (no copy in settings.json that could disagree with it):
- Linux: an XDG autostart entry in `$XDG_CONFIG_HOME/autostart/` (a system-wide one installed by
  the .deb in /etc/xdg/autostart is turned off per user with a `Hidden=true` override);
- Windows: a value under HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run;
- macOS: a LaunchAgent plist in ~/Library/LaunchAgents.

The settings page's checkbox (ui) and `assistant autostart on|off|status` both call
`autostart_status()` and `set_autostart(enabled)`; nothing else is public.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Protocol

from assistant.i18n import _
from assistant.update.layout import start_command

__all__ = ["AutostartStatus", "autostart_status", "set_autostart"]


@dataclass(frozen=True)
class AutostartStatus:
    """Whether the assistant starts with the user's session, and where that is decided."""

    enabled: bool
    #: The file or registry value that decides (shown to the user and to IT).
    location: str
    #: The command the session runs (None when disabled).
    command: tuple[str, ...] | None = None
    #: An administrator's entry (the .deb's /etc/xdg/autostart) applies unless the user turns it off.
    system_entry: bool = False

    @property
    def message(self) -> str:
        """One sentence for the settings page and the CLI, in the user's language."""
        if self.enabled:
            return _("L'assistant démarre avec votre session.")
        return _("L'assistant ne démarre pas avec votre session.")

    def to_dict(self) -> dict[str, object]:
        return {
            "enabled": self.enabled,
            "location": self.location,
            "command": list(self.command) if self.command else None,
            "system_entry": self.system_entry,
            "message": self.message,
        }


def autostart_status() -> AutostartStatus:
    """Read the current state from the OS (cheap: one file or registry value)."""
    return _backend().status()


def set_autostart(enabled: bool) -> AutostartStatus:
    """Turn starting with the session on or off for this user; returns the new state.

    Raises AutostartError (French message) when the entry cannot be written."""
    backend = _backend()
    if enabled:
        backend.enable(start_command())
    else:
        backend.disable()
    return backend.status()


class _Backend(Protocol):
    def status(self) -> AutostartStatus: ...

    def enable(self, command: list[str]) -> None: ...

    def disable(self) -> None: ...


def _backend() -> _Backend:
    if sys.platform == "win32":
        from assistant.autostart import windows

        return windows.Backend()
    if sys.platform == "darwin":
        from assistant.autostart import macos

        return macos.Backend.for_user()
    from assistant.autostart import linux

    return linux.Backend.for_user()
