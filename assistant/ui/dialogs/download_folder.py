"""The folder question where no jobs page shows it (the interaction used without a window)."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from assistant.i18n import _
from assistant.ui.destination import DestinationBlock
from assistant.ui.dialogs.base import on_top, requester
from assistant.ui.folder_questions import FolderQuestion
from assistant.ui.labels import job_title


class DownloadFolderDialog(QDialog):
    def __init__(self, question: FolderQuestion, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("downloadFolderDialog")
        self.setWindowTitle(job_title(question.job.title_fr))
        on_top(self)
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        heading = QLabel(
            _(
                "<b>{title}</b><br>Traitement demandé par : {requester}<br>"
                "Nombre de plis chiffrés à télécharger : {count}"
            ).format(
                title=escape(job_title(question.job.title_fr)),
                requester=escape(requester(question.job)),
                count=question.summary.plis,
            )
        )
        heading.setObjectName("downloadFolderHeading")
        heading.setWordWrap(True)
        layout.addWidget(heading)
        self.block = DestinationBlock()
        layout.addWidget(self.block)
        self.block.ask(question)
        buttons = QDialogButtonBox()
        cancel = buttons.addButton(_("Annuler"), QDialogButtonBox.ButtonRole.RejectRole)
        cancel.setObjectName("downloadFolderCancel")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        question.closed.connect(self.accept)
