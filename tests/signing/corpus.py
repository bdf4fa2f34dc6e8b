"""A corpus of signatures made by tools the project did not write, and their reference verdicts.

openssl cms (detached, attached, with and without signed attributes, CAdES attributes, RSA-PSS,
ECDSA, two signers, PEM), pyHanko (PAdES, adbe.pkcs7.detached), endesive (PDF adbe.pkcs7.detached with PKCS#1 v1.5
and RSA-PSS, CMS, XAdES enveloping),
signxml (enveloped and enveloping, inclusive C14N 1.0/1.1 and exclusive, SHA-256/SHA-512, ECDSA,
RSA-PSS),
xadesjs (XAdES enveloped and detached) and xmlsec1 (detached XML-DSig); each with a tampered copy.

The reference validator of each family is another program: `openssl cms -verify` for CMS,
xmlsec1 for XML, `pyhanko sign validate` for PDF, each in its own process, trusting the test
root only. RSA-PSS XML signatures are judged by signxml's verifier instead: the Debian xmlsec1
(1.2.37) has no RSA-PSS (it came with xmlsec 1.3), the `xmlsec` binding's libxmlsec1 has. Built once per session (a few seconds).
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from tests import pki

JS_DIR = Path(__file__).parent / "js"
DS = "http://www.w3.org/2000/09/xmldsig#"
C14N_10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C14N_11 = "http://www.w3.org/2006/12/xml-c14n11"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"


@dataclass(frozen=True)
class Sample:
    name: str
    family: str  # "cms" | "xml" | "pdf"
    path: Path  # the signature (or the signed PDF)
    data: Path | None  # the detached content, when there is one
    label: str  # what `format_label` must say (every signature of the file)
    tampered: bool = False
    packaging: str = ""  # expected packaging ("" = not checked)
    #: the reference validator when not the family's own: "signxml" for RSA-PSS XML, which the
    #: Debian xmlsec1 (1.2.37) does not know (RSA-PSS came with xmlsec 1.3)
    reference: str = ""


# --------------------------------------------------------------------------------------------
# Reference validators (one process per file)


def reference_valid(sample: Sample, test_pki: pki.TestPki) -> bool:
    if sample.family == "cms":
        cmd = [
            "openssl",
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            str(sample.path),
            "-CAfile",
            str(test_pki.ca_bundle),
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ]
        if sample.path.read_bytes().startswith(b"-----BEGIN"):
            cmd[cmd.index("DER")] = "PEM"
        if sample.data is not None:
            cmd += ["-content", str(sample.data)]
        return subprocess.run(cmd, capture_output=True).returncode == 0
    if sample.reference == "signxml":
        return _signxml_valid(sample.path, test_pki)
    if sample.family == "xml":
        cmd = [
            "xmlsec1",
            "--verify",
            "--trusted-pem",
            str(test_pki.root.files["cert"]),
            "--untrusted-pem",
            str(test_pki.ca.files["cert"]),
            "--id-attr:Id",
            "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
            "--id-attr:Id",
            f"{DS}:Object",
            str(sample.path),
        ]
        done = subprocess.run(cmd, capture_output=True, cwd=sample.path.parent)
        return done.returncode == 0
    assert sample.family == "pdf"
    pyhanko = str(Path(sys.executable).with_name("pyhanko"))
    cmd = [
        pyhanko,
        "sign",
        "validate",
        "--trust",
        str(test_pki.root.files["cert"]),
        "--other-certs",
        str(test_pki.ca.files["cert"]),
        "--no-revocation-check",
        str(sample.path),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True)
    return done.returncode == 0


_SIGNXML_VERIFY = """
import sys
from signxml import XMLVerifier
data = open(sys.argv[1], "rb").read()
XMLVerifier().verify(data, ca_pem_file=sys.argv[2])
"""


def _signxml_valid(path: Path, test_pki: pki.TestPki) -> bool:
    """signxml's own verifier (another XML-DSig implementation than libxmlsec1), in its own process."""
    done = subprocess.run(
        [sys.executable, "-c", _SIGNXML_VERIFY, str(path), str(test_pki.root.files["cert"])], capture_output=True
    )
    return done.returncode == 0


# --------------------------------------------------------------------------------------------
# Makers


def _run(cmd: list[str], **kwargs: object) -> None:
    done = subprocess.run(cmd, capture_output=True, **kwargs)  # type: ignore[call-overload]
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed: {done.stderr!r}")


