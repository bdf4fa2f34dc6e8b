"""Many signed files verified in one run, on the machine's cores: `assistant verify F1 … Fn`.

A buyer checks a whole bid at once: tens or hundreds of signatures. One `Verifier` serves the run
(anchors, trusted lists, libraries loaded once). With enough files and more than one core, the
process verifies the first file (so every library it needs is loaded and warm), then forks
workers that inherit all of it and verify their share (file k of every n), sending back each
report as JSON through a pipe; the outcomes are given in the order of the files, as they come.
Each file's verification is the one `verify_file` does: only where it runs changes.

Only idle cores are used (by the load average), and forking only on Linux (macOS forbids using its system frameworks in a forked child; Windows
has no fork); elsewhere, and for a few files, the files are verified one after the other. A worker
that dies leaves its files to this process, which verifies them itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError

if TYPE_CHECKING:
    from cryptography import x509

    from assistant.signing.verify import Verifier

#: Below this many files per process, a fork (and the worker's own warm-up) costs more than it saves.
MIN_FILES_PER_WORKER = 12


@dataclass(frozen=True)
class Outcome:
    """One file's result: its report (VerificationReport.to_dict()) or the error that stopped it."""

    path: Path
    report: dict[str, Any] | None = None
    error: AssistantError | None = None

    @property
    def ok(self) -> bool:
        return self.report is not None and bool(self.report["ok"])

    def to_json(self) -> dict[str, Any]:
        if self.error is not None:
            return {"error": [self.error.code, self.error.message_fr, self.error.message_en]}
        return {"report": self.report}

    @classmethod
    def from_json(cls, path: Path, data: dict[str, Any]) -> Outcome:
        if "error" in data:
            code, message_fr, message_en = data["error"]
            return cls(path, error=AssistantError(message_fr, message_en, code=code))
        return cls(path, report=data["report"])


def verify_many(
    paths: Sequence[Path],
    *,
    trust_roots: list[x509.Certificate] | None = None,
    allow_fetching: bool = False,
    workers: int | None = None,
) -> Iterator[Outcome]:
    """The outcome of each file of `paths`, in that order; `workers` = processes (None: by cores)."""
    from assistant.signing.verify import Verifier

    with Verifier(trust_roots=trust_roots, allow_fetching=allow_fetching) as verifier:
        count = workers if workers is not None else worker_count(len(paths))
        count = max(1, min(count, len(paths) - 1)) if len(paths) > 1 else 1
        if count == 1 or not _can_fork():
            for path in paths:
                yield _outcome(verifier, path)
            return
        yield _outcome(verifier, paths[0])  # loads and warms what the others need, then forked
        verifier.close()  # no event loop (nor its executor threads) across the fork
        yield from _forked(verifier, paths, count)


def worker_count(files: int) -> int:
    """Processes for `files` files: the idle cores this process may use, each with enough files.

    A core already busy (the load average counts the processes running or waiting to run) gives
    a worker nothing but its start-up and copy-on-write costs: on a saturated machine the files
    are verified by this process alone.
    """
    if not _can_fork():
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    try:
        idle = cores - os.getloadavg()[0]
    except OSError:
        idle = float(cores)
    usable = max(1, min(cores, int(idle + 1)))  # this process's own core, plus the idle ones
    return max(1, min(usable, files // MIN_FILES_PER_WORKER))


def _can_fork() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def _outcome(verifier: Verifier, path: Path) -> Outcome:
    try:
        return Outcome(path, report=verifier.verify(path).to_dict())
    except AssistantError as exc:
        return Outcome(path, error=exc)


def _forked(verifier: Verifier, paths: Sequence[Path], count: int) -> Iterator[Outcome]:
    """Files 1…n-1 shared by this process (index k with k % count == 0) and count-1 workers."""
    results: dict[int, Outcome] = {}
    finished: set[int] = set()  # workers whose pipe is closed (done, or dead)
    done = threading.Condition()
    children: list[int] = []
    pipes: dict[int, int] = {}
    try:
        for worker in range(1, count):  # every fork before any thread of ours starts
            mine = [index for index in range(1, len(paths)) if index % count == worker]
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # the worker: its share, then gone without running the parent's cleanup
                os.close(read_end)
                _work(verifier, paths, mine, write_end)
            os.close(write_end)
            children.append(pid)
            pipes[worker] = read_end
        for worker, read_end in pipes.items():
            threading.Thread(target=_read, args=(worker, read_end, paths, results, finished, done), daemon=True).start()
        for index in range(1, len(paths)):
            if index % count == 0:
                yield _outcome(verifier, paths[index])
                continue
            with done:
                done.wait_for(lambda: index in results or index % count in finished)  # noqa: B023 - waited on here
                outcome = results.pop(index, None)
            # A worker that died left this file: verified here.
            yield outcome if outcome is not None else _outcome(verifier, paths[index])
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)  # only still running if the caller stopped early
            os.waitpid(pid, 0)


def _work(verifier: Verifier, paths: Sequence[Path], mine: list[int], write_end: int) -> None:
    code = 0
    try:
        with os.fdopen(write_end, "w", encoding="utf-8") as out:
            for index in mine:
                outcome = _outcome(verifier, paths[index])
                out.write(json.dumps([index, outcome.to_json()], ensure_ascii=False) + "\n")
                out.flush()
            verifier.close()
    except BaseException:  # a worker never unwinds into its parent's code
        code = 1
    os._exit(code)


def _read(
    worker: int,
    read_end: int,
    paths: Sequence[Path],
    results: dict[int, Outcome],
    finished: set[int],
    done: threading.Condition,
) -> None:
    try:
        with os.fdopen(read_end, encoding="utf-8") as source:
            for line in source:
                try:
                    index, data = json.loads(line)
                    outcome = Outcome.from_json(paths[index], data)
                except (ValueError, KeyError, IndexError, TypeError):
                    continue  # a line cut by a dying worker: that file is verified here
                with done:
                    results[index] = outcome
                    done.notify_all()
    finally:
        with done:
            finished.add(worker)
            done.notify_all()
