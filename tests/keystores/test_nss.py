"""The Linux OS store: real NSS databases (certutil/pk12util) through softoken, as root and as a user."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.keystores.base import (
    DecryptionMechanism,
    DecryptionScheme,
    HashAlgorithm,
    KeyStoreError,
    PinIncorrectError,
    SignatureMechanism,
    SignatureScheme,
    StoreKind,
)
from assistant.keystores.pkcs11.backend import Pkcs11Store, open_module_stores
from assistant.keystores.pkcs11.modules import load_module
from assistant.keystores.pkcs11.nss import firefox_profiles, nss_databases, open_database
from tests import pki
from tests.keystores import PinRecorder, run_python


@pytest.fixture
def nss_copy(nss_db: pki.NssDb, tmp_path: Path) -> Path:
    """A private copy of the session database: a fresh slot, whose login no other test shares."""
    target = tmp_path / "nssdb"
    shutil.copytree(nss_db.directory, target)
    return target


@pytest.fixture
def store(nss_copy: Path) -> Iterator[Pkcs11Store]:
    opened = open_database(nss_copy, PinRecorder(pki.NSS_PASSWORD))
    yield opened
    opened.close()


def _certutil_keys(directory: Path) -> str:
    pwfile = directory.parent / "pw.txt"
    pwfile.write_text(pki.NSS_PASSWORD + "\n")
    try:
        return pki.run(["certutil", "-K", "-d", f"sql:{directory}", "-f", str(pwfile)]).stdout.decode()
    finally:
        pwfile.unlink()


def test_listing_needs_no_password(nss_copy: Path, test_pki: pki.TestPki) -> None:
    pin = PinRecorder(None)
    store = open_database(nss_copy, pin)
    try:
        creds = {c.fingerprint_sha256: c for c in store.credentials()}
        expected = {test_pki.signer.fingerprint, test_pki.signer_ec.fingerprint, test_pki.encryption.fingerprint}
        assert set(creds) == expected
        assert pin.requests == []
        # the trust anchor certutil added has no key: listed as a plain certificate
        assert test_pki.root.certificate in store.certificates()
        some = next(iter(creds.values()))
        assert some.store.kind is StoreKind.NSS
        assert some.store.uri == f"nss:{os.path.realpath(nss_copy)}"
    finally:
        store.close()


def test_signature_asks_the_database_password_once(nss_copy: Path, test_pki: pki.TestPki, tmp_path: Path) -> None:
    pin = PinRecorder(pki.NSS_PASSWORD)
    store = open_database(nss_copy, pin)
    try:
        creds = {c.certificate: c for c in store.credentials()}
        data = tmp_path / "offre.pdf"
        data.write_bytes(b"%PDF offre")
        signature = creds[test_pki.signer.certificate].sign(
            data.read_bytes(), SignatureMechanism(SignatureScheme.RSA_PSS)
        )
        creds[test_pki.signer_ec.certificate].sign(data.read_bytes(), SignatureMechanism(SignatureScheme.ECDSA))
    finally:
        store.close()
    assert len(pin.requests) == 1
    assert pin.requests[0].kind == "password"
    assert pin.requests[0].store_label.startswith("NSS (")
    (tmp_path / "sig").write_bytes(signature)
    pub = tmp_path / "pub.pem"
    pub.write_bytes(pki.run(["openssl", "x509", "-in", str(test_pki.signer.files["cert"]), "-pubkey", "-noout"]).stdout)
    result = pki.run(
        [
            "openssl",
            "dgst",
            "-sha256",
            "-sigopt",
            "rsa_padding_mode:pss",
            "-sigopt",
            "rsa_pss_saltlen:32",
            "-verify",
            str(pub),
            "-signature",
            str(tmp_path / "sig"),
            str(data),
        ]
    )
    assert b"Verified OK" in result.stdout


def test_decrypts_oaep_sha256(store: Pkcs11Store, test_pki: pki.TestPki, tmp_path: Path) -> None:
    (tmp_path / "cek").write_bytes(b"\x42" * 32)
    pub = tmp_path / "pub.pem"
    pub.write_bytes(
        pki.run(["openssl", "x509", "-in", str(test_pki.encryption.files["cert"]), "-pubkey", "-noout"]).stdout
    )
    pki.run(
        [
            "openssl",
            "pkeyutl",
            "-encrypt",
            "-pubin",
            "-inkey",
            str(pub),
            "-in",
            str(tmp_path / "cek"),
            "-out",
            str(tmp_path / "ct"),
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            "rsa_oaep_md:sha256",
            "-pkeyopt",
            "rsa_mgf1_md:sha256",
        ]
    )
    cred = next(c for c in store.credentials() if c.certificate == test_pki.encryption.certificate)
    mech = DecryptionMechanism(DecryptionScheme.RSA_OAEP, HashAlgorithm.SHA256)
    assert cred.decrypt((tmp_path / "ct").read_bytes(), mech) == b"\x42" * 32


def test_wrong_password_is_reported_and_changes_nothing(nss_copy: Path) -> None:
    before = _certutil_keys(nss_copy)
    store = open_database(nss_copy, PinRecorder("pas-le-bon"))
    try:
        cred = store.credentials()[0]
        with pytest.raises(PinIncorrectError) as info:
            cred.sign(b"x", SignatureMechanism(SignatureScheme.RSA_PKCS1V15))
        assert info.value.message_fr.startswith("Mot de passe incorrect pour « NSS (")
        assert "pas-le-bon" not in info.value.message_fr
    finally:
        store.close()
    assert _certutil_keys(nss_copy) == before


def test_not_an_nss_database(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError) as info:
        open_database(tmp_path, PinRecorder(None))
    assert "n'est pas une base de certificats NSS" in info.value.message_fr


def test_nss_and_softhsm_in_one_process(store: Pkcs11Store, softhsm_token: pki.SoftHsmToken) -> None:
    tokens = open_module_stores(load_module(softhsm_token.module), PinRecorder(pki.TOKEN_PIN))
    try:
        mech = SignatureMechanism(SignatureScheme.RSA_PKCS1V15)
        card = next(c for t in tokens for c in t.credentials() if c.label == "signer")
        nss_cred = next(c for c in store.credentials() if c.certificate == card.certificate)
        # the same key in both stores: both signatures are the same deterministic PKCS#1 v1.5 value
        assert card.sign(b"same", mech) == nss_cred.sign(b"same", mech)
    finally:
        for token in tokens:
            token.close()


def test_firefox_profiles_are_found(nss_db: pki.NssDb, tmp_path: Path) -> None:
    home = tmp_path / "home"
    firefox = home / ".mozilla" / "firefox"
    shutil.copytree(nss_db.directory, firefox / "abcd1234.default-release")
    snap_root = home / "snap" / "firefox" / "common" / ".mozilla" / "firefox"
    elsewhere = tmp_path / "profil-ailleurs"
    shutil.copytree(nss_db.directory, elsewhere)
    (firefox / "profiles.ini").write_text(
        "[Install4F96D1932A9F858E]\nDefault=abcd1234.default-release\n\n"
        "[Profile0]\nName=default-release\nIsRelative=1\nPath=abcd1234.default-release\nDefault=1\n\n"
        "[Profile1]\nName=vide\nIsRelative=1\nPath=sans-base\n"
    )
    snap_root.mkdir(parents=True)
    (snap_root / "profiles.ini").write_text(f"[Profile0]\nName=travail\nIsRelative=0\nPath={elsewhere}\n")
    (home / ".pki" / "nssdb").mkdir(parents=True)  # Chrome's folder without a database: skipped
    found = {db.label: db.directory for db in firefox_profiles(home)}
    assert found == {
        "Firefox (default-release)": firefox / "abcd1234.default-release",
        "Firefox (snap) (travail)": elsewhere,
    }
    listed = nss_databases([str(elsewhere), f"sql:{nss_db.directory}"], home=home)
    assert [db.directory for db in listed] == [firefox / "abcd1234.default-release", elsewhere, nss_db.directory]


CHILD = """
from pathlib import Path
from assistant.keystores.pkcs11.nss import nss_databases, open_database
import os
out["uid"] = os.getuid()
(db,) = nss_databases()
store = open_database(db.directory, recorder([{password!r}]), label=db.label)
creds = store.credentials()
out["label"] = store.label
out["count"] = len(creds)
rsa_cred = next(c for c in creds if c.key_type == "RSA" and c.label == "signer")
out["signature"] = rsa_cred.sign(b"depot", SignatureMechanism(SignatureScheme.RSA_PKCS1V15)).hex()
out["signed_cert"] = rsa_cred.fingerprint_sha256
store.close()
out["asked"] = asked
"""


def _check_child(out: dict[str, object], test_pki: pki.TestPki) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    assert out["label"] == "NSS (~/.pki/nssdb)"
    assert out["count"] == 3
    by_fp: dict[str, x509.Certificate] = {i.fingerprint: i.certificate for i in (test_pki.signer, test_pki.encryption)}
    key = by_fp[str(out["signed_cert"])].public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(bytes.fromhex(str(out["signature"])), b"depot", padding.PKCS1v15(), hashes.SHA256())
    asked = out["asked"]
    assert isinstance(asked, list) and len(asked) == 1 and asked[0]["kind"] == "password"


def test_nss_as_root_through_home(nss_db: pki.NssDb, test_pki: pki.TestPki, tmp_path: Path) -> None:
    """The current user (root in CI) with ~/.pki/nssdb: no p11-kit, no user configuration involved."""
    home = tmp_path / "home"
    shutil.copytree(nss_db.directory, home / ".pki" / "nssdb")
    out = run_python(CHILD.format(password=pki.NSS_PASSWORD), env={"HOME": str(home)})
    assert out["uid"] == os.getuid()
    _check_child(out, test_pki)


def _system_python() -> str:
    """An interpreter `nobody` may run (the venv's lives under /root), of the venv's version."""
    import sys

    candidate = f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
    if not os.access(candidate, os.X_OK):
        raise pki.MissingToolError(f"{candidate} is needed to run the assistant as another user")
    return candidate


def test_nss_as_a_normal_user(nss_db: pki.NssDb, test_pki: pki.TestPki) -> None:
    """An unprivileged user (nobody) with its own HOME and database; run directly when not root."""
    pki.require_tool("setpriv")
    home = Path(tempfile.mkdtemp(prefix="amp-nss-user-"))
    try:
        shutil.copytree(nss_db.directory, home / ".pki" / "nssdb")
        user = None
        python = None
        if os.geteuid() == 0:
            user = "nobody"
            python = _system_python()
            for folder, dirs, files in os.walk(home):
                for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
                    os.chown(name, 65534, 65534)
        out = run_python(
            CHILD.format(password=pki.NSS_PASSWORD), env={"HOME": str(home)}, user=user, python=python, cwd=home
        )
        if user is not None:
            assert out["uid"] == 65534
        _check_child(out, test_pki)
    finally:
        shutil.rmtree(home, ignore_errors=True)
