"""A platform asks to use the assistant for the first time: Autoriser / Refuser (Refuser by default)."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from assistant.i18n import _
from assistant.ui.dialogs.base import on_top


class ApproveOriginDialog(QDialog):
    """ "https://marches.example.fr veut utiliser l'assistant"."""

    def __init__(self, origin: str, parent: QWidget | None = None, code: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("approveOriginDialog")
        self.setWindowTitle(_("Nouvelle plateforme"))
        on_top(self)
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        self.question = QLabel(_("<b>{origin}</b> veut utiliser l'assistant.").format(origin=escape(origin)))
        self.question.setObjectName("approveOriginQuestion")
        self.question.setTextFormat(Qt.TextFormat.RichText)
        self.question.setWordWrap(True)
        layout.addWidget(self.question)
        explanation = QLabel(
            _(
                "Cette plateforme pourra vous demander de signer des fichiers, de télécharger ou de déchiffrer "
                "des plis ; chaque opération sur vos certificats vous sera présentée et restera soumise à "
                "votre accord.\n\n"
                "N'autorisez que la plateforme de marchés publics que vous utilisez. Vous pourrez retirer "
                "cette autorisation à tout moment (page d'accueil de l'assistant)."
            )
        )
        explanation.setWordWrap(True)
        layout.addWidget(explanation)
        if code:
            # The page asks the user for this code: only this session shows it, so only the page the
            # user types it into is connected (assistant.bridge.access).
            self.code = QLabel(
                _(
                    "Si vous venez de demander la connexion depuis cette page, cliquez sur « Autoriser » "
                    "et saisissez-y ce code : <b>{code}</b>"
                ).format(code=escape(f"{code[:3]} {code[3:]}"))
            )
            self.code.setObjectName("approveOriginCode")
            self.code.setTextFormat(Qt.TextFormat.RichText)
            self.code.setWordWrap(True)
            layout.addWidget(self.code)
        buttons = QDialogButtonBox()
        self.allow_button = buttons.addButton(_("Autoriser"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.allow_button.setObjectName("approveOriginAllow")
        self.deny_button = buttons.addButton(_("Refuser"), QDialogButtonBox.ButtonRole.RejectRole)
        self.deny_button.setObjectName("approveOriginDeny")
        self.deny_button.setDefault(True)
        self.allow_button.setAutoDefault(False)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
