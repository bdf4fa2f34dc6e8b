"""The macOS login keychain (and CryptoTokenKit smart cards) as a KeyStore.

Listing reads identities (certificate + private key) from the keychain search list; the key is
fetched on the first signature or decryption, and macOS shows its own unlock/PIN dialog. The
assistant hashes, the keychain signs the digest (`...SignatureDigest...` algorithms).

Importable on every platform; opening it elsewhere than on macOS raises ModuleMissingError.
"""

from __future__ import annotations

import sys
from typing import Any

from cryptography import x509

from assistant.i18n import M_
from assistant.keystores.base import (
    DecryptionMechanism,
    ModuleMissingError,
    PinCallback,
    SignatureMechanism,
    SignatureScheme,
    StoreKind,
    StoreRef,
)
from assistant.keystores.macos import logic
from assistant.keystores.osstore import OsCredential, OsKeyStore, check_digest, with_certificates

STORE_LABEL = "Trousseau macOS (session)"


def available() -> bool:
    return sys.platform == "darwin"


class MacCredential(OsCredential):
    def __init__(
        self, store: MacKeychainStore, certificate: x509.Certificate, identity: logic.Identity, ref: Any
    ) -> None:
        super().__init__(certificate, store.ref, label=identity.label)
        self.on_token = identity.on_token
        self._identity_ref = ref

    def _open_key(self) -> Any:
        from assistant.keystores.macos import _security

        return _security.PrivateKey(self._identity_ref)

    def sign_digest(self, digest: bytes, mechanism: SignatureMechanism) -> bytes:
        check_digest(digest, mechanism)
        signature = bytes(self.os_key().sign_digest(digest, logic.signature_algorithm(mechanism)))
        return logic.ensure_der_ecdsa(signature) if mechanism.scheme is SignatureScheme.ECDSA else signature

    def decrypt(self, ciphertext: bytes, mechanism: DecryptionMechanism) -> bytes:
        return bytes(self.os_key().decrypt(ciphertext, logic.decryption_algorithm(mechanism)))

    def release(self) -> None:
        super().release()
        self._identity_ref.close()


class MacKeychainStore(OsKeyStore):
    kind = StoreKind.MACOS

    def __init__(self) -> None:
        self.ref = StoreRef(StoreKind.MACOS, STORE_LABEL, "macos:login")
        if not available():
            raise ModuleMissingError(M_("Le trousseau macOS n'existe que sous macOS."))

    def _list(self) -> list[OsCredential]:
        from assistant.keystores.macos import _security

        found = _security.list_identities()
        kept = logic.select_identities(ident for ident, _ in found)
        creds: list[OsCredential] = [
            MacCredential(self, cert, ident, ref) for cert, ident, ref in with_certificates(found, kept)
        ]
        for ident, ref in found:  # duplicates not kept: release their references now
            if not any(ident is k for k in kept):
                ref.close()
        return creds


def open_store(pin_callback: PinCallback) -> MacKeychainStore:
    """discovery.open_os_stores' entry point. macOS asks for passwords itself: the callback is not used."""
    return MacKeychainStore()
