"""The verify view trusts the user's own authorities: a signature from a private CA is shown
untrusted, then trusted once the CA's certificate is added — for one verification (the view's
chooser, through the job's local-only `trust` parameter) or for all of them ("Options avancées").
The English window says it in English.

Real parts: the private CA and its signer from the test PKI's issuer, a CAdES signature made by
`openssl cms -sign -cades`, the engine's verification job."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from assistant import i18n
from assistant.jobs.model import JobState
from assistant.jobs.params import VerifyParams
from assistant.ui.main_window import MainWindow
from assistant.ui.pages.verify import VerifyPage
from tests import pki

UNTRUSTED = "Le certificat ne remonte pas à une autorité de confiance connue de ce poste."


@pytest.fixture
def private_signature(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(signature, signed document, the private root's certificate), the root known to nobody."""
    pki.require_tool("openssl")
    folder = tmp_path / "private-ca"
    root = pki.write_files(pki.issue("private_root", "Autorité privée du groupement", None, ca=True), folder)
    signer = pki.write_files(
        pki.issue("private_signer", "Marc Lefèvre", root, key_usage={"non_repudiation", "digital_signature"}),
        folder,
    )
    document = tmp_path / "Offre.txt"
    document.write_bytes(b"Offre de prix : 1000 EUR\n")
    signature = tmp_path / "Offre.txt.p7s"
    pki.run(
        [
            "openssl",
            "cms",
            "-sign",
            "-binary",
            "-cades",
            "-md",
            "sha256",
            "-outform",
            "DER",
            "-in",
            str(document),
            "-out",
            str(signature),
            "-signer",
            str(signer.files["cert"]),
            "-inkey",
            str(signer.files["key"]),
        ]
    )
    return signature, document, root.files["cert"]


def _verify(qtbot: Any, page: VerifyPage, signature: Path, document: Path) -> tuple[str, dict[str, Any]]:
    page.clear()
    page.add_files([signature])
    page.detached.setText(str(document))
    job = page.verify()
    assert job is not None
    qtbot.waitUntil(lambda: page.panel.job is not None and page.panel.job.state.terminal, timeout=60000)
    assert page.panel.job is not None and page.panel.job.state is JobState.SUCCEEDED
    assert page.result is not None
    return page.report_view.toPlainText(), page.result.reports[0].report["signatures"][0]


def test_a_private_ca_is_trusted_once_the_user_adds_it_to_the_verification(
    qtbot: Any, window: MainWindow, private_signature: tuple[Path, Path, Path]
) -> None:
    signature, document, root = private_signature
    window.show_page("verify")
    page = window.verify

    shown, sig = _verify(qtbot, page, signature, document)
    assert sig["intact"] and not sig["trusted"] and not sig["ok"]
    assert "Signature intègre, mais le certificat n'a pas pu être validé" in shown
    assert UNTRUSTED in shown
    assert page.panel.job is not None and isinstance(page.panel.job.params, VerifyParams)
    assert page.panel.job.params.trust is None

    page.add_anchor(root)
    shown, sig = _verify(qtbot, page, signature, document)
    assert sig["trusted"] and sig["ok"], sig["problems"]
    assert "Signature valide." in shown and UNTRUSTED not in shown
    assert page.panel.job is not None and isinstance(page.panel.job.params, VerifyParams)
    assert page.panel.job.params.trust == (str(root),)

    # Taken out of the list, the authority is not trusted any more.
    page.anchors.list.setCurrentRow(0)
    page.anchors.remove_button.click()
    shown, sig = _verify(qtbot, page, signature, document)
    assert not sig["trusted"] and UNTRUSTED in shown


def test_an_authority_of_the_settings_applies_to_every_verification(
    qtbot: Any, window: MainWindow, private_signature: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    signature, document, root = private_signature
    settings_page = window.settings_page
    window.show_page("settings")
    # Not a certificate: said at once, nothing saved.
    bogus = tmp_path / "pas-un-certificat.pem"
    bogus.write_text("bonjour\n", encoding="utf-8")
    settings_page.anchors._add(str(bogus))
    assert not settings_page.save()
    assert "n'est pas un certificat" in settings_page.message.text()
    settings_page.anchors.list.setCurrentRow(0)
    settings_page.anchors.remove_button.click()

    settings_page.anchors._add(str(root))
    assert settings_page.save(), settings_page.message.text()
    assert window.engine.settings.verify_trust_anchors == [str(root)]

    window.show_page("verify")
    page = window.verify
    assert "1" not in page.anchors_hint.text() and "l'autorité des Options avancées" in page.anchors_hint.text()
    shown, sig = _verify(qtbot, page, signature, document)
    assert sig["trusted"] and sig["ok"], sig["problems"]
    assert "Signature valide." in shown
    assert page.panel.job is not None and isinstance(page.panel.job.params, VerifyParams)
    assert page.panel.job.params.trust is None  # from the settings, not from the job


@pytest.fixture
def english() -> Any:
    before = i18n.current_language()
    i18n.set_language("en")
    yield
    i18n.set_language(before)


def test_the_verify_view_in_english(
    qtbot: Any, english: None, window: MainWindow, private_signature: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    signature, document, root = private_signature
    window.show_page("verify")
    page = window.verify
    shown, sig = _verify(qtbot, page, signature, document)
    assert "The signature is intact, but the certificate could not be validated (see the remarks)." in shown
    assert "The certificate does not chain to an authority this computer trusts." in shown
    assert "CAdES B-B" in shown and "detached" in shown
    assert sig["verdict_code"] == "not_validated"
    for french in ("Signature intègre", "ne remonte pas", "détachée", "Remarques", "se déclare"):
        assert french not in shown, shown
    page.add_anchor(root)
    shown, sig = _verify(qtbot, page, signature, document)
    assert "Valid signature." in shown and sig["verdict_code"] == "valid"
    exported = page.export_to(tmp_path / "report.pdf")
    assert exported is not None
    text = subprocess.run(["pdftotext", str(exported), "-"], capture_output=True, text=True, check=True).stdout
    assert "Signature verification report" in text and "Valid signature." in text
    assert "Signature valide" not in text
