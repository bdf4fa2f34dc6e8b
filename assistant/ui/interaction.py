"""The Qt `UserInteraction`: what a job asks the person in front of the screen, as dialogs.

Jobs run on the engine's worker threads and ask through this object; every question is carried to
the GUI thread (GuiInvoker) and the worker waits for the answer. If the window is closing, the
answer is the safe one: no key, no PIN, origin refused, not confirmed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from assistant.errors import OutputError
from assistant.jobs.interaction import DownloadSummary, prepare_download_folder
from assistant.keystores.base import Credential, PinRequest
from assistant.ui.invoker import GuiClosedError, GuiInvoker
from assistant.ui.pin_dialog import QtPinCallback
from assistant.ui.widgets import section

if TYPE_CHECKING:
    from assistant.jobs.model import Job
    from assistant.progress import CancelToken

#: The original assistant's words for the destination of a bulk download.
DESTINATION_TITLE = "Répertoire de destination"
DESTINATION_PROMPT = "Sélectionnez le répertoire de destination dans lequel les plis chiffrés seront téléchargés :"
BROWSE = "PARCOURIR"
START_DOWNLOAD = "LANCER LE TÉLÉCHARGEMENT"
ERROR_STYLE = "color: #c0392b; font-weight: bold;"


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


class FolderQuestion(QObject):
    """One open "Répertoire de destination" question (GUI thread only).

    It lives in the job's card on "Traitements distants" (or, without a window, in a small dialog);
    `answer` sends the folder, or None for a cancel, to the waiting job exactly once.
    """

    #: emitted once, when the question is answered or withdrawn (the job was cancelled)
    closed = Signal()

    def __init__(self, job: Job, proposed: Path, summary: DownloadSummary, error: str, reply: Callable[[Any], None]) -> None:
        super().__init__()
        self.job = job
        self.proposed = proposed
        self.summary = summary
        self.error = error
        self.answered = False
        self._reply = reply

    def answer(self, folder: Path | None) -> None:
        if self.answered:
            return
        self.answered = True
        self.closed.emit()
        self._reply(folder)


#: A view that can show a folder question (the jobs page); returns False when it cannot.
FolderPresenter = Callable[[FolderQuestion], bool]


class FolderQuestions:
    """Where open folder questions wait for a view: the jobs page attaches itself as presenter."""

    def __init__(self) -> None:
        self.pending: dict[str, FolderQuestion] = {}
        self._presenters: list[FolderPresenter] = []

    def attach(self, presenter: FolderPresenter) -> Callable[[], None]:
        self._presenters.append(presenter)

        def detach() -> None:
            if presenter in self._presenters:
                self._presenters.remove(presenter)

        return detach

    def present(self, question: FolderQuestion) -> bool:
        return any(presenter(question) for presenter in reversed(self._presenters))


class DestinationBlock(QWidget):
    """"Répertoire de destination": the field, PARCOURIR, and LANCER LE TÉLÉCHARGEMENT.

    While a question is open the field is editable (typed, pasted, or filled by PARCOURIR) and
    LANCER checks the folder before answering: an unusable one shows the reason in red and the
    question stays open. Afterwards the block shows the folder the plis go to.
    """

    #: the folder the user launched the download into
    launched = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("destinationBlock")
        self.question: FolderQuestion | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(section(DESTINATION_TITLE))
        self.prompt = QLabel(DESTINATION_PROMPT)
        self.prompt.setObjectName("downloadFolderPrompt")
        self.prompt.setWordWrap(True)
        layout.addWidget(self.prompt)
        row = QHBoxLayout()
        self.folder = QLineEdit()
        self.folder.setObjectName("downloadFolder")
        self.folder.setReadOnly(True)
        self.folder.returnPressed.connect(self.launch)
        row.addWidget(self.folder, 1)
        self.browse_button = QPushButton(BROWSE)
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
        self.start_button = QPushButton(START_DOWNLOAD)
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
        chosen = QFileDialog.getExistingDirectory(self, "Répertoire de destination des plis chiffrés", current)
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
            self.set_error(exc.message_fr)
            return
        self.folder.setText(str(folder))
        self.set_error("")
        question.answer(folder)
        self.launched.emit(folder)

    def _closed(self) -> None:
        self._asking(False)


class DownloadFolderDialog(QDialog):
    """The folder question where no jobs page shows it (the interaction used without a window)."""

    def __init__(self, question: FolderQuestion, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("downloadFolderDialog")
        self.setWindowTitle(question.job.title_fr)
        _on_top(self)
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        heading = QLabel(
            f"<b>{question.job.title_fr}</b><br>Traitement demandé par : {_origin_text(question.job)}<br>"
            f"Nombre de plis chiffrés à télécharger : {question.summary.plis}"
        )
        heading.setObjectName("downloadFolderHeading")
        heading.setWordWrap(True)
        layout.addWidget(heading)
        self.block = DestinationBlock()
        layout.addWidget(self.block)
        self.block.ask(question)
        buttons = QDialogButtonBox()
        cancel = buttons.addButton("Annuler", QDialogButtonBox.ButtonRole.RejectRole)
        cancel.setObjectName("downloadFolderCancel")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        question.closed.connect(self.accept)


class QtUserInteraction:
    """Implements assistant.jobs.interaction.UserInteraction with dialogs. Construct on the GUI thread."""

    def __init__(self, invoker: GuiInvoker | None = None, parent: QWidget | None = None) -> None:
        from assistant.ui.app import ensure_application

        ensure_application()
        self.invoker = invoker or GuiInvoker()
        self.parent = parent
        self.pin_callback = QtPinCallback(self.invoker, parent)
        self.folder_questions = FolderQuestions()

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

    def choose_download_folder(
        self, job: Job, proposed: Path, summary: DownloadSummary, *, error: str = "", cancel: CancelToken | None = None
    ) -> Path | None:
        """Asked in the job's card on "Traitements distants" (the window comes forward), or in a
        dialog when no window shows the jobs. A cancelled job withdraws the question."""

        def start(reply: Callable[[Any], None]) -> None:
            question = FolderQuestion(job, proposed, summary, error, reply)
            self.folder_questions.pending[job.id] = question
            question.closed.connect(lambda: self.folder_questions.pending.pop(job.id, None))
            if cancel is not None:
                watch = QTimer(question)
                watch.setInterval(150)
                watch.timeout.connect(lambda: question.answer(None) if cancel.cancelled else None)
                question.closed.connect(watch.stop)
                watch.start()
            if self.folder_questions.present(question):
                return
            dialog = DownloadFolderDialog(question, self.parent)
            _open(dialog, lambda _value: question.answer(None), lambda accepted: accepted)

        result = self._ask(start, None)
        return result if isinstance(result, Path) else None
