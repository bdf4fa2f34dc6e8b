"""How every question dialog is shown: on top, application-modal, without a nested event loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from assistant.i18n import _

if TYPE_CHECKING:
    from assistant.jobs.model import Job


def on_top(dialog: QDialog) -> None:
    dialog.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)


def open_dialog(dialog: QDialog, reply: Callable[[Any], None], answer: Callable[[bool], Any]) -> None:
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


def requester(job: Job) -> str:
    """Who asked for the job: the platform's address, or the user for a local job."""
    return _("vous-même") if job.is_local else job.origin
