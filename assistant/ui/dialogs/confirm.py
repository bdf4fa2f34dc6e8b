"""A yes/no question a job asks, with who asked for it."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from assistant.i18n import _
from assistant.ui.dialogs.base import on_top


class ConfirmDialog(QDialog):
    def __init__(self, title: str, message: str, requester: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("confirmDialog")
        self.setWindowTitle(title)
        on_top(self)
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        text = QLabel(message)
        text.setObjectName("confirmMessage")
        text.setWordWrap(True)
        layout.addWidget(text)
        origin = QLabel(_("Demandé par : {requester}").format(requester=requester))
        origin.setStyleSheet("color: #555;")
        layout.addWidget(origin)
        buttons = QDialogButtonBox()
        self.yes_button = buttons.addButton(_("Oui"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.yes_button.setObjectName("confirmYes")
        self.no_button = buttons.addButton(_("Non"), QDialogButtonBox.ButtonRole.RejectRole)
        self.no_button.setObjectName("confirmNo")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
