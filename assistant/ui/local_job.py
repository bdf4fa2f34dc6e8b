"""A job the user starts from one of the local tools, followed where it was started.

The local pages (verification, offline decryption, bi-clé) submit a job of origin "local" to the
engine (the same runners as a page's job: no crypto in the window) and show, below their form,
its progress (step, bar, current element), then its outcome (`ui.outcomes`), the folder to open
and the error in the user's language. The job also appears in "Traitements distants".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from assistant.i18n import _, localized
from assistant.jobs.model import Job, JobEvent, JobState
from assistant.ui.labels import element_text, progress_label
from assistant.ui.outcomes import describe
from assistant.ui.widgets import ERROR_STYLE, ProgressBar, StatusLine

if TYPE_CHECKING:
    from assistant.jobs.engine import JobEngine


class LocalJobPanel(QWidget):
    """Progress, then outcome, of one local job at a time."""

    #: emitted (GUI thread) with the finished Job
    finished = Signal(object)
    _engine_event = Signal(object)

    def __init__(self, engine: JobEngine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("localJobPanel")
        self.engine = engine
        self.job: Job | None = None
        self.folder: str | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        self.status = StatusLine()
        self.status.setObjectName("localJobStatus")
        layout.addWidget(self.status)
        self.bar = ProgressBar()
        self.bar.setObjectName("localJobBar")
        self.bar.setRange(0, 100)
        self.bar.setAccessibleName(_("Avancement"))
        layout.addWidget(self.bar)
        self.element = QLabel()
        self.element.setObjectName("localJobElement")
        self.element.setWordWrap(True)
        layout.addWidget(self.element)
        self.outcome = QLabel()
        self.outcome.setObjectName("localJobOutcome")
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.outcome)
        self.error = QLabel()
        self.error.setObjectName("localJobError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        layout.addWidget(self.error)
        row = QHBoxLayout()
        self.cancel_button = QPushButton(_("Annuler"))
        self.cancel_button.setObjectName("localJobCancel")
        self.cancel_button.clicked.connect(self.cancel)
        row.addWidget(self.cancel_button)
        self.open_folder_button = QPushButton(_("Ouvrir le dossier"))
        self.open_folder_button.setObjectName("localJobOpenFolder")
        self.open_folder_button.clicked.connect(self.open_folder)
        row.addWidget(self.open_folder_button)
        row.addStretch(1)
        layout.addLayout(row)
        self._engine_event.connect(self._on_event)
        self._unsubscribe: Callable[[], None] = engine.subscribe(self._engine_event.emit)
        self._reset()
        self.setVisible(False)

    def _reset(self) -> None:
        self.folder = None
        self.bar.setValue(0)
        for widget in (self.element, self.outcome, self.error, self.open_folder_button):
            widget.setVisible(False)
        self.cancel_button.setVisible(True)
        self.cancel_button.setEnabled(True)

    def dispose(self) -> None:
        self._unsubscribe()

    @property
    def running(self) -> bool:
        return self.job is not None and not self.job.state.terminal

    def start(self, descriptor: Mapping[str, Any]) -> Job | None:
        """Submit the job; a refused descriptor is shown as the error (returns None)."""
        self._reset()
        self.setVisible(True)
        try:
            job = self.engine.submit(descriptor, "local")
        except Exception as exc:  # the engine names the field in the user's language
            self.job = None
            self.status.set("error", _("Le traitement n'a pas pu démarrer."))
            self.error.setText(str(getattr(exc, "message", None) or exc))
            self.error.setVisible(True)
            self.cancel_button.setVisible(False)
            return None
        self.job = job
        self.status.set("running", _("Traitement en cours…"))
        current = self.engine.get(job.id)
        if current is not None:
            self._show(current)
        return job

    def cancel(self) -> None:
        if self.job is not None:
            self.cancel_button.setEnabled(False)
            self.engine.cancel(self.job.id)

    def open_folder(self) -> None:
        if self.folder:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.folder))

    def _on_event(self, event: JobEvent) -> None:
        if self.job is not None and event.job_id == self.job.id:
            self._show(event.job)

    def _show(self, job: Job) -> None:
        self.job = job
        progress = job.progress
        if job.state is JobState.WAITING_USER:
            self.status.set("running", _("En attente de votre action (code PIN, choix du certificat ou confirmation)…"))
        elif not job.state.terminal:
            self.status.set("running", progress_label(progress) or _("Traitement en cours…"))
        if progress.percent is not None:
            self.bar.setRange(0, 100)
            self.bar.setValue(progress.percent)
        elif not job.state.terminal:
            self.bar.setRange(0, 0)
        element = element_text(progress)
        self.element.setText(_("Élément en cours : {element}").format(element=element) if element else "")
        self.element.setVisible(bool(element) and not job.state.terminal)
        if not job.state.terminal:
            return
        self.bar.setRange(0, 100)
        self.bar.setValue(100 if job.state is JobState.SUCCEEDED else self.bar.value())
        self.cancel_button.setVisible(False)
        outcome = describe(job.result)
        self.outcome.setText("\n".join(outcome.lines))
        self.outcome.setVisible(bool(outcome.lines))
        self.folder = outcome.folder
        self.open_folder_button.setVisible(bool(outcome.folder))
        if job.state is JobState.SUCCEEDED:
            self.status.set("ok", _("Traitement terminé."))
        elif job.state is JobState.CANCELLED:
            self.status.set("warning", _("Traitement annulé."))
        else:
            self.status.set("error", _("Le traitement a échoué."))
        if job.error is not None and job.state is not JobState.SUCCEEDED:
            self.error.setText(localized(job.error.message, job.error.message_en))
            self.error.setVisible(True)
        self.finished.emit(job)
