"""The bundle, built once per test session, and a non-root user with a fresh HOME to install it.

Building is real (PyInstaller on build.spec, then installers/package.py), in a
world-readable scratch folder so the test user can read the archive. CI runs as root: the tests
then create a system user and run every installed command as that user (runuser), which is
what proves the install needs no root. Run as a normal user, they use that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests import pki as pki_mod

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "assistant-marches-publics"
TEST_USER = "amp-pkg-test"
VENV_BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Built:
    bundle: Path
    archive: Path
    version: str
    out: Path
    xz_level: str


def build_bundle(scratch: Path, tuf_root: Path, version: str | None = None, xz_level: str = "0") -> Built:
    """PyInstaller + the per-user archive, as `make package` does (no .deb; xz level 0 unless said:
    the same files in seconds rather than minutes, for the archives only the update tests use)."""
    tag = version or "current"
    dist, work, out = scratch / f"dist-{tag}", scratch / f"work-{tag}", scratch / f"out-{tag}"
    env = dict(os.environ)
    if version:
        env["ASSISTANT_BUILD_VERSION"] = version
    env["ASSISTANT_TUF_ROOT"] = str(tuf_root)  # the bundle trusts the tests' publisher
    subprocess.run(
        [
            str(VENV_BIN / "pyinstaller"),
            "--noconfirm",
            "--log-level",
            "ERROR",
            "--distpath",
            str(dist),
            "--workpath",
            str(work),
            str(ROOT / "build.spec"),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=900,
    )
    bundle = dist / APP_ID
    out.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "installers" / "package.py"),
            "--bundle",
            str(bundle),
            "--out",
            str(out),
            "--no-deb",
        ],
        env=env | {"ASSISTANT_XZ_LEVEL": xz_level},
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    )
    archive = Path(done.stdout.splitlines()[0].split("\t")[0])
    shutil.rmtree(work, ignore_errors=True)
    version_out = subprocess.run([str(bundle / "assistant"), "--version"], capture_output=True, text=True, check=True)
    return Built(bundle=bundle, archive=archive, version=version_out.stdout.split()[-1], out=out, xz_level=xz_level)


@pytest.fixture(scope="session")
def scratch() -> Iterator[Path]:
    """World-readable scratch space (pytest's own tmp folders are private to the user running it)."""
    folder = Path(tempfile.mkdtemp(prefix="amp-package-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class Publisher:
    """The tests' update publisher: its keys, and the root metadata the bundles ship with."""

    keys: dict[str, Any]
    root: Path
    initial_repo: Path


@pytest.fixture(scope="session")
def publisher(scratch: Path) -> Publisher:
    from assistant.update.publish import RepositoryWriter, generate_keys

    keys = generate_keys(scratch / "publisher-keys")
    writer = RepositoryWriter.create(scratch / "publisher-repo", keys)  # type: ignore[arg-type]
    root = scratch / "root.json"
    root.write_bytes(writer.trusted_root())
    return Publisher(keys=dict(keys), root=root, initial_repo=scratch / "publisher-repo")


@pytest.fixture(scope="session")
def built(scratch: Path, publisher: Publisher) -> Built:
    """The archive users download, compressed as published (xz -6: its size is the goal checked)."""
    return build_bundle(scratch, publisher.root, xz_level="6")


@pytest.fixture(scope="session")
def built_next(scratch: Path, publisher: Publisher, built: Built) -> Built:
    """The same source built as the next version (what a release would publish)."""
    major, minor, _patch = (int(x) for x in built.version.split("."))
    return build_bundle(scratch, publisher.root, version=f"{major}.{minor + 1}.0")


@dataclass
class PackageUser:
    """Someone without admin rights, with a fresh HOME, running the installed assistant."""

    name: str
    uid: int
    gid: int
    home: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self, **extra: str) -> dict[str, str]:
        base = {
            "HOME": str(self.home),
            "PATH": f"{self.home}/.local/bin:/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "USER": self.name,
            "LOGNAME": self.name,
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            "ASSISTANT_NO_BROWSER": "1",
            "QT_QPA_PLATFORM": "offscreen",
        }
        return base | self.extra_env | extra

    def command(self, cmd: list[str], **extra: str) -> list[str]:
        env = [f"{k}={v}" for k, v in self.env(**extra).items()]
        if os.getuid() == 0:
            return ["runuser", "-u", self.name, "--", "env", "-i", *env, *cmd]
        return ["env", "-i", *env, *cmd]

    def run(
        self, cmd: list[str], timeout: float = 120, check: bool = True, **extra: str
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(self.command(cmd, **extra), capture_output=True, text=True, timeout=timeout, cwd="/")
        if check and done.returncode != 0:
            raise AssertionError(f"{cmd} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    def popen(self, cmd: list[str], **extra: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(cmd, **extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd="/"
        )

    def give(self, path: Path) -> Path:
        """Make a path (recursively) the user's own."""
        if os.getuid() == 0:
            subprocess.run(["chown", "-R", f"{self.uid}:{self.gid}", str(path)], check=True)
        return path


def _system_user() -> tuple[str, int, int]:
    if os.getuid() != 0:
        entry = pwd.getpwuid(os.getuid())
        return entry.pw_name, entry.pw_uid, entry.pw_gid
    try:
        entry = pwd.getpwnam(TEST_USER)
    except KeyError:
        pki_mod.require_tool("useradd")
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/bin/sh", TEST_USER],
            check=True,
        )
        entry = pwd.getpwnam(TEST_USER)
    return entry.pw_name, entry.pw_uid, entry.pw_gid


def new_user(scratch: Path, label: str) -> PackageUser:
    """A fresh HOME (with the XDG folders a desktop session has) for the non-root test user."""
    name, uid, gid = _system_user()
    home = Path(tempfile.mkdtemp(prefix=f"home-{label}-", dir=scratch))
    for sub in (".config", ".cache", ".local/share", ".local/state"):
        (home / sub).mkdir(parents=True)
    user = PackageUser(name=name, uid=uid, gid=gid, home=home)
    user.give(home)
    home.chmod(0o700)
    return user


def home_tree(home: Path) -> set[str]:
    return {p.relative_to(home).as_posix() for p in home.rglob("*")}


def unpack(archive: Path, dest: Path, user: PackageUser) -> Path:
    """What the user does with the downloaded archive: `tar xf` in a folder of theirs."""
    dest.mkdir(parents=True, exist_ok=True)
    user.give(dest)
    user.run(["tar", "-xf", str(archive), "-C", str(dest)])
    (folder,) = [p for p in dest.iterdir() if p.is_dir()]
    return folder


@pytest.fixture(scope="session")
def unpacked(built: Built, scratch: Path) -> Path:
    """The archive unpacked once by the test user (every install of the session starts from it)."""
    return unpack(built.archive, scratch / "unpacked", new_user(scratch, "unpack"))
