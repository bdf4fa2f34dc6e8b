"""The Windows backend's pure logic, run here on Linux; and proof that the OS module stays unloaded."""

from __future__ import annotations

import sys

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

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
    PinLockedError,
    SignatureMechanism,
    SignatureScheme,
    TokenAbsentError,
)
from assistant.keystores.windows import logic
from tests.keystores import refused_os_import

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


# -- store location and flags --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "location", "name"),
    [
        ("CurrentUser\\MY", logic.Location.CURRENT_USER, "MY"),
        ("currentuser/my", logic.Location.CURRENT_USER, "MY"),
        ("My", logic.Location.CURRENT_USER, "MY"),
        ("windows:LocalMachine\\My", logic.Location.LOCAL_MACHINE, "MY"),
    ],
)
def test_store_locations(text: str, location: logic.Location, name: str) -> None:
    parsed = logic.parse_store_location(text)
    assert (parsed.location, parsed.name) == (location, name)


def test_default_store_is_opened_read_only_and_never_created() -> None:
    loc = logic.parse_store_location()
    flags = loc.open_flags()
    assert flags == 0x00010000 | 0x00004000 | 0x00008000  # CURRENT_USER | OPEN_EXISTING | READONLY
    assert not loc.open_flags(read_only=False) & logic.CERT_STORE_READONLY_FLAG
    assert loc.label == "Magasin Windows (utilisateur, Personnel)"
    assert loc.uri == "windows:CurrentUser\\MY"


@pytest.mark.parametrize("text", ["Nowhere\\MY", "CurrentUser\\MY\\extra", "CurrentUser\\M Y", ""])
def test_bad_store_locations_are_explained(text: str) -> None:
    with pytest.raises(KeyStoreError) as info:
        logic.parse_store_location(text)
    assert info.value.code == "bad_store_location"
    assert "magasin" in info.value.message_fr.lower() or "emplacement" in info.value.message_fr.lower()


# -- certificate selection -------------------------------------------------------------------------


def test_only_certificates_with_a_key_are_offered_once() -> None:
    a = logic.Candidate(b"A", "AA", True, "Microsoft Smart Card Key Storage Provider")
    a_again = logic.Candidate(b"A", "AA", True, "Microsoft Smart Card Key Storage Provider")
    ca_cert = logic.Candidate(b"CA", "CC", False)
    b = logic.Candidate(b"B", "BB", True, "Microsoft Software Key Storage Provider")
    assert logic.select_candidates([a, ca_cert, a_again, b]) == [a, b]


@pytest.mark.parametrize(
    ("provider", "kind"),
    [
        ("Microsoft Smart Card Key Storage Provider", "carte à puce"),
        ("Microsoft Base Smart Card Crypto Provider", "carte à puce"),
        ("Microsoft Software Key Storage Provider", "logiciel"),
        ("Microsoft Enhanced RSA and AES Cryptographic Provider", "logiciel"),
        ("Microsoft Platform Crypto Provider", "puce TPM"),
        ("Idopte CSP", "fournisseur Idopte CSP"),
    ],
)
def test_provider_kind(provider: str, kind: str) -> None:
    assert logic.provider_kind(provider) == kind


# -- mechanisms -> CNG ------------------------------------------------------------------------------


@pytest.mark.parametrize("hash_alg", [HashAlgorithm.SHA256, HashAlgorithm.SHA384, HashAlgorithm.SHA512])
def test_cng_rsa_pkcs1_and_pss(hash_alg: HashAlgorithm) -> None:
    pkcs1 = logic.cng_sign_params(SignatureMechanism(SignatureScheme.RSA_PKCS1V15, hash_alg))
    assert (pkcs1.padding, pkcs1.flags, pkcs1.hash_name) == (logic.PaddingKind.PKCS1, 2, hash_alg.value.upper())
    pss = logic.cng_sign_params(SignatureMechanism(SignatureScheme.RSA_PSS, hash_alg))
    assert (pss.padding, pss.flags, pss.salt_length) == (logic.PaddingKind.PSS, 8, hash_alg.digest_size)


def test_cng_ecdsa_signature_becomes_der_and_verifies() -> None:
    params = logic.cng_sign_params(SignatureMechanism(SignatureScheme.ECDSA))
    assert (params.padding, params.flags, params.hash_name) == (logic.PaddingKind.NONE, 0, None)
    digest = hashes.Hash(hashes.SHA256())
    digest.update(b"offre")
    value = digest.finalize()
    r, s = utils.decode_dss_signature(EC_KEY.sign(value, ec.ECDSA(utils.Prehashed(hashes.SHA256()))))
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")  # what NCryptSignHash returns
    EC_KEY.public_key().verify(params.convert_signature(raw), value, ec.ECDSA(utils.Prehashed(hashes.SHA256())))


def test_sha1_is_refused_for_signing() -> None:
    with pytest.raises(OperationNotPermittedError):
        logic.cng_sign_params(SignatureMechanism(SignatureScheme.RSA_PKCS1V15, HashAlgorithm.SHA1))


