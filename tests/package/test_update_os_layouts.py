"""Staged install, trial start and rollback on each OS's per-user layout, with real files.

The Windows (`current` file + stable launcher, versions side by side) and macOS (the .app in
~/Applications exchanged with the staged one, the previous kept) layouts are built here in
temporary folders, as the Linux one is; their programs are small shell scripts that confirm their
start like `assistant run` does, fail, or end without starting. The same code as on the target OS
carries out the plans (assistant.update.swap: renames, the atomic exchange, the pointer), so what
is asserted is the folders' end state after a success, after a failed start, and after a crash
after any step of a plan (the journal is finished at the next start)."""

from __future__ import annotations

import json
import os
import plistlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.update import apply, launcher, swap
from assistant.update.client import stage_release
from assistant.update.layout import (
    APP_BUNDLE_NAME,
    AppLayout,
    InstallLayout,
    PointerLayout,
    layout_of,
)

CONFIRMS = f'#!/bin/sh\nprintf ok > "${apply.TRIAL_ENV}"\nexit 0\n'
FAILS = "#!/bin/sh\necho 'erreur au démarrage' >&2\nexit 3\n"
ALREADY_RUNNING = "#!/bin/sh\necho 'déjà lancé' >&2\nexit 0\n"
KINDS = ["linux", "windows", "macos"]


class Crash(Exception):
    """Stands for the process dying right after a step of a plan."""


@dataclass
class Install:
    """One OS's per-user install, version 1.0.0 in use, made with real folders."""

    kind: str
    layout: InstallLayout
    home: Path

    def program_file(self, bundle: Path) -> Path:
        if self.kind == "macos":
            return bundle / "Contents" / "MacOS" / "assistant"
        return bundle / self.layout.executable_name

    def make_bundle(self, where: Path, version: str, script: str) -> None:
        """A bundle (Linux/Windows folder, or macOS .app) whose program is `script`."""
        program = self.program_file(where)
        program.parent.mkdir(parents=True, exist_ok=True)
        program.write_text(script)
        program.chmod(0o755)
        if self.kind == "macos":
            info = {"CFBundleShortVersionString": version, "CFBundleIdentifier": "fr.assistant-marches-publics"}
            (where / "Contents" / "Info.plist").write_bytes(plistlib.dumps(info))
            (where / "Contents" / "_CodeSignature").mkdir()
        if self.kind == "windows":
            (where / "_internal").mkdir()
            (where / "assistantw.exe").write_text(script)

    def stage(self, version: str, script: str) -> None:
        bundle = self.layout.staged_bundle(version)
        self.make_bundle(bundle / APP_BUNDLE_NAME if self.kind == "macos" else bundle, version, script)
        (self.layout.staged_dir / apply.PENDING).write_text(json.dumps({"version": version}))

    def current(self) -> str | None:
        return self.layout.current_version()

    def launched_program(self) -> Path:
        """What the session's launcher (menu, Run value, LaunchAgent, ~/.local/bin) would run."""
        if self.kind == "windows":
            found = launcher.target(self.layout.root, "assistant.exe")
            assert found is not None
            return found
        return self.layout.launcher.resolve()

    def leftovers(self) -> list[str]:
        """Anything that should not outlive an update: journal, partial or aside folders, trash."""
        names = []
        around = self.layout.app.parent.glob(".*") if isinstance(self.layout, AppLayout) else []
        for path in [*self.layout.root.rglob("*"), *around]:
            name = path.name
            if name in (swap.JOURNAL, ".trash") or name.endswith((".swap", ".new", ".partial", ".tmp")):
                names.append(str(path))
        return names


