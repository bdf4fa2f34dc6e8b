"""The macOS backend's pure logic, run here on Linux; and proof that the OS module stays unloaded."""

from __future__ import annotations

import sys

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

from assistant.keystores.base import (
    DecryptionFailedError,
    DecryptionMechanism,
    DecryptionScheme,
    HashAlgorithm,
    KeyNotFoundError,
    KeyStoreError,
    ModuleMissingError,
    OperationNotPermittedError,
    PinCancelledError,
    PinIncorrectError,
    SignatureMechanism,
    SignatureScheme,
    TokenAbsentError,
)
from assistant.keystores.macos import logic
from tests.keystores import refused_os_import


@pytest.mark.parametrize(
    ("scheme", "hash_alg", "constant"),
    [
        (SignatureScheme.RSA_PKCS1V15, HashAlgorithm.SHA256, "kSecKeyAlgorithmRSASignatureDigestPKCS1v15SHA256"),
        (SignatureScheme.RSA_PKCS1V15, HashAlgorithm.SHA512, "kSecKeyAlgorithmRSASignatureDigestPKCS1v15SHA512"),
        (SignatureScheme.RSA_PSS, HashAlgorithm.SHA256, "kSecKeyAlgorithmRSASignatureDigestPSSSHA256"),
        (SignatureScheme.RSA_PSS, HashAlgorithm.SHA384, "kSecKeyAlgorithmRSASignatureDigestPSSSHA384"),
        (SignatureScheme.ECDSA, HashAlgorithm.SHA256, "kSecKeyAlgorithmECDSASignatureDigestX962SHA256"),
        (SignatureScheme.ECDSA, HashAlgorithm.SHA384, "kSecKeyAlgorithmECDSASignatureDigestX962SHA384"),
    ],
)
def test_signature_algorithm_constants(scheme: SignatureScheme, hash_alg: HashAlgorithm, constant: str) -> None:
    assert logic.signature_algorithm(SignatureMechanism(scheme, hash_alg)) == constant


def test_sha1_signatures_are_not_offered() -> None:
    with pytest.raises(OperationNotPermittedError):
        logic.signature_algorithm(SignatureMechanism(SignatureScheme.RSA_PKCS1V15, HashAlgorithm.SHA1))


def test_decryption_algorithm_constants() -> None:
    assert (
        logic.decryption_algorithm(DecryptionMechanism(DecryptionScheme.RSA_PKCS1V15))
        == "kSecKeyAlgorithmRSAEncryptionPKCS1"
    )
    assert (
        logic.decryption_algorithm(DecryptionMechanism(DecryptionScheme.RSA_OAEP))
        == "kSecKeyAlgorithmRSAEncryptionOAEPSHA1"
    )
    assert (
        logic.decryption_algorithm(DecryptionMechanism(DecryptionScheme.RSA_OAEP, HashAlgorithm.SHA256))
        == "kSecKeyAlgorithmRSAEncryptionOAEPSHA256"
    )
    with pytest.raises(OperationNotPermittedError) as info:
        logic.decryption_algorithm(DecryptionMechanism(DecryptionScheme.RSA_OAEP, HashAlgorithm.SHA256, label=b"x"))
    assert "étiquette" in info.value.message_fr


def test_every_constant_is_a_security_framework_name() -> None:
    names = logic.all_algorithm_names()
    assert len(names) == 9 + 4 + 1
    assert all(n.startswith("kSecKeyAlgorithm") for n in names)


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1()])
def test_ecdsa_der_kept_and_raw_converted(curve: ec.EllipticCurve) -> None:
    key = ec.generate_private_key(curve)
    digest = b"\x42" * 32
    algo = ec.ECDSA(utils.Prehashed(hashes.SHA256()))
    der = key.sign(digest, algo)
    assert logic.ensure_der_ecdsa(der) == der  # what SecKeyCreateSignature returns (X9.62 DER)
    r, s = utils.decode_dss_signature(der)
    size = (curve.key_size + 7) // 8
    raw = r.to_bytes(size, "big") + s.to_bytes(size, "big")  # what some token drivers return
    key.public_key().verify(logic.ensure_der_ecdsa(raw), digest, algo)


def test_unreadable_ecdsa_signature() -> None:
    with pytest.raises(KeyStoreError):
        logic.ensure_der_ecdsa(b"\x01\x02\x03")


def test_identities_once_each_card_first() -> None:
    keychain = logic.Identity(b"CERT", "Jeanne Dupont", on_token=False)
    card = logic.Identity(b"CERT", "Jeanne Dupont", on_token=True)
    other = logic.Identity(b"OTHER", "Paul Durand")
    assert logic.select_identities([keychain, other, card]) == [card, other]


@pytest.mark.parametrize(
    ("status", "error_type", "words"),
    [
        (-128, PinCancelledError, "annulée"),
        (-25293, PinIncorrectError, "incorrect"),
        (-25308, PinCancelledError, "verrouillé"),
        (-25300, KeyNotFoundError, "introuvable"),
        (-25291, TokenAbsentError, "carte"),
        (-4, OperationNotPermittedError, "algorithme"),
    ],
)
def test_osstatus_becomes_french_errors(status: int, error_type: type[KeyStoreError], words: str) -> None:
    error = logic.error_for(status)
    assert type(error) is error_type and words in error.message_fr


def test_decode_error_means_wrong_key_when_decrypting() -> None:
    assert isinstance(logic.error_for(-26275, "decrypt"), DecryptionFailedError)
    assert logic.error_for(-26275, "sign").code == "macos_error"


def test_os_module_is_not_imported_on_linux() -> None:
    setup = "import assistant.keystores.macos.store, assistant.keystores.macos.logic, assistant.keystores.inventory"
    assert "only be imported on macOS" in refused_os_import("assistant.keystores.macos._security", setup)


def test_opening_the_keychain_elsewhere_is_a_clear_error() -> None:
    from assistant.keystores.macos.store import MacKeychainStore

    with pytest.raises(ModuleMissingError) as info:
        MacKeychainStore()
    assert "macOS" in info.value.message_fr
    assert "assistant.keystores.macos._security" not in sys.modules
