"""Linux artefacts from the PyInstaller one-folder bundle (`make package` runs this after `pyinstaller`).

    python installers/package.py [--bundle dist/assistant-marches-publics] [--out dist] [--no-deb]

Makes, in --out:
- `assistant-marches-publics-<version>-linux-x86_64.tar.xz`: the per-user archive (`install.sh --user`,
  no root), also the update target the TUF repository publishes for Linux;
- `assistant-marches-publics_<version>_amd64.deb`: the package for IT (dpkg-deb; /opt, menu entry,
  /etc/xdg/autostart entry each user can turn off, automatic updates left to IT by policy);
- `assistant-marches-publics-<version>-contents.txt`: every file of the bundle with its size, the
  listing tests/package/test_bundle.py checks against installers/bundle-manifest.json.

On Windows and macOS (installers/windows/build.cmd, installers/macos/build_sign_notarize.sh):
`--update-archive windows|macos --bundle <the bundle folder or the .app>` makes only the update
target the TUF repository publishes for that OS: `<name>/bundle/<the bundle's files, or the .app>`,
the shape assistant/update/client.py stages (Python's own xz: no xz program needed there).

Also: `--write-manifest` rewrites installers/bundle-manifest.json from the bundle (after a deliberate
dependency change; the diff shows in review what was added).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
APP_ID = "assistant-marches-publics"
MANIFEST = HERE / "bundle-manifest.json"
#: xz compresses the ICU data and the Qt libraries far better than gzip (51 vs 72 MB). Level 6 for
#: published artefacts (and the archive tests/package checks against the goal); ASSISTANT_XZ_LEVEL=0 makes
#: the same files in seconds (the update tests' second build, quick local runs).
XZ_LEVEL = int(os.environ.get("ASSISTANT_XZ_LEVEL", "6"))


def bundle_version(bundle: Path, program: str = "assistant") -> str:
    out = subprocess.run([str(bundle / program), "--version"], capture_output=True, text=True, check=True, timeout=60)
    return out.stdout.strip().rsplit(" ", 1)[-1]


# -- the bundle's listing and its allow-list ------------------------------------------------------


def bundle_files(bundle: Path) -> dict[str, int]:
    """Every file (and symlink) of the bundle, relative path -> size in bytes (0 for links)."""
    files: dict[str, int] = {}
    for path in sorted(bundle.rglob("*")):
        rel = path.relative_to(bundle).as_posix()
        if path.is_symlink():
            files[rel] = 0
        elif path.is_file():
            files[rel] = path.stat().st_size
    return files


def manifest_pattern(rel: str) -> str:
    """The allow-list pattern a file falls under: a Python package is one entry (`lxml/**`), a
    shared library or a Qt plugin is its own entry, so a new one is seen."""
    parts = rel.split("/")
    if parts[0] != "_internal" or len(parts) == 2:
        return rel
    top = parts[1]
    if top in ("PySide6", "shiboken6"):
        return rel  # Qt: every library and plugin is its own entry
    if top.endswith(".dist-info"):
        return "_internal/" + top.split("-", 1)[0] + "-*.dist-info/**"
    return f"_internal/{top}/**"


def make_manifest(files: dict[str, int]) -> dict[str, object]:
    total = sum(files.values())
    return {
        "comment": "Allowed bundle contents (fnmatch patterns, relative to the bundle folder) and the size "
        "budget. Regenerate with `python installers/package.py --write-manifest` after a deliberate change.",
        "budget_bytes": int(total * 1.10),
        # The published archive (xz level 6) must stay under half the original's 135 MB installer;
        # a fast archive (ASSISTANT_XZ_LEVEL < 6: seconds instead of minutes) has its own, looser budget.
        "archive_budget_bytes": 67_000_000,
        "fast_archive_budget_bytes": 80_000_000,
        "patterns": sorted({manifest_pattern(rel) for rel in files}),
    }


def check_manifest(files: dict[str, int], manifest: dict[str, object]) -> list[str]:
    """Problems of the bundle against the manifest, in words (empty when it conforms)."""
    patterns = [str(p) for p in manifest["patterns"]]  # type: ignore[attr-defined]
    problems = []
    allowed = set(patterns)
    for rel in files:
        if manifest_pattern(rel) not in allowed and not any(fnmatch.fnmatchcase(rel, p) for p in patterns):
            problems.append(f"not in the manifest: {rel} ({files[rel]} bytes)")
    total = sum(files.values())
    budget = int(manifest["budget_bytes"])  # type: ignore[call-overload]
    if total > budget:
        problems.append(f"bundle is {total} bytes, over its budget of {budget}")
    return problems


# -- the per-user archive ---------------------------------------------------------------------------


def make_archive(bundle: Path, out: Path, version: str) -> Path:
    name = f"{APP_ID}-{version}-linux-x86_64"
    target = out / f"{name}.tar.xz"
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        stage = Path(tmp) / name
        stage.mkdir()
        shutil.copytree(bundle, stage / "bundle", symlinks=True)
        shutil.copy2(HERE / "linux" / "install.sh", stage / "install.sh")
        (stage / "share").mkdir()
        shutil.copy2(HERE / "linux" / f"{APP_ID}.desktop", stage / "share" / f"{APP_ID}.desktop")
        shutil.copy2(ROOT / "resources" / "icons" / "app.svg", stage / "share" / f"{APP_ID}.svg")
        (stage / "VERSION").write_text(version + "\n")
        plain = Path(tmp) / f"{name}.tar"
        with tarfile.open(plain, "w") as tar:
            tar.add(stage, arcname=name, filter=_normalise)
        partial = target.with_name(target.name + ".part")
        with partial.open("wb") as fh:
            subprocess.run(["xz", "-T0", f"-{XZ_LEVEL}", "-c", str(plain)], stdout=fh, check=True)
        os.replace(partial, target)
    return target


def _normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """Reproducible-ish members: no build user, no build machine's owner ids."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


