"""Streamed hashing of the file being signed.

Detached CAdES and XAdES only need the file's digest, so a 2 GB bid archive is read once, in large
chunks, with constant memory. hashlib (OpenSSL) releases the GIL on large updates, so hashing
does not freeze the UI or the bridge. We also check that the file did not change while it was
read: signing a file that an archiver is still writing would give a signature of nothing useful.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from assistant.errors import Code, InputFileError
from assistant.i18n import M_
from assistant.keystores.base import HashAlgorithm
from assistant.progress import CancelToken, ProgressCallback, ProgressUpdate, ignore_progress
from assistant.signing.errors import SigningCode

CHUNK_SIZE = 1 << 20  # 1 MiB: past the point where larger reads stop helping, small enough for RSS
_PROGRESS_INTERVAL = 0.25  # seconds between progress reports


@dataclass(frozen=True)
class FileDigest:
    digest: bytes
    algorithm: HashAlgorithm
    size: int
    #: The hash object after the file's last byte: an XAdES archive timestamp, whose input starts
    #: with the file, continues from a copy of it instead of reading the file a second time.
    state: Any = field(default=None, compare=False, repr=False)


def hash_file(
    path: Path,
    algorithm: HashAlgorithm = HashAlgorithm.SHA256,
    *,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
    stage: ProgressUpdate | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> FileDigest:
    """Hash `path` in one pass, reporting bytes done (in reports like `stage`, the caller's phase);
    raise InputFileError in French on trouble."""
    stage = stage or ProgressUpdate()
    hasher = algorithm.new()
    buffer = bytearray(chunk_size)
    view = memoryview(buffer)
    done = 0
    try:
        with open(path, "rb", buffering=0) as fh:
            before = os.fstat(fh.fileno())
            total = before.st_size
            if hasattr(os, "posix_fadvise"):
                os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
            last_report = time.monotonic()
            while True:
                count = fh.readinto(view)  # type: ignore[attr-defined]
                if not count:
                    break
                hasher.update(view[:count])
                done += count
                now = time.monotonic()
                if now - last_report >= _PROGRESS_INTERVAL:
                    last_report = now
                    if cancel is not None:
                        cancel.raise_if_cancelled()
                    progress(replace(stage, bytes_done=done, bytes_total=total))
            after = os.fstat(fh.fileno())
    except FileNotFoundError as exc:
        raise InputFileError(M_("Fichier introuvable : {name}", name=path.name), code=Code.FILE_NOT_FOUND) from exc
    except IsADirectoryError as exc:
        raise InputFileError(
            M_("{name} est un dossier, pas un fichier.", name=path.name),
            code=SigningCode.NOT_A_FILE,
        ) from exc
    except PermissionError as exc:
        raise InputFileError(
            M_("Lecture du fichier {name} refusée (droits insuffisants).", name=path.name),
            code=SigningCode.FILE_UNREADABLE,
        ) from exc
    except OSError as exc:
        raise InputFileError(
            M_("Erreur de lecture du fichier {name} : {reason}", name=path.name, reason=exc.strerror or exc),
            code=SigningCode.FILE_UNREADABLE,
        ) from exc
    if done != after.st_size or after.st_mtime_ns != before.st_mtime_ns:
        raise InputFileError(
            M_(
                "Le fichier {name} a été modifié pendant sa lecture : fermez le logiciel qui l'écrit et recommencez.",
                name=path.name,
            ),
            code=SigningCode.FILE_CHANGED,
        )
    if cancel is not None:
        cancel.raise_if_cancelled()
    progress(replace(stage, bytes_done=done, bytes_total=done))
    return FileDigest(hasher.digest(), algorithm, done, hasher.copy())