def make_install(tmp_path: Path, kind: str, program: str = CONFIRMS) -> Install:
    home = tmp_path / "home"
    if kind == "linux":
        root = home / ".local/share/assistant-marches-publics/app"
        layout: InstallLayout = InstallLayout(root=root)
    elif kind == "windows":
        root = home / "AppData/Local/Programs/Assistant Marches Publics"
        layout = PointerLayout(root=root, executable_name="assistant.exe")
    else:
        root = home / "Library/Application Support/assistant-marches-publics/app"
        layout = AppLayout(root=root, app=home / "Applications" / APP_BUNDLE_NAME)
    install = Install(kind, layout, home)
    if kind == "macos":
        assert isinstance(layout, AppLayout)
        install.make_bundle(layout.app, "1.0.0", program)
        root.mkdir(parents=True)
    else:
        install.make_bundle(layout.version_dir("1.0.0"), "1.0.0", program)
        swap.set_pointer(layout.current_link, "versions/1.0.0" if kind == "linux" else "1.0.0", _pointer(kind))
    if kind == "windows":
        (root / "assistant.exe").write_bytes(b"MZ launcher")  # the stable launcher (installers/windows)
        (root / "assistantw.exe").write_bytes(b"MZ launcher")
    assert install.current() == "1.0.0"
    return install


def _pointer(kind: str) -> str:
    return "symlink" if kind == "linux" else "file"


def crash_at(n: int) -> Callable[[int, swap.Step], None]:
    """An after_step hook that kills the update after the n-th step it sees (all plans counted)."""
    seen = [0]

    def hook(index: int, step: swap.Step) -> None:
        seen[0] += 1
        if seen[0] == n:
            raise Crash(f"after step {n}: {step}")

    return hook


def assert_updated(install: Install) -> None:
    layout = install.layout
    assert install.current() == "2.0.0"
    assert layout.installed_versions() == ["1.0.0", "2.0.0"]  # the previous one kept to roll back to
    assert layout.program("1.0.0").is_file() and layout.program("2.0.0").is_file()
    assert install.launched_program() == install.program_file(_bundle_in_use(install)).resolve()
    state = json.loads((layout.root / apply.STATE_FILE).read_text())
    assert (state["current"], state["previous"], state.get("trial")) == ("2.0.0", "1.0.0", None)
    assert not (layout.staged_dir / apply.PENDING).exists() and not layout.staged_bundle("2.0.0").exists()
    assert install.leftovers() == []


def assert_rolled_back(install: Install) -> None:
    layout = install.layout
    assert install.current() == "1.0.0"
    assert layout.installed_versions() == ["1.0.0"]
    assert install.launched_program() == install.program_file(_bundle_in_use(install)).resolve()
    assert apply.failed_versions(layout) == ["2.0.0"]
    assert json.loads((layout.root / apply.STATE_FILE).read_text()).get("trial") is None
    assert install.leftovers() == []


def _bundle_in_use(install: Install) -> Path:
    layout = install.layout
    if isinstance(layout, AppLayout):
        return layout.app
    version = install.current()
    assert version is not None
    return layout.version_dir(version)


