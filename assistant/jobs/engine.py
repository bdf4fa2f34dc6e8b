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

import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from assistant.errors import AssistantError, CancelledError, Code
from assistant.jobs.descriptor import DescriptorError, ParsedDescriptor, UrlPolicy, parse_descriptor
from assistant.jobs.errors import JobCode
from assistant.jobs.interaction import UserInteraction
from assistant.jobs.journal import Journal
from assistant.jobs.model import Job, JobEvent, JobState, JobType, Progress, utcnow
from assistant.jobs.params import JobParams
from assistant.jobs.results import JobResult
from assistant.progress import CancelToken, ProgressCallback, ProgressUpdate
from assistant.settings import Settings
from assistant.update.gate import check_remote_jobs_allowed

if TYPE_CHECKING:
    from assistant.keystores.base import Credential, PinCallback, PinRequest

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Minimum interval between two progress events of one job (state changes are never throttled).
PROGRESS_INTERVAL = 0.1
#: Window of the moving average behind `speed_bps`.
SPEED_WINDOW = 3.0
#: Finished jobs kept in memory (the journal keeps the whole history): a tray app runs for weeks.
KEEP_FINISHED = 500

__all__ = ["DescriptorError", "JobContext", "JobEngine", "JobFailed", "Runner", "RunnerEntry"]

P = TypeVar("P", bound=JobParams)


class JobFailed(AssistantError):
    """A runner's failure that still carries a partial result (e.g. 3 files of 45 failed)."""

    code: str = JobCode.JOB_FAILED

    def __init__(self, error: AssistantError, result: JobResult) -> None:
        super().__init__(error.message_fr, error.message_en, code=error.code)
        self.error = error
        self.partial = result


#: What the engine calls for a job: its context and typed parameters in, its typed result out.
Runner = Callable[["JobContext", JobParams], JobResult]


@dataclass(frozen=True)
class RunnerEntry(Generic[P]):
    """A job type's runner with the parameters' class it takes (the registry's entries).

    Calling it checks that the job's parameters are of that class, so each runner is written
    against its own type (`run(ctx, params: SignParams) -> SignResult`)."""

    params: type[P]
    run: Callable[[JobContext, P], JobResult]

    def __call__(self, ctx: JobContext, params: JobParams) -> JobResult:
        if not isinstance(params, self.params):
            raise TypeError(f"{self.params.__name__} expected, got {type(params).__name__}")
        return self.run(ctx, params)


class _ProgressMerger:
    """Turns a runner's ProgressUpdates into the job's Progress, with a windowed speed."""

    def __init__(self) -> None:
        self.samples: deque[tuple[float, int]] = deque()

    def merge(self, progress: Progress, update: ProgressUpdate, fraction: float | None) -> None:
        if update.steps:
            progress.step, progress.steps = update.step, update.steps
        if update.phase:
            progress.phase, progress.item, progress.items, progress.subject = update.phase, update.item, update.items, update.subject
        if update.element or update.position:
            progress.element, progress.position = update.element, update.position
        if update.bytes_total:
            progress.bytes_total = update.bytes_total
            progress.bytes_done = update.bytes_done
            now = time.monotonic()
            if self.samples and update.bytes_done < self.samples[-1][1]:
                self.samples.clear()  # a new phase restarted the byte count
            self.samples.append((now, update.bytes_done))
            while len(self.samples) > 2 and now - self.samples[0][0] > SPEED_WINDOW:
                self.samples.popleft()
            first_t, first_b = self.samples[0]
            progress.speed_bps = (update.bytes_done - first_b) / (now - first_t) if now - first_t > 0.05 else progress.speed_bps
        new_fraction = fraction if fraction is not None else update.fraction
        if new_fraction is not None:
            progress.fraction = max(0.0, min(1.0, new_fraction))


