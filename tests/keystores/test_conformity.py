"""The procurement verdict, read from certificates issued by the test PKI (tests.pki.issue) and variants."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID
from hypothesis import given
from hypothesis import strategies as st

from assistant.keystores import conformity
from assistant.keystores.conformity import LABEL_SUITABLE, Category, assess
from tests import pki as pki_mod

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def ca() -> pki_mod.Issued:
    root = pki_mod.issue("root", "Racine de test", None, ca=True)
    return pki_mod.issue("ca", "AC de test", root, ca=True)


def _problems(verdict: conformity.Verdict) -> str:
    return " ".join(r.fr for r in verdict.reasons if not r.ok)


def _all(verdict: conformity.Verdict) -> str:
    return " ".join(r.fr for r in verdict.reasons)


def _with_extension(base: pki_mod.Issued, ca: pki_mod.Issued, oid: str, value: bytes) -> x509.Certificate:
    """Re-issue `base` with one extra raw extension (QCStatements variants the PKI helper does not make)."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(base.certificate.subject)
        .issuer_name(ca.certificate.subject)
        .public_key(base.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(base.certificate.not_valid_before_utc)
        .not_valid_after(base.certificate.not_valid_after_utc)
    )
    for ext in base.certificate.extensions:
        if ext.oid.dotted_string != oid:
            builder = builder.add_extension(ext.value, ext.critical)
    builder = builder.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), value), critical=False)
    return builder.sign(ca.key, hashes.SHA256())  # type: ignore[arg-type]


def _qc_der(qc_type: str) -> bytes:
    """QCStatements with QcCompliance and one QcType (the PKI helper only makes esign)."""
    from asn1crypto import core

    class Statement(core.Sequence):
        _fields = [("id", core.ObjectIdentifier), ("info", core.Any, {"optional": True})]

    class Statements(core.SequenceOf):
        _child_spec = Statement

    class Oids(core.SequenceOf):
        _child_spec = core.ObjectIdentifier

    return Statements(
        [
            {"id": conformity.QC_COMPLIANCE},
            {"id": conformity.QC_TYPE, "info": Oids([qc_type])},
        ]
    ).dump()


# -- the five certificates of the shared test PKI ------------------------------------------------


def test_pki_signer_is_suitable(test_pki: pki_mod.TestPki) -> None:
    verdict = assess(test_pki.signer.certificate)
    assert verdict.category is Category.QUALIFIED_SIGNATURE
    assert verdict.label == LABEL_SUITABLE == "adapté pour les marchés publics"
    assert verdict.usable_for_signature and verdict.qualified and verdict.suitable_for_procurement
    assert verdict.qc.compliance and verdict.qc.sscd and verdict.qc.esign
    assert not _problems(verdict)
    assert "QcCompliance" in _all(verdict) and "QSCD" in _all(verdict)


def test_pki_signer_ec_signs_but_is_not_qualified(test_pki: pki_mod.TestPki) -> None:
    verdict = assess(test_pki.signer_ec.certificate)
    assert verdict.category is Category.SIGNATURE
    assert verdict.usable_for_signature and not verdict.qualified
    assert "non qualifié" in _problems(verdict)
    assert verdict.label != LABEL_SUITABLE


def test_pki_auth_only_cannot_sign_and_says_why(test_pki: pki_mod.TestPki) -> None:
    verdict = assess(test_pki.auth_only.certificate)
    assert verdict.category is Category.AUTHENTICATION
    assert not verdict.usable_for_signature
    assert "authentification client" in _problems(verdict)


def test_pki_expired_says_when(test_pki: pki_mod.TestPki) -> None:
    verdict = assess(test_pki.expired.certificate)
    assert verdict.category is Category.EXPIRED
    assert not verdict.usable_for_signature
    expected = conformity.format_date(test_pki.expired.certificate.not_valid_after_utc)
    assert f"expiré le {expected}" in _problems(verdict)


def test_pki_encryption_is_a_bicle(test_pki: pki_mod.TestPki) -> None:
    verdict = assess(test_pki.encryption.certificate)
    assert verdict.category is Category.ENCRYPTION
    assert verdict.usable_for_decryption and not verdict.usable_for_signature
    assert "déchiffrer" in _all(verdict)


def test_ca_certificate_is_not_a_signing_certificate(test_pki: pki_mod.TestPki) -> None:
    verdict = assess(test_pki.ca.certificate)
    assert verdict.category is Category.UNSUITABLE
    assert "autorité de certification" in _problems(verdict)


# -- variants -----------------------------------------------------------------------------------


