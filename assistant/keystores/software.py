"""A credential whose private key is held by `cryptography` in this process.

Used for PKCS#12 files and the assistant's software vault, whose keys by nature live in a file
the assistant opens. The key object never leaves this module: callers only get `sign`/`decrypt`.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from assistant.i18n import M_
from assistant.keystores.base import (
    Credential,
    DecryptionFailedError,
    DecryptionMechanism,
    DecryptionScheme,
    KeyStoreError,
    SignatureMechanism,
    SignatureScheme,
    StoreRef,
)

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class SoftwareCredential(Credential):
    def __init__(
        self,
        certificate: x509.Certificate,
        private_key: PrivateKey,
        store: StoreRef,
        *,
        chain: list[x509.Certificate] | None = None,
        label: str = "",
    ) -> None:
        super().__init__(certificate, store, chain=chain, label=label)
        self.__key = private_key

    def sign_digest(self, digest: bytes, mechanism: SignatureMechanism) -> bytes:
        prehashed = utils.Prehashed(mechanism.hash.crypto_hash())
        key = self.__key
        if mechanism.scheme is SignatureScheme.ECDSA:
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise KeyStoreError(M_("Cette clé n'est pas une clé ECDSA."))
            return key.sign(digest, ec.ECDSA(prehashed))
        if not isinstance(key, rsa.RSAPrivateKey):
            raise KeyStoreError(M_("Cette clé n'est pas une clé RSA."))
        if mechanism.scheme is SignatureScheme.RSA_PSS:
            pss = padding.PSS(mgf=padding.MGF1(mechanism.hash.crypto_hash()), salt_length=mechanism.hash.digest_size)
            return key.sign(digest, pss, prehashed)
        return key.sign(digest, padding.PKCS1v15(), prehashed)

    def decrypt(self, ciphertext: bytes, mechanism: DecryptionMechanism) -> bytes:
        key = self.__key
        if not isinstance(key, rsa.RSAPrivateKey):
            raise KeyStoreError(M_("Seule une clé RSA peut déchiffrer une enveloppe."))
        pad: padding.AsymmetricPadding
        if mechanism.scheme is DecryptionScheme.RSA_OAEP:
            mgf_hash: hashes.HashAlgorithm = (mechanism.mgf1_hash or mechanism.hash).crypto_hash()
            pad = padding.OAEP(
                mgf=padding.MGF1(mgf_hash), algorithm=mechanism.hash.crypto_hash(), label=mechanism.label
            )
        else:
            pad = padding.PKCS1v15()
        try:
            return key.decrypt(ciphertext, pad)
        except ValueError as exc:
            raise DecryptionFailedError(
                M_("Le déchiffrement de la clé de contenu a échoué : l'enveloppe n'a pas été chiffrée pour cette clé."),
            ) from exc
