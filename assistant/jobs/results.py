"""What each job type's runner returns, as frozen dataclasses.

One class per job type holds both halves of a result: the public one (counts, hashes, names: what
the requesting page may read, `to_json()`) and the local one (paths on this computer, for the
local UI and CLI only, `local_json()`). Keeping both in one object keeps the boundary in one
place: a field is local because `to_json` leaves it out. `from_json(public, local)` rebuilds a
result from those two documents (the journal keeps the public one).

The per-file verification reports and the diagnostics report are documents of their own layers
(signing/verification, diagnostics): the job result carries them as those layers rendered them
(`JsonObject`), without reading into them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assistant.errors import ErrorInfo

__all__ = [
    "DecryptResult",
    "DiagnoseResult",
    "DownloadResult",
    "FailedItem",
    "FileVerification",
    "JobResult",
    "JsonObject",
    "KeygenResult",
    "OpenResult",
    "PrepareResult",
    "SignResult",
    "SignedFile",
    "VerifyResult",
]

#: A JSON document produced by another layer (a verification or diagnostics report).
JsonObject = dict[str, Any]

_EMPTY: Mapping[str, Any] = {}


def _error(data: Mapping[str, Any] | None) -> ErrorInfo | None:
    return None if not data else ErrorInfo.from_json(data)


@dataclass(frozen=True)
class FailedItem:
    """A file (download) or envelope (decryption) that failed, and why."""

    file: str
    error: ErrorInfo | None

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "error": None if self.error is None else self.error.to_json()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FailedItem:
        return cls(file=str(data["file"]), error=_error(data.get("error")))


@dataclass(frozen=True)
class DownloadResult:
    files: int
    bytes: int
    fetched_bytes: int
    already_verified: int
    refetched_after_hash_mismatch: int
    failed: tuple[FailedItem, ...]
    #: The destination folder's name (its path is local).
    folder: str
    #: The most connections that ran at once (chosen from the measured link unless given).
    connections: int = 0
    # -- local only
    destination: str | None = None
    paths: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "bytes": self.bytes,
            "fetched_bytes": self.fetched_bytes,
            "already_verified": self.already_verified,
            "refetched_after_hash_mismatch": self.refetched_after_hash_mismatch,
            "failed": [f.to_json() for f in self.failed],
            "folder": self.folder,
            "connections": self.connections,
        }

    def local_json(self) -> dict[str, Any]:
        return {"destination": self.destination, "paths": list(self.paths)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], local: Mapping[str, Any] = _EMPTY) -> DownloadResult:
        return cls(
            files=int(data["files"]),
            bytes=int(data["bytes"]),
            fetched_bytes=int(data["fetched_bytes"]),
            already_verified=int(data["already_verified"]),
            refetched_after_hash_mismatch=int(data["refetched_after_hash_mismatch"]),
            failed=tuple(FailedItem.from_json(f) for f in data.get("failed", ())),
            folder=str(data["folder"]),
            connections=int(data.get("connections", 0)),
            destination=local.get("destination"),
            paths=tuple(local.get("paths", ())),
        )


@dataclass(frozen=True)
class OpenResult:
    consultation: str
    envelopes: int
    uploaded: int
    bytes_uploaded: int
    recipient_certificate_sha256: str
    # -- local only: decrypted copies the local user asked to keep
    kept: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "consultation": self.consultation,
            "envelopes": self.envelopes,
            "uploaded": self.uploaded,
            "bytes_uploaded": self.bytes_uploaded,
            "recipient_certificate_sha256": self.recipient_certificate_sha256,
        }

    def local_json(self) -> dict[str, Any]:
        return {"kept": list(self.kept)} if self.kept else {}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], local: Mapping[str, Any] = _EMPTY) -> OpenResult:
        return cls(
            consultation=str(data["consultation"]),
            envelopes=int(data["envelopes"]),
            uploaded=int(data["uploaded"]),
            bytes_uploaded=int(data["bytes_uploaded"]),
            recipient_certificate_sha256=str(data["recipient_certificate_sha256"]),
            kept=tuple(local.get("kept", ())),
        )


@dataclass(frozen=True)
class SignedFile:
    """One file of a signing batch: its signature's name, or why it has none."""

    name: str
    signature: str | None
    error: ErrorInfo | None = None
    #: True once the signature was sent to the platform (page jobs only).
    uploaded: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "signature": self.signature}
        if self.error is not None:
            out["error"] = self.error.to_json()
        if self.uploaded:
            out["uploaded"] = True
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SignedFile:
        return cls(
            name=str(data["name"]),
            signature=data.get("signature"),
            error=_error(data.get("error")),
            uploaded=bool(data.get("uploaded", False)),
        )


