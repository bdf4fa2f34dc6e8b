"""The SoftHSM2 token as a smart card: listing, signatures and decryption judged by OpenSSL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.keystores.base import (
    DecryptionFailedError,
    DecryptionMechanism,
    DecryptionScheme,
    HashAlgorithm,
    OperationNotPermittedError,
    PinCancelledError,
    SignatureMechanism,
    SignatureScheme,
    StoreKind,
)
from assistant.keystores.pkcs11.backend import Pkcs11Credential, Pkcs11Store, open_module_stores
from assistant.keystores.pkcs11.modules import load_module
from tests import pki
from tests.keystores import PinRecorder


@pytest.fixture
def pin() -> PinRecorder:
    return PinRecorder(pki.TOKEN_PIN)


@pytest.fixture
def store(softhsm_token: pki.SoftHsmToken, pin: PinRecorder) -> Iterator[Pkcs11Store]:
    stores = open_module_stores(load_module(softhsm_token.module), pin)
    ours = [s for s in stores if s.token_info.label == softhsm_token.label]
    for other in stores:
        if other not in ours:
            other.close()
    assert len(ours) == 1
    yield ours[0]
    ours[0].close()


def _creds(store: Pkcs11Store) -> dict[str, Pkcs11Credential]:
    return {c.label: c for c in store.credentials() if isinstance(c, Pkcs11Credential)}


def _pubkey(item: pki.Issued, folder: Path) -> Path:
    out = folder / f"{item.name}.pub.pem"
    out.write_bytes(pki.run(["openssl", "x509", "-in", str(item.files["cert"]), "-pubkey", "-noout"]).stdout)
    return out


def test_listing_asks_no_pin_and_pairs_certificates_with_keys(
    store: Pkcs11Store, pin: PinRecorder, test_pki: pki.TestPki
) -> None:
    creds = _creds(store)
    assert set(creds) == {"signer", "signer_ec", "encryption"}
    assert pin.requests == []
    assert creds["signer"].certificate == test_pki.signer.certificate
    assert creds["signer"].key_id == "01"
    assert creds["signer"].store.kind is StoreKind.PKCS11
    assert creds["signer"].store.label == pki.TOKEN_LABEL
    assert creds["signer"].uri.startswith("pkcs11:")
    assert "object=signer" in creds["signer"].uri and "id=%01" in creds["signer"].uri


@pytest.mark.parametrize("hash_name", ["sha256", "sha384", "sha512"])
def test_rsa_pkcs1_signature_verifies_with_openssl(
    store: Pkcs11Store, test_pki: pki.TestPki, tmp_path: Path, hash_name: str
) -> None:
    data = tmp_path / "offre.pdf"
    data.write_bytes(b"%PDF-1.7 offre du lot 2\n" * 100)
    signature = _creds(store)["signer"].sign(
        data.read_bytes(), SignatureMechanism(SignatureScheme.RSA_PKCS1V15, HashAlgorithm(hash_name))
    )
    sig = tmp_path / "sig.bin"
    sig.write_bytes(signature)
    pub = _pubkey(test_pki.signer, tmp_path)
    result = pki.run(["openssl", "dgst", f"-{hash_name}", "-verify", str(pub), "-signature", str(sig), str(data)])
    assert b"Verified OK" in result.stdout
    # and the same check fails on other data: the test can fail
    data.write_bytes(b"tampered")
    with pytest.raises(RuntimeError):
        pki.run(["openssl", "dgst", f"-{hash_name}", "-verify", str(pub), "-signature", str(sig), str(data)])


def test_rsa_pss_signature_verifies_with_openssl(store: Pkcs11Store, test_pki: pki.TestPki, tmp_path: Path) -> None:
    data = tmp_path / "dce.zip"
    data.write_bytes(b"PK\x03\x04 contenu")
    signature = _creds(store)["signer"].sign(
        data.read_bytes(), SignatureMechanism(SignatureScheme.RSA_PSS, HashAlgorithm.SHA256)
    )
    sig = tmp_path / "sig.bin"
    sig.write_bytes(signature)
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
            str(_pubkey(test_pki.signer, tmp_path)),
            "-signature",
            str(sig),
            str(data),
        ]
    )
    assert b"Verified OK" in result.stdout


def test_ecdsa_signature_is_der_and_verifies_with_openssl(
    store: Pkcs11Store, test_pki: pki.TestPki, tmp_path: Path
) -> None:
    data = tmp_path / "acte.xml"
    data.write_bytes(b"<acte/>")
    signature = _creds(store)["signer_ec"].sign(
        data.read_bytes(), SignatureMechanism(SignatureScheme.ECDSA, HashAlgorithm.SHA384)
    )
    assert signature[0] == 0x30  # DER Ecdsa-Sig-Value, not the token's raw r||s
    sig = tmp_path / "sig.der"
    sig.write_bytes(signature)
    result = pki.run(
        [
            "openssl",
            "dgst",
            "-sha384",
            "-verify",
            str(_pubkey(test_pki.signer_ec, tmp_path)),
            "-signature",
            str(sig),
            str(data),
        ]
    )
    assert b"Verified OK" in result.stdout


@pytest.mark.parametrize(
    ("options", "mechanism"),
    [
        ([], DecryptionMechanism(DecryptionScheme.RSA_PKCS1V15)),
        (["-pkeyopt", "rsa_padding_mode:oaep"], DecryptionMechanism(DecryptionScheme.RSA_OAEP, HashAlgorithm.SHA1)),
        (
            ["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256"],
            DecryptionMechanism(DecryptionScheme.RSA_OAEP, HashAlgorithm.SHA256),
        ),
    ],
    ids=["pkcs1v15", "oaep-sha1", "oaep-sha256"],
)
def test_decrypts_what_openssl_encrypted(
    store: Pkcs11Store, test_pki: pki.TestPki, tmp_path: Path, options: list[str], mechanism: DecryptionMechanism
) -> None:
    cek = bytes(range(32))
    (tmp_path / "cek").write_bytes(cek)
    pki.run(
        [
            "openssl",
            "pkeyutl",
            "-encrypt",
            "-pubin",
            "-inkey",
            str(_pubkey(test_pki.encryption, tmp_path)),
            "-in",
            str(tmp_path / "cek"),
            "-out",
            str(tmp_path / "ct"),
            *options,
        ]
    )
    assert _creds(store)["encryption"].decrypt((tmp_path / "ct").read_bytes(), mechanism) == cek


def test_an_envelope_for_another_key_fails_clearly(store: Pkcs11Store, test_pki: pki.TestPki, tmp_path: Path) -> None:
    (tmp_path / "cek").write_bytes(b"k" * 32)
    pki.run(
        [
            "openssl",
            "pkeyutl",
            "-encrypt",
            "-pubin",
            "-inkey",
            str(_pubkey(test_pki.signer, tmp_path)),
            "-in",
            str(tmp_path / "cek"),
            "-out",
            str(tmp_path / "ct"),
        ]
    )
    for mechanism in (
        DecryptionMechanism(DecryptionScheme.RSA_PKCS1V15),
        DecryptionMechanism(DecryptionScheme.RSA_OAEP, HashAlgorithm.SHA256),
    ):
        with pytest.raises(DecryptionFailedError) as info:
            _creds(store)["encryption"].decrypt((tmp_path / "ct").read_bytes(), mechanism)
        assert "chiffrée pour cette clé" in info.value.message_fr


def test_a_signature_key_may_not_decrypt_and_an_encryption_key_may_not_sign(store: Pkcs11Store) -> None:
    creds = _creds(store)
    with pytest.raises(OperationNotPermittedError):
        creds["signer_ec"].decrypt(b"x" * 64, DecryptionMechanism(DecryptionScheme.RSA_PKCS1V15))
    with pytest.raises(OperationNotPermittedError):
        creds["signer"].sign(b"x", SignatureMechanism(SignatureScheme.ECDSA))


def test_one_pin_for_a_whole_batch(store: Pkcs11Store, pin: PinRecorder) -> None:
    creds = _creds(store)
    for i in range(5):
        creds["signer"].sign(b"fichier %d" % i, SignatureMechanism(SignatureScheme.RSA_PKCS1V15))
        creds["signer_ec"].sign(b"fichier %d" % i, SignatureMechanism(SignatureScheme.ECDSA))
    assert len(pin.requests) <= 1  # 0 when another open store already logged the token in
    for request in pin.requests:
        assert request.store_label == pki.TOKEN_LABEL
        assert request.kind == "pin"
        assert not request.protected_path


def test_cancelling_the_pin_prompt(softhsm_token: pki.SoftHsmToken) -> None:
    """Run alone on the token (a child process): a cancelled prompt signs nothing."""
    from tests.keystores import run_python

    out = run_python(
        f"""
        stores = open_module_stores(load_module({softhsm_token.module!r}), recorder([None]))
        cred = [c for s in stores for c in s.credentials() if c.label == "signer"][0]
        try:
            cred.sign(b"x", SignatureMechanism(SignatureScheme.RSA_PKCS1V15))
        except KeyStoreError as exc:
            out["sign"] = error(exc)
        out["asked"] = asked
        """,
        env=softhsm_token.env(),
    )
    assert out["sign"]["error"] == PinCancelledError.__name__
    assert out["sign"]["fr"] == "Saisie du code PIN annulée."
    assert len(out["asked"]) == 1


def test_signing_from_several_threads_is_serialised(store: Pkcs11Store, test_pki: pki.TestPki) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    creds = _creds(store)
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(5):
                message = b"thread %d message %d" % (n, i)
                if n % 2:
                    sig = creds["signer_ec"].sign(message, SignatureMechanism(SignatureScheme.ECDSA))
                    key = test_pki.signer_ec.certificate.public_key()
                    assert isinstance(key, ec.EllipticCurvePublicKey)
                    key.verify(sig, message, ec.ECDSA(hashes.SHA256()))
                else:
                    sig = creds["signer"].sign(message, SignatureMechanism(SignatureScheme.RSA_PKCS1V15))
                    rsa_key = test_pki.signer.certificate.public_key()
                    assert isinstance(rsa_key, rsa.RSAPublicKey)
                    rsa_key.verify(sig, message, padding.PKCS1v15(), hashes.SHA256())
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