def test_cng_decryption_params() -> None:
    pkcs1 = logic.cng_decrypt_params(DecryptionMechanism(DecryptionScheme.RSA_PKCS1V15))
    assert (pkcs1.padding, pkcs1.flags) == (logic.PaddingKind.PKCS1, 2)
    oaep = logic.cng_decrypt_params(DecryptionMechanism(DecryptionScheme.RSA_OAEP, HashAlgorithm.SHA256, label=b"l"))
    assert (oaep.padding, oaep.flags, oaep.hash_name, oaep.label) == (logic.PaddingKind.OAEP, 4, "SHA256", b"l")
    with pytest.raises(OperationNotPermittedError) as info:
        logic.cng_decrypt_params(
            DecryptionMechanism(DecryptionScheme.RSA_OAEP, HashAlgorithm.SHA256, HashAlgorithm.SHA1)
        )
    assert "OAEP" in info.value.message_fr


# -- legacy CryptoAPI --------------------------------------------------------------------------------


def test_capi_little_endian_signature_verifies_once_reversed() -> None:
    data = b"acte d'engagement"
    signature = RSA_KEY.sign(data, padding.PKCS1v15(), hashes.SHA256())
    capi_output = signature[::-1]  # CryptSignHash: little-endian
    RSA_KEY.public_key().verify(logic.capi_to_big_endian(capi_output), data, padding.PKCS1v15(), hashes.SHA256())
    assert logic.capi_sign_alg(SignatureMechanism(SignatureScheme.RSA_PKCS1V15, HashAlgorithm.SHA256)) == 0x800C


def test_capi_ciphertext_is_reversed_for_cryptdecrypt() -> None:
    ct = RSA_KEY.public_key().encrypt(b"cle de contenu", padding.PKCS1v15())
    le = logic.capi_from_big_endian(ct)
    assert le == ct[::-1]
    assert RSA_KEY.decrypt(le[::-1], padding.PKCS1v15()) == b"cle de contenu"


def test_capi_limits_are_explained() -> None:
    with pytest.raises(OperationNotPermittedError) as info:
        logic.capi_sign_alg(SignatureMechanism(SignatureScheme.RSA_PSS))
    assert "minidriver" in info.value.message_fr
    assert logic.capi_decrypt_flags(DecryptionMechanism(DecryptionScheme.RSA_PKCS1V15)) == 0
    assert logic.capi_decrypt_flags(DecryptionMechanism(DecryptionScheme.RSA_OAEP)) == logic.CRYPT_OAEP
    with pytest.raises(OperationNotPermittedError):
        logic.capi_decrypt_flags(DecryptionMechanism(DecryptionScheme.RSA_OAEP, HashAlgorithm.SHA256))


# -- error codes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "error_type", "words"),
    [
        (0x8010006B, PinIncorrectError, "PIN incorrect"),
        (0x8010006C, PinLockedError, "bloqué"),
        (0x8010006E, PinCancelledError, "annulée"),
        (0x800704C7, PinCancelledError, "annulée"),
        (-2146893770, PinCancelledError, "annulée"),  # NTE_USER_CANCELLED as a signed SECURITY_STATUS
        (0x8010000C, TokenAbsentError, "absente"),
        (0x80100069, TokenAbsentError, "branchez"),
        (-2146893802, KeyNotFoundError, "introuvable"),  # NTE_BAD_KEYSET, signed
        (0x80090029, OperationNotPermittedError, "algorithme"),
    ],
)
def test_error_codes_become_french_errors(code: int, error_type: type[KeyStoreError], words: str) -> None:
    error = logic.error_for(code)
    assert type(error) is error_type
    assert words in error.message_fr
    assert error.message_en and error.message_en != error.message_fr


def test_bad_data_means_wrong_key_only_when_decrypting() -> None:
    assert isinstance(logic.error_for(0x80090005, "decrypt"), DecryptionFailedError)
    generic = logic.error_for(0x80090005, "sign")
    assert generic.code == "windows_error" and "0x80090005" in generic.message_fr


# -- the OS module is never loaded here ---------------------------------------------------------------


def test_os_module_is_not_imported_on_linux() -> None:
    setup = (
        "import assistant.keystores.windows.store, assistant.keystores.windows.logic\n"
        "import assistant.keystores.inventory, assistant.commands.certs\n"
        "from assistant.keystores.inventory import list_certificates\n"
        "list_certificates()"
    )
    out = refused_os_import("assistant.keystores.windows._win32", setup)
    assert "refused: " in out and "only be imported on Windows" in out


def test_opening_the_windows_store_elsewhere_is_a_clear_error() -> None:
    from assistant.keystores.windows.store import WindowsStore, available

    assert not available()
    with pytest.raises(ModuleMissingError) as info:
        WindowsStore()
    assert "Windows" in info.value.message_fr
    assert "assistant.keystores.windows._win32" not in sys.modules
