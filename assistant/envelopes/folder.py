"""Offline decryption: one envelope or a whole downloaded folder, with extraction of the ZIPs.

The layout of a downloaded consultation (consultation/pli/enveloppe) is kept under the output
folder. One envelope failing (wrong key, truncated download) does not stop the others: each
outcome carries its own error, and the progress says "Déchiffrement de l'enveloppe 3 sur 12".
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant.envelopes.cms_stream import OID_AUTH_ENVELOPED, OID_ENVELOPED, BerReader, open_source
from assistant.envelopes.decrypt import DecryptResult, decrypt_envelope
from assistant.envelopes.errors import EnvelopeCode
from assistant.envelopes.zip_extract import ZipLimits, safe_extract_zip
from assistant.errors import AssistantError, CancelledError, InputFileError
from assistant.i18n import M_
from assistant.keystores.base import Credential
from assistant.progress import CancelToken, Phase, ProgressCallback, ProgressUpdate, ignore_progress

#: Suffixes platforms and tools give to envelopes; removed to name the decrypted file.
ENVELOPE_SUFFIXES = (".p7m", ".p7e", ".p7", ".cms", ".enc", ".env", ".der", ".pem", ".smime", ".eml")


@dataclass
class EnvelopeOutcome:
    source: Path
    result: DecryptResult | None = None
    extracted_to: Path | None = None
    files: list[Path] = field(default_factory=list)
    error: AssistantError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, object]:
        return {
            "source": str(self.source),
            "ok": self.ok,
            "result": self.result.to_dict() if self.result else None,
            "extracted_to": str(self.extracted_to) if self.extracted_to else None,
            "files": [str(f) for f in self.files],
            "error": self.error.to_dict() if self.error else None,
        }


def is_envelope(path: Path) -> bool:
    """Whether `path` starts like a CMS (Auth)EnvelopedData, in DER, PEM or S/MIME."""
    try:
        with open(path, "rb") as fh:
            source, _form = open_source(fh)
            reader = BerReader(source, size=64 << 10)
            first = reader.read_header()
            if first.tag != 0x30:
                return False
            oid = reader.read_header()
            if oid.tag != 0x06 or oid.length is None or oid.length > 32:
                return False
            raw = reader.read_bytes(oid.length)
    except (AssistantError, OSError):
        return False
    from asn1crypto import core

    try:
        dotted = core.ObjectIdentifier.load(bytes([0x06, len(raw)]) + raw).dotted
    except Exception:
        return False
    return dotted in (OID_ENVELOPED, OID_AUTH_ENVELOPED)


def find_envelopes(folder: Path) -> list[Path]:
    """Every envelope under `folder`, in a stable order (sorted path by path)."""
    found: list[Path] = []
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file() or path.name.startswith("."):
            continue
        if is_envelope(path):
            found.append(path)
    return found


def output_name(source: Path) -> str:
    name = source.name
    lowered = name.lower()
    for suffix in ENVELOPE_SUFFIXES:
        if lowered.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name + ".dechiffre"


def unique_path(path: Path) -> Path:
    """`path`, or "name (2).ext", "name (3).ext"… when taken: never overwrite the user's files."""
    if not path.exists():
        return path
    stem, suffix = path.stem, path.suffix
    for n in range(2, 10_000):
        candidate = path.with_name(f"{stem} ({n}){suffix}")
        if not candidate.exists():
            return candidate
    raise InputFileError(M_("Trop de fichiers nommés {name}.", name=path.name))


def decrypt_one(
    source: Path,
    credentials: Sequence[Credential],
    out_dir: Path,
    *,
    extract: bool = True,
    limits: ZipLimits | None = None,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> EnvelopeOutcome:
    """Decrypt `source` into `out_dir` and, when it holds a ZIP, extract it beside.

    A refused or damaged ZIP leaves nothing: neither the extracted files nor the decrypted archive
    (the error says why; decrypting again without extraction gives the archive as is).
    """
    outcome = EnvelopeOutcome(source)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        target = unique_path(out_dir / output_name(source))
        result = decrypt_envelope(source, credentials, target, progress=progress, cancel=cancel)
        if result.is_zip and target.suffix.lower() != ".zip":
            renamed = unique_path(target.with_name(target.name + ".zip"))
            target.rename(renamed)
            result = _with_output(result, renamed)
        outcome.result = result
        if extract and result.is_zip:
            folder = unique_path(result.output.with_suffix(""))
            try:
                outcome.files = safe_extract_zip(result.output, folder, limits=limits, cancel=cancel)
            except AssistantError:
                with contextlib.suppress(OSError):
                    result.output.unlink()
                outcome.result = None
                raise
            outcome.extracted_to = folder
    except CancelledError:
        raise  # the whole batch stops; what was done stays, the current envelope left nothing
    except AssistantError as exc:
        outcome.error = exc
    return outcome


def _with_output(result: DecryptResult, output: Path) -> DecryptResult:
    from dataclasses import replace

    return replace(result, output=output)


def _relative_out_dir(envelope: Path, root: Path, out_dir: Path) -> Path:
    try:
        return out_dir / envelope.parent.relative_to(root)
    except ValueError:
        return out_dir


def iter_sources(paths: Sequence[Path]) -> Iterator[tuple[Path, Path]]:
    """(envelope, root it was found under) for files and folders given by the user."""
    for path in paths:
        if path.is_dir():
            for env in find_envelopes(path):
                yield env, path
        elif path.exists():
            yield path, path.parent
        else:
            raise InputFileError(M_("Introuvable : {path}", path=path))


def decrypt_paths(
    paths: Sequence[Path],
    credentials: Sequence[Credential],
    out_dir: Path,
    *,
    extract: bool = True,
    limits: ZipLimits | None = None,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> list[EnvelopeOutcome]:
    """Decrypt envelope files and every envelope under folders, keeping the folders' layout."""
    items = list(iter_sources(paths))
    if not items:
        raise InputFileError(M_("Aucune enveloppe chiffrée trouvée."), code=EnvelopeCode.NO_ENVELOPE)
    outcomes: list[EnvelopeOutcome] = []
    count = len(items)
    for index, (envelope, root) in enumerate(items, start=1):
        if cancel is not None:
            cancel.raise_if_cancelled()
        element = str(envelope.relative_to(root)) if envelope.is_relative_to(root) else envelope.name
        stage = ProgressUpdate(
            step=index, steps=count, phase=Phase.DECRYPT_ENVELOPE, item=index, items=count, element=element
        )

        def relay(update: ProgressUpdate, stage: ProgressUpdate = stage) -> None:
            progress(replace(stage, bytes_done=update.bytes_done, bytes_total=update.bytes_total))

        progress(stage)
        target_dir = _relative_out_dir(envelope, root, out_dir)
        outcomes.append(
            decrypt_one(
                envelope, credentials, target_dir, extract=extract, limits=limits, progress=relay, cancel=cancel
            )
        )
    progress(ProgressUpdate(step=count, steps=count, phase=Phase.DECRYPTED))
    return outcomes


def decrypt_folder(
    folder: Path,
    credentials: Sequence[Credential],
    out_dir: Path,
    *,
    extract: bool = True,
    limits: ZipLimits | None = None,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> list[EnvelopeOutcome]:
    """Offline decryption of a folder downloaded earlier: every envelope under it."""
    if not folder.is_dir():
        raise InputFileError(M_("{folder} n'est pas un dossier.", folder=folder))
    return decrypt_paths(
        [folder], credentials, out_dir, extract=extract, limits=limits, progress=progress, cancel=cancel
    )
