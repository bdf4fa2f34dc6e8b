"""A page asks to sign files: the platform and every file (name, size, format) are shown, and the
user consents before choosing a certificate — each time, even when a key is already unlocked."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from assistant.i18n import _, ngettext
from assistant.ui.dialogs.base import on_top, requester
from assistant.ui.widgets import fmt_size

if TYPE_CHECKING:
    from assistant.jobs.interaction import FileToSign
    from assistant.jobs.model import Job


class ApproveSignatureDialog(QDialog):
    def __init__(self, job: Job, files: list[FileToSign], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("approveSignatureDialog")
        self.setWindowTitle(_("Demande de signature"))
        on_top(self)
        self.setMinimumSize(560, 320)
        layout = QVBoxLayout(self)
        heading = QLabel(
            ngettext(
                "<b>{platform}</b> vous demande de signer {count} fichier :",
                "<b>{platform}</b> vous demande de signer {count} fichiers :",
                len(files),
            ).format(platform=escape(requester(job)), count=len(files))
        )
        heading.setObjectName("approveSignatureHeading")
        heading.setTextFormat(Qt.TextFormat.RichText)
        heading.setWordWrap(True)
        layout.addWidget(heading)
        self.table = QTableWidget(len(files), 3)
        self.table.setObjectName("approveSignatureFiles")
        self.table.setAccessibleName(_("Fichiers à signer"))
        self.table.setHorizontalHeaderLabels([_("Fichier"), _("Taille"), _("Format de signature")])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for row, item in enumerate(files):
            for column, text in enumerate((item.name, fmt_size(item.size), item.format)):
                self.table.setItem(row, column, QTableWidgetItem(text))
        layout.addWidget(self.table, 1)
        note = QLabel(
            _(
                "Vérifiez ces fichiers : en acceptant, vous choisirez le certificat de signature, puis votre code "
                "PIN vous sera demandé si votre carte ne l'a pas déjà."
            )
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        buttons = QDialogButtonBox()
        self.accept_button = buttons.addButton(
            _("Choisir le certificat et signer"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.accept_button.setObjectName("approveSignatureAccept")
        self.accept_button.setAutoDefault(False)
        self.refuse_button = buttons.addButton(_("Refuser"), QDialogButtonBox.ButtonRole.RejectRole)
        self.refuse_button.setObjectName("approveSignatureRefuse")
        self.refuse_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def rows(self) -> list[tuple[str, str, str]]:
        out = []
        for row in range(self.table.rowCount()):
            cells = [self.table.item(row, column) for column in range(3)]
            name, size, fmt = (cell.text() if cell is not None else "" for cell in cells)
            out.append((name, size, fmt))
        return out
