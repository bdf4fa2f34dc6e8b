"""Trust anchors given as a root + CA bundle, or as a CA alone (issue 12).

A B-LT signature carries the CRL its CA signed. Named with its root in a bundle (`--trust`, the
user's anchors of "Options avancées", `[root, ca]` in the API), the CA used to be a trust anchor
of its own, and pyhanko-certvalidator cannot tie a CRL to an anchor that is not self-signed: the
signature came out untrusted, revocation unknown. Only self-signed anchors are roots now; a CA
beside them is an intermediate (anchors.py). A CA alone is not trusted by itself, as
`openssl cms -verify -CAfile` (without -partial_chain) judges it.

Real parts: the test PKI, its CRL served on 127.0.0.1 then gone, `openssl ocsp` as the responder,
`openssl cms -verify` as the reference, the `assistant verify` process, the engine's verify job.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.jobs.engine import JobEngine
from assistant.jobs.interaction import HeadlessInteraction
from assistant.jobs.model import JobState
from assistant.jobs.results import VerifyResult
from assistant.settings import Settings
from assistant.signing import SignFormat, sign_files
from assistant.signing.anchors import is_self_signed, load_certificates, split_anchors
from assistant.signing.findings import Remark
from assistant.signing.verify import verify_file
from tests import pki
from tests.signing.conftest import CrlPki, OcspPki, Tsa
from tests.signing.validators import openssl_cms_verify


def _source(folder: Path) -> Path:
    path = folder / "Acte d'engagement.docx"
    path.write_bytes(b"Acte d'engagement " * 400)
    return path


def _b_lt(tmp_path: Path, credential: object, fmt: SignFormat, tsa: Tsa, trust: list[object]) -> tuple[Path, Path]:
    source = _source(tmp_path)
    result = sign_files(
        credential,  # type: ignore[arg-type]
        [source],
        fmt,
        level="B-LT",
        tsa_url=tsa.url,
        trust_roots=trust,  # type: ignore[arg-type]
    ).results[0]
    assert result.output is not None, result.error
    return result.output, source


def test_split_keeps_only_self_signed_certificates_as_roots(test_pki: pki.TestPki) -> None:
    bundle = load_certificates([test_pki.ca_bundle])
    roots, intermediates = split_anchors(bundle)
    assert [c.subject for c in roots] == [test_pki.root.certificate.subject]
    assert [c.subject for c in intermediates] == [test_pki.ca.certificate.subject]
    assert is_self_signed(test_pki.root.certificate) and not is_self_signed(test_pki.ca.certificate)


@pytest.mark.parametrize("fmt", [SignFormat.CADES, SignFormat.XADES])
def test_b_lt_with_crl_is_valid_with_a_root_and_ca_bundle(
    tmp_path: Path, test_pki: pki.TestPki, tsa: Tsa, crl_pki: CrlPki, fmt: SignFormat
) -> None:
    bundle = [test_pki.root.certificate, test_pki.ca.certificate]
    # Signing with the bundle as anchors collects the CRL too (the signing-time validation).
    output, source = _b_lt(tmp_path, crl_pki.credential(crl_pki.good, test_pki), fmt, tsa, bundle)
    fetched = len(crl_pki.fetched)
    for anchors in ([test_pki.root.certificate], bundle, [test_pki.ca.certificate, test_pki.root.certificate]):
        sig = verify_file(output, trust_roots=list(anchors)).signatures[0]  # no fetching: the embedded CRL
        assert sig.trusted and sig.revocation == "good" and sig.ok, (anchors, sig.problems)
        assert sig.format_label == f"{fmt.etsi_name} B-LT"
    assert len(crl_pki.fetched) == fetched
    if fmt is SignFormat.CADES:
        assert openssl_cms_verify(output, source, test_pki.ca_bundle).returncode == 0


def test_a_revoked_signer_stays_revoked_with_the_bundle(tmp_path: Path, test_pki: pki.TestPki, crl_pki: CrlPki) -> None:
    """The CRL is now tied to the CA through the root: it is read, and it says revoked."""
    pki.require_tool("openssl")
    bad = pki.write_files(crl_pki.bad, tmp_path / "bad")
    document = _source(tmp_path)
    signature = tmp_path / "offre.p7s"
    pki.run(
        [
            "openssl", "cms", "-sign", "-binary", "-cades", "-md", "sha256", "-outform", "DER",
            "-in", str(document), "-out", str(signature), "-signer", str(bad.files["cert"]),
            "-inkey", str(bad.files["key"]), "-certfile", str(test_pki.ca.files["cert"]),
        ]
    )  # fmt: skip
    report = verify_file(
        signature,
        detached_of=document,
        trust_roots=[test_pki.root.certificate, test_pki.ca.certificate],
        allow_fetching=True,  # the CRL from its distribution point (127.0.0.1)
    )
    sig = report.signatures[0]
    assert sig.revocation == "revoked" and not sig.ok
    assert Remark.REVOKED in [p.code for p in sig.problems]


def test_b_lt_with_ocsp_is_valid_with_the_bundle_once_the_responder_is_gone(
    tmp_path: Path, test_pki: pki.TestPki, tsa: Tsa, ocsp_pki: OcspPki
) -> None:
    from assistant.keystores.base import StoreKind, StoreRef
    from assistant.keystores.software import SoftwareCredential

    credential = SoftwareCredential(
        ocsp_pki.good.certificate,
        ocsp_pki.good.key,
        StoreRef(StoreKind.PKCS12, "ocsp-good", "ocsp-good"),
        chain=[test_pki.ca.certificate],
    )
    bundle = [test_pki.root.certificate, test_pki.ca.certificate]
    output, source = _b_lt(tmp_path, credential, SignFormat.CADES, tsa, bundle)
    ocsp_pki.stop()
    sig = verify_file(output, trust_roots=bundle).signatures[0]
    assert sig.trusted and sig.revocation == "good" and sig.ok, sig.problems
    assert openssl_cms_verify(output, source, test_pki.ca_bundle).returncode == 0


def test_a_ca_alone_is_not_an_anchor_as_for_openssl(
    tmp_path: Path, test_pki: pki.TestPki, tsa: Tsa, crl_pki: CrlPki
) -> None:
    """A CA without its root: the chain stops at an authority nobody vouches for (documented)."""
    output, source = _b_lt(
        tmp_path, crl_pki.credential(crl_pki.good, test_pki), SignFormat.CADES, tsa, [test_pki.root.certificate]
    )
    sig = verify_file(output, trust_roots=[test_pki.ca.certificate]).signatures[0]
    assert sig.intact and not sig.trusted and not sig.ok
    assert Remark.UNTRUSTED in [p.code for p in sig.problems]
    # ... and says what to add, in the user's language.
    texts = [p.to_dict()["text"] for p in sig.problems]
    assert any("n'est pas une autorité racine" in t and "AMP Test Qualified CA" in t for t in texts), texts
    # The reference agrees: the CA file alone does not make the chain trusted.
    assert openssl_cms_verify(output, source, test_pki.ca.files["cert"]).returncode != 0


def test_cli_trust_bundle(
    tmp_path: Path, assistant_home: Path, test_pki: pki.TestPki, tsa: Tsa, crl_pki: CrlPki
) -> None:
    output, _source_file = _b_lt(
        tmp_path, crl_pki.credential(crl_pki.good, test_pki), SignFormat.XADES, tsa, [test_pki.root.certificate]
    )
    fetched = len(crl_pki.fetched)
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "verify", "--trust", str(test_pki.ca_bundle), "--json", str(output)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "ASSISTANT_HOME": str(assistant_home), "ASSISTANT_LANG": "fr"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    sig = json.loads(done.stdout)["signatures"][0]
    assert sig["trusted"] and sig["revocation"] == "good" and sig["verdict_code"] == "valid", sig["problems"]
    assert len(crl_pki.fetched) == fetched


def test_the_verify_job_with_the_users_bundle(tmp_path: Path, test_pki: pki.TestPki, tsa: Tsa, crl_pki: CrlPki) -> None:
    """The window's path: the user's anchors of "Options avancées" (a root + CA bundle)."""
    output, _source_file = _b_lt(
        tmp_path, crl_pki.credential(crl_pki.good, test_pki), SignFormat.CADES, tsa, [test_pki.root.certificate]
    )
    settings = Settings(verify_trust_anchors=[str(test_pki.ca_bundle)])
    engine = JobEngine(interaction=HeadlessInteraction(), settings=settings, journal_path=tmp_path / "j.sqlite3")
    try:
        job = engine.submit({"version": 1, "type": "verify", "params": {"paths": [str(output)]}}, "local")
        final = engine.wait(job.id, timeout=120)
        assert final is not None and final.state is JobState.SUCCEEDED, final and final.error
        assert isinstance(final.result, VerifyResult)
        sig = final.result.to_json()["reports"][0]["signatures"][0]
    finally:
        engine.shutdown(wait=True)
    assert sig["trusted"] and sig["revocation"] == "good" and sig["verdict_code"] == "valid", sig["problems"]


def test_pades_b_lt_signed_and_verified_with_the_bundle(
    tmp_path: Path, test_pki: pki.TestPki, tsa: Tsa, crl_pki: CrlPki
) -> None:
    """PAdES collects its validation data through pyHanko (pades._long_term_context): the same rule."""
    from tests.signing.conftest import make_pdf

    bundle = [test_pki.root.certificate, test_pki.ca.certificate]
    result = sign_files(
        crl_pki.credential(crl_pki.good, test_pki),
        [make_pdf(tmp_path / "Marché.pdf")],
        SignFormat.PADES,
        level="B-LT",
        tsa_url=tsa.url,
        trust_roots=bundle,
    ).results[0]
    assert result.output is not None, result.error
    sig = verify_file(result.output, trust_roots=bundle).signatures[0]
    assert sig.trusted and sig.revocation == "good" and sig.ok, sig.problems
