"""A company's bid folder made by the tests, and the SoftHSM2 token as the company's smart card."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.keystores.base import Credential, KeyStore
from tests import pki
from tests.signing.conftest import PinCounter, make_pdf, p12_credential, p12_pin, pdfsig_nssdir  # noqa: F401  (fixtures)

LONG_NAME = (
    "Mémoire technique détaillé relatif à l'organisation du chantier, aux moyens humains et matériels "
    "et au planning prévisionnel.pdf"
)


@dataclass
class Bid:
    root: Path
    long_name: Path
    zip_path: Path


def make_bid(parent: Path) -> Bid:
    """Two lots; PDFs, a spreadsheet, an ODS, a ZIP holding PDFs and a Word file, a too-long name,
    the same name in both lots."""
    root = parent / "Réponse AO 2026-014"
    for folder in ("Lot 1/Candidature", "Lot 1/Offre", "Lot 2/Offre"):
        (root / folder).mkdir(parents=True)
    make_pdf(root / "Lot 1/Candidature/DC1.pdf", "DC1 - Lettre de candidature")
    make_pdf(root / "Lot 1/Offre/Acte d'engagement.pdf", "Acte d'engagement lot 1")
    (root / "Lot 1/Offre/BPU.xlsx").write_bytes(b"PK\x03\x04" + os.urandom(6000))  # a spreadsheet (a ZIP container)
    zip_path = root / "Lot 1/Offre/Annexes techniques.zip"
    inner = parent / "inner"
    inner.mkdir()
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.write(make_pdf(inner / "plan.pdf", "Plan"), "plan.pdf")
        archive.write(make_pdf(inner / "notice.pdf", "Notice"), "fiches/notice.pdf")
        (inner / "planning.docx").write_bytes(os.urandom(3000))
        archive.write(inner / "planning.docx", "fiches/planning.docx")
    make_pdf(root / "Lot 2/Offre/Acte d'engagement.pdf", "Acte d'engagement lot 2")
    long_name = make_pdf(root / "Lot 2/Offre" / LONG_NAME, "Mémoire")
    (root / "Lot 2/Offre/DPGF.ods").write_bytes(os.urandom(5000))
    (root / "Lot 2/Offre/~$DPGF.ods").write_bytes(b"lock")  # Office's lock file: not deposited
    return Bid(root, long_name, zip_path)


@pytest.fixture
def bid(tmp_path: Path) -> Bid:
    return make_bid(tmp_path)


@pytest.fixture
def card(softhsm_token: pki.SoftHsmToken) -> Iterator[tuple[Credential, PinCounter]]:
    """Jeanne Dupont's qualified certificate on the SoftHSM2 token, with a PIN counter."""
    from assistant.keystores.pkcs11.backend import open_module_stores
    from assistant.keystores.pkcs11.modules import load_module

    pin = PinCounter(softhsm_token.pin)
    stores: list[KeyStore] = list(open_module_stores(load_module(softhsm_token.module), pin))
    try:
        store = next(s for s in stores if s.label == softhsm_token.label)
        credential = next(
            c for c in store.credentials() if c.certificate.subject.rfc4514_string().startswith("CN=Jeanne Dupont,")
        )
        yield credential, pin
    finally:
        for store in stores:
            store.close()
