"""The local tools of the sidebar, driven like a user would, on real parts: "Vérifier une
signature" on a signed PDF and a detached XAdES (pyHanko and xmlsec-made signatures judged by the
signing layer through the engine's job), the report exported as PDF and HTML; "Options avancées"
saved to the settings file, refusing what cannot work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QPushButton

from assistant.jobs.engine import JobEngine
from assistant.jobs.model import JobState
from assistant.keystores.base import Credential
from assistant.settings import Settings
from assistant.signing import SignFormat, sign_files
from assistant.ui.interaction import QtUserInteraction
from assistant.ui.main_window import MainWindow
from tests import pki
from tests.envelopes.conftest import Recipients
from tests.envelopes.conftest import recipients as recipients
from tests.envelopes.test_folder_cli import _consultation
from tests.signing.conftest import make_pdf, p12_credential, p12_pin  # noqa: F401 - fixtures
from tests.ui.conftest import shot, visible_top_level, wait_for_dialog


def test_verify_a_signed_pdf_and_a_detached_xades_then_export_the_report(
    qtbot: Any,
    window: MainWindow,
    tmp_path: Path,
    p12_credential: Credential,
    screens: Path,
) -> None:
    pdf = make_pdf(tmp_path / "Offre.pdf")
    signed_pdf = sign_files(p12_credential, [pdf], SignFormat.PADES).results[0].output
    document = tmp_path / "Mémoire technique.txt"
    document.write_text("Mémoire technique\n", encoding="utf-8")
    xades = sign_files(p12_credential, [document], SignFormat.XADES).results[0].output
    assert signed_pdf is not None and xades is not None

    window.show_page("verify")
    assert window.current_page() == "verify"
    page = window.verify
    assert not page.verify_button.isEnabled()  # nothing to verify yet
    page.add_files([signed_pdf])
    qtbot.mouseClick(page.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.panel.job is not None and page.panel.job.state.terminal, timeout=60000)
    assert page.panel.job is not None and page.panel.job.state is JobState.SUCCEEDED
    lines = page.panel.outcome.text().splitlines()
    assert lines[0].startswith(f"✗ {signed_pdf.name} : 1 signature") or lines[0].startswith(
        f"✓ {signed_pdf.name} : 1 signature"
    )
    assert "Jeanne Dupont" in lines[1] and lines[1].startswith("    Signature 1 : ")
    assert page.export_button.isEnabled()
    shot(window, screens, "verify-pdf")

    exported = page.export_to(tmp_path / "rapports" / "rapport.pdf")
    assert exported is None  # the folder does not exist: said, nothing written
    assert page.message.text().startswith("Le rapport n'a pas pu être enregistré : ")
    assert not (tmp_path / "rapports").exists()
    pdf_report = page.export_to(tmp_path / "rapport.pdf")
    assert pdf_report is not None and pdf_report.read_bytes().startswith(b"%PDF")
    assert page.message.text() == f"Rapport enregistré : {pdf_report}"

    # A detached XAdES with the document it covers.
    page.clear()
    page.add_files([xades])
    page.detached.setText(str(document))
    job = page.verify()
    assert job is not None
    qtbot.waitUntil(lambda: page.panel.job is not None and page.panel.job.state.terminal, timeout=60000)
    assert page.result is not None and len(page.result.reports) == 1
    signatures = page.result.reports[0].report["signatures"]
    assert len(signatures) == 1 and signatures[0]["signer"] == "Jeanne Dupont" and signatures[0]["intact"] is True
    html = page.export_to(tmp_path / "rapport.html")
    assert html is not None
    text = html.read_text(encoding="utf-8")
    assert "Rapport de vérification de signature" in text and xades.name in text and "Jeanne Dupont" in text
    shot(window, screens, "verify-xades")


def test_advanced_options_are_saved_and_checked(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # the session's autostart entries
    window.show_page("settings")
    page = window.settings_page
    page.tsa.setText("horodatage.example.fr")
    assert not page.save()
    assert page.message.text() == "L'adresse du serveur d'horodatage doit commencer par https:// ou http://."
    assert Settings.load().tsa_url == ""
    page.tsa.setText("https://horodatage.example.fr/tsa")
    page.modules._add(str(tmp_path / "absent.so"))
    assert not page.save()
    assert page.message.text() == f"Fichier introuvable : {tmp_path / 'absent.so'}"
    page.modules.list.clear()
    page.language.setCurrentIndex(page.language.findData("en"))
    page.autostart.setChecked(True)
    page.updates.setChecked(False)
    assert page.save()
    stored = Settings.load()
    assert (stored.tsa_url, stored.language, stored.pkcs11_modules) == ("https://horodatage.example.fr/tsa", "en", [])
    assert stored.update_check is False
    assert page.message.text() == "Réglages enregistrés."
    # Start with the session: the desktop's autostart entry, written for this user only.
    from assistant.autostart import autostart_status

    assert autostart_status().enabled
    assert list((tmp_path / "config" / "autostart").glob("*.desktop"))
    page.autostart.setChecked(False)
    assert page.save() and not autostart_status().enabled


def test_decrypt_a_downloaded_folder_offline(
    qtbot: Any,
    interaction: QtUserInteraction,
    recipients: Recipients,
    softhsm_token: pki.SoftHsmToken,
    tmp_path: Path,
    screens: Path,
) -> None:
    # A consultation as the download job lays it out: two plis, two envelopes each (OpenSSL-made).
    root = tmp_path / "Plateforme de démonstration"
    expected = _consultation(root, recipients)
    settings = Settings()  # the bi-clé is on the smart card (SoftHSM2), as on a buyer's desk
    engine = JobEngine(interaction=interaction, settings=settings, journal_path=tmp_path / "journal.sqlite3")
    window = MainWindow(engine, None, settings, folder_questions=interaction.folder_questions)
    qtbot.addWidget(window)
    window.resize(1024, 700)
    window.show()
    try:
        window.show_page("decrypt")
        page = window.decrypt
        assert not page.start_button.isEnabled()
        page.folder.setText(str(root))
        assert page.out_dir.text() == f"{root} - déchiffré"
        out_dir = tmp_path / "déchiffré"
        page.out_dir.setText(str(out_dir))
        qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
        # The bi-clé is chosen by the user (the card's first), then the card's PIN asked.
        dialog = wait_for_dialog(qtbot, "chooseCredentialDialog")
        listing = dialog.findChild(QListWidget, "credentialList")
        assert listing.currentItem().text().startswith("Clé de déchiffrement")
        qtbot.mouseClick(dialog.findChild(QPushButton, "credentialChoose"), Qt.MouseButton.LeftButton)
        pin = wait_for_dialog(qtbot, "pinDialog")
        pin.findChild(QLineEdit, "pinField").setText(softhsm_token.pin)
        qtbot.mouseClick(pin.findChild(QPushButton, "pinOk"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: page.panel.job is not None and page.panel.job.state.terminal, timeout=60000)
        assert page.panel.job is not None and page.panel.job.state is JobState.SUCCEEDED, page.panel.error.text()
        assert page.panel.outcome.text().splitlines()[0] == "4 enveloppe(s) déchiffrée(s) sur 4"
        assert page.panel.open_folder_button.isVisible() and page.panel.folder == str(out_dir)
        for rel, data in expected.items():
            assert (out_dir / rel).read_bytes() == data, rel
        shot(window, screens, "decrypt-done")
    finally:
        window.dispose()
        engine.shutdown(wait=True)


def test_sign_wizard_takes_dropped_files_and_says_why_a_choice_is_unavailable(
    qtbot: Any,
    window: MainWindow,
    tmp_path: Path,
) -> None:
    from PySide6.QtCore import QMimeData, QPoint, QUrl
    from PySide6.QtGui import QDropEvent

    window.show_page("sign")
    wizard = window.sign
    document = make_pdf(tmp_path / "Acte d'engagement.pdf")
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(document)), QUrl.fromLocalFile(str(tmp_path / "absent.pdf"))])
    event = QDropEvent(
        QPoint(10, 10), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    wizard.dropEvent(event)
    assert [p.name for p, _combo in wizard.files] == ["Acte d'engagement.pdf"]  # the missing file is not added
    wizard.go_to_certificates()
    # No timestamp server configured: the option is greyed out and says why, beside it.
    assert not wizard.timestamp.isEnabled() and wizard.timestamp_why.isVisible()
    assert wizard.timestamp_why.text() == (
        "Horodatage indisponible : aucun serveur d'horodatage n'est configuré (Options avancées)."
    )


def test_a_chosen_password_is_typed_twice_and_a_refused_one_is_asked_again(
    qtbot: Any,
    window: MainWindow,
    engine: JobEngine,
) -> None:
    # A bi-clé in the assistant's vault: the user chooses the vault's password.
    job = engine.submit(
        {"version": 1, "type": "keygen", "params": {"name": "Jeanne Dupont", "store": "vault"}}, "local"
    )
    dialog = wait_for_dialog(qtbot, "pinDialog")
    rule = dialog.findChild(QLabel, "pinRule")
    assert rule is not None and rule.isVisible() and rule.text().startswith("Règle : Au moins ")  # said before typing
    field, confirm = dialog.findChild(QLineEdit, "pinField"), dialog.findChild(QLineEdit, "pinConfirm")
    ok = dialog.findChild(QPushButton, "pinOk")
    field.setText("demo")
    confirm.setText("dema")
    assert not ok.isEnabled() and dialog.findChild(QLabel, "pinMismatch").isVisible()
    confirm.setText("demo")
    assert ok.isEnabled()
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    # "demo" breaks the rule: asked again with the reason, the job still waiting (not failed).
    qtbot.waitUntil(
        lambda: visible_top_level("pinDialog") is not None and visible_top_level("pinDialog") is not dialog,
        timeout=15000,
    )
    again = wait_for_dialog(qtbot, "pinDialog")
    warning = again.findChild(QLabel, "pinWarning")
    assert warning.isVisible() and warning.text().startswith("Mot de passe trop faible")
    current = engine.get(job.id)
    assert current is not None and not current.state.terminal
    strong = "Offres-2026-Mairie!"
    again.findChild(QLineEdit, "pinField").setText(strong)
    again.findChild(QLineEdit, "pinConfirm").setText(strong)
    qtbot.mouseClick(again.findChild(QPushButton, "pinOk"), Qt.MouseButton.LeftButton)
    final = engine.wait(job.id, timeout=60)
    assert final is not None and final.state is JobState.SUCCEEDED, final and final.error
