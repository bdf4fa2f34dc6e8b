"""Pure logic of the macOS backend: no macOS call here, so all of it is tested on Linux.

* which SecKeyAlgorithm constant performs a given `SignatureMechanism` / `DecryptionMechanism`
  (the `...Digest...` variants: the assistant hashes, the keychain or the card signs the digest);
* which identities (certificate + private key) are offered, once each;
* the OSStatus codes a user may meet, as French messages;
* ECDSA signatures: Security.framework returns X9.62 DER already, but a CryptoTokenKit driver may
  hand back r||s; `ensure_der_ecdsa` accepts both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from assistant.i18n import M_
from assistant.keystores.base import (
    DecryptionMechanism,
    DecryptionScheme,
    HashAlgorithm,
    KeyNotFoundError,
    KeyStoreError,
    OperationNotPermittedError,
    PinCancelledError,
    PinIncorrectError,
    SignatureMechanism,
    SignatureScheme,
    TokenAbsentError,
    der_ecdsa_from_raw,
)
from assistant.keystores.errors import KeyStoreCode
from assistant.keystores.osstore import once_each, operation_failed, wrong_key_error

# --------------------------------------------------------------------------------------------
# Algorithms (Security/SecKey.h): the names of exported CFStringRef constants

_SIGNATURE_ALGORITHMS: dict[tuple[SignatureScheme, HashAlgorithm], str] = {}
for _h in (HashAlgorithm.SHA256, HashAlgorithm.SHA384, HashAlgorithm.SHA512):
    _bits = _h.value[3:]
    _SIGNATURE_ALGORITHMS[(SignatureScheme.RSA_PKCS1V15, _h)] = f"kSecKeyAlgorithmRSASignatureDigestPKCS1v15SHA{_bits}"
    _SIGNATURE_ALGORITHMS[(SignatureScheme.RSA_PSS, _h)] = f"kSecKeyAlgorithmRSASignatureDigestPSSSHA{_bits}"
    _SIGNATURE_ALGORITHMS[(SignatureScheme.ECDSA, _h)] = f"kSecKeyAlgorithmECDSASignatureDigestX962SHA{_bits}"

_OAEP_ALGORITHMS = {
    HashAlgorithm.SHA1: "kSecKeyAlgorithmRSAEncryptionOAEPSHA1",
    HashAlgorithm.SHA256: "kSecKeyAlgorithmRSAEncryptionOAEPSHA256",
    HashAlgorithm.SHA384: "kSecKeyAlgorithmRSAEncryptionOAEPSHA384",
    HashAlgorithm.SHA512: "kSecKeyAlgorithmRSAEncryptionOAEPSHA512",
}
PKCS1_ENCRYPTION = "kSecKeyAlgorithmRSAEncryptionPKCS1"


def signature_algorithm(mechanism: SignatureMechanism) -> str:
    """The SecKeyAlgorithm for SecKeyCreateSignature over a digest. PSS salt = hash length, as we use everywhere."""
    name = _SIGNATURE_ALGORITHMS.get((mechanism.scheme, mechanism.hash))
    if name is None:
        raise OperationNotPermittedError(
            M_(
                "Algorithme de signature non pris en charge par le trousseau : {scheme} {hash}.",
                scheme=mechanism.scheme,
                hash=mechanism.hash,
            ),
        )
    return name


def decryption_algorithm(mechanism: DecryptionMechanism) -> str:
    if mechanism.scheme is DecryptionScheme.RSA_PKCS1V15:
        return PKCS1_ENCRYPTION
    if mechanism.label or (mechanism.mgf1_hash is not None and mechanism.mgf1_hash is not mechanism.hash):
        raise OperationNotPermittedError(
            M_("Le trousseau macOS ne sait pas déchiffrer en OAEP avec une étiquette ou deux fonctions de hachage."),
        )
    return _OAEP_ALGORITHMS[mechanism.hash]


def all_algorithm_names() -> list[str]:
    """Every constant the OS module may have to look up (it resolves them lazily, by name)."""
    return sorted({*_SIGNATURE_ALGORITHMS.values(), *_OAEP_ALGORITHMS.values(), PKCS1_ENCRYPTION})


# --------------------------------------------------------------------------------------------
# ECDSA encoding


def _is_der_ecdsa(sig: bytes) -> bool:
    """A DER SEQUENCE { INTEGER r, INTEGER s } filling exactly `sig` (short-form lengths suffice up to P-521)."""
    try:
        if len(sig) < 8 or sig[0] != 0x30:
            return False
        i, total = 1, sig[1]
        if total & 0x80:
            if total != 0x81:
                return False
            total, i = sig[2], 2
        i += 1
        if i + total != len(sig):
            return False
        for _ in range(2):
            if sig[i] != 0x02:
                return False
            length = sig[i + 1]
            i += 2 + length
        return i == len(sig)
    except IndexError:
        return False


def ensure_der_ecdsa(sig: bytes) -> bytes:
    """X9.62 DER as CMS wants it, whether the provider returned DER or r||s."""
    if _is_der_ecdsa(sig):
        return sig
    if len(sig) % 2 or not sig:
        raise KeyStoreError(M_("Signature ECDSA illisible renvoyée par le trousseau."))
    return der_ecdsa_from_raw(sig)


# --------------------------------------------------------------------------------------------
# Identities


@dataclass(frozen=True)
class Identity:
    """What the OS layer reads for each SecIdentity, before any key is touched."""

    der: bytes
    label: str = ""  # SecCertificateCopySubjectSummary
    on_token: bool = False  # CryptoTokenKit (smart card) rather than the login keychain


def select_identities(identities: Iterable[Identity]) -> list[Identity]:
    """Once each; a certificate both on a card and in the keychain is used from the card."""
    return once_each(identities, prefer=lambda new, kept: new.on_token and not kept.on_token)


# --------------------------------------------------------------------------------------------
# OSStatus -> French

ERR_SEC_UNIMPLEMENTED = -4
ERR_SEC_PARAM = -50
ERR_SEC_USER_CANCELED = -128
ERR_SEC_NOT_AVAILABLE = -25291
ERR_SEC_AUTH_FAILED = -25293
ERR_SEC_NO_SUCH_KEYCHAIN = -25294
ERR_SEC_ITEM_NOT_FOUND = -25300
ERR_SEC_INTERACTION_NOT_ALLOWED = -25308
ERR_SEC_DECODE = -26275
ERR_SEC_MISSING_ENTITLEMENT = -34018
ERR_SEC_INVALID_KEY_REF = -67712
ERR_SEC_UNSUPPORTED_ALGORITHM = -67749  # errSecInvalidAlgorithm family


def error_for(status: int, operation: str = "sign") -> KeyStoreError:
    """The KeyStoreError an OSStatus means, French first. `operation`: sign | decrypt | list."""
    if status == ERR_SEC_USER_CANCELED:
        return PinCancelledError(M_("Saisie annulée."))
    if status == ERR_SEC_AUTH_FAILED:
        return PinIncorrectError(M_("Mot de passe du trousseau ou code PIN incorrect."))
    if status == ERR_SEC_INTERACTION_NOT_ALLOWED:
        return PinCancelledError(
            M_("Le trousseau est verrouillé et aucune fenêtre de déverrouillage n'a pu s'ouvrir."),
        )
    if status in (ERR_SEC_ITEM_NOT_FOUND, ERR_SEC_INVALID_KEY_REF):
        return KeyNotFoundError(
            M_("La clé privée de ce certificat est introuvable dans le trousseau."),
        )
    if status in (ERR_SEC_NOT_AVAILABLE, ERR_SEC_NO_SUCH_KEYCHAIN):
        return TokenAbsentError(
            M_("Trousseau ou carte indisponible : branchez la carte ou déverrouillez la session."),
        )
    if status in (ERR_SEC_UNIMPLEMENTED, ERR_SEC_PARAM, ERR_SEC_UNSUPPORTED_ALGORITHM):
        return OperationNotPermittedError(
            M_("Cette clé ne prend pas en charge cet algorithme (OSStatus {status}).", status=status),
        )
    if operation == "decrypt" and status == ERR_SEC_DECODE:
        return wrong_key_error()
    return operation_failed(
        operation,
        where=M_("le trousseau macOS"),
        detail=f"OSStatus {status}",
        code=KeyStoreCode.MACOS_ERROR,
        verbs={"list": M_("La lecture du trousseau")},
    )
