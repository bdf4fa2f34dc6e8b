"""What cannot be built on Linux (Inno Setup, the signed .app) is checked here through its pure
parts: the installer script's per-user settings and registry values agree with the assistant's
own autostart code, the .app's Info.plist and entitlements are valid property lists."""

from __future__ import annotations

import plistlib
import sys
from pathlib import Path

from assistant.autostart import windows

ROOT = Path(__file__).resolve().parents[2]
ISS = ROOT / "installers" / "windows" / "assistant.iss"


def _iss_sections() -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = ""
    for raw in ISS.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith((";", "#")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            sections.setdefault(current, [])
        else:
            sections.setdefault(current, []).append(line)
    return sections


def _entry(line: str) -> dict[str, str]:
    """An Inno Setup entry line: `Name: "x"; Flags: a b` -> {"Name": "x", "Flags": "a b"}."""
    parts: dict[str, str] = {}
    for chunk in line.split("; "):
        key, _, value = chunk.partition(": ")
        value = value.strip()
        if value.startswith('"') and value.endswith('"'):
            value = value[1:-1].replace('""', '"')
        parts[key.strip()] = value
    return parts


def test_inno_setup_installs_per_user_without_admin() -> None:
    setup = dict(line.split("=", 1) for line in _iss_sections()["Setup"])
    assert setup["PrivilegesRequired"] == "lowest"
    assert setup["PrivilegesRequiredOverridesAllowed"] == ""  # never offers to elevate
    assert setup["DefaultDirName"].startswith("{localappdata}\\Programs\\")
    icons = [_entry(line) for line in _iss_sections()["Icons"]]
    assert icons[0]["Name"].startswith("{userprograms}\\") and icons[0]["Parameters"] == "run"
    assert icons[0]["Filename"] == "{app}\\{#AppGuiExe}"  # windowed: no console window


def test_inno_setup_run_value_is_the_one_the_assistant_writes() -> None:
    (registry,) = [_entry(line) for line in _iss_sections()["Registry"]]
    assert registry["Root"] == "HKCU"
    assert registry["Subkey"] == windows.RUN_KEY
    assert registry["ValueName"] == windows.VALUE_NAME
    assert "uninsdeletevalue" in registry["Flags"]
    app = r"C:\Users\Jean Dupont\AppData\Local\Programs\Assistant Marches Publics"
    installed_value = registry["ValueData"].replace("{app}", app).replace("{#AppGuiExe}", "assistantw.exe")
    assert installed_value == windows.run_value([app + "\\assistantw.exe", "run"])  # what `autostart on` writes
    uninstall = [_entry(line) for line in _iss_sections()["UninstallRun"]]
    assert uninstall[0]["Parameters"] == "autostart off"


def test_windows_starts_the_windowed_twin(tmp_path: Path) -> None:
    from assistant.update.layout import gui_executable

    exe = tmp_path / "assistant.exe"
    exe.write_bytes(b"")
    assert gui_executable(exe, "win32") == exe  # an older bundle without the twin
    (tmp_path / "assistantw.exe").write_bytes(b"")
    assert gui_executable(exe, "win32") == tmp_path / "assistantw.exe"
    assert gui_executable(exe, "linux") == exe


def test_macos_info_plist_and_entitlements() -> None:
    sys.path.insert(0, str(ROOT / "installers" / "macos"))
    try:
        from app_info import BUNDLE_ID, info_plist  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    data = plistlib.loads(plistlib.dumps(info_plist("1.2.3")))
    assert data["CFBundleIdentifier"] == BUNDLE_ID == "fr.assistant-marches-publics"
    assert data["CFBundleShortVersionString"] == "1.2.3" and data["LSUIElement"] is True
    entitlements = plistlib.loads((ROOT / "installers" / "macos" / "entitlements.plist").read_bytes())
    assert entitlements == {
        "com.apple.security.cs.disable-library-validation": True,
        "com.apple.security.cs.allow-unsigned-executable-memory": True,
    }


def test_inno_setup_installs_versions_beside_a_stable_launcher() -> None:
    """The layout assistant.update.layout.PointerLayout updates: the bundle in versions\\<version>,
    the launcher at the root (what the menu and the Run value start), `current` naming the version."""
    files = [_entry(line) for line in _iss_sections()["Files"]]
    bundle, launcher_files = files
    assert bundle["Source"].endswith("\\dist\\assistant-marches-publics\\*")
    assert bundle["DestDir"] == "{app}\\versions\\{#AppVersion}"
    assert launcher_files["Source"].endswith("\\dist\\assistant-marches-publics-launcher\\*")
    assert launcher_files["DestDir"] == "{app}"
    code = "\n".join(_iss_sections()["Code"])
    assert "SaveStringToFile(ExpandConstant('{app}\\current'), '{#AppVersion}'" in code
    assert "ssPostInstall" in code
    spec = (ROOT / "installers" / "windows" / "launcher.spec").read_text()
    assert 'name="assistantw", console=False' in spec and 'name="assistant", console=True' in spec
    assert 'name="assistant-marches-publics-launcher"' in spec


def test_macos_names_agree() -> None:
    from assistant.update.layout import APP_BUNDLE_NAME

    sys.path.insert(0, str(ROOT / "installers" / "macos"))
    try:
        import app_info  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    assert app_info.APP_BUNDLE_NAME == APP_BUNDLE_NAME  # the .app the updater exchanges
    script = (ROOT / "installers" / "macos" / "build_sign_notarize.sh").read_text()
    assert "installers/package.py --update-archive macos" in script


def test_the_frozen_launcher_starts_the_current_version(tmp_path: Path) -> None:
    """installers/windows/launcher.spec builds here too (ELF instead of .exe): the frozen launcher,
    with only the stdlib it needs, starts `versions/<current>/`'s program of its own name with the
    arguments and passes its exit status on (the console one); a new version is one line away."""
    import subprocess

    pyinstaller = Path(sys.executable).parent / "pyinstaller"
    folders = ["--distpath", str(tmp_path / "dist"), "--workpath", str(tmp_path / "work")]
    subprocess.run(
        [
            str(pyinstaller),
            "--noconfirm",
            "--log-level",
            "ERROR",
            *folders,
            str(ROOT / "installers/windows/launcher.spec"),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    app = tmp_path / "dist" / "assistant-marches-publics-launcher"  # what Inno Setup puts at {app}
    for version in ("1.0.0", "1.1.0"):
        program = app / "versions" / version / "assistant"
        program.parent.mkdir(parents=True)
        program.write_text(f'#!/bin/sh\necho "{version} $*"\nexit 5\n')
        program.chmod(0o755)
    (app / "current").write_text("1.0.0\r\n")  # as Inno Setup's SaveStringToFile writes it
    done = subprocess.run([str(app / "assistant"), "update", "check"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (5, "1.0.0 update check\n")
    (app / "current").write_text("1.1.0\n")
    done = subprocess.run([str(app / "assistant"), "--version"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (5, "1.1.0 --version\n")
