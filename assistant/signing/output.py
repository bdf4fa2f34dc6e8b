"""Writing a signature file so that the user never sees half of one, and never loses a file.

The output is written to a hidden temporary file in the target folder and published only when
complete, under a name that does not exist yet: a hard link fails rather than overwrite, so a
signature made in the same second by another process (or a file the user made) is never replaced;
the number in the name is raised instead. File systems without hard links (FAT USB keys) fall
back to a rename after checking the name is free.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from assistant.errors import Code, OutputError
from assistant.i18n import M_
from assistant.signing.errors import SigningCode
from assistant.signing.naming import next_number_name

_MAX_NAME_TRIES = 100


def _output_error(folder: Path, exc: OSError) -> OutputError:
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return OutputError(
            M_(
                "Impossible d'écrire dans le dossier {folder} : il est en lecture seule ou vous n'y avez pas les droits.",
                folder=folder,
            ),
            code=Code.OUTPUT_NOT_WRITABLE,
        )
    if exc.errno == errno.ENOSPC:
        return OutputError(
            M_("Plus de place sur le disque du dossier {folder}.", folder=folder),
            code=SigningCode.DISK_FULL,
        )
    if exc.errno == errno.ENOENT:
        return OutputError(
            M_("Le dossier {folder} n'existe pas.", folder=folder),
            code=SigningCode.OUTPUT_MISSING,
        )
    return OutputError(
        M_("Erreur d'écriture dans le dossier {folder} : {reason}", folder=folder, reason=exc.strerror or exc),
    )


def write_new_file(target: Path, writer: Callable[[BinaryIO], None]) -> Path:
    """Run `writer` on a temp file beside `target`, then publish it under a free name; return it.

    Whatever `writer` raises, the temp file is removed and nothing is published.
    """
    folder = target.parent
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=".amp-signature-", suffix=".part", dir=folder)
    except OSError as exc:
        raise _output_error(folder, exc) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            writer(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644 & ~_umask())
        published = _publish(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _output_error(folder, exc) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.unlink(missing_ok=True)
    return published


def _umask() -> int:
    """The process umask, read without changing it where possible.

    `os.umask` can only be read by setting it, which would race with other threads (job workers)
    creating files at that instant: Linux shows it in /proc; elsewhere it is read once.
    """
    global _UMASK
    if _UMASK is None:
        try:
            with open("/proc/self/status", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("Umask:"):
                        _UMASK = int(line.split()[1], 8)
                        break
        except (OSError, ValueError):
            pass
        if _UMASK is None:
            _UMASK = os.umask(0o022)
            os.umask(_UMASK)
    return _UMASK


_UMASK: int | None = None


def _publish(tmp: Path, target: Path) -> Path:
    candidate = target
    for _ in range(_MAX_NAME_TRIES):
        try:
            os.link(tmp, candidate)
            return candidate
        except FileExistsError:
            candidate = next_number_name(candidate)
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                raise
            # No hard links here: rename, having checked the name is free.
            while candidate.exists():
                candidate = next_number_name(candidate)
            os.replace(tmp, candidate)
            return candidate
    raise OutputError(
        M_("Trop de fichiers portent déjà le nom {name} dans {parent}.", name=target.name, parent=target.parent),
    )
