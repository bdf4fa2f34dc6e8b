"""Validators we did not write, run as the user's counterpart would, with the test CA as only anchor."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests import pki

SIGNED_PROPERTIES_ID = "--id-attr:Id"
XADES_NS = "http://uri.etsi.org/01903/v1.3.2#"


def openssl_cms_verify(signature: Path, content: Path, ca_bundle: Path) -> subprocess.CompletedProcess[bytes]:
    pki.require_tool("openssl")
    return subprocess.run(
        [
            "openssl",
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            str(signature),
            "-content",
            str(content),
            "-CAfile",
            str(ca_bundle),
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ],
        capture_output=True,
    )


def openssl_cms_print(signature: Path) -> str:
    done = subprocess.run(
        ["openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", str(signature)],
        capture_output=True,
        check=True,
    )
    return done.stdout.decode("utf-8", "replace")


def xmlsec_verify(signature: Path, ca_bundle: Path) -> subprocess.CompletedProcess[bytes]:
    """xmlsec1 with X.509 key data only (a bare RSAKeyValue must not pass) and our CA as trust.

    Run in the signature's folder so the detached reference (a relative file name) resolves there.
    """
    pki.require_tool("xmlsec1")
    trusted: list[str] = []
    for pem in _split_pem(ca_bundle):  # xmlsec1 reads one certificate per --trusted-pem
        trusted += ["--trusted-pem", str(pem)]
    return subprocess.run(
        [
            "xmlsec1",
            "--verify",
            "--enabled-key-data",
            "x509",
            *trusted,
            SIGNED_PROPERTIES_ID,
            f"{XADES_NS}:SignedProperties",
            "./" + signature.name,
        ],
        capture_output=True,
        cwd=signature.parent,
    )


def _split_pem(bundle: Path) -> list[Path]:
    marker = b"-----END CERTIFICATE-----"
    parts = [p + marker + b"\n" for p in bundle.read_bytes().split(marker) if b"BEGIN" in p]
    out = []
    for index, part in enumerate(parts):
        path = bundle.with_name(f"{bundle.stem}.{index}.pem")
        if not path.exists() or path.read_bytes() != part.lstrip():
            path.write_bytes(part.lstrip())
        out.append(path)
    return out


def pdfsig(pdf: Path, nssdir: Path) -> str:
    """poppler's report. Not with -no-ocsp: poppler 22 then reports "Unknown issue" for every
    certificate. Our test certificates name no OCSP responder, so nothing is fetched."""
    pki.require_tool("pdfsig")
    done = subprocess.run(["pdfsig", "-nssdir", f"sql:{nssdir}", str(pdf)], capture_output=True)
    return done.stdout.decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace")


def pyhanko_validate(pdf: Path, test_pki: pki.TestPki) -> list[object]:
    """pyHanko's own validator: every embedded signature, our root as the only trust anchor."""
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    root = asn1_x509.Certificate.load(test_pki.root.cert_der)
    ca = asn1_x509.Certificate.load(test_pki.ca.cert_der)
    statuses: list[object] = []
    with open(pdf, "rb") as fh:
        reader = PdfFileReader(fh)
        for sig in reader.embedded_signatures:
            context = ValidationContext(
                trust_roots=[root], other_certs=[ca], allow_fetching=False, revocation_mode="soft-fail"
            )
            statuses.append(validate_pdf_signature(sig, context))
    return statuses
