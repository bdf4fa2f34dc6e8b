"""One running assistant per user: a lock file and a port file in the state folder.

A second `assistant run` must not start a second bridge (it would land on a fallback port and
pages would find two assistants). The first instance holds an exclusive OS lock on `bridge.lock`
for its whole life (released by the OS even after a crash, so no stale-lock cleanup is needed)
and writes where it listens to `bridge.json`; a second instance fails to take the lock, reads the
port file and tells the user where the running one is.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

from assistant import paths

LOCK_FILE = "bridge.lock"
PORT_FILE = "bridge.json"


def _lock(fh: IO[bytes]) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


class InstanceLock:
    """Held by the running assistant. `acquire()` is False when another instance holds it."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or paths.state_dir()
        self._fh: IO[bytes] | None = None

    @property
    def port_file(self) -> Path:
        return self.directory / PORT_FILE

    def acquire(self) -> bool:
        fh = open(self.directory / LOCK_FILE, "a+b")  # noqa: SIM115 - held open for the process's life
        if not _lock(fh):
            fh.close()
            return False
        self._fh = fh
        return True

    def publish(self, info: dict[str, Any]) -> None:
        """Write where this instance listens (after the bridge started)."""
        if self._fh is None:
            raise RuntimeError("publish() without the lock")
        data = dict(info, pid=os.getpid())
        fd, tmp = tempfile.mkstemp(prefix=".bridge-", dir=self.directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=2)
            os.replace(tmp, self.port_file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def release(self) -> None:
        if self._fh is None:
            return
        self.port_file.unlink(missing_ok=True)
        self._fh.close()
        self._fh = None

    def __enter__(self) -> InstanceLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def running_instance(directory: Path | None = None) -> dict[str, Any] | None:
    """What the running instance published, or None when none runs (the lock is free)."""
    directory = directory or paths.state_dir()
    probe = InstanceLock(directory)
    if probe.acquire():
        probe.release()
        return None
    try:
        data = json.loads((directory / PORT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
