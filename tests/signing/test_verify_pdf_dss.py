"""PAdES B-LT/B-LTA verified offline: the CRL of the document's DSS gives the revocation status
(it used to be "unknown": the DSS was not handed to the validator). B-T, without a DSS, stays
"unknown" offline — the control.

Real parts: the test PKI, its CRL served on 127.0.0.1 (fetched at signing time only), the test
TSA (`openssl ts`), pyHanko signing, `assistant verify`'s code path without fetching."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.signing import SignFormat, sign_files
from assistant.signing.verify import verify_file
from tests import pki
from tests.signing.conftest import CrlPki, Tsa, make_pdf


@pytest.mark.parametrize(("level", "revocation"), [("B-LT", "good"), ("B-LTA", "good"), ("B-T", "unknown")])
def test_pades_revocation_from_the_dss_offline(
    tmp_path: Path, test_pki: pki.TestPki, tsa: Tsa, crl_pki: CrlPki, level: str, revocation: str
) -> None:
    source = make_pdf(tmp_path / "Marché.pdf")
    result = sign_files(
        crl_pki.credential(crl_pki.good, test_pki),
        [source],
        SignFormat.PADES,
        level=level,
        tsa_url=tsa.url,
        trust_roots=[test_pki.root.certificate],
    ).results[0]
    assert result.output is not None, result.error
    fetched = len(crl_pki.fetched)
    report = verify_file(result.output, trust_roots=[test_pki.root.certificate])
    assert len(crl_pki.fetched) == fetched  # nothing fetched
    sig = report.signatures[0]
    assert sig.trusted and sig.revocation == revocation, sig.problems
    assert sig.format_label.endswith(level)
    assert report.ok
