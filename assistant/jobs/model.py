"""Jobs as plain data.

A job is what a platform page (or the user's own CLI/UI) asked the assistant to do, plus where it
stands. It carries no behaviour and no Qt: the engine mutates it, and the UI and the CLI (a terminal
bar) read its typed fields, while the bridge (server-sent events) renders `to_public_dict()`.

What a web page may see is decided here, in one place: `to_public_dict()` never holds the bearer
token (which is not even stored on the job) nor local paths (those are the local half of the
typed result, `results.*.local_json()`, read only by the local UI/CLI).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from assistant.errors import ErrorInfo
from assistant.i18n import N_, translate
from assistant.jobs.params import (
    DecryptParams,
    DiagnoseParams,
    DownloadParams,
    JobParams,
    KeygenParams,
    OpenParams,
    PrepareParams,
    SignParams,
    VerifyParams,
)
from assistant.jobs.results import (
    DecryptResult,
    DiagnoseResult,
    DownloadResult,
    JobResult,
    KeygenResult,
    OpenResult,
    PrepareResult,
    SignResult,
    VerifyResult,
)
from assistant.progress import PHASE_LABELS_FR, Count, Phase, label_fr, position_fr, position_text

#: The origin of jobs the user started himself (CLI, main window): the only origin that may name
#: local paths or a key.
LOCAL_ORIGIN = "local"


class JobType(enum.StrEnum):
    SIGN = "sign"
    VERIFY = "verify"
    KEYGEN = "keygen"
    DOWNLOAD = "download"
    OPEN = "open"
    DECRYPT = "decrypt"
    DIAGNOSE = "diagnose"
    PREPARE = "prepare"

    @property
    def kind(self) -> JobKind:
        return JOB_KINDS[self]

    @property
    def title_fr(self) -> str:
        """The name shown in the "Traitements distants" list, as the original assistant words it
        (French, the catalogue's source: shown through `_()`)."""
        return JOB_KINDS[self].title


@dataclass(frozen=True)
class JobKind:
    """What the layers need to know about a job type, said once: its name, the class its validated
    parameters become, the class its result is stored as. The runner that does it is in
    jobs/registry.py (the runners import this module), checked complete when that module loads."""

    title: str
    params: type[JobParams]
    result: type[JobResult]


#: The one table of job types: the descriptor's parameter classes, the journal's result classes,
#: the bridge's capabilities and the window's titles are read from it. A type missing here stops
#: the import below (a half-registered type cannot ship).
JOB_KINDS: dict[JobType, JobKind] = {
    JobType.SIGN: JobKind(N_("Signature électronique"), SignParams, SignResult),
    JobType.VERIFY: JobKind(N_("Vérification de signature"), VerifyParams, VerifyResult),
    JobType.KEYGEN: JobKind(N_("Création d'un bi-clé de chiffrement"), KeygenParams, KeygenResult),
    JobType.DOWNLOAD: JobKind(N_("Téléchargement des plis chiffrés"), DownloadParams, DownloadResult),
    JobType.OPEN: JobKind(N_("Ouverture et déchiffrement en ligne"), OpenParams, OpenResult),
    JobType.DECRYPT: JobKind(N_("Déchiffrement hors ligne"), DecryptParams, DecryptResult),
    JobType.DIAGNOSE: JobKind(N_("Test de la configuration utilisateur"), DiagnoseParams, DiagnoseResult),
    JobType.PREPARE: JobKind(N_("Préparer mon dépôt"), PrepareParams, PrepareResult),
}


def check_complete(table: Mapping[JobType, object], what: str) -> None:
    """Fail at import when a table keyed by job type misses one (or names one that is gone)."""
    missing = set(JobType) - set(table)
    if missing or len(table) != len(JobType):
        raise RuntimeError(f"{what}: no entry for {', '.join(sorted(missing))}")


check_complete(JOB_KINDS, "jobs.model.JOB_KINDS")


class JobState(enum.StrEnum):
    QUEUED = "queued"
    WAITING_USER = "waiting_user"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)

    @property
    def label_fr(self) -> str:
        """The state's name (French source; `_()` where shown, `label_en` for a page)."""
        return _STATE_LABELS[self.value]

    @property
    def label_en(self) -> str:
        return translate(_STATE_LABELS[self.value], "en")


_STATE_LABELS = {
    "queued": N_("En attente"),
    "waiting_user": N_("En attente de votre action"),
    "running": N_("En cours"),
    "succeeded": N_("Terminé"),
    "failed": N_("Échec"),
    "cancelled": N_("Annulé"),
}


