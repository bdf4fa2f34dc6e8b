"""The job engine: validates descriptors, queues jobs, runs them on a small worker pool.

Each job type has a runner (`assistant.jobs.registry.RUNNERS`: `run(ctx, params) -> result`, with
the job type's own parameter and result classes) that does the work and reports through
`ctx.progress` (a plain `ProgressCallback`). The engine merges those reports into
the job's `Progress` (computing a smoothed speed), throttles them, and hands `JobEvent`s to
listeners: the UI, the bridge's server-sent events and the CLI's progress bar are three views of
the same stream. Cancel is cooperative: runners check `ctx.cancel` between chunks and files and
write only to temporary names that they rename when complete, so a cancelled job leaves nothing
half-written.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError, CancelledError, Code
from assistant.i18n import M_
from assistant.jobs.context import JobContext, JobFailed, Runner, RunnerEntry
from assistant.jobs.descriptor import DescriptorError, parse_descriptor
from assistant.jobs.errors import JobCode
from assistant.jobs.interaction import UserInteraction
from assistant.jobs.journal import Journal
from assistant.jobs.model import Job, JobEvent, JobState, JobType, utcnow
from assistant.jobs.results import JobResult
from assistant.progress import CancelToken
from assistant.settings import Settings
from assistant.update.gate import check_remote_jobs_allowed

log = logging.getLogger(__name__)

#: Finished jobs kept in memory (the journal keeps the whole history): a tray app runs for weeks.
KEEP_FINISHED = 500

#: JobContext, JobFailed, Runner and RunnerEntry live in assistant.jobs.context (what runners
#: import); named here too for the engine's callers.
__all__ = ["DescriptorError", "JobContext", "JobEngine", "JobFailed", "Runner", "RunnerEntry"]


#: How much nicer than the window's thread a job's threads run when a window shares the process.
BACKGROUND_NICENESS = 5
#: The GIL's switch interval then (Python's default is 5 ms): a job's Python work (signing setup,
#: parsing) hands the interpreter back to the GUI thread sooner (worst tick at load 10: 186 -> 70 ms).
BACKGROUND_SWITCH_INTERVAL = 0.001


def lower_thread_priority() -> None:
    """Run the calling thread (and the threads it starts) below the window's.

    A job hashing or decrypting a gigabyte competes for the CPU with the GUI thread of the same
    process; the scheduler then makes the event loop wait behind it (ticks 60-90 ms late at load
    10 on two cores). Linux gives each thread its own nice value; elsewhere nothing changes.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICENESS)


