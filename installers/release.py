"""`make release`: sign a new version into a TUF repository (the publisher's side of updates).

    python installers/release.py init     [--keys DIR] [--repo DIR]   keys + empty repository, root exported
    python installers/release.py publish  --archive FILE [--os linux] [--min-version X.Y.Z] [--keys DIR] [--repo DIR]

Defaults: keys in .release-keys/ (generated on first use, 0600, git-ignored: DEMO keys), the
repository in the demo platform's folder (<data>/demo-platform/tuf, served at <demo>/tuf/ by
`make run`), the root exported to build/update/root.json for build.spec (ASSISTANT_TUF_ROOT) so the
bundle trusts exactly this publisher. The version is read from the archive's name.
Real keys (offline root, thresholds, an HSM for targets) are described in docs/installation.md.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import paths  # noqa: E402
from assistant.update.publish import RepositoryWriter, generate_keys, load_keys  # noqa: E402

DEFAULT_KEYS = ROOT / ".release-keys"
EXPORTED_ROOT = ROOT / "build" / "update" / "root.json"
_ARCHIVE = re.compile(r"assistant-marches-publics-(\d+\.\d+\.\d+)-(linux|windows|macos)")


def default_repo() -> Path:
    return paths.data_dir() / "demo-platform" / "tuf"


def init(keys: Path, repo: Path) -> RepositoryWriter:
    if (keys / "root.pem").is_file() and (repo / "metadata" / "root.json").is_file():
        writer = RepositoryWriter(repo, load_keys(keys))  # type: ignore[arg-type]
    else:
        signers = load_keys(keys) if (keys / "root.pem").is_file() else generate_keys(keys)
        writer = RepositoryWriter.create(repo, signers)  # type: ignore[arg-type]
        print(f"release: new repository {repo} (keys in {keys})")
    EXPORTED_ROOT.parent.mkdir(parents=True, exist_ok=True)
    EXPORTED_ROOT.write_bytes(writer.trusted_root())
    print(f"release: trusted root exported to {EXPORTED_ROOT}")
    return writer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["init", "publish"])
    parser.add_argument("--keys", type=Path, default=DEFAULT_KEYS)
    parser.add_argument("--repo", type=Path, default=None)
    parser.add_argument("--archive", type=Path)
    parser.add_argument("--os", dest="os_name", default=None, choices=["linux", "windows", "macos"])
    parser.add_argument("--min-version", default=None)
    args = parser.parse_args(argv)
    repo = args.repo or default_repo()
    writer = init(args.keys, repo)
    if args.action == "init":
        return 0
    if not args.archive or not args.archive.is_file():
        print("release: --archive FILE is required (make package builds it)", file=sys.stderr)
        return 1
    match = _ARCHIVE.search(args.archive.name)
    if not match:
        print(f"release: cannot read the version from {args.archive.name}", file=sys.stderr)
        return 1
    version, os_name = match[1], args.os_name or match[2]
    published = writer.add_release(args.archive, version, os_name, min_version=args.min_version)
    print(f"release: {published.target} signed into {repo} (min_version={published.min_version})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