def _flip_after(data: bytes, needle: bytes) -> bytes:
    """`data` with one byte of the first `needle` changed (the content, not the structure)."""
    index = data.index(needle)
    mutable = bytearray(data)
    mutable[index] ^= 0x01
    return bytes(mutable)


def _cms_samples(folder: Path, test_pki: pki.TestPki, data: Path, tampered_data: Path) -> list[Sample]:
    rsa_signer = ["-signer", str(test_pki.signer.files["cert"]), "-inkey", str(test_pki.signer.files["key"])]
    ec_signer = ["-signer", str(test_pki.signer_ec.files["cert"]), "-inkey", str(test_pki.signer_ec.files["key"])]
    chain = ["-certfile", str(test_pki.ca.files["cert"])]
    not_ades_attr = "CMS / PKCS#7, pas AdES (attribut signing-certificate-v2 absent)"
    variants: list[tuple[str, list[str], str, bool]] = [
        ("openssl-cades-detached", [*rsa_signer, "-cades", "-md", "sha256"], "CAdES B-B", False),
        ("openssl-cms-detached", [*rsa_signer, "-md", "sha256"], not_ades_attr, False),
        ("openssl-cms-noattr", [*rsa_signer, "-noattr"], "CMS / PKCS#7, pas AdES (attributs signés absents)", False),
        ("openssl-cades-attached", [*rsa_signer, "-cades", "-nodetach"], "CAdES B-B", True),
        (
            "openssl-cms-noattr-attached",
            [*rsa_signer, "-noattr", "-nodetach"],
            "CMS / PKCS#7, pas AdES (attributs signés absents)",
            True,
        ),
        ("openssl-cades-pss", [*rsa_signer, "-cades", "-keyopt", "rsa_padding_mode:pss"], "CAdES B-B", False),
        ("openssl-cades-ecdsa-sha512", [*ec_signer, "-cades", "-md", "sha512"], "CAdES B-B", False),
        ("openssl-cades-two-signers", [*rsa_signer, *ec_signer, "-cades"], "CAdES B-B", False),
    ]
    samples: list[Sample] = []
    for name, args, label, attached in variants:
        out = folder / f"{name}.p7s"
        _run(
            ["openssl", "cms", "-sign", "-binary", "-in", str(data), *chain, *args, "-outform", "DER", "-out", str(out)]
        )
        packaging = "attachée" if attached else "détachée"
        samples.append(Sample(name, "cms", out, None if attached else data, label, packaging=packaging))
        if attached:
            bad = folder / f"{name}-tampered.p7s"
            bad.write_bytes(_flip_after(out.read_bytes(), data.read_bytes()[:64]))
            samples.append(Sample(f"{name}-tampered", "cms", bad, None, label, tampered=True, packaging=packaging))
        else:
            samples.append(
                Sample(f"{name}-tampered", "cms", out, tampered_data, label, tampered=True, packaging=packaging)
            )
    for inner, label in ((folder / "inner.pdf", "pdf"), (folder / "inner.zip", "zip")):
        if label == "pdf":
            shutil.copy(folder / "source.pdf", inner)
        else:
            import zipfile

            with zipfile.ZipFile(inner, "w") as archive:
                archive.writestr("offre/memoire.txt", "Mémoire technique " * 200)
        out = folder / f"openssl-cades-attached-{label}.p7m"
        _run(
            [
                "openssl",
                "cms",
                "-sign",
                "-binary",
                "-nodetach",
                "-cades",
                "-in",
                str(inner),
                *chain,
                *rsa_signer,
                "-outform",
                "DER",
                "-out",
                str(out),
            ]
        )
        samples.append(Sample(f"openssl-cades-attached-{label}", "cms", out, None, "CAdES B-B", packaging="attachée"))
    pem = folder / "openssl-cades-pem.p7s"
    _run(
        [
            "openssl",
            "cms",
            "-sign",
            "-binary",
            "-in",
            str(data),
            *chain,
            *rsa_signer,
            "-cades",
            "-outform",
            "PEM",
            "-out",
            str(pem),
        ]
    )
    samples.append(Sample("openssl-cades-pem", "cms", pem, data, "CAdES B-B", packaging="détachée"))
    return samples


def _import_endesive_signers() -> None:
    """endesive's packages import its verifier too (certvalidator → oscrypto), and oscrypto cannot
    read OpenSSL 3.0.1x's version string; only endesive's signers are used here, so its verifier
    module is stood in for by an empty one."""
    import types

    stand_in = types.ModuleType("endesive.verifier")
    stand_in.SignatureVerifier = object  # type: ignore[attr-defined]
    sys.modules.setdefault("endesive.verifier", stand_in)


