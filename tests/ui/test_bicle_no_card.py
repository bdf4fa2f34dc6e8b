"""The bi-clé wizard's card choice with no card plugged in: "Suivant" is refused (the job could only
fail), saying why on the screen and to assistive technology, and accepted as soon as a card is
plugged in, without leaving the step.

"No card" is a workstation whose settings name no PKCS#11 module and look for none; "the card is
plugged in" is the session's SoftHSM2 module named afterwards — the wizard sees it by itself, as it
would see a reader's token appear."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel

from assistant.jobs.engine import JobEngine
from assistant.settings import Settings
from assistant.ui.interaction import QtUserInteraction
from assistant.ui.main_window import MainWindow
from tests import pki
from tests.ui.conftest import shot


@pytest.fixture
def no_card_window(qtbot: Any, interaction: QtUserInteraction, tmp_path: Path) -> Iterator[MainWindow]:
    settings = Settings(pkcs11_modules=[], pkcs11_autodiscover=False)
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


def test_next_waits_for_a_card_and_accepts_it_once_plugged_in(
    qtbot: Any, no_card_window: MainWindow, softhsm_token: pki.SoftHsmToken, screens: Path
) -> None:
    window = no_card_window
    window.show_page("bicle")
    wizard = window.bicle
    qtbot.keyClicks(wizard.name, "Service Achats")
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert wizard.step_label.text() == "Étape 2 sur 4 : Magasin"
    assert wizard.store_buttons["pkcs11:"].isChecked()
    qtbot.waitUntil(lambda: wizard.tokens == [], timeout=30000)
    note = wizard.findChild(QLabel, "bicleTokenNote")
    assert note is not None and note.isVisible()
    assert note.text().startswith("Aucune carte détectée : branchez-la pour continuer")
    # Refused, and the reason is given to the mouse (tooltip) and to a screen reader alike.
    assert not wizard.next_button.isEnabled()
    reason = "Aucune carte détectée : branchez la carte à puce ou la clé USB pour continuer."
    assert wizard.next_button.accessibleDescription() == reason
    assert wizard.next_button.toolTip() == reason
    shot(window, screens, "bicle-no-card")
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert wizard.step_label.text() == "Étape 2 sur 4 : Magasin"  # a click does nothing
    # Another store needs no card: "Suivant" is accepted for it.
    wizard.store_buttons["vault"].setChecked(True)
    assert wizard.next_button.isEnabled() and wizard.next_button.accessibleDescription() == ""
    wizard.store_buttons["pkcs11:"].setChecked(True)
    assert not wizard.next_button.isEnabled()
    # The card is plugged in: seen on the step itself, "Suivant" accepted again.
    window.engine.settings.pkcs11_modules.append(softhsm_token.module)
    qtbot.waitUntil(lambda: bool(wizard.tokens), timeout=30000)
    assert wizard.next_button.isEnabled()
    assert wizard.next_button.accessibleDescription() == "" and wizard.next_button.toolTip() == ""
    assert not note.text().startswith("Aucune carte")
    assert wizard.store.startswith("pkcs11:") and wizard.store != "pkcs11:"
    choice = wizard.findChild(QComboBox, "bicleToken")
    assert choice is not None and choice.isVisible() and choice.currentText().startswith(pki.TOKEN_LABEL)
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert wizard.step_label.text() == "Étape 3 sur 4 : Sauvegarde"
