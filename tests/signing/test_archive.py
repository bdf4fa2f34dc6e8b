"""CAdES and XAdES at B-LTA: an archive timestamp over the B-LT signature, made by us with the test
TSA (`openssl ts -reply`), checked by `assistant verify` offline once the CA's CRL and OCSP servers
are gone, and judged by the reference tools: `openssl ts -verify` on the archive token against an
imprint this test derives on its own from the standards' text (EN 319 122-1 5.5.3, EN 319 132-1
5.5.2), `openssl cms -verify` and xmlsec1 on the signature. Tampering with the archive token, the
validation data it covers or the signed file after archiving is reported in plain French."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from asn1crypto import cms, core
from lxml import etree

from assistant.signing import SignFormat, sign_files
from assistant.signing.verify import verify_file
from assistant.signing.verify_document import write_verification_report
from tests import pki
from tests.signing.conftest import CrlPki, OcspPki, Tsa

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
XADES141 = "http://uri.etsi.org/01903/v1.4.1#"
ARCHIVE_V3 = "0.4.0.1733.2.4"
INDEX_V3 = "0.4.0.19122.1.5"


def _source(folder: Path) -> Path:
    path = folder / "Offre technique.docx"
    path.write_bytes(b"Contenu de l'offre " * 4000)
    return path


def _sign(credential: object, source: Path, fmt: SignFormat, tsa: Tsa, test_pki: pki.TestPki) -> Path:
    result = sign_files(
        credential,  # type: ignore[arg-type]
        [source],
        fmt,
        level="B-LTA",
        tsa_url=tsa.url,
        trust_roots=[test_pki.root.certificate],
    ).results[0]
    assert result.output is not None, result.error
    return result.output


# --------------------------------------------------------------------------------------------
# The imprints, derived here from the standards' text (not with the product's code)


def _cades_parts(path: Path) -> tuple[bytes, bytes]:
    """(archive token DER, the imprint EN 319 122-1 5.5.3 asks for), for the one archive stamp."""
    info = cms.ContentInfo.load(path.read_bytes())
    signed_data = info["content"]
    signer = signed_data["signer_infos"][0]
    stamps = [a for a in signer["unsigned_attrs"] if a["type"].dotted == ARCHIVE_V3]
    assert len(stamps) == 1
    token_der = stamps[0]["values"][0].dump()
    token = cms.ContentInfo.load(token_der)
    index = [a for a in token["content"]["signer_infos"][0]["unsigned_attrs"] if a["type"].dotted == INDEX_V3]
    assert len(index) == 1
    index_der = index[0]["values"][0].dump()
    content = path.with_name(path.name.split(" - ")[0]).read_bytes()
    data = signed_data["encap_content_info"]["content_type"].dump() + hashlib.sha256(content).digest()
    for name in ("version", "sid", "digest_algorithm", "signed_attrs", "signature_algorithm", "signature"):
        data += signer[name].dump()
    return token_der, hashlib.sha256(data + index_der).digest()


def _xades_parts(path: Path, source: Path) -> tuple[bytes, bytes]:
    """(archive token DER, the imprint EN 319 132-1 5.5.2.2 asks for) of our detached XAdES."""
    root = etree.fromstring(path.read_bytes())

    def c14n(node: etree._Element) -> bytes:
        return bytes(etree.tostring(node, method="c14n", exclusive=True, with_comments=False))

    stamp = root.find(f".//{{{XADES141}}}ArchiveTimeStamp")
    assert stamp is not None
    method = stamp.find(f"{{{DS}}}CanonicalizationMethod")
    assert method is not None and method.get("Algorithm") == "http://www.w3.org/2001/10/xml-exc-c14n#"
    props = root.find(f".//{{{XADES}}}SignedProperties")
    assert props is not None
    data = source.read_bytes() + c14n(props)  # the two references: the file, the SignedProperties
    for tag in ("SignedInfo", "SignatureValue", "KeyInfo"):
        node = root.find(f"{{{DS}}}{tag}")
        assert node is not None
        data += c14n(node)
    unsigned = root.find(f".//{{{XADES}}}UnsignedSignatureProperties")
    assert unsigned is not None
    before = list(unsigned)[: list(unsigned).index(stamp)]
    assert [etree.QName(n).localname for n in before] == ["SignatureTimeStamp", "CertificateValues", "RevocationValues"]
    data += b"".join(c14n(n) for n in before)
    token = stamp.find(f"{{{XADES}}}EncapsulatedTimeStamp")
    assert token is not None and token.text
    return base64.b64decode(token.text), hashlib.sha256(data).digest()


def _openssl_ts_verify(token_der: bytes, digest: bytes, folder: Path, test_pki: pki.TestPki) -> None:
    token = folder / "archive-token.der"
    token.write_bytes(token_der)
    done = subprocess.run(
        [
            pki.require_tool("openssl"),
            "ts",
            "-verify",
            "-digest",
            digest.hex(),
            "-in",
            str(token),
            "-token_in",
            "-CAfile",
            str(test_pki.ca_bundle),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stdout + done.stderr


# --------------------------------------------------------------------------------------------
# Signed by us, verified offline, judged by the reference tools


@pytest.mark.parametrize("fmt", [SignFormat.CADES, SignFormat.XADES])
def test_b_lta_with_ocsp_validates_once_the_responder_is_gone(
    tmp_path: Path, test_pki: pki.TestPki, tsa: Tsa, ocsp_pki: OcspPki, fmt: SignFormat
) -> None:
    credential = CrlPki("", ocsp_pki.good, ocsp_pki.good, []).credential(ocsp_pki.good, test_pki)
    source = _source(tmp_path)
    output = _sign(credential, source, fmt, tsa, test_pki)
    ocsp_pki.stop()  # the CA's OCSP responder is gone
    sig = verify_file(output, trust_roots=[test_pki.root.certificate]).signatures[0]
    assert sig.ok, sig.problems
    assert sig.format_label == f"{fmt.etsi_name} B-LTA" and sig.revocation == "good"
    assert len(sig.archive_timestamps) == 1
    stamp = sig.archive_timestamps[0]
    assert stamp.valid and stamp.authority == "AMP Test TSA" and stamp.time is not None
    assert sig.timestamp_time is not None and stamp.time >= sig.timestamp_time
    # The report, as the procurement file keeps it.
    data = sig.to_dict()["archive_timestamps"][0]
    assert data["valid"] is True and data["authority"] == "AMP Test TSA" and data["problem"] is None


@pytest.mark.parametrize("fmt", [SignFormat.CADES, SignFormat.XADES])
def test_b_lta_with_crl_judged_by_reference_tools(
    tmp_path: Path, test_pki: pki.TestPki, tsa: Tsa, crl_pki: CrlPki, fmt: SignFormat
) -> None:
    credential = crl_pki.credential(crl_pki.good, test_pki)
    source = _source(tmp_path)
    output = _sign(credential, source, fmt, tsa, test_pki)
    fetched = len(crl_pki.fetched)
    sig = verify_file(output, trust_roots=[test_pki.root.certificate]).signatures[0]
    assert len(crl_pki.fetched) == fetched  # offline: only what the signature carries
    assert sig.ok and sig.format_label == f"{fmt.etsi_name} B-LTA", sig.problems
    if fmt is SignFormat.CADES:
        token, digest = _cades_parts(output)
        _openssl_ts_verify(token, digest, tmp_path, test_pki)
        done = subprocess.run(
            [
                "openssl",
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-in",
                str(output),
                "-content",
                str(source),
                "-CAfile",
                str(test_pki.ca_bundle),
                "-purpose",
                "any",
                "-out",
                "/dev/null",
            ],
            capture_output=True,
        )
        assert done.returncode == 0, done.stderr
    else:
        token, digest = _xades_parts(output, source)
        _openssl_ts_verify(token, digest, tmp_path, test_pki)
        done = subprocess.run(
            [
                pki.require_tool("xmlsec1"),
                "--verify",
                "--trusted-pem",
                str(test_pki.root.files["cert"]),
                "--untrusted-pem",
                str(test_pki.ca.files["cert"]),
                "--id-attr:Id",
                f"{XADES}:SignedProperties",
                output.name,
            ],
            capture_output=True,
            cwd=output.parent,
        )
        assert done.returncode == 0, done.stderr


def test_openssl_refuses_an_imprint_that_is_not_the_archive_one(
    tmp_path: Path, test_pki: pki.TestPki, tsa: Tsa, crl_pki: CrlPki
) -> None:
    """The control of the reference check: another imprint (the file's hash alone) is refused."""
    source = _source(tmp_path)
    output = _sign(crl_pki.credential(crl_pki.good, test_pki), source, SignFormat.CADES, tsa, test_pki)
    token, _digest = _cades_parts(output)
    with pytest.raises(AssertionError):
        _openssl_ts_verify(token, hashlib.sha256(source.read_bytes()).digest(), tmp_path, test_pki)


# --------------------------------------------------------------------------------------------
# Tampering


def _flip_in_archive_token(der: bytes) -> bytes:
    """The archive token's TSA signature value with one bit changed (the rest re-encoded as is)."""
    info = cms.ContentInfo.load(der)
    signer = info["content"]["signer_infos"][0]
    attrs = list(signer["unsigned_attrs"])
    stamp = next(a for a in attrs if a["type"].dotted == ARCHIVE_V3)
    token_der = stamp["values"][0].dump()
    token = cms.ContentInfo.load(token_der)
    value = token["content"]["signer_infos"][0]["signature"].native
    broken = bytes([value[0] ^ 1]) + value[1:]
    old = core.OctetString(value).dump()
    new = core.OctetString(broken).dump()
    assert der.count(old) == 1
    return der.replace(old, new)


def test_cades_tampered_archive_token_is_reported(
    tmp_path: Path, test_pki: pki.TestPki, tsa: Tsa, crl_pki: CrlPki
) -> None:
    output = _sign(crl_pki.credential(crl_pki.good, test_pki), _source(tmp_path), SignFormat.CADES, tsa, test_pki)
    output.write_bytes(_flip_in_archive_token(output.read_bytes()))
    sig = verify_file(output, trust_roots=[test_pki.root.certificate]).signatures[0]
    assert sig.intact and sig.signature_valid  # the signature itself is untouched
    assert sig.format_label == "CAdES B-LT" and not sig.ok
    assert sig.archive_timestamps and not sig.archive_timestamps[0].valid
    assert any("Horodatage d'archive invalide" in p for p in sig.problems), sig.problems
    assert "horodatage n'a pas pu être validé" in sig.verdict_fr
    # In the report's JSON, HTML and PDF like the other findings.
    for suffix in (".json", ".html", ".pdf"):
        target = write_verification_report(
            verify_file(output, trust_roots=[test_pki.root.certificate]), tmp_path / f"r{suffix}"
        )
        assert target.stat().st_size > 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8").replace("&#x27;", "'").replace("&#39;", "'")
    assert "Horodatage d'archive invalide : sa signature ne se vérifie pas." in html
    assert "(NON VALIDE, autorité : AMP Test TSA)" in html
    pdf_text = subprocess.run(
        [pki.require_tool("pdftotext"), str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Horodatage d’archive" in pdf_text.replace("'", "’") and "NON VALIDE" in pdf_text
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    (stamp,) = data["signatures"][0]["archive_timestamps"]
    assert stamp["valid"] is False and stamp["problem"].startswith("Horodatage d'archive invalide")


def test_cades_removed_validation_data_breaks_the_archive_timestamp(
    tmp_path: Path, test_pki: pki.TestPki, tsa: Tsa, crl_pki: CrlPki
) -> None:
    """The CRL the archive timestamp indexed is taken out: the index says so."""
    output = _sign(crl_pki.credential(crl_pki.good, test_pki), _source(tmp_path), SignFormat.CADES, tsa, test_pki)
    info = cms.ContentInfo.load(output.read_bytes())
    signed_data = info["content"]
    fields = {
        name: signed_data[name]
        for name in ("version", "digest_algorithms", "encap_content_info", "certificates", "signer_infos")
    }
    output.write_bytes(cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(fields)}).dump())
    sig = verify_file(output, trust_roots=[test_pki.root.certificate]).signatures[0]
    assert not sig.ok and sig.archive_timestamps and not sig.archive_timestamps[0].valid
    assert any("données de révocation" in p and "retirés ou modifiés" in p for p in sig.problems), sig.problems
    assert sig.format_label != "CAdES B-LTA"


@pytest.mark.parametrize("fmt", [SignFormat.CADES, SignFormat.XADES])
def test_signed_file_altered_after_archiving(
    tmp_path: Path, test_pki: pki.TestPki, tsa: Tsa, crl_pki: CrlPki, fmt: SignFormat
) -> None:
    source = _source(tmp_path)
    output = _sign(crl_pki.credential(crl_pki.good, test_pki), source, fmt, tsa, test_pki)
    source.write_bytes(source.read_bytes().replace(b"offre", b"OFFRE", 1))
    sig = verify_file(output, trust_roots=[test_pki.root.certificate]).signatures[0]
    assert not sig.ok and not (sig.intact and sig.signature_valid)
    assert sig.verdict_fr.startswith("Signature invalide")
    assert sig.archive_timestamps and not sig.archive_timestamps[0].valid
    assert any("ne porte pas sur la signature telle qu'elle est" in p for p in sig.problems), sig.problems


def test_xades_tampered_archive_timestamp_is_reported(
    tmp_path: Path, test_pki: pki.TestPki, tsa: Tsa, crl_pki: CrlPki
) -> None:
    output = _sign(crl_pki.credential(crl_pki.good, test_pki), _source(tmp_path), SignFormat.XADES, tsa, test_pki)
    root = etree.fromstring(output.read_bytes())
    encapsulated = root.find(f".//{{{XADES141}}}ArchiveTimeStamp/{{{XADES}}}EncapsulatedTimeStamp")
    assert encapsulated is not None and encapsulated.text
    der = bytearray(base64.b64decode(encapsulated.text))
    der[-5] ^= 1  # inside the TSA's signature value, at the end of the token
    encapsulated.text = base64.b64encode(bytes(der)).decode()
    output.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    sig = verify_file(output, trust_roots=[test_pki.root.certificate]).signatures[0]
    assert sig.intact and sig.signature_valid
    assert sig.format_label == "XAdES B-LT" and not sig.ok
    assert any("Horodatage d'archive" in p for p in sig.problems), sig.problems


def test_xades_revocation_values_changed_after_archiving(
    tmp_path: Path, test_pki: pki.TestPki, tsa: Tsa, crl_pki: CrlPki
) -> None:
    """The validation data the archive timestamp covers is altered: the stamp no longer matches."""
    output = _sign(crl_pki.credential(crl_pki.good, test_pki), _source(tmp_path), SignFormat.XADES, tsa, test_pki)
    root = etree.fromstring(output.read_bytes())
    values = root.find(f".//{{{XADES}}}CertificateValues")
    assert values is not None and len(values) > 1
    values.remove(values[-1])
    output.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    sig = verify_file(output, trust_roots=[test_pki.root.certificate]).signatures[0]
    assert sig.intact and sig.signature_valid and not sig.ok
    assert sig.format_label == "XAdES B-LT"
    assert any("ne porte pas sur la signature telle qu'elle est" in p for p in sig.problems), sig.problems


# --------------------------------------------------------------------------------------------
# Robustness and the report's schema


@pytest.mark.parametrize("fmt", [SignFormat.CADES, SignFormat.XADES])
def test_no_traceback_on_mutations_of_b_lta(
    tmp_path: Path, test_pki: pki.TestPki, tsa: Tsa, crl_pki: CrlPki, fmt: SignFormat
) -> None:
    """Random byte mutations of a B-LTA signature (its archive token is the larger part of it):
    a report or a clear error, never a traceback."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from assistant.errors import AssistantError

    source = _source(tmp_path)
    output = _sign(crl_pki.credential(crl_pki.good, test_pki), source, fmt, tsa, test_pki)
    original = output.read_bytes()
    target = tmp_path / "mutated" / output.name
    target.parent.mkdir()

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(
        st.lists(st.tuples(st.integers(0, len(original) - 1), st.integers(0, 255)), min_size=1, max_size=8),
        st.integers(0, len(original)),
    )
    def check(mutations: list[tuple[int, int]], cut: int) -> None:
        data = bytearray(original)
        for index, value in mutations:
            data[index] = value
        target.write_bytes(bytes(data[: max(cut, 1)]) if cut < len(original) // 8 else bytes(data))
        try:
            report = verify_file(target, detached_of=source, trust_roots=[test_pki.root.certificate])
        except AssistantError as exc:
            assert exc.message_fr
            return
        for sig in report.signatures:
            assert sig.verdict_fr
            assert all(stamp.valid or stamp.problem for stamp in sig.archive_timestamps)

    check()


def test_b_lta_reports_follow_the_documented_schema(
    tmp_path: Path, test_pki: pki.TestPki, tsa: Tsa, crl_pki: CrlPki
) -> None:

    import jsonschema

    root = Path(__file__).resolve().parents[2]
    schema = json.loads((root / "docs" / "verification-report.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    credential = crl_pki.credential(crl_pki.good, test_pki)
    for fmt in (SignFormat.CADES, SignFormat.XADES):
        folder = tmp_path / fmt.value
        folder.mkdir()
        output = _sign(credential, _source(folder), fmt, tsa, test_pki)
        for tamper in (False, True):
            if tamper:
                data = output.read_bytes()
                output.write_bytes(
                    _flip_in_archive_token(data)
                    if fmt is SignFormat.CADES
                    else data.replace(b"<xades:RevocationValues>", b"<xades:RevocationValues> ", 1)
                )
            report = verify_file(output, trust_roots=[test_pki.root.certificate])
            data_dict = json.loads(json.dumps(report.to_dict()))
            errors = sorted(validator.iter_errors(data_dict), key=str)
            assert not errors, (fmt, tamper, [e.message for e in errors[:3]])
            stamps = data_dict["signatures"][0]["archive_timestamps"]
            assert len(stamps) == 1 and stamps[0]["valid"] is not tamper


# --------------------------------------------------------------------------------------------
# Archive timestamps made by another tool (DSS, an ETSI plugtest file): see data/dss/README.md

DSS = Path(__file__).parent / "data" / "dss"
UNTRUSTED = "ne remonte pas à une autorité de confiance"


def _openssl_judges_imprint(token: cms.ContentInfo, digest: bytes, folder: Path) -> bool:
    """`openssl ts -verify` of a foreign token over `digest`, its own TSA certificate as the anchor
    (-partial_chain), at its own time (its certificates have expired since)."""
    from asn1crypto import pem

    from assistant.signing.timestamp import tst_info

    token_file, anchors = folder / "foreign-token.der", folder / "foreign-tsa.pem"
    token_file.write_bytes(token.dump())
    certs = [c.chosen for c in token["content"]["certificates"] if c.name == "certificate"]
    anchors.write_bytes(b"".join(pem.armor("CERTIFICATE", c.dump()) for c in certs))
    when = int(tst_info(token)["gen_time"].native.timestamp())
    done = subprocess.run(
        [
            pki.require_tool("openssl"),
            "ts",
            "-verify",
            "-digest",
            digest.hex(),
            "-in",
            str(token_file),
            "-token_in",
            "-CAfile",
            str(anchors),
            "-partial_chain",
            "-attime",
            str(when),
        ],
        capture_output=True,
        text=True,
    )
    return done.returncode == 0 and "Verification: OK" in done.stdout


@pytest.mark.parametrize(
    ("name", "count"), [("Signature-C-B-LTA-10.p7m", 1), ("CAdESDoubleLTA.p7m", 2), ("Signature-C-LTA-v3.p7m", 1)]
)
def test_cades_archive_timestamps_of_another_tool(tmp_path: Path, name: str, count: int) -> None:
    """Their imprints recomputed by us match (openssl agrees, and refuses another digest); only the
    trust in their test TSA, which this workstation does not know, is missing."""
    from assistant.signing import archive_cades

    path = DSS / name
    sig = verify_file(path, trust_roots=[]).signatures[0]
    assert sig.intact and sig.signature_valid
    assert len(sig.archive_timestamps) == count
    for stamp in sig.archive_timestamps:
        assert not stamp.valid and UNTRUSTED in stamp.problem, stamp.problem
        assert stamp.time is not None and stamp.authority
    signed_data = cms.ContentInfo.load(path.read_bytes())["content"]
    content = bytes(signed_data["encap_content_info"]["content"])
    stamps = archive_cades.archive_stamps(
        signed_data, signed_data["signer_infos"][0], lambda algorithm: hashlib.new(algorithm, content).digest()
    )
    for stamp in stamps:
        assert stamp.token is not None and stamp.digest is not None
        assert _openssl_judges_imprint(stamp.token, stamp.digest, tmp_path)
        assert not _openssl_judges_imprint(stamp.token, bytes(len(stamp.digest)), tmp_path)  # the control


@pytest.mark.parametrize(
    "name",
    ["xades-lta-valid.xml", "data2sign-signed-xades-enveloped-baseline-lta.xml", "Signature-X-LTA-filter2.xml"],
)
def test_xades_archive_timestamps_of_another_tool(tmp_path: Path, name: str) -> None:
    """Enveloping (base64 transform) and enveloped (XPath filter, XPath Filter 2.0) XAdES made by DSS."""
    from assistant.signing import archive_xades, verify_xml

    path = DSS / name
    sig = verify_file(path, trust_roots=[]).signatures[0]
    assert sig.intact and sig.signature_valid
    assert len(sig.archive_timestamps) == 1
    assert UNTRUSTED in sig.archive_timestamps[0].problem, sig.archive_timestamps[0].problem
    root = verify_xml.parse_xml(path.read_bytes())
    (stamp,) = archive_xades.archive_stamps(root, verify_xml.signatures_of(root)[0], {})
    assert stamp.token is not None and stamp.digest is not None
    assert _openssl_judges_imprint(stamp.token, stamp.digest, tmp_path)


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("CAdES-BpLTA_modified_ats_hash_element.p7m", "retirés ou modifiés"),
        ("xades-lta-copied-atst.xml", "ne porte pas sur la signature telle qu'elle est"),
    ],
)
def test_broken_archive_timestamps_of_another_tool(name: str, words: str) -> None:
    sig = verify_file(DSS / name, trust_roots=[]).signatures[0]
    assert sig.archive_timestamps and not sig.archive_timestamps[0].valid
    assert words in sig.archive_timestamps[0].problem
    assert sig.archive_timestamps[0].problem in [p.text for p in sig.problems]
    assert "archive_timestamp_not_validated" in {p.code.value for p in sig.problems}
    assert sig.level != "B-LTA"


# --------------------------------------------------------------------------------------------
# The command line: the level chosen as B-LT is, the report as the user reads it


@pytest.mark.parametrize("fmt", ["cades", "xades"])
def test_cli_signs_b_lta_and_verify_reports_it(
    tmp_path: Path, assistant_home: Path, test_pki: pki.TestPki, tsa: Tsa, crl_pki: CrlPki, fmt: str
) -> None:
    import os
    import sys

    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    key = tmp_path / "jean.p12"
    key.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"jean",
            crl_pki.good.key,
            crl_pki.good.certificate,
            [test_pki.ca.certificate],  # type: ignore[arg-type]
            BestAvailableEncryption(b"secret"),
        )
    )
    source = _source(tmp_path)
    env = {**os.environ, "ASSISTANT_HOME": str(assistant_home), "AMP_PIN": "secret", "ASSISTANT_LANG": "fr"}
    args = ["--format", fmt, "--level", "B-LTA", "--tsa", tsa.url, "--trust", str(test_pki.root_pem)]
    args += ["--key", str(key), "--pin-env", "AMP_PIN", "--json", str(source)]
    signed = subprocess.run(
        [sys.executable, "-m", "assistant", "sign", *args], capture_output=True, text=True, env=env, timeout=120
    )
    assert signed.returncode == 0, signed.stderr + signed.stdout
    output = json.loads(signed.stdout.strip())["output"]
    verified = subprocess.run(
        [sys.executable, "-m", "assistant", "verify", output, "--trust", str(test_pki.root_pem)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert verified.returncode == 0, verified.stderr + verified.stdout
    assert f"{SignFormat(fmt).etsi_name} B-LTA" in verified.stdout
    assert "Horodatage d'archive" in verified.stdout and "autorité : AMP Test TSA" in verified.stdout
    assert "Traceback" not in verified.stderr
    # Tampered, read in English: the finding in the user's language, and the level no longer B-LTA.
    signature = Path(output)
    if fmt == "cades":
        signature.write_bytes(_flip_in_archive_token(signature.read_bytes()))
    else:
        signature.write_bytes(
            signature.read_bytes().replace(b"<xades:RevocationValues>", b"<xades:RevocationValues> ", 1)
        )
    english = subprocess.run(
        [sys.executable, "-m", "assistant", "verify", output, "--trust", str(test_pki.root_pem)],
        capture_output=True,
        text=True,
        env={**env, "ASSISTANT_LANG": "en"},
        timeout=120,
    )
    assert english.returncode == 1 and "Traceback" not in english.stderr
    assert "Archive timestamp" in english.stdout and "Invalid archive timestamp" in english.stdout, english.stdout
    assert (
        f"{SignFormat(fmt).etsi_name} B-LT " in english.stdout
        or f"{SignFormat(fmt).etsi_name} B-LT\n" in english.stdout
    )


@pytest.mark.parametrize("name", ["CAdESDoubleLTA.p7m", "data2sign-signed-xades-enveloped-baseline-lta.xml"])
def test_no_traceback_on_mutations_of_foreign_b_lta(tmp_path: Path, name: str) -> None:
    """The same property on another tool's LTA signatures (two archive timestamps; an XPath filter)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from assistant.errors import AssistantError

    original = (DSS / name).read_bytes()
    target = tmp_path / name

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.lists(st.tuples(st.integers(0, len(original) - 1), st.integers(0, 255)), min_size=1, max_size=6))
    def check(mutations: list[tuple[int, int]]) -> None:
        data = bytearray(original)
        for index, value in mutations:
            data[index] = value
        target.write_bytes(bytes(data))
        try:
            report = verify_file(target, trust_roots=[])
        except AssistantError as exc:
            assert exc.message_fr
            return
        for sig in report.signatures:
            assert sig.verdict_fr
            assert all(stamp.valid or stamp.problem for stamp in sig.archive_timestamps)

    check()
