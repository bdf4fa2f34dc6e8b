"""Windows: a value under HKEY_CURRENT_USER's Run key, the per-user start list (no admin right).

The value's data is a command line (quoted per the Windows rules); the Inno Setup installer writes
the same value (installers/windows/assistant.iss) and its uninstaller removes it. The registry is
reached through a small `Registry` protocol so the logic is tested on Linux with a dictionary.
"""

from __future__ import annotations

import importlib
import subprocess
from dataclasses import dataclass, field
from typing import Any, Protocol

from assistant.autostart import AutostartStatus
from assistant.autostart.errors import AutostartError
from assistant.i18n import M_

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
VALUE_NAME = "AssistantMarchesPublics"


def run_value(command: list[str]) -> str:
    """The Run value's data: the command line Windows will run at logon."""
    return subprocess.list2cmdline(command)


class Registry(Protocol):
    def get(self, key: str, name: str) -> str | None: ...

    def set(self, key: str, name: str, value: str) -> None: ...

    def delete(self, key: str, name: str) -> None: ...


class WinRegistry:
    """HKEY_CURRENT_USER through winreg (imported on Windows only)."""

    def __init__(self) -> None:
        self._winreg: Any = importlib.import_module("winreg")

    def get(self, key: str, name: str) -> str | None:
        w = self._winreg
        try:
            with w.OpenKey(w.HKEY_CURRENT_USER, key) as handle:
                value, _kind = w.QueryValueEx(handle, name)
        except FileNotFoundError:
            return None
        return str(value)

    def set(self, key: str, name: str, value: str) -> None:
        w = self._winreg
        with w.CreateKeyEx(w.HKEY_CURRENT_USER, key, 0, w.KEY_SET_VALUE) as handle:
            w.SetValueEx(handle, name, 0, w.REG_SZ, value)

    def delete(self, key: str, name: str) -> None:
        w = self._winreg
        try:
            with w.OpenKey(w.HKEY_CURRENT_USER, key, 0, w.KEY_SET_VALUE) as handle:
                w.DeleteValue(handle, name)
        except FileNotFoundError:
            pass


@dataclass
class Backend:
    registry: Registry = field(default_factory=WinRegistry)

    @property
    def location(self) -> str:
        return f"HKEY_CURRENT_USER\\{RUN_KEY}\\{VALUE_NAME}"

    def status(self) -> AutostartStatus:
        value = self.registry.get(RUN_KEY, VALUE_NAME)
        if not value:
            return AutostartStatus(enabled=False, location=self.location)
        return AutostartStatus(enabled=True, location=self.location, command=(value,))

    def enable(self, command: list[str]) -> None:
        try:
            self.registry.set(RUN_KEY, VALUE_NAME, run_value(command))
        except OSError as exc:
            raise AutostartError(
                M_("Impossible d'écrire le démarrage automatique dans le registre : {exc}.", exc=exc),
            ) from exc

    def disable(self) -> None:
        try:
            self.registry.delete(RUN_KEY, VALUE_NAME)
        except OSError as exc:
            raise AutostartError(
                M_("Impossible de retirer le démarrage automatique du registre : {exc}.", exc=exc),
            ) from exc
