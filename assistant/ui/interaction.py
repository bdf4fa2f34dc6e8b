"""The Qt `UserInteraction`: what a job asks the person in front of the screen, as dialogs.

Jobs run on the engine's worker threads and ask through this object; every question is carried to
the GUI thread (GuiInvoker) and the worker waits for the answer. If the window is closing, the
answer is the safe one: no key, no PIN, origin refused, not confirmed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from assistant.keystores.base import Credential, PinRequest
from assistant.ui.invoker import GuiClosedError, GuiInvoker
from assistant.ui.pin_dialog import QtPinCallback

if TYPE_CHECKING:
    from assistant.jobs.model import Job


def _on_top(dialog: QDialog) -> None:
    dialog.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)


def _open(dialog: QDialog, reply: Callable[[Any], None], answer: Callable[[bool], Any]) -> None:
    """Show without a nested loop; `reply(answer(accepted))` when the user closes the dialog."""
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)

    def finished(code: int) -> None:
        value = answer(code == QDialog.DialogCode.Accepted.value)
        dialog.deleteLater()
        reply(value)

    dialog.finished.connect(finished)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()


def _origin_text(job: Job) -> str:
    return "vous-même" if job.is_local else job.origin


class ApproveOriginDialog(QDialog):
    """"https://marches.example.fr veut utiliser l'assistant" — Autoriser / Refuser (Refuser by default)."""

    def __init__(self, origin: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("approveOriginDialog")
        self.setWindowTitle("Nouvelle plateforme")
        _on_top(self)
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        self.question = QLabel(f"<b>{origin}</b> veut utiliser l'assistant.")
        self.question.setObjectName("approveOriginQuestion")
        self.question.setTextFormat(Qt.TextFormat.RichText)
        self.question.setWordWrap(True)
        layout.addWidget(self.question)
        explanation = QLabel(
            "Cette plateforme pourra vous demander de signer des fichiers, de télécharger ou de déchiffrer "
            "des plis ; chaque opération sur vos certificats restera soumise à votre code PIN.\n\n"
            "N'autorisez que la plateforme de marchés publics que vous utilisez. Vous pourrez retirer "
            "cette autorisation à tout moment (page d'accueil de l'assistant)."
        )
        explanation.setWordWrap(True)
        layout.addWidget(explanation)
        buttons = QDialogButtonBox()
        self.allow_button = buttons.addButton("Autoriser", QDialogButtonBox.ButtonRole.AcceptRole)
        self.allow_button.setObjectName("approveOriginAllow")
        self.deny_button = buttons.addButton("Refuser", QDialogButtonBox.ButtonRole.RejectRole)
        self.deny_button.setObjectName("approveOriginDeny")
        self.deny_button.setDefault(True)
        self.allow_button.setAutoDefault(False)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class ConfirmDialog(QDialog):
    def __init__(self, title: str, message: str, requester: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("confirmDialog")
        self.setWindowTitle(title)
        _on_top(self)
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        text = QLabel(message)
        text.setObjectName("confirmMessage")
        text.setWordWrap(True)
        layout.addWidget(text)
        origin = QLabel(f"Demandé par : {requester}")
        origin.setStyleSheet("color: #555;")
        layout.addWidget(origin)
        buttons = QDialogButtonBox()
        self.yes_button = buttons.addButton("Oui", QDialogButtonBox.ButtonRole.AcceptRole)
        self.yes_button.setObjectName("confirmYes")
        self.no_button = buttons.addButton("Non", QDialogButtonBox.ButtonRole.RejectRole)
        self.no_button.setObjectName("confirmNo")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def credential_summary(credential: Credential) -> tuple[str, str]:
    """(first line, second line) describing a certificate as the original assistant lists them."""
    from cryptography.x509.oid import NameOID

    def cn(name: object) -> str:
        attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)  # type: ignore[attr-defined]
        return str(attrs[0].value) if attrs else name.rfc4514_string()  # type: ignore[attr-defined]

    cert = credential.certificate
    expiry = cert.not_valid_after_utc.astimezone().strftime("%d/%m/%Y")
    return cn(cert.subject), f"Émetteur : {cn(cert.issuer)} — Date d'expiration : {expiry} — {credential.store.label}"


class ChooseCredentialDialog(QDialog):
    def __init__(self, job: Job, candidates: list[Credential], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chooseCredentialDialog")
        self.setWindowTitle("Choix du certificat")
        _on_top(self)
        self.setMinimumSize(560, 340)
        self.candidates = candidates
        layout = QVBoxLayout(self)
        heading = QLabel(
            f"<b>{job.title_fr}</b><br>Traitement demandé par : {_origin_text(job)}<br><br>"
            "Sélectionnez le certificat à utiliser :"
        )
        heading.setWordWrap(True)
        layout.addWidget(heading)
        self.list = QListWidget()
        self.list.setObjectName("credentialList")
        now = dt.datetime.now(dt.UTC)
        for credential in candidates:
            first, second = credential_summary(credential)
            item = QListWidgetItem(f"{first}\n{second}")
            if credential.certificate.not_valid_after_utc < now:
                item.setText(f"{first} (expiré)\n{second}")
            self.list.addItem(item)
        if candidates:
            self.list.setCurrentRow(0)
        layout.addWidget(self.list)
        if not candidates:
            layout.addWidget(QLabel("Aucun certificat utilisable n'a été trouvé sur ce poste."))
        buttons = QDialogButtonBox()
        self.choose_button = buttons.addButton("Utiliser ce certificat", QDialogButtonBox.ButtonRole.AcceptRole)
        self.choose_button.setObjectName("credentialChoose")
        self.choose_button.setEnabled(bool(candidates))
        cancel = buttons.addButton("Annuler", QDialogButtonBox.ButtonRole.RejectRole)
        cancel.setObjectName("credentialCancel")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        layout.addWidget(buttons)

    def chosen(self) -> Credential | None:
        row = self.list.currentRow()
        return self.candidates[row] if 0 <= row < len(self.candidates) else None


class QtUserInteraction:
    """Implements assistant.jobs.interaction.UserInteraction with dialogs. Construct on the GUI thread."""

    def __init__(self, invoker: GuiInvoker | None = None, parent: QWidget | None = None) -> None:
        from assistant.ui.app import ensure_application

        ensure_application()
        self.invoker = invoker or GuiInvoker()
        self.parent = parent
        self.pin_callback = QtPinCallback(self.invoker, parent)

    def _ask(self, start: Callable[[Callable[[Any], None]], None], default: Any) -> Any:
        try:
            return self.invoker.ask(start)
        except GuiClosedError:
            return default

    def choose_credential(self, job: Job, candidates: list[Credential]) -> Credential | None:
        def start(reply: Callable[[Any], None]) -> None:
            dialog = ChooseCredentialDialog(job, candidates, self.parent)
            _open(dialog, reply, lambda accepted: dialog.chosen() if accepted else None)

        result = self._ask(start, None)
        return result if isinstance(result, Credential) else None

    def ask_pin(self, request: PinRequest) -> str | None:
        return self.pin_callback(request)

    def approve_origin(self, origin: str) -> bool:
        def start(reply: Callable[[Any], None]) -> None:
            _open(ApproveOriginDialog(origin, self.parent), reply, lambda accepted: accepted)

        return bool(self._ask(start, False))

    def confirm(self, job: Job, message_fr: str) -> bool:
        def start(reply: Callable[[Any], None]) -> None:
            dialog = ConfirmDialog(job.title_fr, message_fr, _origin_text(job), self.parent)
            _open(dialog, reply, lambda accepted: accepted)

        return bool(self._ask(start, False))
