"""Where an installed assistant lives, which command starts it, and how a version is swapped in.

Every per-user install keeps the version in use and the previous one, and gives launchers (menu
entry, autostart, LaunchAgent, Run value) one stable path that never needs rewriting. How depends
on what the OS allows a user without administrator rights:

- Linux (`InstallLayout`, installers/linux/install.sh): `<root>/versions/<version>/` and
  `<root>/current`, a symbolic link swapped atomically; launchers name `<root>/current/assistant`.
- Windows (`PointerLayout`, installers/windows/assistant.iss): the same folders under
  %LOCALAPPDATA%\\Programs\\Assistant Marches Publics, but symbolic links need administrator
  rights and a running .exe cannot be replaced: `<root>\\current` is a one-line file naming the
  version, and `<root>\\assistantw.exe` / `assistant.exe` are a small stable launcher
  (assistant.update.launcher) that starts `versions\\<current>\\` 's program of the same name.
- macOS (`AppLayout`): the .app the user put in ~/Applications is the version in use (the
  LaunchAgent names its executable); an update exchanges the staged .app with it in one system call
  (assistant.update.swap), and the previous .app is kept in `<root>/versions/<version>/`;
  `<root>` is the data folder's `app/`, on the same volume.

Each layout turns "install N over P", "roll N back to P", "put N back in the staged folder" and
"keep only these" into a plan of steps (assistant.update.swap), so the same journalled code does
the work everywhere and the tests run every OS's plan on Linux. Nothing here imports Qt or a
network library: `assistant autostart`, the updater and the Windows launcher use it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from assistant.update.swap import Exchange, RemoveTree, Rename, SetPointer, Step, read_pointer

CURRENT = "current"
VERSIONS = "versions"
STAGED = "staged"
STATE_FILE = "update-state.json"
TRASH = ".trash"
#: The macOS application's folder name (installers/macos/app_info.py says the same).
APP_BUNDLE_NAME = "Assistant Marchés Publics.app"  # not translated: a folder name


@dataclass(frozen=True)
class InstallLayout:
    """Linux: `root` holds `versions/` and `current`, a symbolic link to `versions/<version>`."""

    root: Path
    executable_name: str = "assistant"

    @property
    def versions_dir(self) -> Path:
        return self.root / VERSIONS

    @property
    def staged_dir(self) -> Path:
        return self.root / STAGED

    @property
    def current_link(self) -> Path:
        return self.root / CURRENT

    @property
    def launcher(self) -> Path:
        """The stable path launchers name (through `current`, whatever the version)."""
        return self.current_link / self.executable_name

    def version_dir(self, version: str) -> Path:
        return self.versions_dir / version

    def staged_bundle(self, version: str) -> Path:
        """Where a verified release is unpacked (its archive's `bundle/` folder)."""
        return self.staged_dir / version

    def staged_program(self, version: str) -> Path:
        return self.staged_bundle(version) / self.executable_name

    def program(self, version: str) -> Path:
        """The program of an installed version (what a trial start runs)."""
        return self.version_dir(version) / self.executable_name

    def current_version(self) -> str | None:
        target = read_pointer(self.current_link, "symlink")
        if target is None or not (self.root / target).is_dir():
            return None
        return Path(target).name

    def installed_versions(self) -> list[str]:
        if not self.versions_dir.is_dir():
            return []
        return sorted(p.name for p in self.versions_dir.iterdir() if p.is_dir() and not p.name.startswith("."))

    def version_of(self, path: Path) -> str | None:
        """The version of a bundle folder (its name), for the plans' Exchange steps (macOS only)."""
        return path.name if path.is_dir() else None

    # -- plans (assistant.update.swap) -------------------------------------------------------------

    def pointer_step(self, version: str) -> Step:
        return SetPointer(str(self.current_link), f"{VERSIONS}/{version}", "symlink")

    def stale_paths(self, new: str, previous: str) -> list[Path]:
        """What a new install would collide with (a leftover of an interrupted earlier attempt);
        removed before the plan is journalled."""
        return [self.version_dir(new)]

    def install_plan(self, new: str, previous: str) -> list[Step]:
        return [Rename(str(self.staged_bundle(new)), str(self.version_dir(new))), self.pointer_step(new)]

    def rollback_plan(self, failed: str, previous: str) -> list[Step]:
        trash = self.root / TRASH / failed
        return [
            self.pointer_step(previous),
            Rename(str(self.version_dir(failed)), str(trash)),
            RemoveTree(str(self.root / TRASH)),
        ]

    def unstage_plan(self, new: str, previous: str) -> list[Step]:
        """Back to `previous`, `new` staged again (it ended well without starting: retry later)."""
        return [self.pointer_step(previous), Rename(str(self.version_dir(new)), str(self.staged_bundle(new)))]

    def prune_plan(self, keep: tuple[str, ...]) -> list[Step]:
        steps: list[Step] = [RemoveTree(str(self.version_dir(v))) for v in self.installed_versions() if v not in keep]
        return [*steps, RemoveTree(str(self.root / TRASH))]


@dataclass(frozen=True)
class PointerLayout(InstallLayout):
    """Windows: `root\\current` is a file naming the version; the launcher next to it reads it."""

    executable_name: str = "assistant.exe"

    @property
    def launcher(self) -> Path:
        return self.root / self.executable_name

    def current_version(self) -> str | None:
        version = read_pointer(self.current_link, "file")
        if version is None or "/" in version or "\\" in version or not self.version_dir(version).is_dir():
            return None
        return version

    def pointer_step(self, version: str) -> Step:
        return SetPointer(str(self.current_link), version, "file")


@dataclass(frozen=True)
class AppLayout(InstallLayout):
    """macOS: `app` (in ~/Applications) is the version in use; `root` keeps the others and stages."""

    app: Path = Path(APP_BUNDLE_NAME)

    @property
    def launcher(self) -> Path:
        return self.app / "Contents" / "MacOS" / self.executable_name

    def version_of(self, path: Path) -> str | None:
        """An .app's version, from its Info.plist (CFBundleShortVersionString)."""
        import plistlib  # here: the Windows launcher imports this module and has no XML parser

        try:
            with (path / "Contents" / "Info.plist").open("rb") as fh:
                value = plistlib.load(fh).get("CFBundleShortVersionString")
        except (OSError, plistlib.InvalidFileException, ValueError):
            return None
        return str(value) if value else None

    def _kept_app(self, version: str) -> Path:
        return self.version_dir(version) / self.app.name

    def staged_program(self, version: str) -> Path:
        return self.staged_bundle(version) / self.app.name / "Contents" / "MacOS" / self.executable_name

    def program(self, version: str) -> Path:
        if version == self.current_version():
            return self.launcher
        return self._kept_app(version) / "Contents" / "MacOS" / self.executable_name

    def current_version(self) -> str | None:
        return self.version_of(self.app)

    def installed_versions(self) -> list[str]:
        current = self.current_version()
        return sorted({*super().installed_versions(), *([current] if current else [])})

    def stale_paths(self, new: str, previous: str) -> list[Path]:
        return [self.version_dir(previous)]

    def install_plan(self, new: str, previous: str) -> list[Step]:
        # The staged .app and the one in use swap places; the old one's folder is then named after it.
        staged = self.staged_bundle(new)
        return [
            Exchange(str(staged / self.app.name), str(self.app), new),
            Rename(str(staged), str(self.version_dir(previous))),
        ]

    def rollback_plan(self, failed: str, previous: str) -> list[Step]:
        trash = self.root / TRASH / failed
        return [
            Exchange(str(self._kept_app(previous)), str(self.app), previous),
            Rename(str(self.version_dir(previous)), str(trash)),
            RemoveTree(str(self.root / TRASH)),
        ]

    def unstage_plan(self, new: str, previous: str) -> list[Step]:
        return [
            Exchange(str(self._kept_app(previous)), str(self.app), previous),
            Rename(str(self.version_dir(previous)), str(self.staged_bundle(new))),
        ]

    def prune_plan(self, keep: tuple[str, ...]) -> list[Step]:
        # versions/ holds the copies not in use; one named like the .app in use is a leftover too.
        current = self.current_version()
        extra = [v for v in super().installed_versions() if v not in keep or v == current]
        steps: list[Step] = [RemoveTree(str(self.version_dir(v))) for v in extra]
        return [*steps, RemoveTree(str(self.root / TRASH))]


def layout_of(executable: Path, platform: str = sys.platform, data_root: Path | None = None) -> InstallLayout | None:
    """The per-user install an executable belongs to, or None (a venv, the .deb's /opt copy, a
    bundle run where it was built, an .app run from a read-only or translocated place).

    `data_root` is where a macOS install keeps its other versions (the data folder's `app/`)."""
    if platform == "darwin":
        return _app_layout_of(executable, data_root)
    exe = executable.resolve()
    version_dir = exe.parent
    if version_dir.parent.name != VERSIONS:
        return None
    root = version_dir.parent.parent
    pointer = root / CURRENT
    if pointer.is_symlink():
        return InstallLayout(root=root, executable_name=exe.name)
    if pointer.is_file():
        return PointerLayout(root=root, executable_name=exe.name)
    return None


def _app_layout_of(executable: Path, data_root: Path | None) -> InstallLayout | None:
    exe = executable.absolute()
    app = exe.parents[2] if len(exe.parents) > 2 else exe
    if data_root is None or app.suffix != ".app" or exe.parent.name != "MacOS":
        return None
    # Gatekeeper's App Translocation runs a quarantined app from a random read-only mount: it has
    # to be moved (to ~/Applications) before it can update itself.
    if "/AppTranslocation/" in str(exe) or not os.access(app.parent, os.W_OK):
        return None
    return AppLayout(root=data_root, executable_name=exe.name, app=app)


def running_layout() -> InstallLayout | None:
    """The layout of this process, when it is a frozen bundle installed per user."""
    if not getattr(sys, "frozen", False):
        return None
    data_root = None
    if sys.platform == "darwin":
        from assistant import paths

        data_root = paths.data_dir() / "app"
    return layout_of(Path(sys.executable), data_root=data_root)


def gui_executable(executable: Path, platform: str = sys.platform) -> Path:
    """The program to start the tray application with: on Windows the windowed twin
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
        return [str(gui_executable(layout.launcher)), "run"]
    if getattr(sys, "frozen", False):
        return [str(gui_executable(Path(sys.executable).resolve())), "run"]
    return [str(Path(sys.executable)), "-m", "assistant", "run"]