@dataclass(frozen=True)
class SignResult:
    signed: int
    files: tuple[SignedFile, ...]
    certificate_sha256: str
    # -- local only: the signatures written beside the user's files (None for a page's job)
    outputs: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "signed": self.signed,
            "files": [f.to_json() for f in self.files],
            "certificate_sha256": self.certificate_sha256,
        }

    def local_json(self) -> dict[str, Any]:
        return {} if self.outputs is None else {"outputs": list(self.outputs)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], local: Mapping[str, Any] = _EMPTY) -> SignResult:
        outputs = local.get("outputs")
        return cls(
            signed=int(data["signed"]),
            files=tuple(SignedFile.from_json(f) for f in data.get("files", ())),
            certificate_sha256=str(data["certificate_sha256"]),
            outputs=None if outputs is None else tuple(outputs),
        )


@dataclass(frozen=True)
class FileVerification:
    """One file's verification: its name, the verdict, and either the signing layer's report
    (`report`, without local paths) or the error that stopped the verification."""

    file: str
    ok: bool
    report: JsonObject = field(default_factory=dict)
    error: ErrorInfo | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {**self.report, "file": self.file, "ok": self.ok}
        if self.error is not None:
            out["error"] = self.error.to_json()
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FileVerification:
        report = {k: v for k, v in data.items() if k not in ("file", "ok", "error")}
        return cls(file=str(data["file"]), ok=bool(data.get("ok")), report=report, error=_error(data.get("error")))


@dataclass(frozen=True)
class VerifyResult:
    reports: tuple[FileVerification, ...]
    # -- local only: the files verified (local jobs)
    paths: tuple[str, ...] | None = None

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.reports)

    def to_json(self) -> dict[str, Any]:
        return {"reports": [r.to_json() for r in self.reports], "ok": self.ok}

    def local_json(self) -> dict[str, Any]:
        return {} if self.paths is None else {"paths": list(self.paths)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], local: Mapping[str, Any] = _EMPTY) -> VerifyResult:
        paths = local.get("paths")
        return cls(
            reports=tuple(FileVerification.from_json(r) for r in data.get("reports", ())),
            paths=None if paths is None else tuple(paths),
        )


@dataclass(frozen=True)
class KeygenResult:
    subject: str
    serial: str
    not_before: str
    not_after: str
    key_size: int
    fingerprint_sha256: str
    store_kind: str
    store_label: str
    reused: bool
    key_attributes: Mapping[str, bool] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    warnings_en: tuple[str, ...] = ()
    #: True once the public certificate was sent to the platform.
    uploaded: bool = False
    # -- local only: where the key lives (a store URI or file)
    location: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "subject": self.subject,
            "serial": self.serial,
            "not_before": self.not_before,
            "not_after": self.not_after,
            "key_size": self.key_size,
            "fingerprint_sha256": self.fingerprint_sha256,
            "store_kind": self.store_kind,
            "store_label": self.store_label,
            "reused": self.reused,
            "key_attributes": dict(self.key_attributes),
            "warnings": list(self.warnings),
            "warnings_en": list(self.warnings_en),
        }
        if self.uploaded:
            out["uploaded"] = True
        return out

    def local_json(self) -> dict[str, Any]:
        return {"location": self.location}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], local: Mapping[str, Any] = _EMPTY) -> KeygenResult:
        return cls(
            subject=str(data["subject"]),
            serial=str(data["serial"]),
            not_before=str(data["not_before"]),
            not_after=str(data["not_after"]),
            key_size=int(data["key_size"]),
            fingerprint_sha256=str(data["fingerprint_sha256"]),
            store_kind=str(data["store_kind"]),
            store_label=str(data["store_label"]),
            reused=bool(data["reused"]),
            key_attributes={str(k): bool(v) for k, v in dict(data.get("key_attributes") or {}).items()},
            warnings=tuple(data.get("warnings", ())),
            warnings_en=tuple(data.get("warnings_en", ())),
            uploaded=bool(data.get("uploaded", False)),
            location=str(local.get("location", "")),
        )


