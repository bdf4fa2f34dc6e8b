"""The publisher's side of updates: a TUF repository on disk, as `make release` and the demo
platform make it (python-tuf's Metadata API; signing with securesystemslib's CryptoSigner).

Layout (served as static files; the demo platform serves it under /tuf/):

    <repo>/metadata/1.root.json, root.json      (root, versioned: clients follow rotations)
    <repo>/metadata/timestamp.json               (short expiry: a frozen mirror is noticed)
    <repo>/metadata/<n>.snapshot.json, <n>.targets.json   (consistent snapshots)
    <repo>/targets/<os>/<sha256>.assistant-marches-publics-<version>-<os>.tar.xz
    <repo>/targets/releases/<sha256>.<os>.json   (the release index: version, target, min_version)

Keys: one Ed25519 key per role, PEM files in a keys folder. For the demo they are generated
locally; real keys' handling (offline root, threshold, HSM) is in docs/installation.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from securesystemslib.signer import CryptoSigner, Signer
from tuf.api.metadata import (
    DelegatedRole,  # noqa: F401  (re-exported for callers building delegations)
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

from assistant import APP_ID

ROLES = ("root", "targets", "snapshot", "timestamp")
#: Default lifetimes: root a year (re-signed offline), targets/snapshot a month, timestamp a day
#: (the freeze window: a mirror that stops updating is refused after it).
EXPIRY = {
    "root": timedelta(days=365),
    "targets": timedelta(days=30),
    "snapshot": timedelta(days=30),
    "timestamp": timedelta(days=1),
}
SUPPORTED_OS = ("linux", "windows", "macos")


def archive_name(version: str, os_name: str) -> str:
    suffix = {"linux": "linux-x86_64.tar.xz", "windows": "windows-x64.zip", "macos": "macos.tar.xz"}[os_name]
    return f"{APP_ID}-{version}-{suffix}"


def index_path(os_name: str) -> str:
    return f"releases/{os_name}.json"


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def load_signer(path: Path) -> CryptoSigner:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    return CryptoSigner(key)  # type: ignore[arg-type]


def generate_keys(keys_dir: Path) -> dict[str, CryptoSigner]:
    """One new Ed25519 key per role, written 0600 (demo and tests; see docs for real keys)."""
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    signers = {}
    for role in ROLES:
        signer = CryptoSigner.generate_ed25519()
        path = keys_dir / f"{role}.pem"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(signer.private_bytes)
        signers[role] = signer
    return signers


def load_keys(keys_dir: Path) -> dict[str, CryptoSigner]:
    return {role: load_signer(keys_dir / f"{role}.pem") for role in ROLES}


@dataclass(frozen=True)
class PublishedRelease:
    version: str
    os_name: str
    target: str
    min_version: str | None


class RepositoryWriter:
    """Creates and updates a TUF repository folder. Each public method leaves a complete,
    consistent repository (new targets, snapshot and timestamp versions, all signed)."""

    def __init__(self, repo_dir: Path, signers: dict[str, Signer]) -> None:
        self.repo_dir = repo_dir
        self.metadata_dir = repo_dir / "metadata"
        self.targets_dir = repo_dir / "targets"
        self.signers = signers

    # -- creation -----------------------------------------------------------------------------

    @classmethod
    def create(
        cls, repo_dir: Path, signers: dict[str, Signer], expiry: dict[str, timedelta] | None = None
    ) -> RepositoryWriter:
        writer = cls(repo_dir, signers)
        writer.metadata_dir.mkdir(parents=True, exist_ok=True)
        writer.targets_dir.mkdir(parents=True, exist_ok=True)
        lifetimes = EXPIRY | (expiry or {})
        root = Root(expires=_now() + lifetimes["root"], consistent_snapshot=True)
        for role in ROLES:
            root.add_key(signers[role].public_key, role)
        writer._write(Metadata(root), "root", versioned=True)
        writer._write(Metadata(Targets(expires=_now() + lifetimes["targets"])), "targets", versioned=True)
        writer._write_snapshot_and_timestamp(lifetimes)
        return writer

    # -- releases -----------------------------------------------------------------------------

    def add_release(
        self,
        archive: Path,
        version: str,
        os_name: str,
        *,
        min_version: str | None = None,
        expiry: dict[str, timedelta] | None = None,
    ) -> PublishedRelease:
        """Publish `archive` as `version` for `os_name`, with the release index pointing at it."""
        if os_name not in SUPPORTED_OS:
            raise ValueError(f"unknown OS {os_name!r}")
        lifetimes = EXPIRY | (expiry or {})
        targets = self.load("targets")
        target_path = f"{os_name}/{archive_name(version, os_name)}"
        target = self._add_target_file(
            targets.signed, target_path, archive.read_bytes(), custom={"version": version, "os": os_name}
        )
        index = {"version": version, "target": target_path, "min_version": min_version, "published": _now().isoformat()}
        self._add_target_file(
            targets.signed,
            index_path(os_name),
            json.dumps(index, indent=2).encode(),
            custom={"version": version, "os": os_name},
        )
        targets.signed.version += 1
        targets.signed.expires = _now() + lifetimes["targets"]
        self._write(targets, "targets", versioned=True)
        self._write_snapshot_and_timestamp(lifetimes)
        return PublishedRelease(version=version, os_name=os_name, target=target.path, min_version=min_version)

    def refresh(self, role: str, expires_in: timedelta) -> None:
        """Re-sign one role with a new lifetime (and what depends on it), e.g. the daily timestamp."""
        lifetimes = EXPIRY | {role: expires_in}
        if role == "targets":
            targets = self.load("targets")
            targets.signed.version += 1
            targets.signed.expires = _now() + expires_in
            self._write(targets, "targets", versioned=True)
        if role in ("targets", "snapshot"):
            self._write_snapshot_and_timestamp(lifetimes)
        elif role == "timestamp":
            self._write_timestamp(lifetimes["timestamp"])

    # -- plumbing -----------------------------------------------------------------------------

    def load(self, role: str) -> Metadata:  # type: ignore[type-arg]
        if role in ("root", "timestamp"):
            return Metadata.from_file(str(self.metadata_dir / f"{role}.json"))
        version = self._current_version(role)
        return Metadata.from_file(str(self.metadata_dir / f"{version}.{role}.json"))

    def _current_version(self, role: str) -> int:
        versions = [int(p.name.split(".", 1)[0]) for p in self.metadata_dir.glob(f"*.{role}.json")]
        return max(versions)

    def _add_target_file(self, targets: Targets, path: str, data: bytes, custom: dict[str, object]) -> TargetFile:
        digest = hashlib.sha256(data).hexdigest()
        target = TargetFile(
            length=len(data), hashes={"sha256": digest}, path=path, unrecognized_fields={"custom": custom}
        )
        targets.targets[path] = target
        folder, _, name = path.rpartition("/")
        dest = self.targets_dir / folder / f"{digest}.{name}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, dest)
        return target

    def _write_snapshot_and_timestamp(self, lifetimes: dict[str, timedelta]) -> None:
        if any(self.metadata_dir.glob("*.snapshot.json")):
            snapshot = self.load("snapshot")
            snapshot.signed.version += 1
        else:
            snapshot = Metadata(Snapshot(expires=_now()))
        snapshot.signed.expires = _now() + lifetimes["snapshot"]
        snapshot.signed.meta["targets.json"] = MetaFile(version=self._current_version("targets"))
        self._write(snapshot, "snapshot", versioned=True)
        self._write_timestamp(lifetimes["timestamp"])

    def _write_timestamp(self, lifetime: timedelta) -> None:
        if (self.metadata_dir / "timestamp.json").is_file():
            timestamp = self.load("timestamp")
            timestamp.signed.version += 1
        else:
            timestamp = Metadata(Timestamp(expires=_now()))
        timestamp.signed.expires = _now() + lifetime
        timestamp.signed.snapshot_meta = MetaFile(version=self._current_version("snapshot"))
        self._write(timestamp, "timestamp", versioned=False)

    def _write(self, metadata: Metadata, role: str, *, versioned: bool) -> None:  # type: ignore[type-arg]
        metadata.signatures.clear()
        metadata.sign(self.signers[role], append=False)
        data = metadata.to_bytes(JSONSerializer(compact=False))
        names = [f"{metadata.signed.version}.{role}.json"] if versioned else []
        if role in ("root", "timestamp"):
            names.append(f"{role}.json")
        for name in names:
            tmp = self.metadata_dir / f".{name}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, self.metadata_dir / name)

    def trusted_root(self) -> bytes:
        """The root metadata a client ships with (installers/update/root.json in the bundle)."""
        return (self.metadata_dir / "1.root.json").read_bytes()

    def copy_to(self, dest: Path) -> None:
        shutil.copytree(self.repo_dir, dest, dirs_exist_ok=True)
