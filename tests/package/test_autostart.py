"""« Démarrer avec ma session »: the per-OS logic, with real files (Linux, macOS plist) and the
Windows Run value through a dictionary registry; the CLI on this machine's real user folders."""

from __future__ import annotations

import json
import os
import plistlib
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.autostart import linux, macos, windows
from assistant.update.layout import InstallLayout, layout_of


def test_linux_user_entry_on_off(tmp_path: Path) -> None:
    backend = linux.Backend(config_home=tmp_path / "config", system_dirs=(tmp_path / "xdg",))
    assert not backend.status().enabled
    backend.enable(["/home/u/.local/share/assistant-marches-publics/app/current/assistant", "run"])
    status = backend.status()
    assert status.enabled and status.location == str(
        tmp_path / "config" / "autostart" / "assistant-marches-publics.desktop"
    )
    assert status.command == ("/home/u/.local/share/assistant-marches-publics/app/current/assistant", "run")
    assert status.message == "L'assistant démarre avec votre session."
    backend.disable()
    assert not backend.status().enabled
    assert not (tmp_path / "config" / "autostart" / "assistant-marches-publics.desktop").exists()


def test_linux_exec_quoting_survives_spaces(tmp_path: Path) -> None:
    backend = linux.Backend(config_home=tmp_path, system_dirs=())
    backend.enable(["/home/Jean Dupont/app/assistant", "run"])
    text = backend.user_entry.read_text()
    assert 'Exec="/home/Jean Dupont/app/assistant" run' in text
    assert backend.status().command == ("/home/Jean Dupont/app/assistant", "run")


def test_linux_system_entry_turned_off_per_user(tmp_path: Path) -> None:
    """The .deb's /etc/xdg/autostart entry: each user turns it off with a Hidden=true override."""
    system = tmp_path / "xdg" / "autostart"
    system.mkdir(parents=True)
    (system / "assistant-marches-publics.desktop").write_text(
        linux.desktop_entry(["/opt/assistant-marches-publics/assistant", "run"])
    )
    backend = linux.Backend(config_home=tmp_path / "config", system_dirs=(tmp_path / "xdg",))
    status = backend.status()
    assert (
        status.enabled and status.system_entry and status.command == ("/opt/assistant-marches-publics/assistant", "run")
    )
    backend.disable()
    override = linux.parse_entry(backend.user_entry.read_text())
    assert override["Hidden"] == "true"
    assert not backend.status().enabled
    assert (system / "assistant-marches-publics.desktop").exists()  # the administrator's file is untouched
    backend.enable(["/opt/assistant-marches-publics/assistant", "run"])
    assert backend.status().enabled


def test_linux_unwritable_folder_says_why(tmp_path: Path) -> None:
    blocker = tmp_path / "config"
    blocker.write_text("not a folder")
    backend = linux.Backend(config_home=blocker, system_dirs=())
    from assistant.autostart.errors import AutostartError

    with pytest.raises(AutostartError, match="Impossible d'écrire le démarrage automatique"):
        backend.enable(["x", "run"])


def test_macos_launch_agent_plist(tmp_path: Path) -> None:
    backend = macos.Backend(agents_dir=tmp_path / "LaunchAgents")
    backend.enable(["/Applications/Assistant Marchés Publics.app/Contents/MacOS/assistant", "run"])
    data = plistlib.loads(backend.plist_path.read_bytes())
    assert backend.plist_path.name == "fr.assistant-marches-publics.agent.plist"
    assert data["Label"] == "fr.assistant-marches-publics.agent"
    assert data["ProgramArguments"] == ["/Applications/Assistant Marchés Publics.app/Contents/MacOS/assistant", "run"]
    assert data["RunAtLoad"] is True and data["KeepAlive"] is False
    assert data["LimitLoadToSessionType"] == "Aqua"
    assert backend.status().enabled
    backend.disable()
    assert not backend.status().enabled and not backend.plist_path.exists()


class _DictRegistry:
    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    def get(self, key: str, name: str) -> str | None:
        return self.values.get((key, name))

    def set(self, key: str, name: str, value: str) -> None:
        self.values[(key, name)] = value

    def delete(self, key: str, name: str) -> None:
        self.values.pop((key, name), None)


def test_windows_run_key_value() -> None:
    registry = _DictRegistry()
    backend = windows.Backend(registry=registry)
    backend.enable(
        [r"C:\Users\Jean Dupont\AppData\Local\Programs\Assistant Marches Publics\current\assistant.exe", "run"]
    )
    key = (r"Software\Microsoft\Windows\CurrentVersion\Run", "AssistantMarchesPublics")
    assert (
        registry.values[key]
        == '"C:\\Users\\Jean Dupont\\AppData\\Local\\Programs\\Assistant Marches Publics\\current\\assistant.exe" run'
    )
    status = backend.status()
    assert status.enabled and status.location.startswith(
        "HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run"
    )
    backend.disable()
    assert key not in registry.values and not backend.status().enabled


def test_install_layout_launcher_is_stable(tmp_path: Path) -> None:
    root = tmp_path / "app"
    (root / "versions" / "0.1.0").mkdir(parents=True)
    exe = root / "versions" / "0.1.0" / "assistant"
    exe.write_text("")
    (root / "current").symlink_to("versions/0.1.0")
    layout = layout_of(root / "current" / "assistant")
    assert layout == InstallLayout(root=root.resolve())
    assert layout.launcher == root.resolve() / "current" / "assistant"
    assert layout.current_version() == "0.1.0"
    assert layout_of(tmp_path / "elsewhere" / "assistant") is None


def test_cli_on_status_off_in_a_fresh_home(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")} | {"HOME": str(tmp_path)}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "assistant", "autostart", *args], env=env, capture_output=True, text=True, timeout=60
        )

    assert json.loads(cli("status", "--json").stdout)["enabled"] is False
    on = cli("on")
    assert on.returncode == 0 and "L'assistant démarre avec votre session." in on.stdout
    entry = tmp_path / ".config" / "autostart" / "assistant-marches-publics.desktop"
    assert f"Exec={sys.executable} -m assistant run" in entry.read_text()
    assert json.loads(cli("status", "--json").stdout)["enabled"] is True
    off = cli("off")
    assert "ne démarre pas" in off.stdout and not entry.exists()
