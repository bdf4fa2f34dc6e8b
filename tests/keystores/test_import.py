"""Importing a .p12 into a token or an NSS database, then using it; bad inputs change nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.keystores.base import (
    CorruptFileError,
    PinIncorrectError,
    SignatureMechanism,
    SignatureScheme,
    WrongPasswordError,
)
from assistant.keystores.importer import import_p12
from assistant.keystores.pkcs11.nss import open_database
from tests import pki
from tests.keystores import PinRecorder, run_python

IMPORT_INTO_TOKEN = """
from assistant.keystores.importer import import_p12
store = open_module_stores(load_module({module!r}), recorder([{pin!r}] * 5))[0]
store.login()
out["before"] = store.object_count()
results = []
for path, password in {jobs!r}:
    try:
        results.append(import_p12(path, store, recorder([{pin!r}]), password=password).__dict__)
    except KeyStoreError as exc:
        results.append(error(exc))
out["results"] = results
out["after"] = store.object_count()
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives import hashes
used = []
for cred in store.credentials():
    if cred.label == "signer":
        sig = cred.sign(b"contrat", SignatureMechanism(SignatureScheme.RSA_PKCS1V15))
        cred.certificate.public_key().verify(sig, b"contrat", padding.PKCS1v15(), hashes.SHA256())
        used.append("signer")
    if cred.label == "encryption":
        ct = cred.certificate.public_key().encrypt(b"k" * 32, padding.PKCS1v15())
        assert cred.decrypt(ct, DecryptionMechanism(DecryptionScheme.RSA_PKCS1V15)) == b"k" * 32
        used.append("encryption")
out["used"] = sorted(used)
session = store._session()
keys = list(session.get_objects({{0: 3}}))
out["key_flags"] = [[bool(k[0x103]), bool(k[0x162]), bool(k[0x1])] for k in keys]  # sensitive, extractable, token
store.close()
"""


def test_import_into_a_token_then_use_it(tmp_path: Path, test_pki: pki.TestPki) -> None:
    token = pki.make_softhsm(tmp_path / "hsm", label="import")
    jobs = [
        (str(test_pki.signer.files["p12"]), pki.P12_PASSWORD),
        (str(test_pki.encryption.files["p12"]), pki.P12_PASSWORD),
        (str(test_pki.signer.files["p12"]), pki.P12_PASSWORD),
    ]
    out = run_python(IMPORT_INTO_TOKEN.format(module=token.module, pin=token.pin, jobs=jobs), env=token.env())
    first, second, again = out["results"]
    assert first["object_label"] == "signer" and not first["already_present"]
    assert first["fingerprint_sha256"] == test_pki.signer.fingerprint
    assert second["object_label"] == "encryption"
    assert again["already_present"] is True  # importing twice adds nothing
    assert out["after"] - out["before"] == 6  # key, public key, certificate for each
    assert out["used"] == ["encryption", "signer"]
    assert out["key_flags"] == [[True, False, True], [True, False, True]]  # never readable back


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("corrupt", "CorruptFileError"),
        ("truncated", "CorruptFileError"),
        ("password", "WrongPasswordError"),
        ("pin", "PinIncorrectError"),
    ],
)
def test_bad_input_leaves_the_token_unchanged(tmp_path: Path, test_pki: pki.TestPki, kind: str, expected: str) -> None:
    token = pki.make_softhsm(tmp_path / "hsm", label="intact")
    pki.import_into_softhsm(token, test_pki.signer_ec, "02")
    p12 = test_pki.signer.files["p12"]
    password = pki.P12_PASSWORD
    if kind == "corrupt":
        p12 = tmp_path / "abime.p12"
        p12.write_bytes(b"ceci n'est pas un PKCS#12" * 10)
    elif kind == "truncated":
        p12 = tmp_path / "tronque.p12"
        p12.write_bytes(test_pki.signer.files["p12"].read_bytes()[:700])
    elif kind == "password":
        password = "mauvais"
    pin = "000000" if kind == "pin" else token.pin
    out = run_python(
        f"""
from assistant.keystores.importer import import_p12
def count():
    s = open_module_stores(load_module({token.module!r}), recorder([{token.pin!r}]))[0]
    s.login(); n = s.object_count(); s.close(); return n
out["before"] = count()
store = open_module_stores(load_module({token.module!r}), recorder([{pin!r}]))[0]
try:
    import_p12({str(p12)!r}, store, recorder([{pin!r}]), password={password!r})
except KeyStoreError as exc:
    out["error"] = error(exc)
