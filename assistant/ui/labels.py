"""The words the window uses for what the job layer names: job types and states.

The job layer words them in French (its `title_fr` / `label_fr`, also what the journal keeps); the
window shows them in the user's language. Each French name is marked here for the catalogue, so
`_()` translates it wherever it arrives from the engine or the journal; a title a platform chose
itself (a job's own `label`) is shown as the platform wrote it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.i18n import N_, _
from assistant.progress import PHASE_LABELS_FR, UNIT_LABELS_FR

if TYPE_CHECKING:
    from assistant.jobs.model import Progress

#: job type -> its French name (the same words as jobs.model.JobType.title_fr)
JOB_TITLES = {
    "sign": N_("Signature électronique"),
    "verify": N_("Vérification de signature"),
    "keygen": N_("Création d'un bi-clé de chiffrement"),
    "download": N_("Téléchargement des plis chiffrés"),
    "open": N_("Ouverture et déchiffrement en ligne"),
    "decrypt": N_("Déchiffrement hors ligne"),
    "diagnose": N_("Test de la configuration utilisateur"),
    "prepare": N_("Préparer mon dépôt"),
}

#: job state -> its French name (jobs.model.JobState.label_fr), plus the journal's "interrupted"
STATE_LABELS = {
    "queued": N_("En attente"),
    "waiting_user": N_("En attente de votre action"),
    "running": N_("En cours"),
    "succeeded": N_("Terminé"),
    "failed": N_("Échec"),
    "cancelled": N_("Annulé"),
    "interrupted": N_("Interrompu"),
}


def job_title(title: str) -> str:
    """A job's title in the user's language (a known type's name is translated)."""
    return _(title) if title in JOB_TITLES.values() else title


def state_label(state: str) -> str:
    return _(STATE_LABELS[state]) if state in STATE_LABELS else state


def progress_label(progress: Progress) -> str:
    """The job's current phase in the user's language, made from its numbers (never parsed)."""
    template = PHASE_LABELS_FR.get(progress.phase, "")
    if not template:
        return ""
    return _(template).format(item=progress.item, items=progress.items, subject=progress.subject)


def element_text(progress: Progress) -> str:
    """ "pli 2 sur 5, enveloppe 1 sur 3", or the element's name, in the user's language."""
    if progress.element:
        return progress.element
    return ", ".join(
        _("{unit} {index} sur {total}").format(unit=_(UNIT_LABELS_FR[count.unit]), index=count.index, total=count.total)
        for count in progress.position
    )
