"""The Qt `UserInteraction`: what a job asks the person in front of the screen.

Jobs run on the engine's worker threads and ask through this object; every question is carried to
the GUI thread (GuiInvoker) and the worker waits for the answer. If the window is closing, the
answer is the safe one: no key, no PIN, origin refused, not confirmed. The dialogs are in
`assistant.ui.dialogs`; the download folder question is handed to whichever view attached itself
to `folder_questions` (the jobs page), and is a dialog only when none did.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from assistant.keystores.base import Credential, PinRequest
from assistant.ui.application import ensure_application
from assistant.ui.dialogs.approve_origin import ApproveOriginDialog
from assistant.ui.dialogs.approve_signature import ApproveSignatureDialog
from assistant.ui.dialogs.base import open_dialog, requester
from assistant.ui.dialogs.choose_credential import ChooseCredentialDialog
from assistant.ui.dialogs.confirm import ConfirmDialog
from assistant.ui.dialogs.download_folder import DownloadFolderDialog
from assistant.ui.folder_questions import FolderQuestion, FolderQuestions
from assistant.ui.invoker import GuiClosedError, GuiInvoker
from assistant.ui.labels import job_title
from assistant.ui.pin_dialog import QtPinCallback

if TYPE_CHECKING:
    from assistant.jobs.interaction import BidQuestion, DownloadSummary, FileToSign
    from assistant.jobs.model import Job
    from assistant.progress import CancelToken


class QtUserInteraction:
    """Implements assistant.jobs.interaction.UserInteraction with dialogs. Construct on the GUI thread."""

    def __init__(self, invoker: GuiInvoker | None = None, parent: QWidget | None = None) -> None:
        ensure_application()
        self.invoker = invoker or GuiInvoker()
        self.parent = parent
        self.pin_callback = QtPinCallback(self.invoker, parent)
        #: open download-folder questions; the window's jobs page is given this object to show them
        self.folder_questions = FolderQuestions()

    def _ask(self, start: Callable[[Callable[[Any], None]], None], default: Any) -> Any:
        try:
            return self.invoker.ask(start)
        except GuiClosedError:
            return default

    def choose_credential(self, job: Job, candidates: list[Credential]) -> Credential | None:
        def start(reply: Callable[[Any], None]) -> None:
            dialog = ChooseCredentialDialog(job, candidates, self.parent)
            open_dialog(dialog, reply, lambda accepted: dialog.chosen() if accepted else None)

        result = self._ask(start, None)
        return result if isinstance(result, Credential) else None

    def ask_pin(self, request: PinRequest) -> str | None:
        return self.pin_callback(request)

    def approve_origin(self, origin: str, code: str = "") -> bool:
        def start(reply: Callable[[Any], None]) -> None:
            open_dialog(ApproveOriginDialog(origin, self.parent, code), reply, lambda accepted: accepted)

        return bool(self._ask(start, False))

    def approve_signature(self, job: Job, files: list[FileToSign]) -> bool:
        def start(reply: Callable[[Any], None]) -> None:
            open_dialog(ApproveSignatureDialog(job, files, self.parent), reply, lambda accepted: accepted)

        return bool(self._ask(start, False))

    def confirm(self, job: Job, message_fr: str) -> bool:
        def start(reply: Callable[[Any], None]) -> None:
            dialog = ConfirmDialog(job_title(job.title_fr), message_fr, requester(job), self.parent)
            open_dialog(dialog, reply, lambda accepted: accepted)

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
            open_dialog(dialog, lambda _value: question.answer(None), lambda accepted: accepted)

        result = self._ask(start, None)
        return result if isinstance(result, Path) else None

    def choose_bid_folder(
        self, job: Job, question: BidQuestion, *, error: str = "", cancel: CancelToken | None = None
    ) -> Path | None:
        """A page's "Préparer mon dépôt": the user picks his bid folder in a folder dialog titled
        with the platform's name (the page never names a folder). A cancelled job withdraws it."""
        from PySide6.QtWidgets import QFileDialog

        from assistant.i18n import _

        def start(reply: Callable[[Any], None]) -> None:
            title = _("Préparer mon dépôt") + f" — {question.platform}"
            if error:
                title += f" — {error}"
            dialog = QFileDialog(self.parent, title)
            dialog.setObjectName("bidFolderDialog")
            dialog.setFileMode(QFileDialog.FileMode.Directory)
            dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
            dialog.setOption(
                QFileDialog.Option.DontUseNativeDialog, True
            )  # a Qt dialog: finished() and the cancel watch work
            if cancel is not None:
                watch = QTimer(dialog)
                watch.setInterval(150)
                watch.timeout.connect(lambda: dialog.reject() if cancel.cancelled else None)
                watch.start()
            open_dialog(
                dialog,
                reply,
                lambda accepted: Path(dialog.selectedFiles()[0]) if accepted and dialog.selectedFiles() else None,
            )

        result = self._ask(start, None)
        return result if isinstance(result, Path) else None