def _endesive_samples(folder: Path, test_pki: pki.TestPki, data: Path, tampered_data: Path) -> list[Sample]:
    _import_endesive_signers()
    from endesive.plain.sign import sign as endesive_cms
    from endesive.xades import bes

    key = test_pki.signer.key
    cert = test_pki.signer.certificate
    out = folder / "endesive-cms-detached.p7s"
    out.write_bytes(endesive_cms(data.read_bytes(), key, cert, [test_pki.ca.certificate], "sha256", attrs=True))
    label = "CMS / PKCS#7, pas AdES (attribut signing-time absent)"
    assert isinstance(key, rsa.RSAPrivateKey)

    def signproc(tosign: bytes, algosig: str) -> bytes:
        return key.sign(tosign, padding.PKCS1v15(), hashes.SHA256())

    xml = bes.BES().enveloping(
        "offre.bin",
        data.read_bytes(),
        "application/octet-stream",
        cert,
        cert.public_bytes(serialization.Encoding.DER),
        signproc,
        True,
        False,
    )
    xml_out = folder / "endesive-xades-enveloping.xml"
    xml_out.write_bytes(etree.tostring(xml, encoding="UTF-8", xml_declaration=True, standalone=False))
    xml_bad = folder / "endesive-xades-enveloping-tampered.xml"
    content = base64.b64encode(data.read_bytes()[:30]).decode()[:24].encode()
    xml_bad.write_bytes(_flip_after(xml_out.read_bytes(), content))
    return [
        Sample("endesive-cms-detached", "cms", out, data, label, packaging="détachée"),
        Sample("endesive-cms-detached-tampered", "cms", out, tampered_data, label, tampered=True),
        Sample("endesive-xades-enveloping", "xml", xml_out, None, "XAdES B-B", packaging="enveloppante"),
        Sample("endesive-xades-enveloping-tampered", "xml", xml_bad, None, "XAdES B-B", tampered=True),
    ]


def _classic_xref_pdf(path: Path, text: str) -> Path:
    """A one-page PDF with a cross-reference table (reportlab, uncompressed), as office tools write it."""
    from reportlab.pdfgen import canvas

    page = canvas.Canvas(str(path), pageCompression=0)
    page.drawString(72, 760, text)
    page.save()
    return path


def _endesive_pdf_samples(folder: Path, test_pki: pki.TestPki) -> list[Sample]:
    """endesive's PDF signer (adbe.pkcs7.detached, PKCS#1 v1.5 and RSA-PSS), each with a tampered copy.

    endesive 3.0.1 (the latest release) calls pypdf's `write_to_stream(stream, None)`, a signature
    pypdf 7 removed: the dev extras keep pypdf below 7 (nothing else of the project uses pypdf).
    Its incremental update of a PDF whose cross-references are a stream writes an array as a
    NameObject, which pypdf 5 and later refuse; the source PDF has a cross-reference table."""
    import datetime as dt

    _import_endesive_signers()
    from endesive.pdf import cms as endesive_pdf

    pdf = _classic_xref_pdf(folder / "source-xref-table.pdf", "Prix 1000 EUR")

    label = "PDF (PKCS#7), pas PAdES (SubFilter adbe.pkcs7.detached, et non ETSI.CAdES.detached)"
    samples: list[Sample] = []
    for name, pss in (("endesive-pdf-pkcs7", False), ("endesive-pdf-pkcs7-pss", True)):
        when = dt.datetime.now(dt.UTC).strftime("D:%Y%m%d%H%M%S+00'00'")
        options = {
            "sigflags": 3,
            "sigfield": "Signature1",
            "contact": "acheteur@example.fr",
            "location": "Paris",
            "signingdate": when,
            "reason": "Offre",
            "pss": pss,
        }
        source = pdf.read_bytes()
        signed = source + endesive_pdf.sign(
            source, options, test_pki.signer.key, test_pki.signer.certificate, [test_pki.ca.certificate], "sha256"
        )
        out = folder / f"{name}.pdf"
        out.write_bytes(signed)
        bad = folder / f"{name}-tampered.pdf"
        bad.write_bytes(signed.replace(b"Prix 1000 EUR", b"Prix 9000 EUR"))
        samples += [Sample(name, "pdf", out, None, label), Sample(f"{name}-tampered", "pdf", bad, None, label, True)]
    return samples


