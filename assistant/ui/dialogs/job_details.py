"""A job of the history, opened: when, who asked, how it ended, and what it produced."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from assistant.i18n import _, localized
from assistant.ui.labels import job_title, state_label
from assistant.ui.outcomes import describe
from assistant.ui.platforms import platform_label
from assistant.ui.widgets import fmt_datetime

if TYPE_CHECKING:
    from assistant.jobs.journal import HistoryEntry
    from assistant.jobs.results import JobResult


class JobDetailsDialog(QDialog):
    def __init__(
        self,
        entry: HistoryEntry,
        parent: QWidget | None = None,
        result: JobResult | None = None,
        platform_names: Mapping[str, str] | None = None,
    ) -> None:
        """`result` is the engine's own (with its local part: folders) when it still knows the job;
        the journal keeps what a page may see."""
        super().__init__(parent)
        self.setObjectName("jobDetailsDialog")
        self.setWindowTitle(job_title(entry.title))
        self.setMinimumSize(520, 360)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        if entry.origin == "local":
            origin = _("Vous-même (cet ordinateur)")
        else:  # the platform's name, and here (the details) its full address too
            name = platform_label(entry.origin, platform_names)
            origin = entry.origin if name == entry.origin else f"{name} ({entry.origin})"
        for label, value in (
            (_("Traitement"), job_title(entry.title)),
            (_("Origine"), origin),
            (_("Début"), fmt_datetime(entry.started_at or entry.created_at)),
            (_("Fin"), fmt_datetime(entry.ended_at)),
            (_("Résultat"), state_label(entry.state)),
        ):
            text = QLabel(value)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            text.setWordWrap(True)
            form.addRow(label + " :", text)
        layout.addLayout(form)
        if entry.error is not None:
            error = QLabel(localized(entry.error.message, entry.error.message_en))
            error.setObjectName("jobDetailsError")
            error.setWordWrap(True)
            error.setStyleSheet("color: #c0392b;")
            layout.addWidget(error)
        outcome = describe(result or entry.result)
        self.outcome = QPlainTextEdit("\n".join(outcome.lines) or _("Ce traitement n'a pas laissé de résultat."))
        self.outcome.setObjectName("jobDetailsOutcome")
        self.outcome.setAccessibleName(_("Résultat du traitement"))
        self.outcome.setReadOnly(True)
        layout.addWidget(self.outcome, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.folder = outcome.folder
        if outcome.folder and Path(outcome.folder).is_dir():
            open_button = buttons.addButton(_("Ouvrir le dossier"), QDialogButtonBox.ButtonRole.ActionRole)
            open_button.setObjectName("jobDetailsOpenFolder")
            folder = outcome.folder
            open_button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(folder)))
        layout.addWidget(buttons)