@pytest.mark.parametrize("kind", KINDS)
def test_a_version_that_starts_is_kept_with_the_previous_one(tmp_path: Path, kind: str) -> None:
    install = make_install(tmp_path, kind)
    install.stage("2.0.0", CONFIRMS)
    assert apply.apply_pending_update(["run"], install.layout) == 0
    assert_updated(install)
    # The next update keeps 2.0.0 to roll back to and removes 1.0.0.
    install.stage("3.0.0", CONFIRMS)
    assert apply.apply_pending_update(["run"], install.layout) == 0
    assert install.current() == "3.0.0" and install.layout.installed_versions() == ["2.0.0", "3.0.0"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_version_that_fails_to_start_is_rolled_back(
    tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    install = make_install(tmp_path, kind)
    install.stage("2.0.0", FAILS)
    assert apply.apply_pending_update(["run"], install.layout) is None  # this (previous) version goes on
    assert_rolled_back(install)
    told = "La mise à jour 2.0.0 n'a pas démarré : retour à la version 1.0.0. Elle ne sera pas réessayée."
    assert told in capsys.readouterr().err
    from assistant.update.gate import status_path

    assert json.loads(status_path().read_text())["message"] == told  # `assistant update status` shows it
    install.stage("2.0.0", FAILS)  # the same version offered again: never retried
    assert apply.apply_pending_update(["run"], install.layout) is None
    assert install.current() == "1.0.0" and not install.layout.staged_bundle("2.0.0").exists()


@pytest.mark.parametrize("kind", KINDS)
def test_a_version_that_ends_without_starting_stays_staged(tmp_path: Path, kind: str) -> None:
    install = make_install(tmp_path, kind)
    install.stage("2.0.0", ALREADY_RUNNING)
    assert apply.apply_pending_update(["run"], install.layout) == 0
    assert install.current() == "1.0.0" and install.layout.installed_versions() == ["1.0.0"]
    assert install.layout.staged_program("2.0.0").is_file()
    assert json.loads((install.layout.staged_dir / apply.PENDING).read_text()) == {"version": "2.0.0"}
    assert apply.failed_versions(install.layout) == [] and install.leftovers() == []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("step", [1, 2])
def test_a_crash_during_the_install_is_finished_at_the_next_start(tmp_path: Path, kind: str, step: int) -> None:
    """The process dies after step 1 or 2 of the install plan (before the new version could run):
    the next start finishes the plan from the journal, then runs the trial it never ran."""
    install = make_install(tmp_path, kind)
    install.stage("2.0.0", CONFIRMS)
    with pytest.raises(Crash):
        apply.apply_pending_update(["run"], install.layout, after_step=crash_at(step))
    assert (install.layout.root / swap.JOURNAL).exists()
    assert install.launched_program().is_file()  # whatever the moment, the launcher finds a complete version
    assert apply.apply_pending_update(["run"], install.layout) == 0
    assert_updated(install)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("step", [1, 2, 3, 4, 5])
def test_a_crash_during_the_rollback_still_ends_on_the_previous_version(tmp_path: Path, kind: str, step: int) -> None:
    """Steps 1–2 install the failing version, 3–5 roll it back: a crash after any of them, then the
    next start (by whatever the launcher finds then) ends with 1.0.0 in place and 2.0.0 refused."""
    install = make_install(tmp_path, kind, program=ALREADY_RUNNING.replace("exit 0", "exit 0  # 1.0.0"))
    install.stage("2.0.0", FAILS)
    with pytest.raises(Crash):
        apply.apply_pending_update(["run"], install.layout, after_step=crash_at(step))
    assert install.launched_program().is_file()
    outcome = apply.apply_pending_update(["run"], install.layout)
    # Started as the failed version (crash before the switch back): 1.0.0 is started in its place.
    assert outcome in (None, 0)
    assert_rolled_back(install)


@pytest.mark.parametrize("kind", KINDS)
def test_a_trial_cut_short_is_run_again(tmp_path: Path, kind: str) -> None:
    """Power cut while 2.0.0 was on trial (switched, never confirmed nor refused): the next start
    runs the trial again rather than keep an unconfirmed version."""
    install = make_install(tmp_path, kind)
    install.stage("2.0.0", FAILS)
    layout = install.layout
    apply._save_state(layout, {"trial": {"version": "2.0.0", "previous": "1.0.0"}})
    swap.run_plan(layout.root, layout.install_plan("2.0.0", "1.0.0"), version_of=layout.version_of)
    (layout.staged_dir / apply.PENDING).unlink()
    assert install.current() == "2.0.0"
    assert apply.apply_pending_update(["run"], layout) == 0  # 2.0.0 fails, 1.0.0 started in its place
    assert_rolled_back(install)


def test_macos_exchange_without_the_atomic_call_resumes_after_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A volume without renamex_np(RENAME_SWAP): three renames; a crash between two of them leaves
    the .app missing for an instant, and the journal puts everything right at the next start."""
    install = make_install(tmp_path, "macos")
    install.stage("2.0.0", CONFIRMS)
    layout = install.layout
    assert isinstance(layout, AppLayout)
    real_rename = os.rename
    calls = [0]

    def dying_rename(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls[0] += 1
        real_rename(src, dst)
        if calls[0] == 1:
            raise Crash("between the first and the second rename")

    monkeypatch.setattr(swap.os, "rename", dying_rename)
    with pytest.raises(Crash):
        swap.run_plan(layout.root, layout.install_plan("2.0.0", "1.0.0"), version_of=layout.version_of, atomic=False)
    monkeypatch.setattr(swap.os, "rename", real_rename)
    assert not layout.app.exists() and swap.swap_aside(layout.app).exists()
    assert swap.recover(layout.root, layout.version_of)
    assert install.current() == "2.0.0" and layout.program("1.0.0").is_file()
    assert install.leftovers() == []


def test_the_exchange_is_one_system_call_here(tmp_path: Path) -> None:
    """renameat2(RENAME_EXCHANGE) on Linux, as renamex_np(RENAME_SWAP) on macOS: both stay whole."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "from-a").touch()
    (b / "from-b").touch()
    swap.atomic_exchange(a, b)
    assert [p.name for p in a.iterdir()] == ["from-b"] and [p.name for p in b.iterdir()] == ["from-a"]


def test_windows_launcher_starts_the_current_version_and_falls_back(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    install = make_install(tmp_path, "windows", program='#!/bin/sh\necho "1.0.0 $*"\nexit 4\n')
    root = install.layout.root
    code = launcher.main(["certs", "--json"], executable=root / "assistant.exe")
    assert code == 4 and "1.0.0 certs --json" in capfd.readouterr().out  # the console one waits, passes the status
    install.make_bundle(install.layout.version_dir("2.0.0"), "2.0.0", "#!/bin/sh\nexit 0\n")
    assert launcher.target(root, "assistantw.exe") == root / "versions" / "1.0.0" / "assistantw.exe"
    (root / "current").unlink()  # lost by hand: the newest complete version, never a failed one
    assert launcher.target(root, "assistant.exe") == root / "versions" / "2.0.0" / "assistant.exe"
    apply._save_state(install.layout, {"failed": ["2.0.0"]})
    assert launcher.target(root, "assistant.exe") == root / "versions" / "1.0.0" / "assistant.exe"
    (root / "current").write_text("..\\..\\Windows\n")
    assert launcher.target(root, "assistant.exe") == root / "versions" / "1.0.0" / "assistant.exe"
    for folder in (root / "versions").iterdir():
        (folder / "assistant.exe").unlink()
    assert launcher.main([], executable=root / "assistant.exe") == 1
    assert "aucune version installée" in capfd.readouterr().err


def test_each_os_install_is_recognised_from_its_program(tmp_path: Path) -> None:
    linux = make_install(tmp_path / "l", "linux")
    found = layout_of(linux.layout.launcher, platform="linux")
    assert type(found) is InstallLayout and found.root == linux.layout.root.resolve()
    windows = make_install(tmp_path / "w", "windows")
    found = layout_of(windows.layout.version_dir("1.0.0") / "assistantw.exe", platform="win32")
    assert isinstance(found, PointerLayout) and found.executable_name == "assistantw.exe"
    assert found.launcher == windows.layout.root.resolve() / "assistantw.exe"  # what the Run value names
    mac = make_install(tmp_path / "m", "macos")
    assert isinstance(mac.layout, AppLayout)
    found = layout_of(mac.layout.launcher, platform="darwin", data_root=mac.layout.root)
    assert isinstance(found, AppLayout) and found.app == mac.layout.app
    assert found.launcher == mac.layout.app / "Contents/MacOS/assistant"  # what the LaunchAgent names
    translocated = Path("/private/var/folders/x/AppTranslocation/1234/d") / APP_BUNDLE_NAME / "Contents/MacOS/assistant"
    assert layout_of(translocated, platform="darwin", data_root=mac.layout.root) is None
    assert layout_of(tmp_path / "elsewhere" / "assistant.exe", platform="win32") is None


@pytest.mark.parametrize("kind", ["windows", "macos"])
def test_the_os_update_archive_is_staged(tmp_path: Path, kind: str) -> None:
    """installers/package.py --update-archive makes what stage_release unpacks, for each OS."""
    import importlib.util

    from tests.package.conftest import ROOT

    spec = importlib.util.spec_from_file_location("amp_package_os", ROOT / "installers" / "package.py")
    assert spec and spec.loader
    package = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(package)
    install = make_install(tmp_path, kind)
    built = tmp_path / "dist" / (APP_BUNDLE_NAME if kind == "macos" else "assistant-marches-publics")
    install.make_bundle(built, "2.0.0", CONFIRMS)
    if kind == "macos":
        (built / "Contents" / "Frameworks").mkdir()
        (built / "Contents" / "Frameworks" / "Current").symlink_to("../MacOS")  # kept as a link
        (built / "Contents" / "._Info.plist").write_bytes(b"AppleDouble")  # never staged
    archive = package.make_update_archive(built, tmp_path, "2.0.0", kind)
    assert archive.name == {"windows": "assistant-marches-publics-2.0.0-windows-x64.tar.xz"}.get(
        kind, "assistant-marches-publics-2.0.0-macos.tar.xz"
    )
    stage_release(install.layout, archive, "2.0.0")
    assert install.layout.staged_program("2.0.0").is_file()
    if kind == "macos":
        app = install.layout.staged_bundle("2.0.0") / APP_BUNDLE_NAME
        assert (app / "Contents/Frameworks/Current").is_symlink() and not (app / "Contents/._Info.plist").exists()
    assert apply.apply_pending_update(["run"], install.layout) == 0
    assert_updated(install)


def test_a_release_that_cannot_be_put_in_place_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The .app's folder on another volume than the staged copy (no rename across volumes): nothing
    moves, the current version goes on, the user is told why; the release is dropped, not marked
    failed (the next check stages it again: a passing lock does not cost the update)."""
    install = make_install(tmp_path, "macos")
    install.stage("2.0.0", CONFIRMS)
    real_perform = swap.perform

    def other_volume(step: swap.Step, *, atomic: bool = True) -> None:
        if isinstance(step, swap.Exchange):
            raise OSError(18, "Invalid cross-device link")
        real_perform(step, atomic=atomic)

    monkeypatch.setattr(swap, "perform", other_volume)
    assert apply.apply_pending_update(["run"], install.layout) is None
    assert install.current() == "1.0.0" and install.layout.installed_versions() == ["1.0.0"]
    assert apply.failed_versions(install.layout) == []
    assert not install.layout.staged_bundle("2.0.0").exists() and install.leftovers() == []
    assert (
        "La mise à jour 2.0.0 n'a pas pu être installée (Invalid cross-device link) : la version 1.0.0 continue ; "
        "nouvel essai au prochain démarrage." in capsys.readouterr().err
    )


def test_a_locked_file_during_the_rollback_is_finished_at_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows: the failed version's folder is still locked a moment after it stopped (a scan):
    the pointer is back on the previous version, which starts; the removal waits for the next start."""
    install = make_install(tmp_path, "windows")
    install.stage("2.0.0", FAILS)
    real_perform = swap.perform
    locked = [True]

    def locked_rename(step: swap.Step, *, atomic: bool = True) -> None:
        if isinstance(step, swap.Rename) and ".trash" in step.dst and locked[0]:
            raise PermissionError(13, "Le processus ne peut pas accéder au fichier")
        real_perform(step, atomic=atomic)

    monkeypatch.setattr(swap, "perform", locked_rename)
    assert apply.apply_pending_update(["run"], install.layout) is None  # 1.0.0 goes on
    assert install.current() == "1.0.0" and (install.layout.root / swap.JOURNAL).exists()
    assert apply.failed_versions(install.layout) == ["2.0.0"]
    locked[0] = False
    assert apply.apply_pending_update(["run"], install.layout) is None
    assert_rolled_back(install)


def test_a_switch_that_fails_after_the_move_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Windows: the bundle moved into versions/, then `current` cannot be replaced (locked by a
    scan): 1.0.0 goes on, the moved copy goes too, nothing half-installed is left."""
    install = make_install(tmp_path, "windows")
    install.stage("2.0.0", CONFIRMS)
    real_perform = swap.perform

    def locked_pointer(step: swap.Step, *, atomic: bool = True) -> None:
        if isinstance(step, swap.SetPointer):
            raise PermissionError(13, "Accès refusé")
        real_perform(step, atomic=atomic)

    monkeypatch.setattr(swap, "perform", locked_pointer)
    assert apply.apply_pending_update(["run"], install.layout) is None
    assert install.current() == "1.0.0" and install.layout.installed_versions() == ["1.0.0"]
    assert install.leftovers() == [] and "(Accès refusé) : la version 1.0.0 continue" in capsys.readouterr().err