def _pyhanko_samples(folder: Path, test_pki: pki.TestPki, pdf: Path, tsa_url: str | None) -> list[Sample]:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers, timestamps

    signer = signers.SimpleSigner.load(
        str(test_pki.signer.files["key"]),
        str(test_pki.signer.files["cert"]),
        ca_chain_files=(str(test_pki.ca.files["cert"]),),
    )
    assert signer is not None
    variants: list[tuple[str, fields.SigSeedSubFilter, bool, str]] = [
        ("pyhanko-pades", fields.SigSeedSubFilter.PADES, False, "PAdES B-B"),
        (
            "pyhanko-adbe-pkcs7",
            fields.SigSeedSubFilter.ADOBE_PKCS7_DETACHED,
            False,
            "PDF (PKCS#7), pas PAdES (SubFilter adbe.pkcs7.detached, et non ETSI.CAdES.detached)",
        ),
    ]
    if tsa_url:
        variants.append(("pyhanko-pades-t", fields.SigSeedSubFilter.PADES, True, "PAdES B-T"))
    samples: list[Sample] = []
    for name, sub_filter, with_ts, label in variants:
        out = folder / f"{name}.pdf"
        meta = signers.PdfSignatureMetadata(field_name="Signature1", subfilter=sub_filter)
        timestamper = timestamps.HTTPTimeStamper(tsa_url) if with_ts and tsa_url else None
        with open(pdf, "rb") as src, open(out, "wb") as dst:
            signers.sign_pdf(IncrementalPdfFileWriter(src), meta, signer=signer, timestamper=timestamper, output=dst)
        bad = folder / f"{name}-tampered.pdf"
        bad.write_bytes(out.read_bytes().replace(b"Prix 1000 EUR", b"Prix 9000 EUR"))
        samples += [Sample(name, "pdf", out, None, label), Sample(f"{name}-tampered", "pdf", bad, None, label, True)]
    return samples


def _xml_document(path: Path) -> Path:
    # Namespaces declared on the root and used below: inclusive and exclusive c14n differ here.
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<offre xmlns="urn:amp:offre" xmlns:x="urn:amp:extra" xmlns:u="urn:amp:unused">'
        '<lot numero="2"><prix devise="EUR">1000</prix><x:note>Délai 30 jours</x:note></lot></offre>',
        encoding="utf-8",
    )
    return path


def _signxml_samples(folder: Path, test_pki: pki.TestPki, document: Path) -> list[Sample]:
    from signxml import SignatureMethod, XMLSigner, methods
    from signxml.algorithms import DigestAlgorithm

    certs = [test_pki.signer.cert_pem.decode(), test_pki.ca.cert_pem.decode()]
    ec_certs = [test_pki.signer_ec.cert_pem.decode(), test_pki.ca.cert_pem.decode()]
    variants = [
        ("signxml-enveloped-c14n10-sha256", methods.enveloped, C14N_10, "sha256", False),
        ("signxml-enveloped-c14n11-sha512", methods.enveloped, C14N_11, "sha512", False),
        ("signxml-enveloped-exc-sha256", methods.enveloped, EXC_C14N, "sha256", False),
        ("signxml-enveloping-c14n10-sha512", methods.enveloping, C14N_10, "sha512", False),
        ("signxml-enveloped-ecdsa-exc-sha256", methods.enveloped, EXC_C14N, "sha256", True),
    ]
    samples: list[Sample] = []
    for name, method, c14n, digest, use_ec in variants:
        signer = XMLSigner(
            method=method,
            c14n_algorithm=c14n,
            signature_algorithm=SignatureMethod[("ECDSA_" if use_ec else "RSA_") + digest.upper()],
            digest_algorithm=DigestAlgorithm[digest.upper()],
        )
        key = (test_pki.signer_ec if use_ec else test_pki.signer).key_pem()
        root = etree.parse(str(document)).getroot()
        signed = signer.sign(root, key=key, cert=ec_certs if use_ec else certs)
        out = folder / f"{name}.xml"
        out.write_bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))
        label = "XMLDSig, pas XAdES (xades:SignedProperties absent)"
        packaging = "enveloppante" if method is methods.enveloping else "enveloppée"
        bad = folder / f"{name}-tampered.xml"
        bad.write_bytes(out.read_bytes().replace(b"1000</", b"9000</"))
        samples += [
            Sample(name, "xml", out, None, label, packaging=packaging),
            Sample(f"{name}-tampered", "xml", bad, None, label, tampered=True),
        ]
    samples.append(_declared_c14n_mismatch(folder, test_pki, samples[2].path))
    samples += _signxml_rsa_pss(folder, test_pki, document)
    return samples


