"""The parameters of each job type, as frozen dataclasses.

`descriptor.parse_descriptor` validates what a page (or the local user) sends and returns one of
these; the engine hands it to the job type's runner unchanged. JSON exists only at the edges:
`to_json()` is what the bridge shows a page (the same keys the page sent, absent optional fields
left out), `from_json()` rebuilds the object from that JSON. `from_json` trusts its input (it reads
what `to_json` wrote, or what `parse_descriptor` has already validated): untrusted JSON goes
through `parse_descriptor`, never straight here.

A download's work is a tree: `Consultation` → `Pli` → `Envelope` → `RemoteFile`, in descriptor order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Consultation",
    "DecryptParams",
    "DiagnoseParams",
    "DownloadParams",
    "Envelope",
    "JobParams",
    "KeygenParams",
    "OpenParams",
    "Pli",
    "PrepareParams",
    "RemoteFile",
    "SignParams",
    "VerifyParams",
]


def _put(out: dict[str, Any], key: str, value: object) -> None:
    """Optional fields are left out of the JSON when absent (as the page left them out)."""
    if value is not None:
        out[key] = value


@dataclass(frozen=True)
class RemoteFile:
    """A file on the platform: where to fetch it, how big it is and its SHA-256 (lower case).

    `upload_url` is where its result goes (an opening's decrypted envelope, a signature)."""

    name: str
    url: str
    size: int
    sha256: str
    id: str | None = None
    label: str | None = None
    content_type: str | None = None
    upload_url: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "url": self.url, "size": self.size, "sha256": self.sha256}
        _put(out, "id", self.id)
        _put(out, "label", self.label)
        _put(out, "content_type", self.content_type)
        _put(out, "upload_url", self.upload_url)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RemoteFile:
        return cls(
            name=data["name"],
            url=data["url"],
            size=int(data["size"]),
            sha256=data["sha256"],
            id=data.get("id"),
            label=data.get("label"),
            content_type=data.get("content_type"),
            upload_url=data.get("upload_url"),
        )


@dataclass(frozen=True)
class Envelope:
    id: str
    files: tuple[RemoteFile, ...]
    label: str | None = None
    kind: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "files": [f.to_json() for f in self.files]}
        _put(out, "label", self.label)
        _put(out, "kind", self.kind)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Envelope:
        return cls(
            id=data["id"],
            files=tuple(RemoteFile.from_json(f) for f in data["files"]),
            label=data.get("label"),
            kind=data.get("kind"),
        )


@dataclass(frozen=True)
class Pli:
    id: str
    envelopes: tuple[Envelope, ...]
    label: str | None = None
    company: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "envelopes": [e.to_json() for e in self.envelopes]}
        _put(out, "label", self.label)
        _put(out, "company", self.company)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Pli:
        return cls(
            id=data["id"],
            envelopes=tuple(Envelope.from_json(e) for e in data["envelopes"]),
            label=data.get("label"),
            company=data.get("company"),
        )


@dataclass(frozen=True)
class Consultation:
    id: str
    plis: tuple[Pli, ...]
    label: str | None = None
    reference: str | None = None

    @property
    def shown_reference(self) -> str:
        """What the user knows the consultation by: its reference, else its id."""
        return self.reference or self.id

    @property
    def envelope_files(self) -> int:
        """How many files its envelopes hold (an opening decrypts and sends each)."""
        return sum(len(envelope.files) for pli in self.plis for envelope in pli.envelopes)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "plis": [p.to_json() for p in self.plis]}
        _put(out, "label", self.label)
        _put(out, "reference", self.reference)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Consultation:
        return cls(
            id=data["id"],
            plis=tuple(Pli.from_json(p) for p in data["plis"]),
            label=data.get("label"),
            reference=data.get("reference"),
        )


def _files_json(files: tuple[RemoteFile, ...] | None) -> list[dict[str, Any]] | None:
    return None if files is None else [f.to_json() for f in files]


def _files(data: Mapping[str, Any], key: str) -> tuple[RemoteFile, ...] | None:
    return None if key not in data else tuple(RemoteFile.from_json(f) for f in data[key])