@dataclass(frozen=True)
class DecryptResult:
    envelopes: int
    decrypted: int
    failed: tuple[FailedItem, ...]
    # -- local only
    out_dir: str = ""
    #: Each envelope's outcome as the envelopes layer renders it (paths included).
    outcomes: tuple[JsonObject, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"envelopes": self.envelopes, "decrypted": self.decrypted, "failed": [f.to_json() for f in self.failed]}

    def local_json(self) -> dict[str, Any]:
        return {"out_dir": self.out_dir, "outcomes": list(self.outcomes)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], local: Mapping[str, Any] = _EMPTY) -> DecryptResult:
        return cls(
            envelopes=int(data["envelopes"]),
            decrypted=int(data["decrypted"]),
            failed=tuple(FailedItem.from_json(f) for f in data.get("failed", ())),
            out_dir=str(local.get("out_dir", "")),
            outcomes=tuple(local.get("outcomes", ())),
        )


@dataclass(frozen=True)
class DiagnoseResult:
    """The workstation test's report: `report` as a page may see it (no local paths),
    `full_report` with the details (local only)."""

    report: JsonObject
    full_report: JsonObject = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return dict(self.report)

    def local_json(self) -> dict[str, Any]:
        return {"report": dict(self.full_report)} if self.full_report else {}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], local: Mapping[str, Any] = _EMPTY) -> DiagnoseResult:
        return cls(report=dict(data), full_report=dict(local.get("report") or {}))


@dataclass(frozen=True)
class PrepareResult:
    """ "Préparer mon dépôt": what the page may see — counts, the formats chosen, the problems the
    platform or the buyer would raise (file names relative to the bid), the upload estimate and
    the deadline margin — and, local only, where the bid, the deposit folder and the summary are.

    `estimate` is None when the platform gave no upload-test URL; `margin_seconds` is the time
    between the estimated end of the upload started now and the deadline (negative: too late)."""

    files: int
    signed: int
    accepted: int
    formats: Mapping[str, int]
    zip_archives: int
    problems: tuple[JsonObject, ...]
    certificate_sha256: str
    total_bytes: int
    ok: bool
    deadline: str | None = None
    estimate: JsonObject | None = None
    margin_seconds: float | None = None
    # -- local only
    bid_folder: str = ""
    destination: str | None = None
    summary: str | None = None
    reports: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "signed": self.signed,
            "accepted": self.accepted,
            "formats": dict(self.formats),
            "zip_archives": self.zip_archives,
            "problems": [dict(p) for p in self.problems],
            "certificate_sha256": self.certificate_sha256,
            "total_bytes": self.total_bytes,
            "ok": self.ok,
            "deadline": self.deadline,
            "estimate": None if self.estimate is None else dict(self.estimate),
            "margin_seconds": self.margin_seconds,
        }

    def local_json(self) -> dict[str, Any]:
        return {
            "bid_folder": self.bid_folder,
            "destination": self.destination,
            "summary": self.summary,
            "reports": self.reports,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], local: Mapping[str, Any] = _EMPTY) -> PrepareResult:
        margin = data.get("margin_seconds")
        return cls(
            files=int(data["files"]),
            signed=int(data["signed"]),
            accepted=int(data["accepted"]),
            formats={str(k): int(v) for k, v in dict(data.get("formats") or {}).items()},
            zip_archives=int(data.get("zip_archives", 0)),
            problems=tuple(dict(p) for p in data.get("problems", ())),
            certificate_sha256=str(data["certificate_sha256"]),
            total_bytes=int(data.get("total_bytes", 0)),
            ok=bool(data.get("ok")),
            deadline=data.get("deadline"),
            estimate=None if data.get("estimate") is None else dict(data["estimate"]),
            margin_seconds=None if margin is None else float(margin),
            bid_folder=str(local.get("bid_folder", "")),
            destination=local.get("destination"),
            summary=local.get("summary"),
            reports=local.get("reports"),
        )


JobResult = (
    DownloadResult
    | OpenResult
    | SignResult
    | VerifyResult
    | KeygenResult
    | DecryptResult
    | DiagnoseResult
    | PrepareResult
)
