"""Decrypt one envelope file to one output file, all or nothing.

The plaintext goes to a hidden temporary file beside the target, created exclusively and readable
by the user only; it becomes the target (os.replace) only once the whole envelope was read and its
padding or GCM tag checked and, when the content is a ZIP, every member's CRC-32 checked (AES-CBC
has no integrity of its own, the ZIP's CRCs are what catches a flipped byte in its middle). Any
failure removes the temporary file; the envelope is only ever opened for reading.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from assistant.envelopes.cms_stream import decrypt_stream
from assistant.envelopes.errors import CorruptArchiveError
from assistant.errors import Code, InputFileError, OutputError
from assistant.i18n import M_
from assistant.keystores.base import Credential
from assistant.progress import CancelToken, ProgressCallback, ignore_progress

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"


@dataclass(frozen=True)
class DecryptResult:
    source: Path | None
    output: Path
    size: int
    form: str  # DER, PEM, S/MIME
    content_type: str  # enveloped | auth_enveloped
    algorithm: str  # "AES-256-CBC", ...
    key_transport: str  # "RSA-OAEP SHA-256", ...
    recipient_fingerprint: str  # SHA-256 of the certificate whose key opened it
    recipient_label: str
    is_zip: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "source": str(self.source) if self.source else None,
            "output": str(self.output),
            "size": self.size,
            "form": self.form,
            "content_type": self.content_type,
            "algorithm": self.algorithm,
            "key_transport": self.key_transport,
            "recipient_fingerprint": self.recipient_fingerprint,
            "recipient_label": self.recipient_label,
            "is_zip": self.is_zip,
        }


def temp_path_beside(target: Path, suffix: str = ".part") -> Path:
    return target.parent / f".{target.name}.{secrets.token_hex(4)}{suffix}"


def _open_exclusive(path: Path) -> BinaryIO:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    return os.fdopen(fd, "wb", buffering=1 << 20)


_datasync = getattr(os, "fdatasync", os.fsync)  # macOS and Windows have no fdatasync


class _BackgroundSync:
    """Flushes the output to disk while decryption goes on, so the final fsync finds little left.

    The rename must follow a durable file (a crash must never leave a "complete" name on a
    partial file); syncing every SYNC_EVERY bytes on a second thread overlaps the disk writes
    with the decryption instead of paying for all of them at the end.
    """

    SYNC_EVERY = 64 << 20

    def __init__(self, out: BinaryIO) -> None:
        import threading

        self._out = out
        self._fd = out.fileno()
        self._pending = 0
        self._wake = threading.Event()
        self._stop = False
        self._thread = threading.Thread(target=self._loop, name="envelope-sync", daemon=True)
        self._thread.start()

    def write(self, data: memoryview | bytes) -> int:
        n = self._out.write(data)
        self._pending += len(data)
        if self._pending >= self.SYNC_EVERY:
            self._pending = 0
            self._wake.set()
        return n

    def seek(self, position: int) -> int:
        return self._out.seek(position)

    def truncate(self) -> int:
        return self._out.truncate()

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._stop:
                return
            with contextlib.suppress(OSError):
                _datasync(self._fd)

    def finish(self) -> None:
        self._stop = True
        self._wake.set()
        self._thread.join()
        self._out.flush()
        os.fsync(self._fd)

    def abandon(self) -> None:
        self._stop = True
        self._wake.set()
        self._thread.join()


def check_zip_integrity(source: Path | BinaryIO) -> None:
    """Read every member through its CRC-32; raises CorruptArchiveError naming the bad one.

    `source` is the decrypted file, or a seekable stream holding it (the online opening keeps its
    plaintext in an unnamed spool file); a stream is left wherever the reading ended.
    """
    try:
        with zipfile.ZipFile(source) as archive:
            bad = archive.testzip()
    except Exception as exc:  # zipfile raises many kinds on damaged data (zlib.error, struct.error, ...)
        raise CorruptArchiveError(
            M_("Le contenu déchiffré est une archive ZIP endommagée : l'enveloppe a été altérée."),
        ) from exc
    if bad is not None:
        raise CorruptArchiveError(
            M_("Le contenu déchiffré est altéré (contrôle CRC du fichier « {bad} » en échec).", bad=bad),
        )


def decrypt_to_path(
    stream: BinaryIO,
    credentials: Sequence[Credential],
    out_path: Path,
    *,
    source: Path | None = None,
    total_size: int = 0,
    overwrite: bool = False,
    verify_zip: bool = True,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> DecryptResult:
    """Decrypt an envelope read from any binary stream (e.g. a download) into `out_path`."""
    out_path = Path(out_path)
    if not out_path.parent.is_dir():
        raise OutputError(
            M_("Le dossier de destination n'existe pas : {parent}", parent=out_path.parent),
        )
    if out_path.exists() and not overwrite:
        raise OutputError(M_("Le fichier {out_path} existe déjà.", out_path=out_path), code=Code.OUTPUT_EXISTS)
    tmp = temp_path_beside(out_path)
    try:
        out = _open_exclusive(tmp)
    except OSError as exc:
        raise OutputError(
            M_("Impossible d'écrire dans {parent} : {strerror}", parent=out_path.parent, strerror=exc.strerror),
        ) from exc
    try:
        with out:
            syncer = _BackgroundSync(out)
            try:
                result = decrypt_stream(
                    stream,
                    credentials,
                    syncer,  # type: ignore[arg-type]
                    total_size=total_size,
                    progress=progress,
                    cancel=cancel,
                )
            except BaseException:
                syncer.abandon()
                raise
            syncer.finish()
        with open(tmp, "rb") as fh:
            magic = fh.read(4)
        is_zip = magic in (ZIP_MAGIC, EMPTY_ZIP_MAGIC)
        if is_zip and verify_zip:
            check_zip_integrity(tmp)
        if out_path.exists() and not overwrite:
            raise OutputError(M_("Le fichier {out_path} existe déjà.", out_path=out_path), code=Code.OUTPUT_EXISTS)
        os.replace(tmp, out_path)
    except OSError as exc:
        raise OutputError(
            M_("Erreur d'écriture de {name} : {strerror}", name=out_path.name, strerror=exc.strerror)
        ) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return DecryptResult(
        source=source,
        output=out_path,
        size=result.size,
        form=result.form,
        content_type=result.content_type,
        algorithm=result.algorithm,
        key_transport=result.key_transport,
        recipient_fingerprint=result.credential.fingerprint_sha256,
        recipient_label=result.credential.certificate.subject.rfc4514_string(),
        is_zip=is_zip,
    )


def decrypt_envelope(
    source: Path,
    credentials: Sequence[Credential],
    out_path: Path,
    *,
    overwrite: bool = False,
    verify_zip: bool = True,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> DecryptResult:
    """Decrypt the envelope file `source` into `out_path` (see the module docstring)."""
    source = Path(source)
    if out_path.exists() and out_path.resolve() == source.resolve():
        raise OutputError(M_("La sortie ne peut pas remplacer l'enveloppe."))
    try:
        stream = open(source, "rb", buffering=0)  # noqa: SIM115 - closed below
    except FileNotFoundError as exc:
        raise InputFileError(M_("Enveloppe introuvable : {source_}", source_=source)) from exc
    except IsADirectoryError as exc:
        raise InputFileError(M_("{source_} est un dossier.", source_=source)) from exc
    except OSError as exc:
        raise InputFileError(
            M_("Impossible de lire {source_} : {strerror}", source_=source, strerror=exc.strerror)
        ) from exc
    with stream:
        total = os.fstat(stream.fileno()).st_size
        return decrypt_to_path(
            stream,
            credentials,
            out_path,
            source=source,
            total_size=total,
            overwrite=overwrite,
            verify_zip=verify_zip,
            progress=progress,
            cancel=cancel,
        )
