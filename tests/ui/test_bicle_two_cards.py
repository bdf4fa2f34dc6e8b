"""The bi-clé wizard with two cards plugged in: the store step lists both by their names (label,
maker and model, serial number) and the key is created on the one the user chose, the other left
untouched.

Two SoftHSM2 tokens: the session's card, and "Carte de secours" in a second token folder served by
a copy of the SoftHSM2 module (the module reads its configuration once per process, when first
loaded: a second copy, loaded while SOFTHSM2_CONF names the second folder, is a second reader, as a
second USB key with another vendor's middleware would be)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton

from assistant.jobs.engine import JobEngine
from assistant.jobs.model import JobState
from assistant.jobs.results import KeygenResult
from assistant.keystores.pkcs11.modules import load_module
from assistant.settings import Settings
from assistant.ui.interaction import QtUserInteraction
from assistant.ui.main_window import MainWindow
from tests import pki
from tests.ui.conftest import shot, wait_for_dialog

SECOND = "Carte de secours"
NAME = "Service Achats Carte 2"
CN = f"Clé de déchiffrement de {NAME}"


@pytest.fixture
def second_card(softhsm_token: pki.SoftHsmToken, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(module path, configuration) of a second SoftHSM2 reader holding the token "Carte de secours"."""
    folder = tmp_path / "second-card"
    folder.mkdir()
    token = pki.make_softhsm(folder, label=SECOND)
    module = folder / "libsofthsm2-copy.so"
    shutil.copyfile(softhsm_token.module, module)
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(token.conf)
    try:
        load_module(str(module))  # initialised now, on the second folder
    finally:
        if previous is None:
            os.environ.pop("SOFTHSM2_CONF", None)
        else:
            os.environ["SOFTHSM2_CONF"] = previous
    yield str(module), token.conf


def objects_on(module: str, conf: Path, label: str) -> str:
    listed = subprocess.run(
        [
            "pkcs11-tool",
            "--module",
            module,
            "--token-label",
            label,
            "--login",
            "--pin",
            pki.TOKEN_PIN,
            "--list-objects",
        ],
        env={**os.environ, "SOFTHSM2_CONF": str(conf)},
        capture_output=True,
        text=True,
        check=True,
    )
    return listed.stdout


def test_the_bicle_is_created_on_the_card_the_user_chose(
    qtbot: Any,
    interaction: QtUserInteraction,
    softhsm_token: pki.SoftHsmToken,
    second_card: tuple[str, Path],
    tmp_path: Path,
    screens: Path,
) -> None:
    module, conf = second_card
    settings = Settings(pkcs11_modules=[module])  # SoftHSM2 itself is found on the workstation
    engine = JobEngine(interaction=interaction, settings=settings, journal_path=tmp_path / "journal.sqlite3")
    window = MainWindow(engine, None, settings, folder_questions=interaction.folder_questions)
    qtbot.addWidget(window)
    window.resize(1024, 700)
    window.show()
    try:
        window.show_page("bicle")
        wizard = window.bicle
        qtbot.keyClicks(wizard.name, NAME)
        qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
        assert wizard.step_label.text() == "Étape 2 sur 4 : Magasin"
        # Both cards are listed by name; the choice is the user's.
        qtbot.waitUntil(lambda: wizard.tokens is not None, timeout=30000)
        choice = wizard.findChild(QComboBox, "bicleToken")
        assert choice is not None and choice.isVisible() and choice.isEnabled()
        names = [choice.itemText(i) for i in range(choice.count())]
        assert len(names) == 2, names
        assert [name.split(" — ")[0] for name in names] == [pki.TOKEN_LABEL, SECOND]
        for name in names:
            assert " — SoftHSM project SoftHSM v2, n° " in name, name
        note = wizard.findChild(QLabel, "bicleTokenNote")
        assert note is not None and note.text() == "2 cartes sont branchées : choisissez celle qui gardera la clé."
        choice.setCurrentIndex(1)
        assert wizard.store.startswith("pkcs11:serial=") and "token=Carte%20de%20secours" in wizard.store
        shot(window, screens, "bicle-two-cards")
        qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)  # to the backup step
        qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)  # "Créer le bi-clé"
        pin = wait_for_dialog(qtbot, "pinDialog")
        heading = pin.findChild(QLabel, "pinHeading")
        assert heading is not None and f"« {SECOND}" in heading.text(), heading.text()
        pin.findChild(QLineEdit, "pinField").setText(pki.TOKEN_PIN)
        qtbot.mouseClick(pin.findChild(QPushButton, "pinOk"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: wizard.panel.job is not None and wizard.panel.job.state.terminal, timeout=60000)
        job = wizard.panel.job
        assert job is not None and job.state is JobState.SUCCEEDED, wizard.panel.error.text()
        assert isinstance(job.result, KeygenResult) and job.result.subject == f"CN={CN}"
        assert job.result.store_kind == "pkcs11" and job.result.store_label == SECOND
        # On the chosen card, and only there.
        assert CN in objects_on(module, conf, SECOND)
        assert CN not in objects_on(softhsm_token.module, softhsm_token.conf, softhsm_token.label)
    finally:
        window.dispose()
        engine.shutdown(wait=True)