UPDATE_ARCHIVE_NAMES = {"windows": "{app}-{version}-windows-x64", "macos": "{app}-{version}-macos"}


def make_update_archive(bundle: Path, out: Path, version: str, os_name: str) -> Path:
    """The update target for Windows or macOS: the bundle folder's files (Windows) or the .app
    itself (macOS) under `<name>/bundle/`, owner-less, symbolic links kept (the .app's frameworks)."""
    name = UPDATE_ARCHIVE_NAMES[os_name].format(app=APP_ID, version=version)
    target = out / f"{name}.tar.xz"
    partial = target.with_name(target.name + ".part")
    inside = f"{name}/bundle" if os_name == "windows" else f"{name}/bundle/{bundle.name}"
    with tarfile.open(partial, "w:xz", preset=XZ_LEVEL) as tar:
        tar.add(bundle, arcname=inside, filter=_normalise)
    os.replace(partial, target)
    return target


def app_version(app: Path) -> str:
    """A macOS .app's version (its Info.plist), read on any OS."""
    import plistlib

    with (app / "Contents" / "Info.plist").open("rb") as fh:
        return str(plistlib.load(fh)["CFBundleShortVersionString"])


# -- the .deb for IT ------------------------------------------------------------------------------


DEB_POLICY = {
    "comment": "Installed by the .deb: updates come from IT's packages, not from the assistant itself.",
    "updates": {"enabled": False},
}


