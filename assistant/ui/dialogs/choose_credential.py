"""The certificate a job will use, chosen by the person (never by the page)."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.x509.oid import NameOID
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from assistant.i18n import _, current_language
from assistant.keystores.conformity import assess
from assistant.keystores.names import attribute
from assistant.ui.dialogs.base import on_top, requester
from assistant.ui.labels import job_title

if TYPE_CHECKING:
    from assistant.jobs.model import Job
    from assistant.keystores.base import Credential


def human_name(name: x509.Name) -> str:
    """ "Jeanne Martin (Entreprise SA)" rather than "C=FR,O=Entreprise SA,CN=Jeanne Martin"."""
    cn = attribute(name, NameOID.COMMON_NAME)
    org = attribute(name, NameOID.ORGANIZATION_NAME)
    if cn and org and org != cn:
        return f"{cn} ({org})"
    return cn or org or attribute(name, NameOID.ORGANIZATIONAL_UNIT_NAME) or name.rfc4514_string()


def credential_summary(credential: Credential) -> tuple[str, str]:
    """(first line, second line) describing a certificate as the original assistant lists them."""
    cert = credential.certificate
    expiry = cert.not_valid_after_utc.astimezone().strftime("%d/%m/%Y")
    second = _("Émetteur : {issuer} — Date d'expiration : {expiry} — {store}").format(
        issuer=attribute(cert.issuer, NameOID.COMMON_NAME) or human_name(cert.issuer),
        expiry=expiry,
        store=credential.store.label,
    )
    return human_name(cert.subject), second


def conformity_text(credential: Credential) -> tuple[str, bool]:
    """The certificate's conformity in the user's language, and whether it is qualified."""
    verdict = assess(credential.certificate)
    label = verdict.label_en if current_language() == "en" else verdict.label
    return label, verdict.qualified


class ChooseCredentialDialog(QDialog):
    def __init__(self, job: Job, candidates: list[Credential], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chooseCredentialDialog")
        self.setWindowTitle(_("Choix du certificat"))
        on_top(self)
        self.setMinimumSize(560, 340)
        self.candidates = candidates
        layout = QVBoxLayout(self)
        heading = QLabel(
            _(
                "<b>{title}</b><br>Traitement demandé par : {requester}<br><br>Sélectionnez le certificat à utiliser :"
            ).format(title=escape(job_title(job.title_fr)), requester=escape(requester(job)))
        )
        heading.setWordWrap(True)
        layout.addWidget(heading)
        self.list = QListWidget()
        self.list.setObjectName("credentialList")
        self.list.setAccessibleName(_("Certificats disponibles"))
        now = dt.datetime.now(dt.UTC)
        for credential in candidates:
            first, second = credential_summary(credential)
            conformity, _qualified = conformity_text(credential)
            if credential.certificate.not_valid_after_utc < now:
                first = _("{name} (expiré)").format(name=first)
            self.list.addItem(QListWidgetItem(f"{first}\n{second}\n{conformity}"))
        if candidates:
            self.list.setCurrentRow(0)
        layout.addWidget(self.list)
        if not candidates:
            layout.addWidget(QLabel(_("Aucun certificat utilisable n'a été trouvé sur ce poste.")))
        buttons = QDialogButtonBox()
        self.choose_button = buttons.addButton(_("Utiliser ce certificat"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.choose_button.setObjectName("credentialChoose")
        self.choose_button.setEnabled(bool(candidates))
        cancel = buttons.addButton(_("Annuler"), QDialogButtonBox.ButtonRole.RejectRole)
        cancel.setObjectName("credentialCancel")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        layout.addWidget(buttons)

    def chosen(self) -> Credential | None:
        row = self.list.currentRow()
        return self.candidates[row] if 0 <= row < len(self.candidates) else None