class JobEngine:
    def __init__(
        self,
        *,
        interaction: UserInteraction,
        settings: Settings | None = None,
        journal_path: Path | None = None,
        workers: int = 2,
        loopback_http: bool | None = None,
        background: bool = False,
    ) -> None:
        """`background`: a window shares the process, its thread first (lower_thread_priority,
        BACKGROUND_SWITCH_INTERVAL)."""
        if background:
            sys.setswitchinterval(min(sys.getswitchinterval(), BACKGROUND_SWITCH_INTERVAL))
        self.interaction = interaction
        self.settings = settings or Settings.load()
        self.loopback_http = loopback_http
        self.journal = Journal(journal_path)
        self.journal.mark_interrupted()
        self._executor = ThreadPoolExecutor(
            max_workers=max(1, workers),
            thread_name_prefix="job",
            initializer=lower_thread_priority if background else None,
        )
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._jobs: dict[str, Job] = {}
        self._cancels: dict[str, CancelToken] = {}
        #: Bearer tokens by job id, in memory only: a job resumed after a restart gets a fresh
        #: descriptor (and token) from its platform.
        self._tokens: dict[str, str] = {}
        self._futures: dict[str, Future[None]] = {}
        self._listeners: list[Callable[[JobEvent], None]] = []
        self._runners: dict[JobType, Runner] = {}
        #: Jobs whose end was announced to the listeners (what wait() waits for).
        self._announced: set[str] = set()
        self._closed = False

    # -- public API (see docs/protocol.md and docs/bridge.md) ----------------------------

    def submit(self, descriptor: Mapping[str, Any], origin: str) -> Job:
        """Validate and queue. Raises DescriptorError (naming the field); no job exists then."""
        if self._closed:
            raise AssistantError(
                M_("L'assistant s'arrête : traitement refusé."),
                code=JobCode.ENGINE_CLOSED,
            )
        if origin != "local":  # an outdated assistant refuses pages' jobs until updated (issue 14)
            check_remote_jobs_allowed()
        parsed = parse_descriptor(descriptor, origin, self.settings, loopback_http=self.loopback_http)
        job = Job(
            id=uuid.uuid4().hex,
            type=parsed.type,
            origin=origin if origin == "local" else parsed_origin(origin),
            params=parsed.params,
            label=parsed.label,
            platform=parsed.platform,
        )
        cancel = CancelToken()
        # The journal first: a job it cannot record never exists in memory (no queued ghost
        # holding its token, no list of jobs that cannot be answered).
        try:
            self.journal.record_job(job)
        except Exception as exc:
            log.exception("job %s could not be recorded in the journal", job.id)
            raise AssistantError(
                M_("Le traitement n'a pas pu être enregistré : il n'est pas lancé."),
                code=JobCode.JOURNAL_FAILED,
            ) from exc
        with self._lock:
            if parsed.token:
                self._tokens[job.id] = parsed.token
            self._jobs[job.id] = job
            self._cancels[job.id] = cancel
        self._emit(job, "state")
        self._futures[job.id] = self._executor.submit(self._run, job, cancel)
        log.info("job %s (%s) queued by %s", job.id, job.type.value, job.origin)
        return job.snapshot()

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return job.snapshot() if job else None

    def jobs(self, origin: str | None = None) -> list[Job]:
        with self._lock:
            return [j.snapshot() for j in self._jobs.values() if origin is None or j.origin == origin]

    def cancel(self, job_id: str) -> bool:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.state.terminal:
                return False
            self._cancels[job_id].cancel()
            future = self._futures.get(job_id)
            queued = job.state is JobState.QUEUED
        if queued and future is not None and future.cancel():
            self._finish(job, JobState.CANCELLED, error=CancelledError())
        return True

    def subscribe(self, listener: Callable[[JobEvent], None]) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def wait(self, job_id: str, timeout: float | None = None) -> Job | None:
        """Block until the job ends (for the CLI and tests)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while True:
                job = self._jobs.get(job_id)
                if job is None or job_id in self._announced:
                    return job.snapshot() if job else None
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return job.snapshot()
                self._changed.wait(remaining if remaining is not None else 1.0)

    def register_runner(self, job_type: JobType, runner: Runner) -> None:
        """Replace a job type's runner (embedders and tests of the engine itself)."""
        self._runners[job_type] = runner

    def shutdown(self, wait: bool = True) -> None:
        self._closed = True
        with self._lock:
            pending = [j.id for j in self._jobs.values() if not j.state.terminal]
        for job_id in pending:
            self.cancel(job_id)
        self._executor.shutdown(wait=wait, cancel_futures=True)
        if wait:
            self.journal.close()

    # -- internals ---------------------------------------------------------------------------

    def _runner_for(self, job_type: JobType) -> Runner:
        if job_type in self._runners:
            return self._runners[job_type]
        # Imported here: the runners import this module (JobContext), and a CLI command that
        # never runs a job should not pay for importing every runner.
        from assistant.jobs.registry import RUNNERS

        return RUNNERS[job_type]

    def _run(self, job: Job, cancel: CancelToken) -> None:
        if cancel.cancelled:
            self._finish(job, JobState.CANCELLED, error=CancelledError())
            return
        with self._lock:
            job.started_at = utcnow()
        self._set_state(job, JobState.RUNNING)
        ctx = JobContext(self, job, cancel)
        try:
            outcome = self._runner_for(job.type)(ctx, job.params)
        except CancelledError as exc:
            self._finish(job, JobState.CANCELLED, error=exc)
        except JobFailed as exc:
            self._finish(job, JobState.FAILED, error=exc.error, outcome=exc.partial)
        except AssistantError as exc:
            if cancel.cancelled:
                self._finish(job, JobState.CANCELLED, error=CancelledError())
            else:
                self._finish(job, JobState.FAILED, error=exc)
        except Exception as exc:
            log.exception("job %s crashed", job.id)
            self._finish(
                job,
                JobState.FAILED,
                error=AssistantError(
                    M_("Erreur interne pendant le traitement ({name}).", name=type(exc).__name__),
                    code=Code.INTERNAL,
                ),
            )
        else:
            if cancel.cancelled:
                self._finish(job, JobState.CANCELLED, error=CancelledError(), outcome=outcome)
            else:
                with self._lock:
                    job.progress.fraction = 1.0
                self._finish(job, JobState.SUCCEEDED, outcome=outcome)

    def _finish(
        self, job: Job, state: JobState, *, error: AssistantError | None = None, outcome: JobResult | None = None
    ) -> None:
        with self._lock:
            if job.state.terminal:
                return
            job.ended_at = utcnow()
            if outcome is not None:
                job.result = outcome
            if error is not None:
                job.error = error.info()
            self._tokens.pop(job.id, None)
        self._set_state(job, state)
        self._prune()
        log.info("job %s ended: %s", job.id, state.value)

    def _prune(self) -> None:
        with self._lock:
            finished = [j for j in self._jobs.values() if j.state.terminal and j.id in self._announced]
            for job in finished[: max(0, len(finished) - KEEP_FINISHED)]:
                for table in (self._jobs, self._cancels, self._futures):
                    table.pop(job.id, None)  # type: ignore[attr-defined]
                self._announced.discard(job.id)

    def _set_state(self, job: Job, state: JobState) -> None:
        with self._lock:
            if job.state.terminal or job.state is state:
                return
            job.state = state
            self._changed.notify_all()
        try:
            self.journal.record_job(job)
        except Exception:
            log.exception("journal write failed for job %s", job.id)
        self._emit(job, "state")
        if state.terminal:
            with self._lock:
                self._announced.add(job.id)
                self._changed.notify_all()

    def _emit(self, job: Job, kind: str) -> None:
        with self._lock:
            event = JobEvent(job.id, kind, job.snapshot())
            listeners = list(self._listeners)
            self._changed.notify_all()
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.exception("job listener failed")


def parsed_origin(origin: str) -> str:
    """Keep the page's origin as the browser sent it, minus any trailing slash."""
    return origin.rstrip("/")
