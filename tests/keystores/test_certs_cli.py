"""`assistant certs` end to end: a SoftHSM2 token, a real NSS database and .p12 files, listed by a subprocess.

The same certificates sit in several stores (the signer is on the token, in NSS and in a .p12): each
must come out once, with every store it was found in, and the verdict the user needs to choose.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from assistant.keystores.base import PinRequest, SignatureMechanism, SignatureScheme, StoreKind
from assistant.keystores.inventory import find_by_fingerprint, format_fingerprint, list_certificates
from assistant.settings import Settings
from tests import pki as pki_mod
from tests.keystores import clear_p12

MISSING_MODULE = "/opt/absent/libmiddleware-absent.so"


@pytest.fixture
def workstation(
    tmp_path: Path, test_pki: pki_mod.TestPki, softhsm_token: pki_mod.SoftHsmToken, nss_db: pki_mod.NssDb
) -> pki_mod.TestPki:
    """Settings naming the token's module (plus one that is not installed), the NSS db and the files."""
    files = tmp_path / "fichiers"
    files.mkdir()
    Settings(
        pkcs11_modules=[softhsm_token.module, MISSING_MODULE],
        nss_databases=[str(nss_db.directory)],
        pkcs12_files=[
            str(clear_p12(test_pki.signer, files)),  # also on the token and in NSS
            str(clear_p12(test_pki.auth_only, files)),
            str(clear_p12(test_pki.expired, files)),
            str(test_pki.encryption.files["p12"]),  # certificate encrypted: a warning, the key is listed elsewhere
            str(files / "supprime.p12"),
        ],
    ).save()
    return test_pki


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", "certs", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ASSISTANT_LANG": "fr"},
    )