def _signxml_rsa_pss(folder: Path, test_pki: pki.TestPki, document: Path) -> list[Sample]:
    """RSA-PSS XML-DSig (RFC 6931 sha256-rsa-MGF1, sha512-rsa-MGF1), judged by signxml's verifier."""
    from signxml import SignatureMethod, XMLSigner, methods
    from signxml.algorithms import DigestAlgorithm

    # signxml's verifier checks the chain with cryptography's policy: the signer's key usage must
    # allow digitalSignature (the test PKI's qualified signer has nonRepudiation only).
    signer_pss = pki.issue(
        "signer_pss", "Jeanne Dupont (RSA-PSS)", test_pki.ca, key_usage={"non_repudiation", "digital_signature"}
    )
    certs = [signer_pss.cert_pem.decode(), test_pki.ca.cert_pem.decode()]
    label = "XMLDSig, pas XAdES (xades:SignedProperties absent)"
    samples: list[Sample] = []
    for name, method, digest in (
        ("signxml-enveloped-rsa-pss-sha256", SignatureMethod.SHA256_RSA_MGF1, DigestAlgorithm.SHA256),
        ("signxml-enveloped-rsa-pss-sha512", SignatureMethod.SHA512_RSA_MGF1, DigestAlgorithm.SHA512),
    ):
        signer = XMLSigner(
            method=methods.enveloped, c14n_algorithm=EXC_C14N, signature_algorithm=method, digest_algorithm=digest
        )
        signed = signer.sign(etree.parse(str(document)).getroot(), key=signer_pss.key_pem(), cert=certs)
        out = folder / f"{name}.xml"
        out.write_bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))
        bad = folder / f"{name}-tampered.xml"
        bad.write_bytes(out.read_bytes().replace(b"1000</", b"9000</"))
        samples += [
            Sample(name, "xml", out, None, label, packaging="enveloppée", reference="signxml"),
            Sample(f"{name}-tampered", "xml", bad, None, label, tampered=True, reference="signxml"),
        ]
    return samples


def _declared_c14n_mismatch(folder: Path, test_pki: pki.TestPki, exclusive_signed: Path) -> Sample:
    """A signature whose reference digest was made with exclusive c14n but which declares inclusive.

    SignedInfo is re-signed with the right key, so only the c14n mismatch makes it invalid
    (xmlsec1 rejects it: the digest of the inclusive form differs).
    """
    root = etree.parse(str(exclusive_signed)).getroot()
    signed_info = root.find(f".//{{{DS}}}SignedInfo")
    assert signed_info is not None
    for transform in signed_info.iter(f"{{{DS}}}Transform"):
        if transform.get("Algorithm") == EXC_C14N:
            transform.set("Algorithm", C14N_10)
    method = signed_info.find(f"{{{DS}}}CanonicalizationMethod")
    assert method is not None
    key = test_pki.signer.key
    assert isinstance(key, rsa.RSAPrivateKey)
    canonical = etree.tostring(signed_info, method="c14n", exclusive=True)
    value = root.find(f".//{{{DS}}}SignatureValue")
    assert value is not None
    value.text = base64.b64encode(key.sign(canonical, padding.PKCS1v15(), hashes.SHA256())).decode()
    out = folder / "signxml-declared-c14n-mismatch.xml"
    out.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    return Sample(
        "signxml-declared-c14n-mismatch",
        "xml",
        out,
        None,
        "XMLDSig, pas XAdES (xades:SignedProperties absent)",
        tampered=True,
    )


