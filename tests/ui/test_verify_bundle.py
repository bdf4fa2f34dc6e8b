"""The verify view with a root + CA bundle chosen as trust anchors (issue 12): a B-LT CAdES whose
revocation data is the CA's CRL is shown valid, revocation good — it used to come out untrusted,
revocation unknown, because the CA of the bundle was made an anchor of its own.

Real parts: the test PKI, its CRL served on 127.0.0.1, the test TSA (`openssl ts`), the window's
verify view and the engine's verification job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.jobs.model import JobState
from assistant.signing import SignFormat, sign_files
from assistant.ui.main_window import MainWindow
from tests import pki
from tests.signing.conftest import CrlPki, Tsa, crl_pki, tsa  # noqa: F401 - fixtures


def test_a_root_and_ca_bundle_chosen_in_the_view_validates_a_b_lt_signature(
    qtbot: Any, window: MainWindow, tmp_path: Path, test_pki: pki.TestPki, tsa: Tsa, crl_pki: CrlPki
) -> None:
    document = tmp_path / "Offre.txt"
    document.write_bytes(b"Offre de prix : 1000 EUR\n" * 50)
    result = sign_files(
        crl_pki.credential(crl_pki.good, test_pki),
        [document],
        SignFormat.CADES,
        level="B-LT",
        tsa_url=tsa.url,
        trust_roots=[test_pki.root.certificate],
    ).results[0]
    assert result.output is not None, result.error
    fetched = len(crl_pki.fetched)

    window.show_page("verify")
    page = window.verify
    page.clear()
    page.add_files([result.output])
    page.detached.setText(str(document))
    page.add_anchor(test_pki.ca_bundle)  # root + CA in one PEM file
    assert page.verify() is not None
    qtbot.waitUntil(lambda: page.panel.job is not None and page.panel.job.state.terminal, timeout=60000)
    assert page.panel.job is not None and page.panel.job.state is JobState.SUCCEEDED
    assert page.result is not None
    sig = page.result.reports[0].report["signatures"][0]
    shown = page.report_view.toPlainText()
    assert sig["trusted"] and sig["revocation"] == "good" and sig["ok"], sig["problems"]
    assert "Signature valide." in shown
    assert len(crl_pki.fetched) == fetched  # the CRL the signature carries, nothing fetched
