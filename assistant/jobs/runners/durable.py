"""Verified downloads become durable before the journal vouches for them.

Kept apart from the download runner: how a verified file is made durable and recorded is what
a small file costs once its bytes are in, and it is measured on its own (bench_download).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from pathlib import Path
from typing import Protocol

from assistant.jobs.context import JobContext

log = logging.getLogger(__name__)

#: How long the recorder lets verified files pile up before it syncs and records them. Waking
#: once per file cost a thread hand-off per file (measured: ~0.1 s of CPU for 500 files of
#: 200 KB on 2 cores); a batch every 50 ms costs a few wake-ups per second, and nothing waits
#: for it but the end of the job.
BATCH_WINDOW = 0.05


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
    disk, so the syncs run here, in one thread, overlapping the next transfers, in batches: each
    file of a batch is fdatasynced, then the whole batch is recorded in one journal transaction.
    The job waits for this thread (close) before it reports success. A file renamed but not yet
    recorded (crash in between) is still safe: the next run finds it complete on disk and
    re-hashes it rather than fetching it.
    """

    def __init__(self, ctx: JobContext) -> None:
        self._ctx = ctx
        self._pending: list[VerifiedFile] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closing = False
        self.error: OSError | None = None
        self.synced = 0
        self._thread = threading.Thread(target=self._run, name="download-fsync", daemon=True)
        self._thread.start()

    def add(self, item: VerifiedFile) -> None:
        """Called by the download workers: an append under a lock, no thread wake-up."""
        with self._lock:
            self._pending.append(item)

    def close(self) -> None:
        """Sync and record what is left, then stop (the job's success waits for this)."""
        with self._lock:
            self._closing = True
        self._wake.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self._wake.wait(BATCH_WINDOW)
            with self._lock:
                batch, self._pending = self._pending, []
                closing = self._closing
            if batch:
                self._record(batch)
            if closing:
                return

    def _record(self, batch: list[VerifiedFile]) -> None:
        if self.error is not None:
            return  # the files stay on disk; the next run re-hashes them
        rows: list[tuple[Path, str, int, int, str]] = []
        try:
            for item in batch:
                try:
                    fd = os.open(item.dest, os.O_RDONLY)
                except FileNotFoundError:
                    # Moved or deleted since it was verified (its folder vanished mid-job): not
                    # vouched for here; where it still exists, the next run re-hashes it. The
                    # others of the batch are still recorded.
                    log.warning("%s vanished before it was recorded", item.rel)
                    continue
                try:
                    _sync(fd)
                    mtime_ns = os.fstat(fd).st_mtime_ns
                finally:
                    os.close(fd)
                rows.append((item.dest, item.sha256, item.size, mtime_ns, item.url))
        except OSError as exc:
            log.warning("could not make %s durable: %s", item.rel, exc.strerror)
            self.error = exc
        if rows:
            try:
                self._ctx.journal.mark_verified_many(rows)
            except sqlite3.Error as exc:  # e.g. another process held the journal too long
                log.warning("verified files not recorded in the journal (%s): the next run re-hashes them", exc)
                return
            self.synced += len(rows)


#: fdatasync where it exists (Linux): the data and the size, not the timestamps.
_sync = getattr(os, "fdatasync", os.fsync)
