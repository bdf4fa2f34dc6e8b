"""Verified downloads become durable before the journal vouches for them.

Kept apart from the download runner: how a verified file is made durable and recorded is what
a small file costs once its bytes are in, and it is measured on its own (bench_download).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

from assistant.jobs.context import JobContext

log = logging.getLogger(__name__)

#: How long the recorder lets verified files pile up before it syncs and records them. Waking
#: once per file cost a thread hand-off per file (measured: ~0.1 s of CPU for 500 files of
#: 200 KB on 2 cores); a batch every 50 ms costs a few wake-ups per second, and nothing waits
#: for it but the end of the job.
BATCH_WINDOW = 0.05
#: Files of a batch synced at once. One thread syncing file after file waits for one journal
#: commit of the file system per file (ext4: ~2-3 ms each, 0.9-1.6 s for 500 files of 200 KB on
#: this VM's disk, more than the whole transfer); syncs issued together share their commits
#: (measured, same 500 files: 0.17 s with 8 threads, 0.12 s with 32, 0.08 s for one syncfs of
#: the whole file system, which would also wait for every other program's unwritten data).
SYNC_THREADS = 8


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
    disk, so the syncs run here, overlapping the next transfers, in batches: the files of a batch
    are fdatasynced together (`SYNC_THREADS` at once, so that they share the file system's journal
    commits), then the whole batch is recorded in one journal transaction.
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
        self._syncers: ThreadPoolExecutor | None = None  # made for the first batch of several files
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
        if self._syncers is not None:
            self._syncers.shutdown()

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
        if len(batch) == 1:
            outcomes = [_make_durable(batch[0])]
        else:
            if self._syncers is None:
                self._syncers = ThreadPoolExecutor(SYNC_THREADS, thread_name_prefix="download-fsync")
            outcomes = list(self._syncers.map(_make_durable, batch))
        rows: list[tuple[Path, str, int, int, str]] = []
        for item, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, OSError):
                log.warning("could not make %s durable: %s", item.rel, outcome.strerror)
                self.error = outcome
            elif outcome is None:
                # Moved or deleted since it was verified (its folder vanished mid-job): not
                # vouched for here; where it still exists, the next run re-hashes it. The
                # others of the batch are still recorded.
                log.warning("%s vanished before it was recorded", item.rel)
            else:
                rows.append((item.dest, item.sha256, item.size, outcome, item.url))
        if rows:
            try:
                self._ctx.journal.mark_verified_many(rows)
            except sqlite3.Error as exc:  # e.g. another process held the journal too long
                log.warning("verified files not recorded in the journal (%s): the next run re-hashes them", exc)
                return
            self.synced += len(rows)


def _make_durable(item: VerifiedFile) -> int | OSError | None:
    """Sync one file's data; its mtime (what the journal checks it against), None if it is gone,
    or the error that kept it from reaching the disk."""
    try:
        fd = os.open(item.dest, os.O_RDONLY)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return exc
    try:
        _sync(fd)
        return os.fstat(fd).st_mtime_ns
    except OSError as exc:
        return exc
    finally:
        os.close(fd)


#: fdatasync where it exists (Linux): the data and the size, not the timestamps.
_sync = getattr(os, "fdatasync", os.fsync)
