"""The Qt UserInteraction as a job uses it: questions from worker threads, answered in dialogs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QListWidget, QPushButton

from assistant.jobs.model import Job, JobType
from assistant.keystores.pkcs12 import Pkcs12Store
from assistant.ui.interaction import QtUserInteraction
from tests import pki
from tests.ui.conftest import shot, wait_for_dialog


def _in_thread(func: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    box: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: box.setdefault("answer", func()), daemon=True)
    thread.start()
    return thread, box


def _click(qtbot: Any, dialog: Any, name: str) -> None:
    button = dialog.findChild(QPushButton, name)
    assert button is not None, name
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_approve_origin_allow_and_deny(qtbot: Any, interaction: QtUserInteraction, screens: Path) -> None:
    thread, box = _in_thread(lambda: interaction.approve_origin("https://marches.example.fr"))
    dialog = wait_for_dialog(qtbot, "approveOriginDialog")
    question = dialog.findChild(QLabel, "approveOriginQuestion")
    assert question is not None
    assert question.text() == "<b>https://marches.example.fr</b> veut utiliser l'assistant."
    allow = dialog.findChild(QPushButton, "approveOriginAllow")
    deny = dialog.findChild(QPushButton, "approveOriginDeny")
    assert allow is not None and deny is not None
    assert (allow.text(), deny.text()) == ("Autoriser", "Refuser")
    assert deny.isDefault()  # Enter refuses: approving must be a deliberate click
    shot(dialog, screens, "approve-origin")
    _click(qtbot, dialog, "approveOriginAllow")
    thread.join(10)
    assert box["answer"] is True

    thread, box = _in_thread(lambda: interaction.approve_origin("https://autre.example.com"))
    dialog = wait_for_dialog(qtbot, "approveOriginDialog")
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    thread.join(10)
    assert box["answer"] is False


def test_confirm_and_choose_credential(
    qtbot: Any, interaction: QtUserInteraction, test_pki: pki.TestPki, screens: Path
) -> None:
    job = Job(id="j1", type=JobType.OPEN, origin="https://marches.example.fr", params={})
    thread, box = _in_thread(lambda: interaction.confirm(job, "Conserver les fichiers déchiffrés sur ce poste ?"))
    dialog = wait_for_dialog(qtbot, "confirmDialog")
    assert dialog.windowTitle() == "Ouverture et déchiffrement en ligne"
    message = dialog.findChild(QLabel, "confirmMessage")
    assert message is not None and message.text() == "Conserver les fichiers déchiffrés sur ce poste ?"
    _click(qtbot, dialog, "confirmYes")
    thread.join(10)
    assert box["answer"] is True

    store = Pkcs12Store(test_pki.signer.files["p12"], lambda _request: pki.P12_PASSWORD)
    other = Pkcs12Store(test_pki.signer_ec.files["p12"], lambda _request: pki.P12_PASSWORD)
    candidates = store.credentials() + other.credentials()
    sign_job = Job(id="j2", type=JobType.SIGN, origin="https://marches.example.fr", params={})
    thread, box = _in_thread(lambda: interaction.choose_credential(sign_job, candidates))
    dialog = wait_for_dialog(qtbot, "chooseCredentialDialog")
    listing = dialog.findChild(QListWidget, "credentialList")
    assert listing is not None and listing.count() == 2
    texts = [listing.item(i).text() for i in range(listing.count())]
    # Human names (CN and organisation, issuer by its CN), never a raw DN; the conformity verdict last.
    assert texts[0].startswith(
        "Jeanne Dupont (Assistant Marchés Publics Tests)\nÉmetteur : AMP Test Qualified CA — Date d'expiration : "
    )
    assert texts[0].endswith("adapté pour les marchés publics") and "C=FR" not in texts[0]
    assert texts[1].startswith("Élise Martin (ECDSA)")
    listing.setCurrentRow(1)
    shot(dialog, screens, "choose-credential")
    _click(qtbot, dialog, "credentialChoose")
    thread.join(10)
    assert box["answer"] is candidates[1]

    thread, box = _in_thread(lambda: interaction.choose_credential(sign_job, candidates))
    dialog = wait_for_dialog(qtbot, "chooseCredentialDialog")
    _click(qtbot, dialog, "credentialCancel")
    thread.join(10)
    assert box["answer"] is None