def test_qualified_policy_without_qc_statements_is_qualified(ca: pki_mod.Issued) -> None:
    cert = pki_mod.issue("p", "Politique QCP-n-qscd", ca, policies=["0.4.0.194112.1.2"]).certificate
    verdict = assess(cert)
    assert verdict.category is Category.QUALIFIED_SIGNATURE
    assert "QCP-n-qscd" in _all(verdict)


def test_legacy_ts_101_456_policy_is_qualified(ca: pki_mod.Issued) -> None:
    cert = pki_mod.issue("p", "Ancien QCP public SSCD", ca, policies=["0.4.0.1456.1.1"]).certificate
    assert assess(cert).qualified


def test_normalized_policy_is_not_qualified(ca: pki_mod.Issued) -> None:
    cert = pki_mod.issue("p", "NCP+", ca, policies=["0.4.0.2042.1.2"]).certificate
    verdict = assess(cert)
    assert verdict.category is Category.SIGNATURE
    assert "NCP+" in _problems(verdict)


def test_qc_compliance_without_type_means_esign(ca: pki_mod.Issued) -> None:
    base = pki_mod.issue("p", "QC sans QcType", ca)
    cert = _with_extension(base, ca, conformity.OID_QC_STATEMENTS, pki_mod.qc_statements_der(esign=False, sscd=False))
    verdict = assess(cert)
    assert verdict.qc.compliance and not verdict.qc.sscd and not verdict.qc.types
    assert verdict.category is Category.QUALIFIED_SIGNATURE


def test_qualified_seal_is_not_a_personal_signature(ca: pki_mod.Issued) -> None:
    der = _qc_der(conformity.QC_TYPE_ESEAL)
    cert = _with_extension(pki_mod.issue("p", "Cachet SARL Exemple", ca), ca, conformity.OID_QC_STATEMENTS, der)
    verdict = assess(cert)
    assert verdict.category is Category.SEAL
    assert not verdict.suitable_for_procurement
    assert "personne physique" in _problems(verdict)


def test_qualified_web_certificate_is_not_a_signature_certificate(ca: pki_mod.Issued) -> None:
    der = _qc_der(conformity.QC_TYPE_WEB)
    cert = _with_extension(pki_mod.issue("p", "QWAC mal rangé", ca), ca, conformity.OID_QC_STATEMENTS, der)
    verdict = assess(cert)
    assert verdict.category is Category.SIGNATURE and not verdict.qualified
    assert "site web" in _all(verdict)
    assert "pas un certificat de signature électronique" in _problems(verdict)


def test_malformed_qc_statements_is_reported_not_fatal(ca: pki_mod.Issued) -> None:
    cert = _with_extension(pki_mod.issue("p", "QC illisible", ca), ca, conformity.OID_QC_STATEMENTS, b"\x30\x05\x06")
    verdict = assess(cert)
    assert verdict.category is Category.SIGNATURE
    assert "illisible" in _problems(verdict)


def test_not_yet_valid(ca: pki_mod.Issued) -> None:
    start = NOW + dt.timedelta(days=10)
    cert = pki_mod.issue(
        "p", "Futur", ca, qc=True, not_before=start, not_after=start + dt.timedelta(days=700)
    ).certificate
    verdict = assess(cert)
    assert verdict.category is Category.NOT_YET_VALID and not verdict.usable_for_signature
    assert f"à partir du {conformity.format_date(start)}" in _problems(verdict)
    # the same certificate, judged the day it starts, is suitable
    assert assess(cert, now=start + dt.timedelta(hours=1)).category is Category.QUALIFIED_SIGNATURE


def test_weak_rsa_key_is_refused(ca: pki_mod.Issued) -> None:
    cert = pki_mod.issue("p", "RSA 1024", ca, qc=True, key=pki_mod.new_key(size=1024)).certificate
    verdict = assess(cert)
    assert verdict.category is Category.UNSUITABLE and not verdict.usable_for_signature
    assert "1024 bits" in _problems(verdict)


def test_digital_signature_with_email_protection_can_sign(ca: pki_mod.Issued) -> None:
    cert = pki_mod.issue(
        "p", "Signature S/MIME", ca, key_usage={"digital_signature"}, eku=[ExtendedKeyUsageOID.EMAIL_PROTECTION]
    ).certificate
    verdict = assess(cert)
    assert verdict.category is Category.SIGNATURE and verdict.usable_for_signature


def test_non_repudiation_restricted_by_eku_to_tls_cannot_sign(ca: pki_mod.Issued) -> None:
    cert = pki_mod.issue(
        "p", "Contradictoire", ca, key_usage={"non_repudiation"}, eku=[ExtendedKeyUsageOID.SERVER_AUTH]
    ).certificate
    verdict = assess(cert)
    assert verdict.category is Category.AUTHENTICATION
    assert "serveur TLS" in _problems(verdict)