def make_deb(bundle: Path, out: Path, version: str) -> Path:
    target = out / f"{APP_ID}_{version}_amd64.deb"
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        root = Path(tmp) / "root"
        opt = root / "opt" / APP_ID
        shutil.copytree(bundle, opt, symlinks=True)
        (root / "usr" / "bin").mkdir(parents=True)
        os.symlink(f"/opt/{APP_ID}/assistant", root / "usr" / "bin" / APP_ID)
        desktop = (HERE / "linux" / f"{APP_ID}.desktop").read_text(encoding="utf-8")
        desktop = desktop.replace("Exec=assistant run", f"Exec=/opt/{APP_ID}/assistant run")
        apps = root / "usr" / "share" / "applications"
        apps.mkdir(parents=True)
        (apps / f"{APP_ID}.desktop").write_text(desktop, encoding="utf-8")
        autostart = root / "etc" / "xdg" / "autostart"
        autostart.mkdir(parents=True)
        (autostart / f"{APP_ID}.desktop").write_text(desktop, encoding="utf-8")
        icons = root / "usr" / "share" / "icons" / "hicolor" / "scalable" / "apps"
        icons.mkdir(parents=True)
        shutil.copy2(ROOT / "resources" / "icons" / "app.svg", icons / f"{APP_ID}.svg")
        policy_dir = root / "etc" / APP_ID
        policy_dir.mkdir(parents=True)
        (policy_dir / "policy.json").write_text(json.dumps(DEB_POLICY, indent=2) + "\n", encoding="utf-8")
        debian = root / "DEBIAN"
        debian.mkdir()
        size_kb = sum(f.stat().st_size for f in root.rglob("*") if f.is_file() and not f.is_symlink()) // 1024
        (debian / "control").write_text(
            f"Package: {APP_ID}\n"
            f"Version: {version}\n"
            "Architecture: amd64\n"
            "Maintainer: Assistant Marchés Publics <contact@assistant-marches-publics.invalid>\n"
            f"Installed-Size: {size_kb}\n"
            "Depends: libc6 (>= 2.35), libglib2.0-0 | libglib2.0-0t64, libfontconfig1, libxkbcommon0, libdbus-1-3\n"
            "Recommends: libnss3-tools, p11-kit\n"
            "Section: utils\n"
            "Priority: optional\n"
            "Homepage: https://assistant-marches-publics.invalid/\n"
            "Description: Assistant Marchés Publics (signature, chiffrement, dépôt des plis)\n"
            " Open desktop companion for French public procurement platforms: certificates and\n"
            " smart cards, PAdES/CAdES/XAdES signatures, decryption of plis, local bridge.\n",
            encoding="utf-8",
        )
        (debian / "conffiles").write_text(f"/etc/{APP_ID}/policy.json\n/etc/xdg/autostart/{APP_ID}.desktop\n")
        for path in [root, *root.rglob("*")]:
            if not path.is_symlink():
                path.chmod(0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644)
        subprocess.run(
            ["dpkg-deb", "--root-owner-group", "-Zxz", f"-z{XZ_LEVEL}", "--build", str(root), str(target)],
            check=True,
            capture_output=True,
        )
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / APP_ID)
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--no-deb", action="store_true")
    parser.add_argument("--write-manifest", action="store_true")
    parser.add_argument("--update-archive", choices=sorted(UPDATE_ARCHIVE_NAMES), default=None)
    parser.add_argument("--version", default=None, help="the bundle's version (default: asked to the bundle)")
    args = parser.parse_args(argv)
    bundle: Path = args.bundle.resolve()
    if args.update_archive:
        out_dir: Path = args.out.resolve()
        out_dir.mkdir(parents=True, exist_ok=True)
        if args.version:
            version = args.version
        elif args.update_archive == "macos":
            version = app_version(bundle)
        else:
            version = bundle_version(bundle, "assistant.exe")
        archive = make_update_archive(bundle, out_dir, version, args.update_archive)
        print(f"{archive}\t{archive.stat().st_size}")
        return 0
    if not (bundle / "assistant").is_file():
        print(f"package: no bundle in {bundle} (run pyinstaller build.spec first)", file=sys.stderr)
        return 1
    files = bundle_files(bundle)
    if args.write_manifest:
        MANIFEST.write_text(json.dumps(make_manifest(files), indent=2) + "\n", encoding="utf-8")
        print(f"package: wrote {MANIFEST}")
        return 0
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    version = bundle_version(bundle)
    listing = out / f"{APP_ID}-{version}-contents.txt"
    listing.write_text("".join(f"{size}\t{rel}\n" for rel, size in files.items()), encoding="utf-8")
    problems = check_manifest(files, json.loads(MANIFEST.read_text(encoding="utf-8")))
    for problem in problems:
        print(f"package: warning: {problem}", file=sys.stderr)
    archive = make_archive(bundle, out, version)
    print(f"{archive}\t{archive.stat().st_size}")
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    budget = int(manifest["archive_budget_bytes"] if XZ_LEVEL >= 6 else manifest["fast_archive_budget_bytes"])
    if archive.stat().st_size > budget:
        print(
            f"package: {archive.name} is {archive.stat().st_size} bytes, over its budget of {budget}", file=sys.stderr
        )
        return 1
    if not args.no_deb:
        deb = make_deb(bundle, out, version)
        print(f"{deb}\t{deb.stat().st_size}")
    print(f"{listing}\t{sum(files.values())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
