"""The verification report the window shows is the report's own document (the one `assistant
verify --report` writes): a CMS without signed attributes is "pas AdES" with what is missing, a
certificate that only declares itself qualified is "non confirmé", a PDF changed after signing
says what the signature covers — and the exported PDF reads the same as the CLI's (pdftotext).
Real signatures: OpenSSL (CMS -noattr) and pyHanko, with the project's test PKI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from assistant.i18n import current_language
from assistant.jobs.model import JobState
from assistant.keystores.base import Credential
from assistant.signing import SignFormat, sign_files
from assistant.ui.main_window import MainWindow
from assistant.ui.pages.verify import VerifyPage
from tests import pki
from tests.signing.conftest import make_pdf, p12_credential, p12_pin  # noqa: F401 - fixtures
from tests.ui.conftest import shot


def _verify(qtbot: Any, page: VerifyPage, path: Path, detached: Path | None = None) -> str:
    page.clear()
    page.add_files([path])
    page.detached.setText(str(detached or ""))
    assert page.verify() is not None
    qtbot.waitUntil(lambda: page.panel.job is not None and page.panel.job.state.terminal, timeout=60000)
    assert page.panel.job is not None and page.panel.job.state is JobState.SUCCEEDED
    assert page.report_view.isVisible()
    return page.report_view.toPlainText()


def _pdftotext(path: Path) -> str:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d UTC", "<date>", text)  # the time each verification ran


def test_the_window_shows_the_reports_document(
    qtbot: Any,
    window: MainWindow,
    tmp_path: Path,
    p12_credential: Credential,
    test_pki: pki.TestPki,
    screens: Path,
) -> None:
    window.show_page("verify")
    page = window.verify

    # A CMS signature without signed attributes (OpenSSL -noattr): not CAdES, and why.
    data = tmp_path / "Offre.txt"
    data.write_bytes(b"Offre de prix\n")
    cms = tmp_path / "Offre.txt.p7s"
    subprocess.run(
        [
            "openssl",
            "cms",
            "-sign",
            "-binary",
            "-noattr",
            "-outform",
            "DER",
            "-in",
            str(data),
            "-out",
            str(cms),
            "-signer",
            str(test_pki.signer.files["cert"]),
            "-inkey",
            str(test_pki.signer.files["key"]),
        ],
        check=True,
        capture_output=True,
    )
    shown = _verify(qtbot, page, cms, data)
    assert "CMS / PKCS#7, pas AdES (attributs signés absents)" in shown
    outcome = page.panel.outcome.text()
    assert "      Format : CMS / PKCS#7, pas AdES (attributs signés absents)" in outcome.splitlines()

    # A certificate that declares QcCompliance, no trusted list confirming it.
    document = tmp_path / "Mémoire.txt"
    document.write_text("Mémoire technique\n", encoding="utf-8")
    xades = sign_files(p12_credential, [document], SignFormat.XADES).results[0].output
    assert xades is not None
    shown = _verify(qtbot, page, xades, document)
    assert "se déclare qualifié ; non confirmé par la liste de confiance" in shown
    assert "qualifié selon la liste" not in shown
    assert any(
        line.startswith("      Qualification : se déclare qualifié ; non confirmé")
        for line in page.panel.outcome.text().splitlines()
    )

    # A signed PDF changed afterwards by an incremental update rewriting its page.
    signed = sign_files(p12_credential, [make_pdf(tmp_path / "Contrat.pdf")], SignFormat.PADES).results[0].output
    assert signed is not None
    forged = tmp_path / "Contrat modifié.pdf"
    with open(signed, "rb") as fh:
        writer = IncrementalPdfFileWriter(fh)
        pdf_page = writer.root["/Pages"]["/Kids"][0].get_object()
        pdf_page["/Contents"] = writer.add_object(
            generic.StreamObject(stream_data=b"BT /F1 18 Tf 72 760 Td (9000) Tj ET")
        )
        writer.update_container(pdf_page)
        with open(forged, "wb") as out:
            writer.write(out)
    shown = _verify(qtbot, page, forged)
    assert "Ce que couvre la signature" in shown and "NON permises" in shown
    assert "NON PERMISES : le document a été modifié d'une façon que la signature interdit" in shown
    lines = page.panel.outcome.text().splitlines()
    shot(window, screens, "verify-report")
    assert any(line.startswith("      Couverture : une révision antérieure") for line in lines), lines
    assert "      ✗ Modifié après la signature d'une façon qu'elle interdit" in lines

    # Exported from the window, the report reads as `assistant verify --report` writes it.
    exported = page.export_to(tmp_path / "fenêtre.pdf")
    assert exported is not None
    cli_report = tmp_path / "cli.pdf"
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "verify", "--report", str(cli_report), str(forged)],
        capture_output=True,
        text=True,
        env={**os.environ, "ASSISTANT_LANG": current_language()},
        timeout=120,
    )
    assert cli_report.exists(), done.stderr
    window_text, cli_text = _pdftotext(exported), _pdftotext(cli_report)
    assert "Contrat modifié.pdf" in window_text and "NON permises" in window_text
    assert window_text == cli_text
