"""The Windows launcher: the stable program the Start menu entry and the Run value start.

Windows gives a user without administrator rights no symbolic links, and a running .exe cannot be
replaced; so the per-user install keeps each version in `<root>\\versions\\<version>\\`, names the
one in use in the one-line file `<root>\\current` (replaced atomically by the updater), and puts
this small launcher at `<root>\\assistantw.exe` (windowed) and `<root>\\assistant.exe` (console).
It starts the program of the same name in the current version's folder with the same arguments:
the windowed one returns at once (the tray application goes on by itself), the console one waits
and ends with the program's exit status (scripts, `assistant.exe update check`).

If `current` is missing or names a folder that is not complete (an install interrupted by hand),
it falls back to the newest installed version that has the program and has not failed an update
trial, so the assistant still starts and can repair itself.

Stdlib only and small on purpose: installers/windows/launcher.spec freezes it on its own (a few MB),
and it never changes with updates (the Inno Setup installer replaces it, when the user runs one).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from assistant.update.layout import CURRENT, STATE_FILE, VERSIONS
from assistant.update.versions import parse_version


def _failed(root: Path) -> set[str]:
    try:
        failed = json.loads((root / STATE_FILE).read_text(encoding="utf-8")).get("failed", [])
    except (OSError, ValueError, AttributeError):
        return set()
    return {str(v) for v in failed} if isinstance(failed, list) else set()


def _sort_key(version: str) -> tuple[int, int, int]:
    try:
        return parse_version(version)
    except ValueError:
        return (-1, -1, -1)


def target(root: Path, program_name: str) -> Path | None:
    """The program to start: the current version's, else the newest usable one's, else None."""
    try:
        current = (root / CURRENT).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        current = ""
    if current and "/" not in current and "\\" not in current and current not in (".", ".."):
        candidate = root / VERSIONS / current / program_name
        if candidate.is_file():
            return candidate
    failed = _failed(root)
    try:
        folders = [p for p in (root / VERSIONS).iterdir() if p.is_dir() and not p.name.startswith(".")]
    except OSError:
        return None
    for folder in sorted(folders, key=lambda p: _sort_key(p.name), reverse=True):
        if folder.name not in failed and (folder / program_name).is_file():
            return folder / program_name
    return None


def _tell(message: str, windowed: bool) -> None:
    if windowed and sys.platform == "win32":
        import ctypes

        ctypes.windll.user32.MessageBoxW(None, message, "Assistant Marchés Publics", 0x10)  # type: ignore[attr-defined]
    else:
        print(message, file=sys.stderr)


def main(argv: Sequence[str] | None = None, executable: Path | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    me = Path(executable or sys.executable).absolute()
    windowed = me.stem.lower().endswith("w")
    program = target(me.parent, me.name)
    if program is None:
        # Both languages: the launcher carries no catalogue (it is a few MB of stdlib on purpose).
        _tell(
            f"Assistant Marchés Publics : aucune version installée dans {me.parent / VERSIONS}. "
            "Réinstallez l'assistant.\n"  # not translated: both languages, the launcher has no catalogue
            f"No version installed in {me.parent / VERSIONS}: reinstall the assistant.",
            windowed,
        )
        return 1
    child = subprocess.Popen([str(program), *args], cwd=os.getcwd())
    if windowed:
        return 0
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the program, which ends; so do we
    return child.wait()
