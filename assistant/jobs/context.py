"""What a runner works with: its job's context (`JobContext`), and what it may raise or is.

A runner (`assistant.jobs.registry`) is `run(ctx, params) -> result` on its job type's own
parameter and result classes; it reports progress and asks the user through `ctx`, which the
engine gives it. Kept apart from the engine so that the runners import this module, and the
engine the registry of runners, without an import circle.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from assistant.errors import AssistantError
from assistant.jobs.descriptor import ParsedDescriptor, UrlPolicy, parse_descriptor
from assistant.jobs.errors import JobCode
from assistant.jobs.interaction import FileToSign, UserInteraction
from assistant.jobs.journal import Journal
from assistant.jobs.model import Job, JobState, Progress
from assistant.jobs.params import JobParams
from assistant.jobs.results import JobResult
from assistant.progress import CancelToken, ProgressCallback, ProgressUpdate
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.jobs.engine import JobEngine
    from assistant.keystores.base import Credential, PinCallback, PinRequest

__all__ = ["PROGRESS_INTERVAL", "SPEED_WINDOW", "JobContext", "JobFailed", "Runner", "RunnerEntry"]

T = TypeVar("T")

#: Minimum interval between two progress events of one job (state changes are never throttled).
PROGRESS_INTERVAL = 0.1
#: Window of the moving average behind `speed_bps`.
SPEED_WINDOW = 3.0
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
            progress.phase, progress.item, progress.items, progress.subject = (
                update.phase,
                update.item,
                update.items,
                update.subject,
            )
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
            progress.speed_bps = (
                (update.bytes_done - first_b) / (now - first_t) if now - first_t > 0.05 else progress.speed_bps
            )
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
        return UrlPolicy.for_origin(
            origin or self._job.origin, self._engine.settings, loopback_http=self._engine.loopback_http
        )

    def parse_nested(self, descriptor: Mapping[str, Any], origin: str) -> ParsedDescriptor:
        """Validate a descriptor fetched from `descriptor_url` under the same rules."""
        return parse_descriptor(
            descriptor,
            origin,
            self._engine.settings,
            expected_type=self._job.type,
            loopback_http=self._engine.loopback_http,
        )

    # -- progress ----------------------------------------------------------------------------

    def report(self, update: ProgressUpdate, *, fraction: float | None = None, force: bool = False) -> None:
        self.cancel.raise_if_cancelled()
        with self._engine._lock:
            progress = self._job.progress
            previous = (progress.step, progress.phase, progress.item, progress.subject)
            self.merger.merge(progress, update, fraction)
            changed = previous != (progress.step, progress.phase, progress.item, progress.subject)
            now = time.monotonic()
            if not (
                force or changed or now - self._last_emit >= PROGRESS_INTERVAL or self._job.progress.fraction == 1.0
            ):
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

    def approve_signature(self, files: list[FileToSign]) -> bool:
        return self.ask(lambda: self.interaction.approve_signature(self.job, files))
