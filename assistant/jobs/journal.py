"""The job journal: SQLite in the user data folder.

Two things live here. The "Traitements distants" history (what ran, when it started and ended,
how it ended), shown by the UI and `assistant jobs`. And the resume state: which downloaded files
were already verified against their SHA-256 (so a restarted download never fetches them again) and
which envelopes an online opening already decrypted and delivered. Several processes (the tray
app, a CLI download) may share the file: WAL mode and a busy timeout keep them out of each
other's way. Nothing secret is ever written here (no token, no PIN, no decrypted content).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant import paths
from assistant.errors import ErrorInfo
from assistant.i18n import M_
from assistant.jobs.errors import JobCode
from assistant.jobs.model import JOB_KINDS, Job, JobType
from assistant.jobs.results import (
    JobResult,
)

JOURNAL_FILE = "journal.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    origin TEXT NOT NULL,
    title TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    ended_at TEXT,
    result TEXT,
    error TEXT,
    pid INTEGER
);
-- The history is read newest first, a page at a time (the window fetches rows as they scroll
-- into view): without this index each page sorts the whole table.
CREATE INDEX IF NOT EXISTS jobs_by_creation ON jobs (created_at);
-- Unfinished jobs, looked for at every start (mark_interrupted).
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state);
CREATE TABLE IF NOT EXISTS verified_files (
    path TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    url TEXT NOT NULL,
    verified_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS done_items (
    scope TEXT NOT NULL,
    item TEXT NOT NULL,
    done_at REAL NOT NULL,
    PRIMARY KEY (scope, item)
);
"""


INTERRUPTED = M_("Traitement interrompu (arrêt de l'assistant).")

#: The result class of each job type: the journal's JSON becomes one of these (JSON stops here).
RESULT_TYPES: dict[JobType, type[JobResult]] = {job_type: kind.result for job_type, kind in JOB_KINDS.items()}


def result_from_json(job_type: str, text: str | None) -> JobResult | None:
    """A stored result, or None when there is none or it is not readable as this version's
    result (a row written by an older version): the history still shows the job."""
    if not text:
        return None
    try:
        return RESULT_TYPES[JobType(job_type)].from_json(json.loads(text))
    except (ValueError, KeyError, TypeError):
        return None


def error_from_json(text: str | None) -> ErrorInfo | None:
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return ErrorInfo.from_json(data) if isinstance(data, dict) else None


@dataclass(frozen=True)
class HistoryEntry:
    id: str
    type: str
    origin: str
    title: str
    state: str
    created_at: str
    started_at: str | None
    ended_at: str | None
    result: JobResult | None
    error: ErrorInfo | None

    def to_json(self) -> dict[str, Any]:
        """`assistant jobs --json`: the row with its result and error as a page would see them."""
        return {
            "id": self.id,
            "type": self.type,
            "origin": self.origin,
            "title": self.title,
            "state": self.state,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "result": None if self.result is None else self.result.to_json(),
            "error": None if self.error is None else self.error.to_json(),
        }


_HISTORY_SELECT = "SELECT id,type,origin,title,state,created_at,started_at,ended_at,result,error FROM jobs "


def _history_entry(r: tuple[Any, ...]) -> HistoryEntry:
    return HistoryEntry(
        id=r[0],
        type=r[1],
        origin=r[2],
        title=r[3],
        state=r[4],
        created_at=r[5],
        started_at=r[6],
        ended_at=r[7],
        result=result_from_json(r[1], r[8]),
        error=error_from_json(r[9]),
    )


