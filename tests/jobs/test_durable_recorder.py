"""The durable recorder: verified files reach the journal only after their bytes are synced,
in batches, and a file that vanished before its sync is never vouched for."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from assistant.jobs.journal import Journal
from assistant.jobs.runners import durable
from assistant.jobs.runners.durable import DurableRecorder


@dataclass
class File:
    url: str
    dest: Path
    size: int
    sha256: str
    rel: str


def make(folder: Path, name: str, content: bytes) -> File:
    path = folder / name
    path.write_bytes(content)
    return File(f"https://plateforme.example/{name}", path, len(content), hashlib.sha256(content).hexdigest(), name)


def test_every_file_is_synced_then_recorded_in_one_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    synced: list[int] = []
    real_sync = durable._sync

    def counting_sync(fd: int) -> None:
        synced.append(fd)
        real_sync(fd)

    monkeypatch.setattr(durable, "_sync", counting_sync)
    batches: list[int] = []
    real_many = journal.mark_verified_many

    def counting_many(rows: list[Any]) -> None:
        batches.append(len(rows))
        real_many(rows)

    monkeypatch.setattr(journal, "mark_verified_many", counting_many)
    recorder = DurableRecorder(SimpleNamespace(journal=journal))  # type: ignore[arg-type]
    files = [make(tmp_path, f"piece-{n}.bin", os.urandom(1000 + n)) for n in range(200)]
    for file in files:
        recorder.add(file)
    recorder.close()

    assert len(synced) == 200 and recorder.synced == 200 and recorder.error is None
    assert sum(batches) == 200 and len(batches) < 20, batches  # batches, not one commit per file
    for file in files:
        assert journal.is_verified(file.dest, file.sha256, file.size)


def test_a_file_gone_before_its_sync_is_not_recorded(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    recorder = DurableRecorder(SimpleNamespace(journal=journal))  # type: ignore[arg-type]
    kept = make(tmp_path, "kept.bin", b"a" * 100)
    gone = make(tmp_path, "gone.bin", b"b" * 100)
    after = make(tmp_path, "after.bin", b"c" * 100)
    gone.dest.unlink()
    recorder.add(kept)
    recorder.add(gone)
    recorder.add(after)  # same batch, after the vanished one: still recorded
    recorder.close()
    assert recorder.error is None  # a moved or deleted file is no disk failure
    assert journal.is_verified(kept.dest, kept.sha256, kept.size)
    assert journal.is_verified(after.dest, after.sha256, after.size)
    assert not journal.is_verified(gone.dest, gone.sha256, gone.size)
    assert "gone.bin" in caplog.text


def test_close_waits_for_the_last_files(tmp_path: Path) -> None:
    """The job reports success only after close(): everything added before is recorded by then,
    even when added a moment before the end of the batch window."""
    journal = Journal(tmp_path / "journal.sqlite3")
    recorder = DurableRecorder(SimpleNamespace(journal=journal))  # type: ignore[arg-type]
    time.sleep(durable.BATCH_WINDOW * 0.9)
    last = make(tmp_path, "last.bin", b"z" * 10)
    recorder.add(last)
    recorder.close()
    assert journal.is_verified(last.dest, last.sha256, last.size)
