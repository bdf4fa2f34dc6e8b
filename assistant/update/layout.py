"""Where an installed assistant lives, and which command starts it.

The per-user install (installers/linux/install.sh, the macOS .app copy, the updater) keeps each
version in `<root>/versions/<version>/` and points `<root>/current` at the one in use (a symlink,
swapped atomically). Launchers (menu entry, autostart, LaunchAgent) always name
`<root>/current/assistant`, so an update or a rollback never has to rewrite them.

Nothing here imports Qt or a network library: `assistant autostart` and the updater both use it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

CURRENT = "current"
VERSIONS = "versions"


@dataclass(frozen=True)
class InstallLayout:
    """An installed assistant's folders: `root` holds `versions/` and `current`."""

    root: Path
    executable_name: str = "assistant"

    @property
    def versions_dir(self) -> Path:
        return self.root / VERSIONS

    @property
    def current_link(self) -> Path:
        return self.root / CURRENT

    @property
    def launcher(self) -> Path:
        """The stable path launchers name (through `current`, whatever the version)."""
        return self.current_link / self.executable_name

    def version_dir(self, version: str) -> Path:
        return self.versions_dir / version

    def current_version(self) -> str | None:
        try:
            return self.current_link.resolve(strict=True).name
        except OSError:
            return None

    def installed_versions(self) -> list[str]:
        if not self.versions_dir.is_dir():
            return []
        return sorted(p.name for p in self.versions_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


def layout_of(executable: Path) -> InstallLayout | None:
    """The layout an executable belongs to (`<root>/versions/<v>/<exe>`), or None (a venv, the .deb's
    /opt copy, a bundle run from where it was built)."""
    exe = executable.resolve()
    version_dir = exe.parent
    if version_dir.parent.name != VERSIONS:
        return None
    root = version_dir.parent.parent
    if not (root / CURRENT).is_symlink():
        return None
    return InstallLayout(root=root, executable_name=exe.name)


def running_layout() -> InstallLayout | None:
    """The layout of this process, when it is a frozen bundle installed per user."""
    if not getattr(sys, "frozen", False):
        return None
    return layout_of(Path(sys.executable))


def gui_executable(executable: Path, platform: str = sys.platform) -> Path:
    """The program to start the tray application with: on Windows the bundle's windowed twin
    `assistantw.exe` (no console window), when it is there; elsewhere the executable itself."""
    if platform == "win32":
        twin = executable.with_name("assistantw.exe")
        if twin.is_file():
            return twin
    return executable


def start_command() -> list[str]:
    """The command that starts the assistant's tray application, stable across updates: the
    installed launcher, else this bundle's executable, else this Python with `-m assistant`."""
    layout = running_layout()
    if layout is not None:
        return [str(layout.launcher), "run"]
    if getattr(sys, "frozen", False):
        return [str(gui_executable(Path(sys.executable).resolve())), "run"]
    return [str(Path(sys.executable)), "-m", "assistant", "run"]
