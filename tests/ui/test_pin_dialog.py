"""The PIN prompt called from a worker thread, as a key store calls it during a job."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QWidget

from assistant.keystores.base import PinRequest, PinState
from assistant.ui.invoker import GuiInvoker
from assistant.ui.pin_dialog import QtPinCallback
from tests.ui.conftest import shot, wait_for_dialog


def _ask_in_thread(callback: QtPinCallback, request: PinRequest) -> tuple[threading.Thread, dict[str, Any]]:
    box: dict[str, Any] = {}

    def worker() -> None:
        box["thread"] = threading.current_thread().name
        box["answer"] = callback(request)

    thread = threading.Thread(target=worker, name="job-worker", daemon=True)
    thread.start()
    return thread, box


def _text(dialog: QWidget, name: str) -> str:
    label = dialog.findChild(QLabel, name)
    assert label is not None
    return label.text() if label.isVisible() else ""


def test_pin_typed_in_dialog_returns_to_worker_thread(qtbot: Any, screens: Path) -> None:
    callback = QtPinCallback(GuiInvoker())
    thread, box = _ask_in_thread(callback, PinRequest("amp-test-token (SoftHSM)"))
    dialog = wait_for_dialog(qtbot, "pinDialog")
    assert dialog.windowTitle() == "Code PIN"
    assert _text(dialog, "pinHeading") == "Saisissez le code PIN de votre support : « amp-test-token (SoftHSM) »."
    assert _text(dialog, "pinWarning") == ""
    ok = dialog.findChild(QPushButton, "pinOk")
    assert ok is not None and ok.text() == "Valider" and not ok.isEnabled()  # nothing typed yet
    field = dialog.findChild(QLineEdit, "pinField")
    assert field is not None and field.echoMode() == QLineEdit.EchoMode.Password
    qtbot.keyClicks(field, "123456")
    shot(dialog, screens, "pin-dialog")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    thread.join(10)
    assert box["answer"] == "123456"
    assert box["thread"] == "job-worker"
    assert field.text() == ""  # the PIN does not stay in the widget


def test_cancel_returns_none(qtbot: Any) -> None:
    callback = QtPinCallback(GuiInvoker())
    thread, box = _ask_in_thread(callback, PinRequest("certificat.p12", kind="password"))
    dialog = wait_for_dialog(qtbot, "pinDialog")
    assert dialog.windowTitle() == "Mot de passe"
    assert "mot de passe du fichier de certificat « certificat.p12 »" in _text(dialog, "pinHeading")
    field = dialog.findChild(QLineEdit, "pinField")
    assert field is not None
    qtbot.keyClicks(field, "typed-then-cancelled")
    cancel = dialog.findChild(QPushButton, "pinCancel")
    assert cancel is not None and cancel.text() == "Annuler"
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    thread.join(10)
    assert box["answer"] is None


def test_retry_states_and_reason_are_explained(qtbot: Any, screens: Path) -> None:
    callback = QtPinCallback(GuiInvoker())
    request = PinRequest(
        "Carte ChamberSign",
        state=PinState.FINAL_TRY,
        retry=True,
        reason="Cette clé exige le code PIN pour chaque signature (signature 2 sur 3).",
    )
    thread, box = _ask_in_thread(callback, request)
    dialog = wait_for_dialog(qtbot, "pinDialog")
    assert _text(dialog, "pinWarning") == (
        "Code PIN incorrect. Dernier essai : un nouveau code PIN erroné bloquera votre carte."
    )
    assert _text(dialog, "pinReason") == request.reason
    shot(dialog, screens, "pin-dialog-final-try")
    field = dialog.findChild(QLineEdit, "pinField")
    assert field is not None
    qtbot.keyClicks(field, "0000")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    thread.join(10)
    assert box["answer"] == "0000"

    thread, box = _ask_in_thread(callback, PinRequest("Carte", state=PinState.COUNT_LOW))
    dialog = wait_for_dialog(qtbot, "pinDialog")
    assert _text(dialog, "pinWarning").startswith("Attention : un code PIN erroné a déjà été saisi")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    thread.join(10)
    assert box["answer"] is None


def test_pin_pad_reader_needs_no_field(qtbot: Any) -> None:
    callback = QtPinCallback(GuiInvoker())
    thread, box = _ask_in_thread(callback, PinRequest("Lecteur à clavier", protected_path=True))
    dialog = wait_for_dialog(qtbot, "pinDialog")
    field = dialog.findChild(QLineEdit, "pinField")
    assert field is None or not field.isVisible()
    ok = dialog.findChild(QPushButton, "pinOk")
    assert ok is not None and ok.text() == "Continuer" and ok.isEnabled()
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    thread.join(10)
    assert box["answer"] == ""


def test_waiting_worker_released_when_application_closes(qtbot: Any) -> None:
    invoker = GuiInvoker()
    callback = QtPinCallback(invoker)
    thread, box = _ask_in_thread(callback, PinRequest("Carte"))
    dialog = wait_for_dialog(qtbot, "pinDialog")
    invoker.close()
    thread.join(10)
    assert not thread.is_alive() and box["answer"] is None
    dialog.close()
