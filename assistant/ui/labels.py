"""The words the window uses for what the job layer names: job types and states.

The job layer words them in French (its `title_fr` / `label_fr`, also what the journal keeps); the
window shows them in the user's language. Each French name is marked here for the catalogue, so
`_()` translates it wherever it arrives from the engine or the journal; a title a platform chose
itself (a job's own `label`) is shown as the platform wrote it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.i18n import N_, _
from assistant.jobs.model import JOB_KINDS, JobState
from assistant.progress import PHASE_LABELS_FR, UNIT_LABELS_FR, ProgressUpdate

if TYPE_CHECKING:
    from assistant.jobs.model import Progress

#: job type -> its French name (jobs.model.JOB_KINDS, the one table of job types)
JOB_TITLES = {job_type.value: kind.title for job_type, kind in JOB_KINDS.items()}

#: job state -> its French name (jobs.model.JobState.label_fr), plus the journal's "interrupted"
STATE_LABELS = {state.value: state.label_fr for state in JobState} | {"interrupted": N_("Interrompu")}


def job_title(title: str) -> str:
    """A job's title in the user's language: a type's name or a title the assistant made (both
    French in the journal) is translated; a platform's own title is shown as the platform wrote it."""
    return _(title) if title else title


def state_label(state: str) -> str:
    return _(STATE_LABELS[state]) if state in STATE_LABELS else state


def progress_label(progress: Progress | ProgressUpdate) -> str:
    """The job's current phase in the user's language, made from its numbers (never parsed)."""
    template = PHASE_LABELS_FR.get(progress.phase, "")
    if not template:
        return ""
    return _(template).format(item=progress.item, items=progress.items, subject=progress.subject)


def element_text(progress: Progress | ProgressUpdate) -> str:
    """ "pli 2 sur 5, enveloppe 1 sur 3", or the element's name, in the user's language."""
    if progress.element:
        return progress.element
    return ", ".join(
        _("{unit} {index} sur {total}").format(unit=_(UNIT_LABELS_FR[count.unit]), index=count.index, total=count.total)
        for count in progress.position
    )
