"""The inventory over real PKCS#12 files (made by `openssl pkcs12`): dedup, warnings, lookup by fingerprint."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.hashes import SHA256

from assistant.keystores.base import KeyNotFoundError, PinRequest, SignatureMechanism, SignatureScheme, no_pin
from assistant.keystores.conformity import Category
from assistant.keystores.inventory import (
    build_inventory,
    find_by_fingerprint,
    format_fingerprint,
    list_certificates,
    normalize_fingerprint,
    p12_clear_certificates,
)
from assistant.keystores.pkcs12 import Pkcs12Store
from assistant.settings import Settings
from tests import pki as pki_mod
from tests.keystores import clear_p12


class Asked:
    """A PIN callback that records what was asked and answers the test password."""

    def __init__(self, answer: str | None = pki_mod.P12_PASSWORD) -> None:
        self.requests: list[PinRequest] = []
        self.answer = answer

    def __call__(self, request: PinRequest) -> str | None:
        self.requests.append(request)
        return self.answer


def test_same_certificate_in_two_stores_is_listed_once(test_pki: pki_mod.TestPki, tmp_path: Path) -> None:
    copy = tmp_path / "copie-du-signataire.p12"
    shutil.copy(test_pki.signer.files["p12"], copy)
    stores = [
        Pkcs12Store(test_pki.signer.files["p12"], no_pin, password=pki_mod.P12_PASSWORD),
        Pkcs12Store(copy, no_pin, password=pki_mod.P12_PASSWORD),
        Pkcs12Store(test_pki.encryption.files["p12"], no_pin, password=pki_mod.P12_PASSWORD),
    ]
    found = [(c, c.store) for s in stores for c in s.credentials()]
    inventory = build_inventory(found)
    assert len(inventory) == 2
    signer = inventory.find(test_pki.signer.fingerprint)
    assert signer is not None
    assert [s.label for s in signer.stores] == ["signer.p12", "copie-du-signataire.p12"]
    assert signer.verdict.category is Category.QUALIFIED_SIGNATURE
    # procurement-ready certificates come first
    assert inventory.entries[0] is signer
    assert inventory.signing_candidates() == [signer]


def test_listing_asks_only_for_encrypted_files_and_reports_each_broken_store(
    test_pki: pki_mod.TestPki, tmp_path: Path
) -> None:
    corrupt = tmp_path / "abime.p12"
    corrupt.write_bytes(test_pki.signer.files["p12"].read_bytes()[:300])
    Settings(
        pkcs12_files=[
            str(clear_p12(test_pki.signer_ec, tmp_path)),
            str(test_pki.signer.files["p12"]),  # certificate encrypted: needs the password
            str(tmp_path / "absent.p12"),
            str(corrupt),
        ],
        pkcs11_autodiscover=False,
    ).save()
    asked = Asked()
    inventory = list_certificates(asked)  # a real callback: still, certificates are public
    listed = {e.fingerprint_sha256 for e in inventory}
    assert test_pki.signer_ec.fingerprint in listed
    codes = {w.code for w in inventory.warnings}
    assert "file_not_found" in codes
    assert any("absent.p12" in w.message_fr for w in inventory.warnings)
    # the only prompt was the password of the file whose certificate is encrypted
    assert [(r.kind, r.store_label) for r in asked.requests] == [("password", "signer.p12")]
    assert test_pki.signer.fingerprint in listed
    assert list_certificates(no_pin).find(test_pki.signer.fingerprint) is not None  # remembered


def test_encrypted_p12_is_listed_after_being_opened_once(test_pki: pki_mod.TestPki) -> None:
    Settings(pkcs12_files=[str(test_pki.signer.files["p12"])], pkcs11_autodiscover=False).save()
    first = list_certificates(no_pin)
    if test_pki.signer.fingerprint not in {e.fingerprint_sha256 for e in first}:
        warning = next(w for w in first.warnings if w.store == "signer.p12")
        assert warning.code == "password_needed" and "mot de passe" in warning.message_fr
    asked = Asked()
    opened = list_certificates(asked)
    assert test_pki.signer.fingerprint in {e.fingerprint_sha256 for e in opened}
    # remembered (public data only): the next listing needs nothing
    again = list_certificates(no_pin)
    entry = again.find(test_pki.signer.fingerprint)
    assert entry is not None and entry.verdict.category is Category.QUALIFIED_SIGNATURE
    assert not again.warnings


def test_password_never_lands_on_disk(test_pki: pki_mod.TestPki, assistant_home: Path) -> None:
    Settings(pkcs12_files=[str(test_pki.signer.files["p12"])], pkcs11_autodiscover=False).save()
    list_certificates(Asked())
    for path in assistant_home.rglob("*"):
        if path.is_file():
            assert pki_mod.P12_PASSWORD.encode() not in path.read_bytes(), path


def test_clear_certificates_of_a_p12(test_pki: pki_mod.TestPki, tmp_path: Path) -> None:
    certs = p12_clear_certificates(clear_p12(test_pki.signer, tmp_path).read_bytes())
    assert certs[0] == test_pki.signer.certificate  # the one bound to the key first
    assert test_pki.ca.certificate in certs
    assert p12_clear_certificates(b"not a pkcs12") == []


@pytest.mark.parametrize("style", ["lower", "upper-colons", "prefixed", "spaces"])
def test_fingerprint_formats(test_pki: pki_mod.TestPki, style: str) -> None:
    fp = test_pki.signer_ec.fingerprint
    text = {
        "lower": fp,
        "upper-colons": format_fingerprint(fp),
        "prefixed": "sha256:" + format_fingerprint(fp).lower(),
        "spaces": " ".join(fp[i : i + 4] for i in range(0, 64, 4)).upper(),
    }[style]
    assert normalize_fingerprint(text) == fp


def test_bad_fingerprint_is_a_clear_error() -> None:
    with pytest.raises(KeyNotFoundError) as info:
        normalize_fingerprint("sha256:1234")
    assert info.value.code == "bad_fingerprint" and "64 chiffres" in info.value.message_fr


def test_find_by_fingerprint_signs_and_asks_once(test_pki: pki_mod.TestPki, tmp_path: Path) -> None:
    Settings(
        pkcs12_files=[str(clear_p12(test_pki.signer_ec, tmp_path)), str(test_pki.signer.files["p12"])],
        pkcs11_autodiscover=False,
    ).save()
    asked = Asked()
    cred = find_by_fingerprint(format_fingerprint(test_pki.signer.fingerprint), asked)
    assert cred.certificate == test_pki.signer.certificate
    signature = cred.sign(b"acte d'engagement", SignatureMechanism(SignatureScheme.RSA_PKCS1V15))
    test_pki.signer.certificate.public_key().verify(signature, b"acte d'engagement", padding.PKCS1v15(), SHA256())  # type: ignore[union-attr,call-arg]
    assert [r.kind for r in asked.requests] == ["password"]


def test_find_by_fingerprint_of_a_clear_p12_asks_only_to_sign(test_pki: pki_mod.TestPki, tmp_path: Path) -> None:
    Settings(
        pkcs12_files=[str(clear_p12(test_pki.signer_ec, tmp_path)), str(test_pki.signer.files["p12"])],
        pkcs11_autodiscover=False,
    ).save()
    asked = Asked()
    cred = find_by_fingerprint(test_pki.signer_ec.fingerprint, asked)
    assert asked.requests == []  # the encrypted signer.p12 was not opened on the way
    cred.sign(b"x", SignatureMechanism(SignatureScheme.ECDSA))
    assert len(asked.requests) == 1


def test_find_by_fingerprint_not_found_is_french(test_pki: pki_mod.TestPki, tmp_path: Path) -> None:
    Settings(pkcs12_files=[str(clear_p12(test_pki.signer_ec, tmp_path))], pkcs11_autodiscover=False).save()
    with pytest.raises(KeyNotFoundError) as info:
        find_by_fingerprint(test_pki.auth_only.fingerprint, Asked())
    assert "Aucun certificat d'empreinte" in info.value.message_fr
    assert format_fingerprint(test_pki.auth_only.fingerprint) in info.value.message_fr


def test_openssl_agrees_on_the_fingerprint(test_pki: pki_mod.TestPki) -> None:
    out = subprocess.run(
        ["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", str(test_pki.signer.files["cert"])],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip().split("=", 1)[1] == format_fingerprint(test_pki.signer.fingerprint)
