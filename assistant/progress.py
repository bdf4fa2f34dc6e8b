"""Progress reports and cancellation shared by every long operation.

Signing, decryption, downloads and diagnostics report through a `ProgressCallback` and check a
`CancelToken`; the job engine turns the reports into job progress events that the UI, the bridge
(server-sent events) and the CLI (a terminal bar) show. This module sits below every layer so
that none of them needs to know the others.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from assistant.errors import CancelledError
from assistant.i18n import N_, translate


class Phase(enum.StrEnum):
    """What a long operation is doing. Its French label is made from it and the numbers of the
    report, here only (`label_fr`); views read the numbers, never the sentence."""

    NONE = ""
    FETCH_FILES = "fetch_files"
    FETCH_FILES_TO_SIGN = "fetch_files_to_sign"
    CHOOSE_SIGNING_CERTIFICATE = "choose_signing_certificate"
    SIGN = "sign"
    SIGN_FILE = "sign_file"
    SEND_SIGNATURES = "send_signatures"
    VERIFY_FILE = "verify_file"
    DOWNLOAD_PLIS = "download_plis"
    FETCH_ENVELOPES = "fetch_envelopes"
    PRIVATE_KEY = "private_key"
    DECRYPT_ENVELOPE = "decrypt_envelope"
    DECRYPTED = "decrypted"
    EXTRACT_FILE = "extract_file"
    CHECK = "check"
    CHECKS_DONE = "checks_done"
    CREATE_BICLE = "create_bicle"
    SEND_CERTIFICATE = "send_certificate"
    BICLE_CREATED = "bicle_created"
    PREPARE_BID = "prepare_bid"


#: The sentence of each phase; `{item}`, `{items}` and `{subject}` come from the report.
PHASE_LABELS_FR: dict[Phase, str] = {
    Phase.NONE: "",
    Phase.FETCH_FILES: N_("Récupération des fichiers"),
    Phase.FETCH_FILES_TO_SIGN: N_("Récupération des fichiers à signer"),
    Phase.CHOOSE_SIGNING_CERTIFICATE: N_("Choix du certificat de signature"),
    Phase.SIGN: N_("Signature"),
    Phase.SIGN_FILE: N_("Signature du fichier {item} sur {items}"),
    Phase.SEND_SIGNATURES: N_("Envoi des signatures à la plateforme"),
    Phase.VERIFY_FILE: N_("Vérification du fichier {item} sur {items}"),
    Phase.DOWNLOAD_PLIS: N_("Téléchargement des plis chiffrés"),
    Phase.FETCH_ENVELOPES: N_("Récupération des fichiers descripteurs"),
    Phase.PRIVATE_KEY: N_("Récupération de la clé privée dans votre magasin de certificats"),
    Phase.DECRYPT_ENVELOPE: N_("Déchiffrement de l'enveloppe {item} sur {items}"),
    Phase.DECRYPTED: N_("Déchiffrement terminé"),
    Phase.EXTRACT_FILE: N_("Extraction du fichier {item} sur {items}"),
    Phase.CHECK: N_("Test {item} sur {items} : {subject}"),
    Phase.CHECKS_DONE: N_("Test de configuration terminé"),
    Phase.CREATE_BICLE: N_("Création du bi-clé de chiffrement"),
    Phase.SEND_CERTIFICATE: N_("Envoi du certificat public à la plateforme"),
    Phase.BICLE_CREATED: N_("Bi-clé créé"),
    Phase.PREPARE_BID: N_("Préparer mon dépôt"),
}


class Unit(enum.StrEnum):
    """The levels of a position in a job's work ("pli 2 sur 5, enveloppe 1 sur 3")."""

    CONSULTATION = "consultation"
    PLI = "pli"
    ENVELOPE = "envelope"
    FILE = "file"


UNIT_LABELS_FR: dict[Unit, str] = {
    Unit.CONSULTATION: N_("consultation"),
    Unit.PLI: N_("pli"),
    Unit.ENVELOPE: N_("enveloppe"),
    Unit.FILE: N_("fichier"),
}


@dataclass(frozen=True)
class Count:
    """One level of a position: the `index`-th (from 1) of `total` `unit`s."""

    unit: Unit
    index: int
    total: int


def label_fr(phase: Phase, item: int = 0, items: int = 0, subject: str = "") -> str:
    """The French sentence of a phase (the one place it is made)."""
    return PHASE_LABELS_FR[phase].format(item=item, items=items, subject=subject)


def position_text(position: tuple[Count, ...], language: str | None = None) -> str:
    """ "pli 2 sur 5, …" in `language` (the user's when None), through the catalogue."""
    return ", ".join(
        translate("{unit} {index} sur {total}", language).format(
            unit=translate(UNIT_LABELS_FR[c.unit], language), index=c.index, total=c.total
        )
        for c in position
    )


def position_fr(position: tuple[Count, ...]) -> str:
    """ "pli 2 sur 5, enveloppe 1 sur 3, fichier 3 sur 3"."""
    return ", ".join(f"{UNIT_LABELS_FR[c.unit]} {c.index} sur {c.total}" for c in position)


@dataclass(frozen=True)
class ProgressUpdate:
    """One report. Every field is optional; the engine merges reports into the job's progress.

    Numbers only: `phase` with `item` of `items` ("Signature du fichier 5 sur 8" is
    `Phase.SIGN_FILE`, 5, 8) and an optional `subject` (a name the sentence quotes); the current
    element is either a `position` in the job's work (pli 2 of 5, envelope 1 of 3) or the `element`
    name (a file name). `label` and `element_text` are the French sentences made from them.
    """

    step: int = 0
    steps: int = 0
    phase: Phase = Phase.NONE
    item: int = 0
    items: int = 0
    subject: str = ""
    bytes_done: int = 0
    bytes_total: int = 0
    element: str = ""
    position: tuple[Count, ...] = ()

    @property
    def label(self) -> str:
        return label_fr(self.phase, self.item, self.items, self.subject)

    @property
    def element_text(self) -> str:
        return self.element or position_fr(self.position)

    @property
    def fraction(self) -> float | None:
        if self.bytes_total > 0:
            return min(1.0, self.bytes_done / self.bytes_total)
        if self.steps > 0:
            return min(1.0, self.step / self.steps)
        return None


ProgressCallback = Callable[[ProgressUpdate], None]


def ignore_progress(update: ProgressUpdate) -> None:
    """A callback for callers that show no progress."""


class CancelToken:
    """Set by the user (or the page that queued the job); checked between chunks and files."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self.cancelled:
            raise CancelledError()

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds, waking early on cancel (for retry back-off)."""
        return self._event.wait(timeout)

    def linked(self) -> CancelToken:
        """A token that is cancelled when this one is, and can also be cancelled on its own.

        A job stops its own workers with it after a failure (disk full, a refused platform
        certificate) without that stop being taken for the user's cancel: the job then ends
        failed, with the real reason, not "cancelled".
        """
        return _LinkedCancelToken(self)


class _LinkedCancelToken(CancelToken):
    POLL = 0.05  # seconds: how soon a sleeping retry notices the parent's cancel

    def __init__(self, parent: CancelToken) -> None:
        super().__init__()
        self._parent = parent

    @property
    def cancelled(self) -> bool:
        return self._event.is_set() or self._parent.cancelled

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self.cancelled:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._event.wait(min(left, self.POLL))
        return True