def test_signature_and_encryption_key(ca: pki_mod.Issued) -> None:
    cert = pki_mod.issue(
        "p", "Double usage", ca, qc=True, key_usage={"non_repudiation", "key_encipherment"}
    ).certificate
    verdict = assess(cert)
    assert verdict.category is Category.QUALIFIED_SIGNATURE
    assert verdict.usable_for_decryption


def test_expired_encryption_key_still_opens_plis(ca: pki_mod.Issued) -> None:
    cert = pki_mod.issue(
        "p",
        "Ancien bi-clé",
        ca,
        key_usage={"key_encipherment"},
        not_before=NOW - dt.timedelta(days=900),
        not_after=NOW - dt.timedelta(days=2),
    ).certificate
    verdict = assess(cert)
    assert verdict.category is Category.ENCRYPTION and verdict.usable_for_decryption
    assert "expiré" in _all(verdict) and "ouvrir les plis" in _all(verdict)


def test_ec_encryption_usage_is_not_offered_for_decryption(ca: pki_mod.Issued) -> None:
    cert = pki_mod.issue("p", "EC chiffrement", ca, key=pki_mod.new_key("ec"), key_usage={"key_agreement"}).certificate
    verdict = assess(cert)
    assert not verdict.usable_for_decryption and not verdict.usable_for_signature


def test_french_provider_is_named(ca: pki_mod.Issued) -> None:
    cert = pki_mod.issue("p", "Porteur Certigna", ca, qc=True, policies=["1.2.250.1.177.1.9.1.6"]).certificate
    verdict = assess(cert)
    assert verdict.provider == "Certigna (Dhimyotis)"
    assert verdict.category is Category.QUALIFIED_SIGNATURE
    # a provider arc alone does not make a certificate qualified
    plain = pki_mod.issue("p", "Porteur ChamberSign RGS*", ca, policies=["1.2.250.1.96.1.1.1"]).certificate
    plain_verdict = assess(plain)
    assert plain_verdict.provider == "ChamberSign France"
    assert plain_verdict.category is Category.SIGNATURE


def test_to_dict_is_json_ready(test_pki: pki_mod.TestPki) -> None:
    import json

    data = assess(test_pki.auth_only.certificate).to_dict()
    json.dumps(data)
    assert data["label"] == "authentification uniquement, ne signe pas"
    assert data["usable_for_signature"] is False
    assert data["problems"] and set(data["problems"]) <= set(data["reasons"])


# -- qcStatements read with asn1crypto ------------------------------------------------------------


def _statement(oid: str, info: bytes = b"") -> bytes:
    from asn1crypto import core

    body = core.ObjectIdentifier(oid).dump() + info
    return core.Sequence.load(b"\x30" + bytes([len(body)]) + body).dump()


def test_qc_statements_are_read_with_their_types_and_semantics() -> None:
    from asn1crypto import core

    qc_type = core.Sequence.load(core.ObjectIdentifier("0.4.0.1862.1.6.1").dump().join([b"\x30\x09", b""]))
    semantics = core.ObjectIdentifier("0.4.0.194121.1.1").dump()
    statements = [
        _statement(conformity.QC_COMPLIANCE),
        _statement(conformity.QC_SSCD),
        _statement(conformity.QC_TYPE, qc_type.dump()),
        _statement(conformity.QCS_PKIX_SYNTAX_V2, b"\x30" + bytes([len(semantics)]) + semantics),
        _statement(conformity.QCS_PKIX_SYNTAX_V2, b"\x30\x00"),  # semanticsIdentifier is optional
        _statement("1.2.3.4", core.Integer(7).dump()),  # unknown statements are ignored
    ]
    body = b"".join(statements)
    info = conformity.parse_qc_statements(b"\x30\x81" + bytes([len(body)]) + body)
    assert info == conformity.QcInfo(True, True, True, frozenset({"0.4.0.1862.1.6.1"}), frozenset({"0.4.0.194121.1.1"}))
    with pytest.raises(conformity.DerError):
        conformity.parse_qc_statements(b"\x30\x81" + bytes([len(body)]) + body + b"\x00")  # trailing data
    with pytest.raises(conformity.DerError):
        conformity.parse_qc_statements(b"\x31\x00")  # a SET, not a SEQUENCE


@given(st.binary(max_size=200))
def test_parse_qc_statements_never_crashes(data: bytes) -> None:
    import contextlib

    with contextlib.suppress(ValueError):  # DerError is a ValueError: the caller reports "illisible"
        conformity.parse_qc_statements(data)