class JobContext:
    """What a runner gets: its job, parameters, token, the user interaction and the journal."""

    def __init__(self, engine: JobEngine, job: Job, cancel: CancelToken) -> None:
        self._engine = engine
        self._job = job
        self.cancel = cancel
        self.merger = _ProgressMerger()
        self._last_emit = 0.0

    # -- data --------------------------------------------------------------------------------

    @property
    def job(self) -> Job:
        return self._job.snapshot()

    @property
    def job_id(self) -> str:
        return self._job.id

    @property
    def params(self) -> JobParams:
        return self._job.params

    @property
    def origin(self) -> str:
        return self._job.origin

    @property
    def platform(self) -> str:
        return self._job.platform

    @property
    def settings(self) -> Settings:
        return self._engine.settings

    @property
    def journal(self) -> Journal:
        return self._engine.journal

    @property
    def interaction(self) -> UserInteraction:
        return self._engine.interaction

    @property
    def token(self) -> str | None:
        """The platform's bearer token for this job (engine memory only; never on the job)."""
        with self._engine._lock:
            return self._engine._tokens.get(self._job.id)

    def url_policy(self, origin: str | None = None) -> UrlPolicy:
        """The URL rule of this job's descriptor (what a redirect may lead to)."""
        return UrlPolicy.for_origin(origin or self._job.origin, self._engine.settings, loopback_http=self._engine.loopback_http)

    def parse_nested(self, descriptor: Mapping[str, Any], origin: str) -> ParsedDescriptor:
        """Validate a descriptor fetched from `descriptor_url` under the same rules."""
        return parse_descriptor(descriptor, origin, self._engine.settings, expected_type=self._job.type, loopback_http=self._engine.loopback_http)

    # -- progress ----------------------------------------------------------------------------

    def report(self, update: ProgressUpdate, *, fraction: float | None = None, force: bool = False) -> None:
        self.cancel.raise_if_cancelled()
        with self._engine._lock:
            progress = self._job.progress
            previous = (progress.step, progress.phase, progress.item, progress.subject)
            self.merger.merge(progress, update, fraction)
            changed = previous != (progress.step, progress.phase, progress.item, progress.subject)
            now = time.monotonic()
            if not (force or changed or now - self._last_emit >= PROGRESS_INTERVAL or self._job.progress.fraction == 1.0):
                return
            self._last_emit = now
        self._engine._emit(self._job, "progress")

    @property
    def progress(self) -> ProgressCallback:
        return self.report

    # -- asking the user ---------------------------------------------------------------------

    def ask(self, question: Callable[[], T]) -> T:
        """Run an interaction while the job shows "waiting for you"."""
        self._engine._set_state(self._job, JobState.WAITING_USER)
        try:
            return question()
        finally:
            self._engine._set_state(self._job, JobState.RUNNING)

    def ask_pin(self, request: PinRequest) -> str | None:
        return self.ask(lambda: self.interaction.ask_pin(request))

    @property
    def pin_callback(self) -> PinCallback:
        return self.ask_pin

    def choose_credential(self, candidates: list[Credential]) -> Credential | None:
        return self.ask(lambda: self.interaction.choose_credential(self.job, candidates))

    def confirm(self, message_fr: str) -> bool:
        return self.ask(lambda: self.interaction.confirm(self.job, message_fr))


class JobEngine:
    def __init__(
        self,
        *,
        interaction: UserInteraction,
        settings: Settings | None = None,
        journal_path: Path | None = None,
        workers: int = 2,
        loopback_http: bool | None = None,
    ) -> None:
        self.interaction = interaction
        self.settings = settings or Settings.load()
        self.loopback_http = loopback_http
        self.journal = Journal(journal_path)
        self.journal.mark_interrupted()
        self._executor = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="job")
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
            raise AssistantError("L'assistant s'arrête : traitement refusé.", "The assistant is shutting down.", code=JobCode.ENGINE_CLOSED)
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
                "Le traitement n'a pas pu être enregistré : il n'est pas lancé.",
                "The job could not be recorded: it was not started.",
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
                    f"Erreur interne pendant le traitement ({type(exc).__name__}).",
                    f"Internal error during the job ({type(exc).__name__}).",
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

    def _finish(self, job: Job, state: JobState, *, error: AssistantError | None = None, outcome: JobResult | None = None) -> None:
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
