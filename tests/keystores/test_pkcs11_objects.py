"""Objects written to a token (import, bi-clé) are all there or none; the token lookup both use."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cryptography import x509

from tests import pki
from tests.keystores import run_python

WRITE = """
from cryptography import x509
from assistant.keystores.pkcs11.objects import certificate_template, creating_objects
from assistant.keystores.pkcs11.tokens import matching_token_stores
from assistant.keystores.pkcs11.uri import Pkcs11Uri

cert = x509.load_pem_x509_certificate(open({cert!r}, "rb").read())
found, first_error = matching_token_stores(Pkcs11Uri.parse("pkcs11:token=nowhere"), [{module!r}, "/nonexistent/libp11.so"],
                                           recorder([]))
out["nowhere"] = [len(found), error(first_error)["error"] if first_error else None]
(store,), _ = matching_token_stores(Pkcs11Uri.parse("pkcs11:token=objects"), [{module!r}], recorder([{pin!r}]))
store.login()
out["before"] = store.object_count()
try:
    with creating_objects(store) as (session, created):
        created.append(session.create_object(certificate_template(cert, "half", b"\\x07")))
        out["during"] = store.object_count()
        session.create_object({{0: 0x7777}})  # no such object class: the token refuses
except Exception as exc:
    out["failure"] = type(exc).__name__
out["after_failure"] = store.object_count()
with creating_objects(store) as (session, created):
    created.append(session.create_object(certificate_template(cert, "kept", b"\\x08")))
out["after_success"] = store.object_count()
store.close()
"""


def test_a_failed_write_leaves_the_token_as_it_was(tmp_path: Path, test_pki: pki.TestPki) -> None:
    token = pki.make_softhsm(tmp_path / "hsm", label="objects")
    cert = test_pki.signer.files["cert"]
    out = run_python(WRITE.format(module=token.module, pin=token.pin, cert=str(cert)), env=token.env())
    assert out["nowhere"] == [0, "ModuleMissingError"]  # no match; the unloadable module is the explanation
    assert out["during"] == out["before"] + 1
    assert out["failure"] and out["after_failure"] == out["before"]
    assert out["after_success"] == out["before"] + 1
    # What other applications read: pkcs11-tool lists the certificate with its label, ID, subject, serial.
    pki.require_tool("pkcs11-tool")
    listing = subprocess.run(
        ["pkcs11-tool", "--module", token.module, "--token-label", "objects", "--list-objects", "--type", "cert"],
        capture_output=True,
        text=True,
        env={**token.env(), "PATH": "/usr/bin:/bin"},
        check=True,
    ).stdout
    assert "label:      kept" in listing and "ID:         08" in listing and "half" not in listing
    parsed = x509.load_pem_x509_certificate(cert.read_bytes())
    assert "CN=Jeanne Dupont" in listing
    serial = listing.split("serial:")[1].split()[0]
    assert int(serial, 16) == parsed.serial_number  # CKA_SERIAL_NUMBER holds the DER INTEGER of the serial
