"""`make screenshots`: every screen of the window, in French and in English, into docs/screenshots/.

Run under a virtual X server (the Makefile uses xvfb-run). The window is the real one, on a real
engine, with a throw-away test PKI (tests/pki.py: a qualified signer's .p12) and its own settings
folder, so nothing of the user's is read or written. Each screen is grabbed at 1024×700, the
smallest size the window is designed for. File names: <screen>-<language>.png.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="amp-screens-"))
    os.environ["ASSISTANT_HOME"] = str(work / "home")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    os.environ["ASSISTANT_NO_BROWSER"] = "1"
    (work / "home").mkdir()
    # Run as a file, Python puts tests/ first on the path, where tests/platform would hide the
    # standard library's `platform`: the repository's root goes there instead.
    sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
    from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QWidget

    from assistant import i18n
    from assistant.jobs.engine import JobEngine
    from assistant.keystores.inventory import list_certificates
    from assistant.settings import Settings
    from assistant.signing import SignFormat, sign_files
    from assistant.ui.application import ensure_application, install_qt_translations
    from assistant.ui.dialogs.approve_origin import ApproveOriginDialog
    from assistant.ui.interaction import QtUserInteraction
    from assistant.ui.main_window import MainWindow
    from tests import pki
    from tests.signing.conftest import make_pdf

    app = ensure_application()
    test_pki = pki.make_pki(work / "pki")
    files = work / "Mes documents"
    files.mkdir()
    offer = make_pdf(files / "Offre technique.pdf")
    memo = files / "Mémoire technique.txt"
    memo.write_text("Mémoire technique\n", encoding="utf-8")
    from assistant.keystores.pkcs12 import Pkcs12Store

    store = Pkcs12Store(test_pki.signer.files["p12"], lambda _request: pki.P12_PASSWORD)
    signed = sign_files(store.credentials()[0], [offer], SignFormat.PADES, out_dir=work).results[0].output
    store.close()
    OUT.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def wait(seconds: float, until: Callable[[], bool] = lambda: False) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not until():
            app.processEvents()
            time.sleep(0.02)

    def grab(widget: QWidget, name: str, language: str) -> None:
        wait(0.3)
        path = OUT / f"{name}-{language}.png"
        widget.grab().save(str(path))
        written.append(path)

    def visible_dialog(name: str) -> QWidget | None:
        return next((w for w in app.topLevelWidgets() if w.objectName() == name and w.isVisible()), None)

    for language in ("fr", "en"):
        for previous in files.glob("* - Signature *"):  # each language signs afresh ("Signature 1")
            previous.unlink()
        i18n.set_language(language)
        install_qt_translations(app, language)
        settings = Settings(pkcs12_files=[str(test_pki.signer.files["p12"])], tsa_url="")
        # The user opened the .p12 once (its certificate is encrypted inside): the inventory remembers it.
        list_certificates(lambda _request: pki.P12_PASSWORD, settings)
        interaction = QtUserInteraction()
        engine = JobEngine(
            interaction=interaction, settings=settings, journal_path=work / f"journal-{language}.sqlite3"
        )
        window = MainWindow(
            engine, None, settings, folder_questions=interaction.folder_questions, demo_url="http://127.0.0.1:8765/"
        )
        window.resize(1024, 700)
        window.show()
        wait(0.5)
        grab(window, "accueil", language)
        window.show_page("certificates")
        wait(10, lambda w=window: w.certificates.table.rowCount() > 0)
        grab(window, "mes-certificats", language)
        window.show_page("sign")
        window.sign.add_files([offer, memo])
        grab(window, "signer-1-fichiers", language)
        window.sign.go_to_certificates()
        wait(10, lambda w=window: w.sign.cert_table.rowCount() > 0)
        grab(window, "signer-2-certificat", language)
        # Steps 3 and 4: signing (the .p12's password asked while step 3 shows), then the confirmation.
        window.sign.select_certificate(test_pki.signer.fingerprint)
        window.sign.sign_button.click()
        wait(20, lambda: visible_dialog("pinDialog") is not None)
        grab(window, "signer-3-signature", language)
        deadline = time.monotonic() + 60
        while window.sign.stack.currentIndex() != 3 and time.monotonic() < deadline:
            pin_dialog = visible_dialog("pinDialog")  # asked once per format (a job each)
            if pin_dialog is not None:
                pin_dialog.findChild(QLineEdit, "pinField").setText(pki.P12_PASSWORD)
                pin_dialog.findChild(QPushButton, "pinOk").click()
            wait(0.1)
        grab(window, "signer-4-confirmation", language)
        window.sign.reset()
        window.show_page("verify")
        if signed is not None:
            window.verify.add_files([signed])
            window.verify.add_anchor(test_pki.root_pem)  # the test PKI's root, as a user adds a private CA
            window.verify.verify()
            wait(30, lambda w=window: w.verify.panel.job is not None and w.verify.panel.job.state.terminal)
        grab(window, "verifier-une-signature", language)
        window.show_page("decrypt")
        window.decrypt.folder.setText(str(work / "Téléchargements" / "Plateforme de démonstration"))
        grab(window, "dechiffrement-hors-ligne", language)
        # The bi-clé wizard, step by step, up to a vault key with its backup (passwords typed here).
        window.show_page("bicle")
        wizard = window.bicle
        wizard.name.setText("Service Achats" if language == "fr" else "Purchasing Department")
        wizard.rescue.setChecked(True)
        grab(window, "bicle-1-nom", language)
        wizard.next()
        wait(20, lambda w=wizard: w.tokens is not None)  # the plugged-in cards, listed in the background
        grab(window, "bicle-2-magasin", language)
        wizard.store_buttons["vault"].setChecked(True)
        wizard.next()
        wizard.backup.setChecked(True)
        wizard.backup_path.setText(str(work / f"sauvegarde-{language}.p12"))
        grab(window, "bicle-3-sauvegarde", language)
        wizard.next()
        password_shown = False
        while wizard.panel.running:
            dialog = visible_dialog("pinDialog")
            if dialog is None:
                wait(0.1)
                continue
            if not password_shown:
                grab(dialog, "bicle-mot-de-passe", language)
                password_shown = True
            for field in ("pinField", "pinConfirm"):
                dialog.findChild(QLineEdit, field).setText("Offres-2026-Mairie!")
            dialog.findChild(QPushButton, "pinOk").click()
            wait(0.3)
        grab(window, "bicle-4-resultat", language)
        window.show_page("prepare")
        grab(window, "preparer-mon-depot", language)
        window.show_page("jobs")
        wait(1)
        grab(window, "traitements-distants", language)
        window.show_page("diagnostics")
        grab(window, "test-de-configuration", language)
        window.show_page("settings")
        grab(window, "options-avancees", language)
        dialog = ApproveOriginDialog("https://marches.example.fr", window)
        dialog.show()
        grab(dialog, "dialogue-nouvelle-plateforme", language)
        dialog.close()
        window.dispose()
        interaction.invoker.close()
        engine.shutdown(wait=True)
        window.close()
        window.deleteLater()
        wait(0.2)
    for path in written:
        print(path.relative_to(ROOT))
    QApplication.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
