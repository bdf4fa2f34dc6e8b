"""Jobs as plain data.

A job is what a platform page (or the user's own CLI/UI) asked the assistant to do, plus where it
stands. It carries no behaviour and no Qt: the engine mutates it, and the UI, the bridge (server-sent
events) and the CLI (a terminal bar) each render the same `to_public_dict()` or read the fields.

What a web page may see is decided here, in one place: `to_public_dict()` never holds the bearer
token (which is not even stored on the job) nor local paths (those live in `local_result`, read
only by the local UI/CLI).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any

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

    @property
    def title_fr(self) -> str:
        """The name shown in the "Traitements distants" list, as the original assistant words it."""
        return {
            "sign": "Signature électronique",
            "verify": "Vérification de signature",
            "keygen": "Création d'un bi-clé de chiffrement",
            "download": "Téléchargement des plis chiffrés",
            "open": "Ouverture et déchiffrement en ligne",
            "decrypt": "Déchiffrement hors ligne",
            "diagnose": "Test de la configuration utilisateur",
        }[self.value]


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
        return {
            "queued": "En attente",
            "waiting_user": "En attente de votre action",
            "running": "En cours",
            "succeeded": "Terminé",
            "failed": "Échec",
            "cancelled": "Annulé",
        }[self.value]


@dataclass
class Progress:
    """Where a job stands. `fraction` is the global progress (0..1) or None when unknown.

    `step`/`steps`/`label` follow the job's phases ("Déchiffrement de l'enveloppe 3 sur 12");
    `element` names the current item ("pli 2 sur 5, enveloppe 1 sur 3, fichier 3 sur 3");
    `speed_bps` is a smoothed transfer speed in bytes per second (0 when nothing moves).
    """

    fraction: float | None = None
    step: int = 0
    steps: int = 0
    label: str = ""
    bytes_done: int = 0
    bytes_total: int = 0
    speed_bps: float = 0.0
    element: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "fraction": None if self.fraction is None else round(self.fraction, 4),
            "percent": None if self.fraction is None else int(self.fraction * 100),
            "step": self.step,
            "steps": self.steps,
            "label": self.label,
            "bytes_done": self.bytes_done,
            "bytes_total": self.bytes_total,
            "speed_bps": round(self.speed_bps),
            "element": self.element,
        }

    def copy(self) -> Progress:
        return Progress(**vars(self))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds")


@dataclass
class Job:
    """One job. `params` are the validated descriptor parameters (never the token).

    `result` is what the requesting page may read (counts, hashes, names); `local_result` holds
    local paths (destination folder, output files) for the local UI/CLI only. `error` is an
    `AssistantError.to_dict()` (code, French message, English message).
    """

    id: str
    type: JobType
    origin: str
    params: dict[str, Any]
    state: JobState = JobState.QUEUED
    progress: Progress = field(default_factory=Progress)
    created_at: dt.datetime = field(default_factory=utcnow)
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    result: dict[str, Any] | None = None
    error: dict[str, str] | None = None
    label: str = ""
    #: Platform name given by the descriptor (a safe folder name): default download folder.
    platform: str = ""
    local_result: dict[str, Any] = field(default_factory=dict)

    @property
    def is_local(self) -> bool:
        return self.origin == LOCAL_ORIGIN

    @property
    def title_fr(self) -> str:
        return self.label or self.type.title_fr

    def to_public_dict(self) -> dict[str, Any]:
        """What a page (through the bridge) or an event listener may see.

        Parameters are included only for page-queued jobs (the page sent them; they hold URLs of
        its own origin). Local jobs' parameters may name local paths: they are withheld.
        """
        return {
            "id": self.id,
            "type": self.type.value,
            "title": self.title_fr,
            "origin": self.origin,
            "params": {} if self.is_local else dict(self.params),
            "state": self.state.value,
            "state_label": self.state.label_fr,
            "progress": self.progress.to_dict(),
            "created_at": _iso(self.created_at),
            "started_at": _iso(self.started_at),
            "ended_at": _iso(self.ended_at),
            "result": None if self.result is None else dict(self.result),
            "error": None if self.error is None else dict(self.error),
        }

    def snapshot(self) -> Job:
        """A copy that the engine's worker thread will not mutate under the reader's feet."""
        return Job(
            id=self.id,
            type=self.type,
            origin=self.origin,
            params=dict(self.params),
            state=self.state,
            progress=self.progress.copy(),
            created_at=self.created_at,
            started_at=self.started_at,
            ended_at=self.ended_at,
            result=None if self.result is None else dict(self.result),
            error=None if self.error is None else dict(self.error),
            label=self.label,
            platform=self.platform,
            local_result=dict(self.local_result),
        )


@dataclass(frozen=True)
class JobEvent:
    """Sent to listeners from worker threads. `kind` is "state" or "progress"; `job` is public."""

    job_id: str
    kind: str
    job: dict[str, Any]