def _strings(data: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    return None if key not in data else tuple(str(p) for p in data[key])


@dataclass(frozen=True)
class DownloadParams:
    """Bulk download: the consultations inline, or a `descriptor_url` to fetch them from.

    `destination` (local user only) names the folder; a page's download asks the user."""

    descriptor_url: str | None = None
    consultations: tuple[Consultation, ...] | None = None
    destination: str | None = None
    connections: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        _put(out, "descriptor_url", self.descriptor_url)
        _put(out, "consultations", None if self.consultations is None else [c.to_json() for c in self.consultations])
        _put(out, "destination", self.destination)
        _put(out, "connections", self.connections)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DownloadParams:
        consultations = data.get("consultations")
        return cls(
            descriptor_url=data.get("descriptor_url"),
            consultations=None if consultations is None else tuple(Consultation.from_json(c) for c in consultations),
            destination=data.get("destination"),
            connections=data.get("connections"),
        )


@dataclass(frozen=True)
class OpenParams:
    """Online opening of one consultation (each file has its `upload_url`)."""

    descriptor_url: str | None = None
    consultation: Consultation | None = None
    key: str | None = None
    keep_decrypted_in: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        _put(out, "descriptor_url", self.descriptor_url)
        _put(out, "consultation", None if self.consultation is None else self.consultation.to_json())
        _put(out, "key", self.key)
        _put(out, "keep_decrypted_in", self.keep_decrypted_in)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OpenParams:
        consultation = data.get("consultation")
        return cls(
            descriptor_url=data.get("descriptor_url"),
            consultation=None if consultation is None else Consultation.from_json(consultation),
            key=data.get("key"),
            keep_decrypted_in=data.get("keep_decrypted_in"),
        )


@dataclass(frozen=True)
class SignParams:
    """Signing: remote `files` (each with its `upload_url`) or, locally, `paths`."""

    format: str = ""
    files: tuple[RemoteFile, ...] | None = None
    paths: tuple[str, ...] | None = None
    level: str | None = None
    out_dir: str | None = None
    key: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        _put(out, "files", _files_json(self.files))
        _put(out, "paths", None if self.paths is None else list(self.paths))
        _put(out, "format", self.format or None)
        _put(out, "level", self.level)
        _put(out, "out_dir", self.out_dir)
        _put(out, "key", self.key)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SignParams:
        return cls(
            format=data.get("format", ""),
            files=_files(data, "files"),
            paths=_strings(data, "paths"),
            level=data.get("level"),
            out_dir=data.get("out_dir"),
            key=data.get("key"),
        )


@dataclass(frozen=True)
class VerifyParams:
    files: tuple[RemoteFile, ...] | None = None
    paths: tuple[str, ...] | None = None
    detached_of: str | None = None
    report_url: str | None = None
    #: local only: certificate files trusted for this verification, besides the system's and the
    #: user's settings (the verify view's chooser); a page cannot send it
    trust: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        _put(out, "files", _files_json(self.files))
        _put(out, "paths", None if self.paths is None else list(self.paths))
        _put(out, "detached_of", self.detached_of)
        _put(out, "report_url", self.report_url)
        _put(out, "trust", None if self.trust is None else list(self.trust))
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VerifyParams:
        return cls(
            files=_files(data, "files"),
            paths=_strings(data, "paths"),
            detached_of=data.get("detached_of"),
            report_url=data.get("report_url"),
            trust=_strings(data, "trust"),
        )


@dataclass(frozen=True)
class KeygenParams:
    name: str
    cn: str | None = None
    upload_url: str | None = None
    key_size: int | None = None
    store: str | None = None
    #: second mode: the bi-clé is a certificate already in a store, chosen by the user
    from_store: bool | None = None
    #: local only: where to write the encrypted .p12 copy of a new vault key (its password is asked)
    backup: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        _put(out, "cn", self.cn)
        _put(out, "upload_url", self.upload_url)
        _put(out, "key_size", self.key_size)
        _put(out, "store", self.store)
        _put(out, "from_store", self.from_store)
        _put(out, "backup", self.backup)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> KeygenParams:
        return cls(
            name=data["name"],
            cn=data.get("cn"),
            upload_url=data.get("upload_url"),
            key_size=data.get("key_size"),
            store=data.get("store"),
            from_store=data.get("from_store"),
            backup=data.get("backup"),
        )


@dataclass(frozen=True)
class DecryptParams:
    """Offline decryption of a folder (local user only: every field names a local path or key)."""

    folder: str
    out_dir: str | None = None
    key: str | None = None
    extract: bool | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"folder": self.folder}
        _put(out, "out_dir", self.out_dir)
        _put(out, "key", self.key)
        _put(out, "extract", self.extract)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DecryptParams:
        return cls(folder=data["folder"], out_dir=data.get("out_dir"), key=data.get("key"), extract=data.get("extract"))


@dataclass(frozen=True)
class DiagnoseParams:
    platform_url: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        _put(out, "platform_url", self.platform_url)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DiagnoseParams:
        return cls(platform_url=data.get("platform_url"))


@dataclass(frozen=True)
class PrepareParams:
    """ "Préparer mon dépôt" started by a page: the platform's `deposit_rules` (the JSON object
    `prepare.rules.parse_rules` reads, already validated by the descriptor, its upload-test URL
    on the page's origin). The bid folder is never named by a page: the user picks it in the window;
    `folder`, `out_dir` and `key` are the local user's own choices (CLI)."""

    deposit_rules: Mapping[str, Any] | None = None
    level: str | None = None
    folder: str | None = None
    out_dir: str | None = None
    key: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        _put(out, "deposit_rules", None if self.deposit_rules is None else dict(self.deposit_rules))
        _put(out, "level", self.level)
        _put(out, "folder", self.folder)
        _put(out, "out_dir", self.out_dir)
        _put(out, "key", self.key)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PrepareParams:
        rules = data.get("deposit_rules")
        return cls(
            deposit_rules=None if rules is None else dict(rules),
            level=data.get("level"),
            folder=data.get("folder"),
            out_dir=data.get("out_dir"),
            key=data.get("key"),
        )


JobParams = (
    DownloadParams
    | OpenParams
    | SignParams
    | VerifyParams
    | KeygenParams
    | DecryptParams
    | DiagnoseParams
    | PrepareParams
)