@dataclass
class Progress:
    """Where a job stands. `fraction` is the global progress (0..1) or None when unknown.

    Numbers, as the runner reported them (see `assistant.progress.ProgressUpdate`): `step` of
    `steps` (the job's phases), the `phase` with `item` of `items`, the current element as a
    `position` (pli 2 of 5, envelope 1 of 3) or a name, bytes, and `speed_bps`, a smoothed
    transfer speed in bytes per second (0 when nothing moves). `label` and `element_text` are
    the French sentences made from them.
    """

    fraction: float | None = None
    step: int = 0
    steps: int = 0
    phase: Phase = Phase.NONE
    item: int = 0
    items: int = 0
    subject: str = ""
    bytes_done: int = 0
    bytes_total: int = 0
    speed_bps: float = 0.0
    element: str = ""
    position: tuple[Count, ...] = ()

    @property
    def label(self) -> str:
        return label_fr(self.phase, self.item, self.items, self.subject)

    @property
    def element_text(self) -> str:
        return self.element or position_fr(self.position)

    @property
    def label_en(self) -> str:
        """The phase's sentence in English (a page shows `label` or this one; the window its own)."""
        template = PHASE_LABELS_FR.get(self.phase, "")
        return (
            translate(template, "en").format(item=self.item, items=self.items, subject=self.subject) if template else ""
        )

    @property
    def percent(self) -> int | None:
        return None if self.fraction is None else int(self.fraction * 100)

    def to_dict(self) -> dict[str, Any]:
        return {
            "fraction": None if self.fraction is None else round(self.fraction, 4),
            "percent": self.percent,
            "step": self.step,
            "steps": self.steps,
            "label": self.label,
            "label_en": self.label_en,
            "phase": self.phase.value,
            "item": self.item,
            "items": self.items,
            "bytes_done": self.bytes_done,
            "bytes_total": self.bytes_total,
            "speed_bps": round(self.speed_bps),
            "element": self.element_text,
            "element_en": self.element or position_text(self.position, "en"),
        }

    def copy(self) -> Progress:
        return replace(self)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds")


@dataclass
class Job:
    """One job. `params` are the validated descriptor parameters (never the token).

    `result` is the runner's typed result: its public half is what the requesting page may read
    (counts, hashes, names), its local half (destination folder, output files) is for the local
    UI/CLI only (see `assistant.jobs.results`). `error` says why the job failed or was cancelled.
    """

    id: str
    type: JobType
    origin: str
    params: JobParams
    state: JobState = JobState.QUEUED
    progress: Progress = field(default_factory=Progress)
    created_at: dt.datetime = field(default_factory=utcnow)
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    result: JobResult | None = None
    error: ErrorInfo | None = None
    label: str = ""
    #: Platform name given by the descriptor (a safe folder name): default download folder.
    platform: str = ""

    @property
    def is_local(self) -> bool:
        return self.origin == LOCAL_ORIGIN

    @property
    def title_fr(self) -> str:
        return self.label or self.type.title_fr

    def local_result_json(self) -> dict[str, Any]:
        """The local half of the result as JSON (`assistant <job> --json`), never sent to a page."""
        return {} if self.result is None else self.result.local_json()

    def to_public_dict(self) -> dict[str, Any]:
        """What a page (through the bridge) or an event listener may see: the JSON edge.

        Parameters are included only for page-queued jobs (the page sent them; they hold URLs of
        its own origin). Local jobs' parameters may name local paths: they are withheld.
        """
        return {
            "id": self.id,
            "type": self.type.value,
            "title": self.title_fr,
            "origin": self.origin,
            "params": {} if self.is_local else self.params.to_json(),
            "state": self.state.value,
            "state_label": self.state.label_fr,
            "state_label_en": self.state.label_en,
            "progress": self.progress.to_dict(),
            "created_at": _iso(self.created_at),
            "started_at": _iso(self.started_at),
            "ended_at": _iso(self.ended_at),
            "result": None if self.result is None else self.result.to_json(),
            "error": None if self.error is None else self.error.to_json(),
        }

    def snapshot(self) -> Job:
        """A copy that the engine's worker thread will not mutate under the reader's feet
        (params, result and error are frozen: shared)."""
        return replace(self, progress=self.progress.copy())


@dataclass(frozen=True)
class JobEvent:
    """Sent to listeners from worker threads. `kind` is "state" or "progress"; `job` is a
    snapshot (a listener that sends it to a page uses `job.to_public_dict()`)."""

    job_id: str
    kind: str
    job: Job
