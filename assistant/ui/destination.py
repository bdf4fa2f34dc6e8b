""" "Répertoire de destination": where a bulk download writes, asked in the job's card.

While a question is open the field is editable (typed, pasted, or filled by PARCOURIR) and
LANCER LE TÉLÉCHARGEMENT checks the folder before answering: an unusable one shows the reason in
red and the question stays open. Afterwards the block shows the folder the plis go to.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from assistant.errors import OutputError
from assistant.i18n import N_, _
from assistant.jobs.interaction import prepare_download_folder
from assistant.ui.folder_questions import FolderQuestion
from assistant.ui.widgets import ERROR_STYLE, section

#: The original assistant's words for the destination of a bulk download (French source strings).
DESTINATION_TITLE = N_("Répertoire de destination")
DESTINATION_PROMPT = N_("Sélectionnez le répertoire de destination dans lequel les plis chiffrés seront téléchargés :")
BROWSE = N_("PARCOURIR")
START_DOWNLOAD = N_("LANCER LE TÉLÉCHARGEMENT")


class DestinationBlock(QWidget):
    """The field, PARCOURIR, and LANCER LE TÉLÉCHARGEMENT."""

    #: the folder the user launched the download into
    launched = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("destinationBlock")
        self.question: FolderQuestion | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(section(_(DESTINATION_TITLE)))
        self.prompt = QLabel(_(DESTINATION_PROMPT))
        self.prompt.setObjectName("downloadFolderPrompt")
        self.prompt.setWordWrap(True)
        layout.addWidget(self.prompt)
        row = QHBoxLayout()
        self.folder = QLineEdit()
        self.folder.setObjectName("downloadFolder")
        self.folder.setAccessibleName(_(DESTINATION_TITLE))
        self.folder.setReadOnly(True)
        self.folder.returnPressed.connect(self.launch)
        row.addWidget(self.folder, 1)
        self.browse_button = QPushButton(_(BROWSE))
        self.browse_button.setObjectName("downloadBrowse")
        self.browse_button.clicked.connect(self.browse)
        row.addWidget(self.browse_button)
        layout.addLayout(row)
        self.error = QLabel()
        self.error.setObjectName("downloadFolderError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setVisible(False)
        layout.addWidget(self.error)
        self.start_button = QPushButton(_(START_DOWNLOAD))
        self.start_button.setObjectName("downloadStart")
        self.start_button.setStyleSheet("font-weight: bold; padding: 6px 14px;")
        self.start_button.clicked.connect(self.launch)
        layout.addWidget(self.start_button, 0, Qt.AlignmentFlag.AlignLeft)
        self._asking(False)

    def _asking(self, asking: bool) -> None:
        self.folder.setReadOnly(not asking)
        self.browse_button.setVisible(asking)
        self.start_button.setVisible(asking)
        self.start_button.setDefault(asking)

    def ask(self, question: FolderQuestion) -> None:
        self.question = question
        self.folder.setText(str(question.proposed))
        self.set_error(question.error)
        self._asking(True)
        question.closed.connect(self._closed)
        self.folder.setFocus()

    def show_folder(self, folder: Path | str) -> None:
        """The folder the plis go to (a local job's, or the answer already given)."""
        if self.question is None or self.question.answered:
            self.folder.setText(str(folder))

    def set_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def browse(self) -> None:
        current = self.folder.text().strip()
        chosen = QFileDialog.getExistingDirectory(self, _("Répertoire de destination des plis chiffrés"), current)
        if chosen:
            self.folder.setText(chosen)
            self.set_error("")

    def launch(self) -> None:
        question = self.question
        if question is None or question.answered:
            return
        try:
            folder = prepare_download_folder(self.folder.text())
        except OutputError as exc:
            self.set_error(exc.message)
            return
        self.folder.setText(str(folder))
        self.set_error("")
        question.answer(folder)
        self.launched.emit(folder)

    def _closed(self) -> None:
        self._asking(False)