class Journal:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.data_dir() / JOURNAL_FILE
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- history ---------------------------------------------------------------------------

    def record_job(self, job: Job) -> None:
        row = (
            job.id,
            job.type.value,
            job.origin,
            job.title_fr,
            job.state.value,
            job.created_at.isoformat(timespec="seconds"),
            job.started_at.isoformat(timespec="seconds") if job.started_at else None,
            job.ended_at.isoformat(timespec="seconds") if job.ended_at else None,
            json.dumps(job.result.to_json(), ensure_ascii=False) if job.result is not None else None,
            json.dumps(job.error.to_json(), ensure_ascii=False) if job.error is not None else None,
            os.getpid(),
        )
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO jobs VALUES (?,?,?,?,?,?,?,?,?,?,?)", row)

    def history(self, limit: int = 200, offset: int = 0) -> list[HistoryEntry]:
        """Jobs newest first: `limit` of them after the first `offset` (one page of the history)."""
        with self._lock:
            rows = self._db.execute(
                _HISTORY_SELECT + "ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return [_history_entry(r) for r in rows]

    def history_entry(self, job_id: str) -> HistoryEntry | None:
        """One job of the history (the window keeps only the texts of the rows it shows)."""
        with self._lock:
            row = self._db.execute(_HISTORY_SELECT + "WHERE id=?", (job_id,)).fetchone()
        return None if row is None else _history_entry(row)

    def history_count(self) -> int:
        """How many jobs the history holds (the window sizes its list without reading them)."""
        with self._lock:
            row = self._db.execute("SELECT count(*) FROM jobs").fetchone()
        return int(row[0])

    def mark_interrupted(self) -> int:
        """Jobs left unfinished by a process that is gone (crash, reboot, SIGKILL) end as failed."""
        error = json.dumps(
            ErrorInfo(JobCode.INTERRUPTED, INTERRUPTED.text("fr"), INTERRUPTED.text("en")).to_json(),
            ensure_ascii=False,
        )
        with self._lock:
            rows = self._db.execute(
                "SELECT id, pid FROM jobs WHERE state IN ('queued','waiting_user','running')"
            ).fetchall()
            gone = [r[0] for r in rows if r[1] is None or not _pid_alive(int(r[1]))]
            for job_id in gone:
                self._db.execute(
                    "UPDATE jobs SET state='failed', error=?, ended_at=COALESCE(ended_at, datetime('now')) WHERE id=?",
                    (error, job_id),
                )
        return len(gone)

    # -- verified downloads ----------------------------------------------------------------

    def is_verified(self, path: Path, sha256: str, size: int) -> bool:
        """True when `path` was verified against `sha256` and has not changed since."""
        with self._lock:
            row = self._db.execute(
                "SELECT sha256, size, mtime_ns FROM verified_files WHERE path=?", (str(path),)
            ).fetchone()
        if row is None or row[0] != sha256 or row[1] != size:
            return False
        try:
            stat = path.stat()
        except OSError:
            return False
        return stat.st_size == size and stat.st_mtime_ns == row[2]

    def mark_verified(self, path: Path, sha256: str, size: int, url: str) -> None:
        stat = path.stat()
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO verified_files VALUES (?,?,?,?,?,?)",
                (str(path), sha256, size, stat.st_mtime_ns, url, time.time()),
            )

    def mark_verified_many(self, rows: list[tuple[Path, str, int, int, str]]) -> None:
        """(path, sha256, size, mtime_ns, url) rows in one transaction: one commit for a batch
        of small files instead of one each."""
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO verified_files VALUES (?,?,?,?,?,?)",
                    [(str(path), sha256, size, mtime_ns, url, now) for path, sha256, size, mtime_ns, url in rows],
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def forget_verified(self, path: Path) -> None:
        with self._lock:
            self._db.execute("DELETE FROM verified_files WHERE path=?", (str(path),))

    # -- generic done-items (online opening) ----------------------------------------------

    def is_done(self, scope: str, item: str) -> bool:
        with self._lock:
            return (
                self._db.execute("SELECT 1 FROM done_items WHERE scope=? AND item=?", (scope, item)).fetchone()
                is not None
            )

    def mark_done(self, scope: str, item: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO done_items VALUES (?,?,?)", (scope, item, time.time()))

    def clear_scope(self, scope: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM done_items WHERE scope=?", (scope,))


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True
