"""The bundle's contents against installers/bundle-manifest.json, its size budgets, and the .deb.

A new dependency that brings files in fails here with their names: either it is wanted (then
`python installers/package.py --write-manifest` records it, and the diff shows it in review) or it
is excluded in build.spec."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from tests.package.conftest import APP_ID, ROOT, Built


def _package_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("amp_package", ROOT / "installers" / "package.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


package = _package_module()
MANIFEST = json.loads((ROOT / "installers" / "bundle-manifest.json").read_text())


def test_bundle_matches_its_manifest_and_budget(built: Built) -> None:
    files = package.bundle_files(built.bundle)
    assert package.check_manifest(files, MANIFEST) == []


def test_no_gtk_no_unused_qt_no_optional_python_packages(built: Built) -> None:
    names = [rel.lower() for rel in package.bundle_files(built.bundle)]
    for forbidden in (
        "libgtk",
        "libgdk",
        "libatk",
        "libcairo",
        "libpango",
        "qgtk3",
        "/yaml/",
        "/click/",
        "/babel/",
        "libavif",
        "qtnetwork",
        "qtopengl",
        "eglfs",
        "qt_help",
        "/tkinter",
        "setuptools",
        "/aiohttp/",
        "/yarl/",
        "/multidict/",
    ):
        assert not [n for n in names if forbidden in n], forbidden
    translations = sorted(n.rsplit("/", 1)[1] for n in names if "/translations/" in n)
    assert translations == ["qtbase_en.qm", "qtbase_fr.qm"]


def test_every_kept_library_resolves(built: Built) -> None:
    """Pruning must not cut a library something kept still needs (ldd finds every DT_NEEDED)."""
    missing = []
    for path in built.bundle.rglob("*.so*"):
        if path.is_symlink() and not path.exists():
            missing.append(f"dangling link {path}")
            continue
        if not path.is_file():
            continue
        out = subprocess.run(["ldd", str(path)], capture_output=True, text=True).stdout
        missing += [f"{path.name}: {line.strip()}" for line in out.splitlines() if "not found" in line]
    assert missing == []


def test_archive_size_budget(built: Built) -> None:
    """The original's Windows installer is 135 MB: the archive users download (xz level 6, as
    `make package` makes it) must stay under half of it."""
    assert built.archive.name == f"{APP_ID}-{built.version}-linux-x86_64.tar.xz"
    assert built.xz_level == "6"
    assert built.archive.stat().st_size < MANIFEST["archive_budget_bytes"] < 135_000_000 / 2


def test_bundle_runs_without_the_venv(built: Built) -> None:
    done = subprocess.run(
        [str(built.bundle / "assistant"), "--version"], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}
    )
    assert done.returncode == 0 and done.stdout.startswith("Assistant Marchés Publics ")
    english = subprocess.run(
        [str(built.bundle / "assistant"), "--help"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "ASSISTANT_LANG": "en"},
    )
    assert "Start the assistant with the session (on, off, status)" in english.stdout  # catalogues compiled in


@pytest.fixture(scope="module")
def deb(built: Built, scratch: Path, monkeypatch_module: pytest.MonkeyPatch) -> Path:
    monkeypatch_module.setattr(package, "XZ_LEVEL", 0)
    out = scratch / "deb"
    out.mkdir()
    return Path(package.make_deb(built.bundle, out, built.version))


@pytest.fixture(scope="module")
def monkeypatch_module() -> pytest.MonkeyPatch:
    patch = pytest.MonkeyPatch()
    yield patch  # type: ignore[misc]
    patch.undo()


def test_deb_for_it(deb: Path, built: Built, scratch: Path) -> None:
    info = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Package", "Version", "Architecture"], capture_output=True, text=True, check=True
    ).stdout
    assert f"Package: {APP_ID}" in info and f"Version: {built.version}" in info and "Architecture: amd64" in info
    root = scratch / "deb-root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    assert (
        subprocess.run([str(root / "opt" / APP_ID / "assistant"), "--version"], capture_output=True, text=True)
        .stdout.strip()
        .endswith(built.version)
    )
    menu = (root / "usr/share/applications" / f"{APP_ID}.desktop").read_text()
    assert f"Exec=/opt/{APP_ID}/assistant run" in menu
    autostart = (root / "etc/xdg/autostart" / f"{APP_ID}.desktop").read_text()
    assert f"Exec=/opt/{APP_ID}/assistant run" in autostart
    assert (root / "usr/bin" / APP_ID).readlink() == Path(f"/opt/{APP_ID}/assistant")
    policy = json.loads((root / "etc" / APP_ID / "policy.json").read_text())
    assert policy["updates"]["enabled"] is False  # IT updates the package, not the assistant itself
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    assert all(" root/root " in line for line in listing.splitlines())
    conffiles = subprocess.run(
        ["dpkg-deb", "-I", str(deb), "conffiles"], capture_output=True, text=True, check=True
    ).stdout
    assert f"/etc/xdg/autostart/{APP_ID}.desktop" in conffiles