def by_fingerprint(listing: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for entry in listing:
        out.setdefault(entry["sha256"], []).append(entry)
    return out


def test_json_lists_each_certificate_once_with_its_stores_and_verdict(workstation: pki_mod.TestPki) -> None:
    pki = workstation
    result = run_cli("--json")
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    found = by_fingerprint(listing)
    for item in (pki.signer, pki.signer_ec, pki.encryption, pki.auth_only, pki.expired):
        assert len(found.get(item.fingerprint, [])) == 1, (
            f"{item.name} listed {len(found.get(item.fingerprint, []))} times"
        )

    def entry(item: pki_mod.Issued) -> dict[str, Any]:
        return found[item.fingerprint][0]

    def kinds(item: pki_mod.Issued) -> list[str]:
        return [s["kind"] for s in entry(item)["stores"]]

    assert kinds(pki.signer) == ["pkcs11", "nss", "pkcs12"]  # the card first: the key is used from there
    assert kinds(pki.signer_ec) == ["pkcs11", "nss"]
    assert kinds(pki.encryption) == ["pkcs11", "nss"]
    assert kinds(pki.auth_only) == ["pkcs12"]
    assert kinds(pki.expired) == ["pkcs12"]
    token_store = entry(pki.signer)["stores"][0]
    assert token_store["label"] == pki_mod.TOKEN_LABEL and "token=" + pki_mod.TOKEN_LABEL in token_store["uri"]

    signer = entry(pki.signer)
    for key in ("subject", "issuer", "not_before", "not_after", "sha256", "stores", "verdict", "key_type", "key_size"):
        assert key in signer
    assert "CN=Jeanne Dupont" in signer["subject"] and "AMP Test Qualified CA" in signer["issuer"]
    assert signer["not_after"] == pki.signer.certificate.not_valid_after_utc.isoformat()
    assert (signer["key_type"], signer["key_size"]) == ("RSA", 2048)
    assert signer["verdict"]["label"] == "adapté pour les marchés publics"
    assert signer["verdict"]["qualified"] and signer["verdict"]["suitable_for_procurement"]

    ec = entry(pki.signer_ec)["verdict"]
    assert (ec["category"], ec["usable_for_signature"], ec["qualified"]) == ("signature", True, False)
    assert any("non qualifié" in r for r in ec["reasons"])
    assert (entry(pki.signer_ec)["key_type"], entry(pki.signer_ec)["key_size"]) == ("EC", 256)

    auth = entry(pki.auth_only)["verdict"]
    assert auth["category"] == "authentication" and not auth["usable_for_signature"]
    assert any("authentification" in r for r in auth["problems"])

    expired = entry(pki.expired)["verdict"]
    assert expired["category"] == "expired" and not expired["usable_for_signature"]
    assert any("expiré le" in r for r in expired["problems"])

    enc = entry(pki.encryption)["verdict"]
    assert enc["category"] == "encryption" and enc["usable_for_decryption"] and not enc["usable_for_signature"]

    # qualified first
    assert listing[0]["sha256"] == pki.signer.fingerprint

    # broken stores are warnings on stderr, the rest is listed, exit 0
    assert "libmiddleware-absent.so" in result.stderr or "absent" in result.stderr
    assert "supprime.p12" in result.stderr
    assert "encryption.p12" in result.stderr


def test_json_with_warnings_object(workstation: pki_mod.TestPki) -> None:
    result = run_cli("--json", "--avec-avertissements")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert {"certificates", "warnings"} <= payload.keys()
    stores = {w["store"] for w in payload["warnings"]}
    assert "encryption.p12" in stores
    codes = {w["code"] for w in payload["warnings"]}
    assert "password_needed" in codes and "file_not_found" in codes
    assert all(w["message"] for w in payload["warnings"])


def test_table_is_french_and_complete(workstation: pki_mod.TestPki) -> None:
    result = run_cli()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "certificats trouvés" in out
    for header in ("Titulaire", "Émetteur", "Valide jusqu'au", "Clé", "Verdict"):
        assert header in out
    assert "Jeanne Dupont" in out and "adapté pour les marchés publics" in out
    assert "authentification uniquement" in out and "expiré" in out and "chiffrement (bi-clé)" in out
    assert format_fingerprint(workstation.signer.fingerprint) in out
    assert "Avertissements" in out and "supprime.p12" in out
    assert pki_mod.TOKEN_PIN not in out and pki_mod.P12_PASSWORD not in out


def test_signature_only_filter(workstation: pki_mod.TestPki) -> None:
    result = run_cli("--json", "--signature")
    listed = {e["sha256"] for e in json.loads(result.stdout)}
    assert workstation.signer.fingerprint in listed and workstation.signer_ec.fingerprint in listed
    assert not listed & {
        workstation.auth_only.fingerprint,
        workstation.expired.fingerprint,
        workstation.encryption.fingerprint,
    }


def test_find_by_fingerprint_uses_the_card_and_openssl_verifies(workstation: pki_mod.TestPki, tmp_path: Path) -> None:
    asked: list[PinRequest] = []

    def pin(request: PinRequest) -> str | None:
        asked.append(request)
        return pki_mod.TOKEN_PIN if request.kind == "pin" else None

    cred = find_by_fingerprint("SHA256:" + format_fingerprint(workstation.signer.fingerprint), pin)
    assert cred.store.kind is StoreKind.PKCS11  # the token, not the NSS copy nor the file
    data = b"Acte d'engagement - lot 2"
    signature = cred.sign(data, SignatureMechanism(SignatureScheme.RSA_PKCS1V15))
    (tmp_path / "data").write_bytes(data)
    (tmp_path / "sig").write_bytes(signature)
    verify = subprocess.run(
        [
            "openssl",
            "pkeyutl",
            "-verify",
            "-certin",
            "-inkey",
            str(workstation.signer.files["cert"]),
            "-pkeyopt",
            "digest:sha256",
            "-in",
            str(_sha256_file(tmp_path / "data")),
            "-sigfile",
            str(tmp_path / "sig"),
        ],
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 0 and "Signature Verified Successfully" in verify.stdout, verify.stderr
    assert [r.kind for r in asked] == ["pin"]
    from assistant.keystores.selection import release

    release(cred)  # log out: the next test's token session starts fresh


def _sha256_file(path: Path) -> Path:
    import hashlib

    out = path.with_suffix(".sha256")
    out.write_bytes(hashlib.sha256(path.read_bytes()).digest())
    return out


def test_in_process_listing_matches(workstation: pki_mod.TestPki) -> None:
    inventory = list_certificates()
    entry = inventory.find(workstation.signer.fingerprint)
    assert entry is not None
    assert [s.kind for s in entry.stores] == [StoreKind.PKCS11, StoreKind.NSS, StoreKind.PKCS12]
    assert any(w.code == "password_needed" for w in inventory.warnings)


def test_usable_credentials_for_jobs(workstation: pki_mod.TestPki) -> None:
    from assistant.keystores.inventory import usable_credentials

    asked: list[PinRequest] = []

    def pin(request: PinRequest) -> str | None:
        asked.append(request)
        return pki_mod.TOKEN_PIN if request.kind == "pin" else None

    signers, stores = usable_credentials(pin, purpose="sign")
    try:
        fps = [c.fingerprint_sha256 for c in signers]
        assert fps[0] == workstation.signer.fingerprint  # procurement-ready first
        assert workstation.signer_ec.fingerprint in fps
        assert len(fps) == len(set(fps))
        assert not {workstation.auth_only.fingerprint, workstation.expired.fingerprint} & set(fps)
        assert signers[0].store.kind is StoreKind.PKCS11
        assert asked == []  # listing asked nothing
        signers[0].sign(b"x", SignatureMechanism(SignatureScheme.RSA_PKCS1V15))
        assert [r.kind for r in asked] in (["pin"], [])  # asks when it signs (unless already logged in)
    finally:
        stores.close()
    decrypters, stores = usable_credentials(pin, purpose="decrypt")
    try:
        assert [c.fingerprint_sha256 for c in decrypters] == [workstation.encryption.fingerprint]
    finally:
        stores.close()


def test_broken_stores_do_not_hide_the_others(test_pki: pki_mod.TestPki, tmp_path: Path) -> None:
    """A damaged NSS database, an absent middleware and a corrupt .p12: warnings, the good file is listed, exit 0."""
    bad_nss = tmp_path / "nss-abimee"
    bad_nss.mkdir()
    (bad_nss / "cert9.db").write_bytes(b"ceci n'est pas une base SQLite" * 10)
    (bad_nss / "key4.db").write_bytes(b"\0" * 64)
    corrupt = tmp_path / "tronque.p12"
    corrupt.write_bytes(test_pki.signer.files["p12"].read_bytes()[:200])
    Settings(
        pkcs11_modules=[MISSING_MODULE],
        pkcs11_autodiscover=False,
        nss_databases=[str(bad_nss)],
        pkcs12_files=[str(corrupt), str(clear_p12(test_pki.auth_only, tmp_path))],
    ).save()
    result = run_cli("--json", "--avec-avertissements")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert [e["sha256"] for e in payload["certificates"]] == [test_pki.auth_only.fingerprint]
    assert len(payload["warnings"]) >= 2
    assert any("tronque.p12" in (w["store"] + w["message"]) for w in payload["warnings"])
    table = run_cli()
    assert table.returncode == 0 and "Avertissements" in table.stdout and "Paul Durand" in table.stdout
