"""The main window as the user sees it: pages, certificates with verdicts, the signature wizard end to end."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton

from assistant.bridge.server import BridgeServer
from assistant.jobs.engine import JobEngine
from assistant.keystores.inventory import list_certificates
from assistant.settings import Settings
from assistant.ui.interaction import QtUserInteraction
from assistant.ui.main_window import MainWindow
from tests import pki
from tests.signing.validators import openssl_cms_verify
from tests.ui.conftest import shot, wait_for_dialog


def _answer_password(qtbot: Any, password: str = pki.P12_PASSWORD) -> str:
    dialog = wait_for_dialog(qtbot, "pinDialog")
    heading = dialog.findChild(QLabel, "pinHeading")
    assert heading is not None
    field = dialog.findChild(QLineEdit, "pinField")
    assert field is not None
    qtbot.keyClicks(field, password)
    ok = dialog.findChild(QPushButton, "pinOk")
    assert ok is not None
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    return heading.text()


def test_navigation_and_home_page_with_running_bridge(
    qtbot: Any, engine: JobEngine, p12_settings: Settings, interaction: QtUserInteraction, screens: Path
) -> None:
    bridge = BridgeServer(engine, p12_settings, interaction, port=0)
    approved = bridge.registry.approve("https://marches.example.fr")
    bridge.start()
    try:
        win = MainWindow(engine, bridge, p12_settings, demo_url="http://127.0.0.1:9/demo")
        qtbot.addWidget(win)
        win.resize(1024, 768)
        win.show()
        labels = [win.navigation.item(i).text().strip() for i in range(win.navigation.count())]
        # The original's sidebar: the local tools under their heading, then the remote jobs.
        assert labels == [
            "Accueil",
            "Applications et outils locaux",
            "Signer",
            "Vérifier une signature",
            "Déchiffrement hors ligne",
            "Bi-clés de chiffrement",
            "Mes certificats",
            "Préparer mon dépôt",
            "Traitements distants",
            "Test de configuration",
            "Options avancées",
        ]
        assert not win.navigation.item(1).flags() & Qt.ItemFlag.ItemIsSelectable
        assert win.windowTitle().startswith("Assistant Marchés Publics (")
        assert win.home.status.text() == "État de l'assistant : <b>En ligne</b>"
        assert win.home.bridge_url.text() == f"Adresse de connexion des plateformes : {bridge.url}"
        assert bridge.url.startswith("https://127.0.0.1:")
        # The platform by its host (no scheme, no default port), its address in the tooltip.
        assert [win.home.origins.item(i).text() for i in range(win.home.origins.count())] == ["marches.example.fr"]
        assert win.home.origins.item(0).toolTip() == approved
        shot(win, screens, "home")
        # Revoking an approval from the home page removes it from the bridge's registry.
        win.home.origins.setCurrentRow(0)
        qtbot.mouseClick(win.home.revoke_button, Qt.MouseButton.LeftButton)
        assert not bridge.registry.is_approved(approved)
        assert win.home.origins.item(0).text() == "Aucune plateforme autorisée pour l'instant."
        win.show_page("diagnostics")
        assert win.current_page() == "diagnostics"
        assert win.diagnostics.url.text() == "http://127.0.0.1:9/demo"
        win.dispose()
    finally:
        bridge.stop()
    offline = MainWindow(engine, None, p12_settings)
    qtbot.addWidget(offline)
    assert offline.home.status.text() == "État de l'assistant : <b>Hors ligne</b>"
    offline.dispose()


def test_certificates_page_lists_verdicts_after_adding_p12(
    qtbot: Any, window: MainWindow, test_pki: pki.TestPki, screens: Path
) -> None:
    page = window.certificates
    page.settings.pkcs12_files = []
    with qtbot.waitSignal(page.loaded, timeout=20000):
        window.show_page("certificates")
    # The session's SoftHSM token (the smart card) is listed without any PIN.
    on_card = {page.table.item(r, 0).text() for r in range(page.table.rowCount())}
    assert "Jeanne Dupont — Assistant Marchés Publics Tests" in on_card
    assert not any(name.startswith(("Ancien Signataire", "Paul Durand")) for name in on_card)
    for item in (test_pki.signer, test_pki.expired, test_pki.auth_only):
        with qtbot.waitSignal(page.loaded, timeout=20000):
            page.add_pkcs12(item.files["p12"])
            heading = _answer_password(qtbot)
        assert f"« {item.files['p12'].name} »" in heading
    assert Settings.load().pkcs12_files == [
        str(i.files["p12"].resolve()) for i in (test_pki.signer, test_pki.expired, test_pki.auth_only)
    ]
    rows = {page.table.item(r, 0).text(): page.table.item(r, 3).text() for r in range(page.table.rowCount())}
    assert rows["Jeanne Dupont — Assistant Marchés Publics Tests"] == "Adapté pour les marchés publics"
    assert rows["Ancien Signataire — Assistant Marchés Publics Tests"] == "Expiré, ne peut plus signer"
    assert rows["Paul Durand (authentification) — Assistant Marchés Publics Tests"] == (
        "Authentification uniquement, ne signe pas"
    )
    assert len(rows) == page.table.rowCount()  # each certificate once, wherever it was found
    assert page.state.text() == f"{page.table.rowCount()} certificat(s)"
    row_of = {page.table.item(r, 0).text().split(" — ")[0]: r for r in range(page.table.rowCount())}
    page.table.selectRow(row_of["Ancien Signataire"])
    details = page.details.toPlainText()
    expired_on = test_pki.expired.certificate.not_valid_after_utc.astimezone().strftime("%d/%m/%Y")
    assert f"Certificat expiré le {expired_on}" in details
    # Found on the card and in the file: one entry naming both stores, the card first.
    assert page.table.item(row_of["Jeanne Dupont"], 2).text() == "amp-test-token, signer.p12"
    shot(window, screens, "certificates")
    # The listing is remembered: a new listing, without any password, shows the three certificates.
    count = page.table.rowCount()
    with qtbot.waitSignal(page.loaded, timeout=20000):
        page.refresh()
    assert page.table.rowCount() == count


def test_sign_wizard_end_to_end_cades(
    qtbot: Any, window: MainWindow, test_pki: pki.TestPki, tmp_path: Path, p12_settings: Settings, screens: Path
) -> None:
    # A qualified certificate that exists only in a .p12 file (not on the card).
    own = pki.write_files(
        pki.issue("camille", "Camille Petit", test_pki.ca, key_usage={"non_repudiation"}, qc=True),
        tmp_path / "mes-certificats",
    )
    p12_settings.pkcs12_files.append(str(own.files["p12"]))
    # The user added the .p12 once (its certificate is encrypted inside): the inventory remembers it.
    list_certificates(lambda _request: pki.P12_PASSWORD, p12_settings)
    folder = tmp_path / "Réponse à la consultation"
    folder.mkdir()
    first = folder / "Offre_Lot3.zip"
    first.write_bytes(b"PK\x03\x04 offre du lot 3" * 1000)
    second = folder / "Mémoire technique 'v2'.txt"
    second.write_text("Mémoire technique de l'entreprise\n" * 50, encoding="utf-8")
    originals = {p: p.read_bytes() for p in (first, second)}

    wizard = window.sign
    window.show_page("sign")
    assert not wizard.files_next.isEnabled()
    wizard.add_files([first, second])
    assert wizard.files_table.rowCount() == 2
    assert wizard.files_table.item(0, 0).text() == "Offre_Lot3.zip"
    assert wizard.files_table.cellWidget(0, 2).currentText() == "CAdES"  # type: ignore[union-attr]
    assert wizard.zip_notice.isVisible()  # a ZIP signed as one file: the user is told what it means
    shot(window, screens, "sign-1-files")

    qtbot.mouseClick(wizard.files_next, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.cert_state.text().startswith("Sélectionnez le certificat"), timeout=20000)
    table = wizard.cert_table
    rows = {table.item(r, 0).text().split("\n")[0]: r for r in range(table.rowCount())}
    camille = rows["Camille Petit"]
    assert table.item(camille, 1).text() == "Adapté pour les marchés publics"
    assert table.item(camille, 0).text().split("\n")[1:] == [
        "Émetteur : AMP Test Qualified CA",
        f"Date d'expiration : {own.certificate.not_valid_after_utc.astimezone():%d/%m/%Y}",
    ]
    # Expired and authentication-only certificates are listed but cannot be chosen.
    for name in ("Ancien Signataire", "Paul Durand (authentification)"):
        assert not table.item(rows[name], 0).flags() & Qt.ItemFlag.ItemIsSelectable
    assert not wizard.select_certificate(test_pki.expired.fingerprint)
    assert wizard.select_certificate(own.fingerprint)
    assert wizard.sign_button.isEnabled()
    shot(window, screens, "sign-2-certificate")

    before = dt.datetime.now()
    with qtbot.waitSignal(wizard.finished, timeout=60000):
        qtbot.mouseClick(wizard.sign_button, Qt.MouseButton.LeftButton)
        assert wizard.progress_label.text() == "Signature électronique du fichier 1 sur 2"
        shot(window, screens, "sign-3-progress")
        heading = _answer_password(qtbot)
        assert "camille.p12" in heading
    assert wizard.summary.text() == (
        "<b>La signature électronique des fichiers sélectionnés s'est terminée avec succès.</b>"
    )
    assert wizard.counts.text() == ("• Nombre de fichiers à signer : 2\n• Nombre de fichiers signés avec succès : 2")
    texts = wizard.result_texts()
    shot(window, screens, "sign-4-confirmation")
    assert "↳ Format de signature : CADES" in texts
    assert f"↳ Répertoire de destination : {folder.resolve()}" in texts
    generated = [t.removeprefix("↳ Fichier généré : ") for t in texts if t.startswith("↳ Fichier généré : ")]
    assert len(generated) == 2
    for source, name in zip((first, second), generated, strict=True):
        match = re.fullmatch(re.escape(source.name) + r" - (\d{14}) - Signature 1\.p7s", name)
        assert match, name
        assert dt.datetime.strptime(match.group(1), "%Y%m%d%H%M%S") >= before.replace(microsecond=0) - dt.timedelta(
            seconds=2
        )
        output = folder / name
        assert output.is_file()
        verified = openssl_cms_verify(output, source, test_pki.ca_bundle)
        assert verified.returncode == 0, verified.stderr.decode()
        signer_cert = subprocess.run(
            ["openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", str(output)],
            capture_output=True,
            text=True,
        ).stdout
        assert "Camille Petit" in signer_cert
    assert {p: p.read_bytes() for p in (first, second)} == originals
    assert len(window.sign.findChildren(QPushButton, "openFolder")) == 2
    # "Terminer" brings the wizard back to an empty first step.
    qtbot.mouseClick(window.sign.findChild(QPushButton, "signDone"), Qt.MouseButton.LeftButton)
    assert wizard.stack.currentIndex() == 0 and wizard.files_table.rowCount() == 0


def test_sign_wizard_cancelled_pin_signs_nothing(
    qtbot: Any, window: MainWindow, test_pki: pki.TestPki, tmp_path: Path, screens: Path
) -> None:
    source = tmp_path / "contrat.txt"
    source.write_text("contrat", encoding="utf-8")
    wizard = window.sign
    window.show_page("sign")
    wizard.add_files([source])
    wizard.set_format(source, "xades")
    qtbot.mouseClick(wizard.files_next, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.cert_state.text().startswith("Sélectionnez le certificat"), timeout=20000)
    assert wizard.select_certificate(test_pki.signer.fingerprint)  # on the SoftHSM card
    with qtbot.waitSignal(wizard.finished, timeout=60000):
        qtbot.mouseClick(wizard.sign_button, Qt.MouseButton.LeftButton)
        dialog = wait_for_dialog(qtbot, "pinDialog")
        assert dialog.windowTitle() == "Code PIN"
        heading = dialog.findChild(QLabel, "pinHeading")
        assert heading is not None and f"« {pki.TOKEN_LABEL}" in heading.text()
        cancel = dialog.findChild(QPushButton, "pinCancel")
        assert cancel is not None
        qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert wizard.summary.text() == "<b>Aucun fichier n'a été signé.</b>"
    texts = wizard.result_texts()
    assert "↳ Format de signature : XADES" in texts
    assert any(t.startswith("↳ Erreur : ") for t in texts), texts
    shot(window, screens, "sign-cancelled")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("contrat")) == ["contrat.txt"]


def test_sign_wizard_pades_on_the_card_after_a_wrong_pin(
    qtbot: Any, window: MainWindow, test_pki: pki.TestPki, tmp_path: Path, screens: Path
) -> None:
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from tests.signing.conftest import make_pdf

    source = make_pdf(tmp_path / "0-Lettre informative.pdf", "Lettre informative")
    original = source.read_bytes()
    wizard = window.sign
    window.show_page("sign")
    wizard.add_files([source])
    assert wizard.files_table.cellWidget(0, 2).currentText() == "PAdES"  # type: ignore[union-attr]
    qtbot.mouseClick(wizard.files_next, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.cert_state.text().startswith("Sélectionnez le certificat"), timeout=20000)
    assert wizard.select_certificate(test_pki.signer.fingerprint)  # Jeanne Dupont, on the SoftHSM card
    with qtbot.waitSignal(wizard.finished, timeout=60000):
        qtbot.mouseClick(wizard.sign_button, Qt.MouseButton.LeftButton)
        _answer_password(qtbot, "999999")  # wrong PIN: the card refuses it
        dialog = wait_for_dialog(qtbot, "pinDialog")  # asked again, saying why
        warning = dialog.findChild(QLabel, "pinWarning")
        assert warning is not None and warning.text().startswith("Code PIN incorrect.")
        shot(dialog, screens, "pin-retry")
        _answer_password(qtbot, pki.TOKEN_PIN)
    assert wizard.summary.text().startswith("<b>La signature électronique des fichiers sélectionnés s'est terminée")
    texts = wizard.result_texts()
    assert "↳ Format de signature : PADES" in texts
    generated = next(t.removeprefix("↳ Fichier généré : ") for t in texts if t.startswith("↳ Fichier généré : "))
    assert re.fullmatch(r"0-Lettre informative - \d{14} - Signature 1\.pdf", generated), generated
    signed = tmp_path / generated
    assert signed.read_bytes().startswith(original)  # incremental update: the original bytes are kept
    assert source.read_bytes() == original
    root = asn1_x509.Certificate.load(test_pki.root.cert_der)
    # The card holds only the signer's certificate: the issuing CA is given to the validator.
    issuing = asn1_x509.Certificate.load(test_pki.ca.cert_der)
    with signed.open("rb") as fh:
        embedded = PdfFileReader(fh).embedded_signatures[0]
        status = validate_pdf_signature(embedded, ValidationContext(trust_roots=[root], other_certs=[issuing]))
    assert status.intact and status.valid and status.bottom_line, status.pretty_print_details()


def test_import_p12_into_the_system_store(
    qtbot: Any,
    window: MainWindow,
    test_pki: pki.TestPki,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    screens: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))  # the user's own ~/.pki/nssdb, created by the import
    own = pki.write_files(
        pki.issue("dominique", "Dominique Bernard", test_pki.ca, key_usage={"non_repudiation"}, qc=True),
        tmp_path / "fichiers",
    )
    page = window.certificates
    page.settings.pkcs12_files = []
    with qtbot.waitSignal(page.loaded, timeout=20000):
        window.show_page("certificates")
    names = [page.table.item(r, 0).text() for r in range(page.table.rowCount())]
    assert not any(n.startswith("Dominique Bernard") for n in names)

    with qtbot.waitSignal(page.imported, timeout=30000) as blocker:
        page.import_into_system_store(own.files["p12"])
        heading = _answer_password(qtbot)
        assert "« dominique.p12 »" in heading
    assert blocker.args[0] == "Certificat « dominique » importé dans « NSS (~/.pki/nssdb) »."
    assert (home / ".pki" / "nssdb" / "cert9.db").is_file()
    qtbot.waitUntil(
        lambda: any(page.table.item(r, 0).text().startswith("Dominique Bernard") for r in range(page.table.rowCount())),
        timeout=20000,
    )
    row = next(r for r in range(page.table.rowCount()) if page.table.item(r, 0).text().startswith("Dominique Bernard"))
    assert page.table.item(row, 2).text() == "NSS (~/.pki/nssdb)"
    assert page.table.item(row, 3).text() == "Adapté pour les marchés publics"
    page.table.selectRow(row)
    assert page.details.toPlainText().startswith("Dominique Bernard")
    shot(window, screens, "certificates-imported")
    # certutil, the reference tool, sees the key and the certificate in the database.
    listed = subprocess.run(
        [pki.require_tool("certutil"), "-K", "-d", f"sql:{home / '.pki' / 'nssdb'}"],
        capture_output=True,
        text=True,
        input="",
    )
    assert "dominique" in listed.stdout, listed.stdout + listed.stderr

    # A wrong password changes nothing and says so.
    with qtbot.waitSignal(page.imported, timeout=30000) as blocker:
        page.import_into_system_store(test_pki.signer_ec.files["p12"])
        _answer_password(qtbot, "mauvais")
    assert blocker.args[0].startswith("L'import a échoué : "), blocker.args[0]
    assert blocker.args[0] == "L'import a échoué : Mot de passe incorrect pour signer_ec.p12."
    assert page.warning_label.text() == blocker.args[0]
