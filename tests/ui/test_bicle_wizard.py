"""The "Bi-clés de chiffrement" wizard driven as a user would: a new bi-clé on the smart card
(SoftHSM2, its PIN asked by the job), then one in the assistant's vault with its encrypted .p12
backup, where a password the rule refuses is asked again instead of failing the job."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton

from assistant.jobs.engine import JobEngine
from assistant.jobs.model import JobState
from assistant.jobs.results import KeygenResult
from assistant.settings import Settings
from assistant.ui.interaction import QtUserInteraction
from assistant.ui.main_window import MainWindow
from tests import pki
from tests.ui.conftest import shot, visible_top_level, wait_for_dialog

NAME = "Service Achats UI"
CN = f"Clé de déchiffrement de {NAME}"
STRONG = "Offres-2026-Mairie!"


def _delete_from_token(token: pki.SoftHsmToken, label: str) -> None:
    """The session token is shared by other tests: leave it as it was."""
    for kind in ("privkey", "pubkey", "cert"):
        subprocess.run(
            [
                "pkcs11-tool",
                "--module",
                token.module,
                "--token-label",
                token.label,
                "--login",
                "--pin",
                token.pin,
                "--delete-object",
                "--type",
                kind,
                "--label",
                label,
            ],
            env={**os.environ, **token.env()},
            capture_output=True,
            check=False,
        )


@pytest.fixture
def bicle_window(
    qtbot: Any, interaction: QtUserInteraction, softhsm_token: pki.SoftHsmToken, tmp_path: Path
) -> Iterator[MainWindow]:
    settings = Settings()  # the modules found on the workstation: SoftHSM2 is the card
    engine = JobEngine(interaction=interaction, settings=settings, journal_path=tmp_path / "journal.sqlite3")
    window = MainWindow(engine, None, settings, folder_questions=interaction.folder_questions)
    qtbot.addWidget(window)
    window.resize(1024, 700)
    window.show()
    try:
        yield window
    finally:
        window.dispose()
        engine.shutdown(wait=True)
        _delete_from_token(softhsm_token, CN)


def _click(qtbot: Any, button: QPushButton) -> None:
    assert button.isVisible() and button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_a_bicle_on_the_card_then_one_in_the_vault_with_a_backup(
    qtbot: Any, bicle_window: MainWindow, softhsm_token: pki.SoftHsmToken, tmp_path: Path, screens: Path
) -> None:
    window = bicle_window
    window.show_page("bicle")
    assert window.current_page() == "bicle"
    wizard = window.bicle
    # Step 1: name, "clé de secours", mode; the CN previewed as it is typed.
    assert wizard.step_label.text() == "Étape 1 sur 4 : Nom et mode"
    assert not wizard.next_button.isEnabled()  # no name yet
    qtbot.keyClicks(wizard.name, NAME)
    assert wizard.cn_preview.text() == f"Le certificat portera le nom : « {CN} »"
    wizard.rescue.setChecked(True)
    shot(window, screens, "bicle-name")
    # The other mode has no store nor backup step.
    wizard.mode_existing.setChecked(True)
    assert wizard.step_label.text() == "Étape 1 sur 2 : Nom et mode"
    assert wizard.next_button.text() == "Créer le bi-clé"
    wizard.mode_new.setChecked(True)
    _click(qtbot, wizard.next_button)
    # Step 2: the store; the card is proposed first.
    assert wizard.step_label.text() == "Étape 2 sur 4 : Magasin"
    assert wizard.store_buttons["pkcs11:"].isChecked()
    qtbot.waitUntil(lambda: wizard.tokens is not None, timeout=30000)  # the cards, listed in the background
    shot(window, screens, "bicle-store")
    _click(qtbot, wizard.next_button)
    # Step 3: the warning; a card's key cannot be backed up, which is said.
    assert wizard.step_label.text() == "Étape 3 sur 4 : Sauvegarde"
    assert wizard.backup_warning.isVisible() and wizard.backup_warning.text().startswith(
        "Attention : sans cette clé privée"
    )
    assert not wizard.backup.isVisible() and "ne peut pas en sortir" in wizard.backup_note.text()
    assert wizard.next_button.text() == "Créer le bi-clé"
    shot(window, screens, "bicle-backup-card")
    _click(qtbot, wizard.next_button)
    # The job asks the card's PIN; a wrong one is asked again (saying so), not a failed job.
    pin = wait_for_dialog(qtbot, "pinDialog")
    pin.findChild(QLineEdit, "pinField").setText("999999")
    qtbot.mouseClick(pin.findChild(QPushButton, "pinOk"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: visible_top_level("pinDialog") not in (None, pin), timeout=15000)
    again = wait_for_dialog(qtbot, "pinDialog")
    warning = again.findChild(QLabel, "pinWarning")
    assert warning.isVisible() and warning.text().startswith("Code PIN incorrect.")
    assert wizard.panel.job is not None and not wizard.panel.job.state.terminal
    shot(again, screens, "bicle-pin-retry")
    again.findChild(QLineEdit, "pinField").setText(softhsm_token.pin)
    qtbot.mouseClick(again.findChild(QPushButton, "pinOk"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.panel.job is not None and wizard.panel.job.state.terminal, timeout=60000)
    job = wizard.panel.job
    assert job is not None and job.state is JobState.SUCCEEDED, wizard.panel.error.text()
    assert isinstance(job.result, KeygenResult) and job.result.subject == f"CN={CN}"
    assert job.result.store_kind == "pkcs11" and job.result.key_attributes.get("extractable") is False
    lines = wizard.panel.outcome.text().splitlines()
    assert lines[0] == f"Bi-clé créé : CN={CN}"
    assert any(line.startswith("⚠ La clé privée a été créée dans la carte") for line in lines)
    assert wizard.next_note.text().endswith("dans la gestion des bi-clés de secours.")
    shot(window, screens, "bicle-result")

    # Another one, in the vault, with an encrypted copy: its password is chosen, "demo" refused.
    _click(qtbot, wizard.next_button)  # "Créer un autre bi-clé"
    assert wizard.step_label.text() == "Étape 1 sur 4 : Nom et mode" and wizard.name.text() == ""
    qtbot.keyClicks(wizard.name, "Jean Dupont")
    _click(qtbot, wizard.next_button)
    wizard.store_buttons["vault"].setChecked(True)
    _click(qtbot, wizard.next_button)
    assert wizard.backup.isVisible() and not wizard.backup_path.isEnabled()
    wizard.backup.setChecked(True)
    assert not wizard.next_button.isEnabled()  # the file is not named yet
    backup = tmp_path / "sauvegarde-bicle.p12"
    wizard.backup_path.setText(str(backup))
    shot(window, screens, "bicle-backup-vault")
    _click(qtbot, wizard.next_button)
    questions = 0
    dialog = wait_for_dialog(qtbot, "pinDialog")
    questions += 1
    assert dialog.findChild(QLabel, "pinRule").text().startswith("Règle : Au moins ")
    dialog.findChild(QLineEdit, "pinField").setText("demo")
    dialog.findChild(QLineEdit, "pinConfirm").setText("demo")
    qtbot.mouseClick(dialog.findChild(QPushButton, "pinOk"), Qt.MouseButton.LeftButton)
    for _secret in ("backup", "vault"):
        qtbot.waitUntil(lambda d=dialog: visible_top_level("pinDialog") not in (None, d), timeout=15000)
        dialog = wait_for_dialog(qtbot, "pinDialog")
        questions += 1
        if questions == 2:  # the refused password: asked again with the reason, the job still running
            assert dialog.findChild(QLabel, "pinWarning").text().startswith("Mot de passe trop faible")
            assert wizard.panel.job is not None and not wizard.panel.job.state.terminal
        dialog.findChild(QLineEdit, "pinField").setText(STRONG)
        dialog.findChild(QLineEdit, "pinConfirm").setText(STRONG)
        qtbot.mouseClick(dialog.findChild(QPushButton, "pinOk"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.panel.job is not None and wizard.panel.job.state.terminal, timeout=60000)
    job = wizard.panel.job
    assert job is not None and job.state is JobState.SUCCEEDED, wizard.panel.error.text()
    assert questions == 3  # backup refused, backup chosen, vault chosen
    assert isinstance(job.result, KeygenResult) and job.result.store_kind == "vault"
    # The backup opens with the chosen password and holds the same certificate.
    key, cert, _extra = pkcs12.load_key_and_certificates(backup.read_bytes(), STRONG.encode())
    assert key is not None and cert is not None
    assert cert.subject.rfc4514_string() == "CN=Clé de déchiffrement de Jean Dupont"
    assert wizard.next_note.text().endswith(f"Sauvegarde : {backup}")

    # The same name again in the vault: said at once, before any password is asked.
    _click(qtbot, wizard.next_button)  # "Créer un autre bi-clé"
    qtbot.keyClicks(wizard.name, "Jean Dupont")
    _click(qtbot, wizard.next_button)
    wizard.store_buttons["vault"].setChecked(True)
    _click(qtbot, wizard.next_button)
    _click(qtbot, wizard.next_button)
    qtbot.waitUntil(lambda: wizard.panel.job is not None and wizard.panel.job.state.terminal, timeout=30000)
    assert wizard.panel.job is not None and wizard.panel.job.state is JobState.FAILED
    assert wizard.panel.error.text() == (
        "Le coffre de l'assistant contient déjà un bi-clé « Jean Dupont » : choisissez un autre nom."
    )
    assert visible_top_level("pinDialog") is None and wizard.summary.text() == ""
    assert wizard.back_button.isEnabled()  # back to change the name


def test_a_bicle_from_a_certificate_already_on_the_card(
    qtbot: Any, bicle_window: MainWindow, softhsm_token: pki.SoftHsmToken, test_pki: pki.TestPki
) -> None:
    from PySide6.QtWidgets import QListWidget

    window = bicle_window
    window.show_page("bicle")
    wizard = window.bicle
    qtbot.keyClicks(wizard.name, "Jeanne Dupont")
    wizard.mode_existing.setChecked(True)
    assert wizard.cn_preview.text() == "Le bi-clé sera le certificat que vous choisirez au lancement."
    _click(qtbot, wizard.next_button)  # "Créer le bi-clé": no store nor backup step
    dialog = wait_for_dialog(qtbot, "chooseCredentialDialog")
    listing = dialog.findChild(QListWidget, "credentialList")
    assert listing.currentItem().text().startswith("Clé de déchiffrement")  # only encryption certificates
    qtbot.mouseClick(dialog.findChild(QPushButton, "credentialChoose"), Qt.MouseButton.LeftButton)
    pin = wait_for_dialog(qtbot, "pinDialog")  # the key is tried once (a decryption) before it is kept
    pin.findChild(QLineEdit, "pinField").setText(softhsm_token.pin)
    qtbot.mouseClick(pin.findChild(QPushButton, "pinOk"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.panel.job is not None and wizard.panel.job.state.terminal, timeout=60000)
    job = wizard.panel.job
    assert job is not None and job.state is JobState.SUCCEEDED, wizard.panel.error.text()
    assert isinstance(job.result, KeygenResult) and job.result.reused
    assert job.result.fingerprint_sha256 == test_pki.encryption.fingerprint
    assert wizard.panel.outcome.text().splitlines()[0].startswith("Bi-clé réutilisé : ")
