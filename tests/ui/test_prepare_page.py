"""The "Préparer mon dépôt" page under Xvfb: the folder's files with their proposed formats, the
problems, the ZIP choice, the stamp placed in the preview and remembered, one password for the
whole bid, what the buyer will see; a screenshot of the result."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QListWidget

from assistant.keystores.base import PinRequest
from assistant.settings import Settings
from assistant.signing.stamp import SETTINGS_KEY
from assistant.ui.pages.prepare import PreparePage
from tests import pki
from tests.demo.process import DemoProcess
from tests.prepare.conftest import make_bid
from tests.signing.conftest import PinCounter
from tests.signing.validators import pdfsig
from tests.ui.conftest import shot

#: Set to a folder (e.g. docs/screenshots) to keep the page's screenshot.
SCREENSHOT_DIR = os.environ.get("ASSISTANT_SCREENSHOT_DIR", "")


def _lines(widget: QListWidget) -> list[str]:
    return [widget.item(i).text() for i in range(widget.count())]


class _Secrets(PinCounter):
    """The card's PIN when the card asks, the .p12's password when the file does; every request counted."""

    def __init__(self, token_pin: str) -> None:
        super().__init__(pki.P12_PASSWORD)
        self.token_pin = token_pin

    def __call__(self, request: PinRequest) -> str | None:
        self.requests.append(request)
        return self.secret if request.kind == "password" else self.token_pin


@pytest.fixture
def demo(tmp_path: Path, assistant_home: Path) -> Iterator[DemoProcess]:
    pki.require_tool("openssl")
    process = DemoProcess(assistant_home, tmp_path / "demo-data", "--file-size", "4096").start()
    yield process
    process.kill()


def test_prepare_page_signs_the_bid_once(
    qtbot: object,
    tmp_path: Path,
    test_pki: pki.TestPki,
    screens: Path,
    pdfsig_nssdir: Path,
    softhsm_token: pki.SoftHsmToken,
    demo: DemoProcess,
) -> None:
    bid = make_bid(tmp_path)
    pin = _Secrets(softhsm_token.pin)
    settings = Settings.load()
    settings.pkcs12_files = [str(test_pki.signer.files["p12"])]  # the user's .p12, added to the assistant
    page = PreparePage(settings, pin)
    qtbot.addWidget(page)  # type: ignore[attr-defined]
    page.resize(1000, 1500)
    page.show()
    qtbot.waitUntil(lambda: getattr(page, "certificates_listed", False), timeout=30_000)  # type: ignore[attr-defined]
    with qtbot.waitSignal(page.planned, timeout=30_000):  # type: ignore[attr-defined]
        page.load_folder(bid.root)
    # The platform's published rules: its deadline, its upload test.
    page.rules_edit.setText(f"{demo.url}/api/deposit-rules")
    got: list[object] = []
    page.rules_loaded.connect(got.append)
    with qtbot.waitSignals([page.rules_loaded, page.planned], timeout=30_000):  # type: ignore[attr-defined]
        page.load_rules(page.rules_edit.text())
    assert got and getattr(got[0], "upload_test_url", None) == f"{demo.url}/api/upload-test"
    assert "date limite de remise" in page.summary_label.text()
    qtbot.mouseClick(page.estimate_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: "Envoi estimé" in page.estimate_label.text(), timeout=60_000)  # type: ignore[attr-defined]
    assert "Commencez l'envoi au plus tard le" in page.estimate_label.text()

    assert page.table.rowCount() == 7
    formats = {}
    for row in range(7):
        combo = page.table.cellWidget(row, 3).findChild(QComboBox)
        formats[page.table.item(row, 0).text()] = combo.currentText()
    assert formats["Candidature/DC1.pdf"] == "PAdES"
    assert formats["Offre/BPU.xlsx"] == "XAdES"
    assert formats["Offre/Annexes techniques.zip"] == "XAdES"
    problems = "\n".join(_lines(page.problem_list))
    assert "caractères" in problems and "figure dans plusieurs lots" in problems

    # The ZIP: signed inside by default; unticking shows the warning, ticking again removes it.
    zip_row = next(r for r in range(7) if page.table.item(r, 0).text() == "Offre/Annexes techniques.zip")
    inside = page.table.cellWidget(zip_row, 3).findChild(QCheckBox)
    assert inside.isChecked() and "3 fichiers contenus" in inside.text()
    inside.setChecked(False)
    assert any("ne signe pas les 3 documents" in line for line in _lines(page.problem_list))
    inside.setChecked(True)
    assert not any("ne signe pas" in line for line in _lines(page.problem_list))

    # A format changed in the table.
    dpgf_row = next(r for r in range(7) if page.table.item(r, 0).text() == "Offre/DPGF.ods")
    dpgf = page.table.cellWidget(dpgf_row, 3).findChild(QComboBox)
    dpgf.setCurrentIndex(dpgf.findData("cades"))
    assert page.plan is not None and page.plan.find("Lot 2/Offre/DPGF.ods").format.value == "cades"

    # The stamp: a click in the lower-left part of the page preview puts it there, remembered.
    page.visible_check.setChecked(True)
    page.page_spin.setValue(1)
    preview = page.preview
    qtbot.mouseClick(preview, Qt.MouseButton.LeftButton, pos=QPoint(preview.width() // 3, preview.height() * 3 // 4))  # type: ignore[attr-defined]
    placement = preview.placement
    assert 0.05 < placement.left < 0.25 and 0.6 < placement.top < 0.75, placement
    remembered = Settings.load().extra[SETTINGS_KEY]
    assert remembered["left"] == placement.left and remembered["page"] == 1

    # Sign: one password for the whole bid; what the buyer will see.
    page.trust_roots = [test_pki.root.certificate, test_pki.ca.certificate]
    choices = [page.cert_combo.itemText(i) for i in range(page.cert_combo.count())]
    jeanne = next(i for i, text in enumerate(choices) if text.startswith("Jeanne Dupont"))
    assert "adapté pour les marchés publics" in choices[jeanne], choices
    page.cert_combo.setCurrentIndex(jeanne)
    assert page.certificates[jeanne].fingerprint_sha256 == test_pki.signer.fingerprint
    with qtbot.waitSignal(page.finished, timeout=120_000) as blocker:  # type: ignore[attr-defined]
        qtbot.mouseClick(page.sign_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    outcome = blocker.args[0]
    assert outcome is not None and outcome.result.folder is not None, [
        (f.label, f.error) for f in outcome.result.failed
    ]
    assert pin.count == 1, pin.requests
    results = _lines(page.result_list)
    assert sum(1 for line in results if line.startswith("✓") and "Signature valide" in line) == 10, results
    assert any("Dossier à déposer" in line for line in results)
    assert page.open_folder.isVisible() and page.open_summary.isVisible() and page.open_reports.isVisible()
    signed = next(outcome.result.folder.rglob("DC1 - *.pdf"))
    assert "Signature is Valid." in pdfsig(signed, pdfsig_nssdir)
    # the stamp is where the click put it on page 1 (pdftoppm renders the signed page)
    from tests.signing.test_stamp import _count, _dark, _region, _render

    rendered = _render(signed, tmp_path / "dc1")
    box = _region(rendered, placement)
    assert _count(rendered, box, _dark) > 100
    below = (0, min(box[3] + 3, rendered.size[1] - 1), rendered.size[0], rendered.size[1])
    assert _count(rendered, below, _dark) == 0

    path = shot(page, screens, "preparer-mon-depot")
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(SCREENSHOT_DIR) / "preparer-mon-depot.png")


def test_a_folder_that_does_not_exist_is_said_in_french(qtbot: object, tmp_path: Path) -> None:
    page = PreparePage(Settings.load())
    qtbot.addWidget(page)  # type: ignore[attr-defined]
    with qtbot.waitSignal(page.planned, timeout=30_000):  # type: ignore[attr-defined]
        page.load_folder(tmp_path / "absent")
    assert page.table.rowCount() == 0
    assert "Dossier introuvable" in _lines(page.problem_list)[0]
    assert not page.sign_button.isEnabled()


def test_the_page_in_english_has_no_french_left(qtbot: object, qapp: object, tmp_path: Path) -> None:
    from assistant import i18n
    from tests.ui.test_language import FRENCH, visible_texts

    before = i18n.current_language()
    i18n.set_language("en")
    try:
        bid = make_bid(tmp_path)
        page = PreparePage(Settings.load())
        qtbot.addWidget(page)  # type: ignore[attr-defined]
        page.resize(1000, 1500)
        page.show()
        with qtbot.waitSignal(page.planned, timeout=30_000):  # type: ignore[attr-defined]
            page.load_folder(bid.root)
        texts = [(name, text) for name, text in visible_texts(page) if str(bid.root) not in text]
        # file names are the user's own (French) words; everything the page itself says is English
        own = [(n, t) for n, t in texts if not any(f.file.name in t or f.file.lot in t for f in page.plan.files)]  # type: ignore[union-attr]
        french = [(n, t) for n, t in own if FRENCH.search(t)]
        assert french == [], french
        problems = [page.problem_list.item(i).text() for i in range(page.problem_list.count())]
        assert any("appears in several lots" in p for p in problems), problems
    finally:
        i18n.set_language(before)