store.close()
out["after"] = count()
""",
        env=token.env(),
    )
    assert out["error"]["error"] == expected
    assert out["before"] == out["after"] == 3
    assert password not in out["error"]["fr"]


def test_import_into_an_nss_database_then_use_it(tmp_path: Path, test_pki: pki.TestPki) -> None:
    db = pki.make_nss_db(tmp_path / "nss", [])
    store = open_database(db.directory, PinRecorder(pki.NSS_PASSWORD))
    try:
        result = import_p12(
            test_pki.signer_ec.files["p12"], store, PinRecorder(pki.NSS_PASSWORD), password=pki.P12_PASSWORD
        )
        assert result.store_label.startswith("NSS (")
        cred = next(c for c in store.credentials() if c.fingerprint_sha256 == test_pki.signer_ec.fingerprint)
        signature = cred.sign(b"acte", SignatureMechanism(SignatureScheme.ECDSA))
    finally:
        store.close()
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = test_pki.signer_ec.certificate.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    key.verify(signature, b"acte", ec.ECDSA(hashes.SHA256()))
    # NSS's own tools see a key paired with its certificate
    pwfile = tmp_path / "pw"
    pwfile.write_text(pki.NSS_PASSWORD + "\n")
    keys = pki.run(["certutil", "-K", "-d", f"sql:{db.directory}", "-f", str(pwfile)]).stdout.decode()
    assert "signer_ec" in keys
    certs = pki.run(["certutil", "-L", "-d", f"sql:{db.directory}"]).stdout.decode()
    assert "u,u,u" in certs  # certutil's mark for a certificate whose private key is here


def test_wrong_password_on_nss_changes_nothing(tmp_path: Path, test_pki: pki.TestPki) -> None:
    db = pki.make_nss_db(tmp_path / "nss", [test_pki.signer])
    store = open_database(db.directory, PinRecorder("faux"))
    try:
        store_count = len(store.credentials())
        with pytest.raises(PinIncorrectError):
            import_p12(test_pki.encryption.files["p12"], store, PinRecorder("faux"), password=pki.P12_PASSWORD)
        with pytest.raises(WrongPasswordError):
            import_p12(test_pki.encryption.files["p12"], store, PinRecorder("faux"), password="x")
        corrupt = tmp_path / "x.pfx"
        corrupt.write_bytes(b"\x30\x03\x02\x01\x03")
        with pytest.raises(CorruptFileError):
            import_p12(corrupt, store, PinRecorder("faux"), password="x")
        store.refresh()
        assert len(store.credentials()) == store_count == 1
    finally:
        store.close()


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env}
    full.pop("SOFTHSM2_CONF", None)
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_cli_import_into_the_system_store(tmp_path: Path, test_pki: pki.TestPki, assistant_home: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "ASSISTANT_HOME": str(assistant_home), "P12_PASSWORD": pki.P12_PASSWORD}
    result = _cli(
        ["import-p12", str(test_pki.signer.files["p12"]), "--store", "nss", "--password-env", "P12_PASSWORD"], env
    )
    assert result.returncode == 0, result.stderr
    assert "importés dans « NSS (~/.pki/nssdb) »" in result.stdout
    assert test_pki.signer.fingerprint in result.stdout
    assert pki.P12_PASSWORD not in result.stdout + result.stderr
    listing = pki.run(["certutil", "-L", "-d", f"sql:{home / '.pki' / 'nssdb'}"]).stdout.decode()
    assert "signer" in listing and "u,u,u" in listing
    # the wrong password: a clear French error, exit code 1, nothing added
    env["P12_PASSWORD"] = "mauvais"
    bad = _cli(
        ["import-p12", str(test_pki.encryption.files["p12"]), "--store", "nss", "--password-env", "P12_PASSWORD"], env
    )
    assert bad.returncode == 1
    assert "Mot de passe incorrect pour encryption.p12" in bad.stderr
    assert pki.run(["certutil", "-L", "-d", f"sql:{home / '.pki' / 'nssdb'}"]).stdout.decode() == listing


def test_cli_import_into_a_card(tmp_path: Path, test_pki: pki.TestPki, assistant_home: Path) -> None:
    token = pki.make_softhsm(tmp_path / "hsm", label="Ma carte")
    env = {
        **token.env(),
        "ASSISTANT_HOME": str(assistant_home),
        "P12_PASSWORD": pki.P12_PASSWORD,
        "CARD_PIN": token.pin,
        "HOME": str(tmp_path),
    }
    uri = f"pkcs11:token=Ma%20carte?module-path={token.module}"
    result = _cli(
        [
            "import-p12",
            str(test_pki.encryption.files["p12"]),
            "--store",
            uri,
            "--password-env",
            "P12_PASSWORD",
            "--pin-env",
            "CARD_PIN",
        ],
        env,
    )
    assert result.returncode == 0, result.stderr
    assert "« encryption »" in result.stdout and "« Ma carte »" in result.stdout
    objects = pki.run(
        [
            "pkcs11-tool",
            "--module",
            token.module,
            "--token-label",
            "Ma carte",
            "--login",
            "--pin",
            token.pin,
            "--list-objects",
        ],
        env={**os.environ, **token.env()},
    ).stdout.decode()
    assert "Private Key Object" in objects and "Certificate Object" in objects
    env["CARD_PIN"] = "000000"
    wrong = _cli(
        [
            "import-p12",
            str(test_pki.signer.files["p12"]),
            "--store",
            uri,
            "--password-env",
            "P12_PASSWORD",
            "--pin-env",
            "CARD_PIN",
        ],
        env,
    )
    assert wrong.returncode == 1
    assert "CARD_PIN est refusé par" in wrong.stderr  # the card refused it; not sent twice