def _xadesjs_samples(
    folder: Path, test_pki: pki.TestPki, document: Path, data: Path, tampered_data: Path
) -> list[Sample]:
    node = shutil.which("node")
    if node is None or not (JS_DIR / "node_modules" / "xadesjs").is_dir():
        raise pki.MissingToolError("xadesjs (node + `npm install` in tests/signing/js) is required")
    keys = {}
    for item in (test_pki.signer, test_pki.signer_ec):
        der = folder / f"{item.name}.pk8.der"
        der.write_bytes(
            item.key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        keys[item.name] = (der, item.files["der"])
    variants = [
        ("xadesjs-enveloped-c14n-sha256", "enveloped", "signer", "RSASSA-PKCS1-v1_5", "SHA-256", "c14n"),
        ("xadesjs-enveloped-exc-sha512", "enveloped", "signer", "RSASSA-PKCS1-v1_5", "SHA-512", "exc-c14n"),
        ("xadesjs-detached-sha512", "detached", "signer", "RSASSA-PKCS1-v1_5", "SHA-512", "c14n"),
        ("xadesjs-enveloped-ecdsa-sha256", "enveloped", "signer_ec", "ECDSA", "SHA-256", "exc-c14n"),
    ]
    samples: list[Sample] = []
    for name, mode, who, alg, digest, c14n in variants:
        out = folder / f"{name}.xml"
        key, cert = keys[who]
        source = document if mode == "enveloped" else data
        _run([node, str(JS_DIR / "xades-sign.js"), mode, str(key), str(cert), alg, digest, c14n, str(source), str(out)])
        if mode == "enveloped":
            bad = folder / f"{name}-tampered.xml"
            bad.write_bytes(out.read_bytes().replace(b"1000</", b"9000</"))
            samples += [
                Sample(name, "xml", out, None, "XAdES B-B", packaging="enveloppée"),
                Sample(f"{name}-tampered", "xml", bad, None, "XAdES B-B", tampered=True),
            ]
        else:
            samples += _detached_xml_pair(name, out, data, tampered_data, folder, "XAdES B-B")
    return samples


def _detached_xml_pair(
    name: str, signature: Path, data: Path, tampered: Path, folder: Path, label: str
) -> list[Sample]:
    """The signature beside its file, and a copy beside a tampered file of the same name."""
    bad_folder = folder / f"{name}-tampered"
    bad_folder.mkdir()
    shutil.copy(signature, bad_folder / signature.name)
    shutil.copy(tampered, bad_folder / data.name)
    return [
        Sample(name, "xml", signature, None, label, packaging="détachée"),
        Sample(f"{name}-tampered", "xml", bad_folder / signature.name, None, label, tampered=True),
    ]


def _xmlsec1_samples(folder: Path, test_pki: pki.TestPki, data: Path, tampered_data: Path) -> list[Sample]:
    template = folder / "xmlsec1-template.xml"
    template.write_text(
        f'<?xml version="1.0"?><Signature xmlns="{DS}"><SignedInfo>'
        f'<CanonicalizationMethod Algorithm="{C14N_11}"/>'
        '<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"/>'
        f'<Reference URI="{data.name}"><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha512"/>'
        "<DigestValue/></Reference></SignedInfo><SignatureValue/><KeyInfo><X509Data><X509Certificate/>"
        "</X509Data></KeyInfo></Signature>"
    )
    out = folder / "xmlsec1-detached-c14n11.xml"
    _run(
        [
            "xmlsec1",
            "--sign",
            "--privkey-pem",
            f"{test_pki.signer.files['key']},{test_pki.signer.files['cert']}",
            "--output",
            str(out),
            str(template),
        ],
        cwd=folder,
    )
    return _detached_xml_pair(
        "xmlsec1-detached-c14n11",
        out,
        data,
        tampered_data,
        folder,
        "XMLDSig, pas XAdES (xades:SignedProperties absent)",
    )


def build_corpus(
    folder: Path, test_pki: pki.TestPki, tsa_url: str | None, make_pdf: Callable[[Path, str], Path]
) -> list[Sample]:
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "offre.bin"
    data.write_bytes(b"Offre technique, lot 2 : " + bytes(range(256)) * 40)
    tampered_dir = folder / "tampered-data"
    tampered_dir.mkdir()
    tampered_data = tampered_dir / data.name
    tampered_data.write_bytes(_flip_after(data.read_bytes(), b"lot 2"))
    pdf = make_pdf(folder / "source.pdf", "Prix 1000 EUR")
    document = _xml_document(folder / "offre.xml")
    samples: list[Sample] = [
        *_cms_samples(folder, test_pki, data, tampered_data),
        *_pyhanko_samples(folder, test_pki, pdf, tsa_url),
        *_endesive_samples(folder, test_pki, data, tampered_data),
        *_endesive_pdf_samples(folder, test_pki),
        *_signxml_samples(folder, test_pki, document),
        *_xadesjs_samples(folder, test_pki, document, data, tampered_data),
        *_xmlsec1_samples(folder, test_pki, data, tampered_data),
    ]
    return [replace(s) for s in samples]
