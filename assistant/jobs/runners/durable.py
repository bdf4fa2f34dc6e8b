"""Verified downloads become durable before the journal vouches for them.

Kept apart from the download runner: the recorder's batching is what decides how much a
file costs once it is verified, and it is measured on its own (bench_download).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from pathlib import Path
from typing import Protocol

from assistant.jobs.engine import JobContext

log = logging.getLogger(__name__)


class VerifiedFile(Protocol):
    """What the recorder needs of a downloaded file (the download runner's Item)."""

    url: str
    dest: Path
    size: int
    sha256: str
    rel: str


class DurableRecorder:
    """Records verified files in the journal only once their bytes are on disk (fdatasync).

    The journal is what lets a resumed job skip a file without reading it; trusting it for a
    file still in the page cache would, after a power cut, skip a file whose content never
    reached the disk. A per-file fsync in the download path would serialise the transfer on the
    disk, so the syncs run here, in one thread, overlapping the next transfers; the job waits
    for this thread before it reports success. A file renamed but not yet recorded (crash in
    between) is still safe: the next run finds it complete on disk and re-hashes it rather
    than fetching it.
    """

    def __init__(self, ctx: JobContext) -> None:
        self._ctx = ctx
        self._queue: queue.Queue[VerifiedFile | None] = queue.Queue()
        self.error: OSError | None = None
        self.synced = 0
        self._thread = threading.Thread(target=self._run, name="download-fsync", daemon=True)
        self._thread.start()

    def add(self, item: VerifiedFile) -> None:
        self._queue.put(item)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self.error is not None:
                continue
            try:
                fd = os.open(item.dest, os.O_RDONLY)
                try:
                    _sync(fd)
                finally:
                    os.close(fd)
                self.synced += 1
                self._ctx.journal.mark_verified(item.dest, item.sha256, item.size, item.url)
            except OSError as exc:  # the file stays on disk; the next run re-hashes it
                log.warning("could not make %s durable: %s", item.rel, exc.strerror)
                self.error = exc


#: fdatasync where it exists (Linux): the data and the size, not the timestamps.
_sync = getattr(os, "fdatasync", os.fsync)
