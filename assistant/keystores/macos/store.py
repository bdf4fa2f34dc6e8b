"""The macOS login keychain (and CryptoTokenKit smart cards) as a KeyStore.

Listing reads identities (certificate + private key) from the keychain search list; the key is
fetched on the first signature or decryption, and macOS shows its own unlock/PIN dialog. The
assistant hashes, the keychain signs the digest (`...SignatureDigest...` algorithms).

Importable on every platform; opening it elsewhere than on macOS raises ModuleMissingError.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any

from cryptography import x509

from assistant.keystores.base import (
    Credential,
    DecryptionMechanism,
    KeyStore,
    KeyStoreError,
    ModuleMissingError,
    PinCallback,
    SignatureMechanism,
    SignatureScheme,
    StoreKind,
    StoreRef,
)
from assistant.keystores.macos import logic

STORE_LABEL = "Trousseau macOS (session)"


def available() -> bool:
    return sys.platform == "darwin"


class MacCredential(Credential):
    def __init__(self, store: MacKeychainStore, certificate: x509.Certificate, identity: logic.Identity, ref: Any) -> None:
        super().__init__(certificate, store.ref, label=identity.label)
        self.on_token = identity.on_token
        self._identity_ref = ref
        self._key: Any = None

    def _private_key(self) -> Any:
        if self._key is None:
            from assistant.keystores.macos import _security

            self._key = _security.PrivateKey(self._identity_ref)
        return self._key

    def sign_digest(self, digest: bytes, mechanism: SignatureMechanism) -> bytes:
        if len(digest) != mechanism.hash.digest_size:
            raise ValueError("digest length does not match the hash algorithm")
        signature = bytes(self._private_key().sign_digest(digest, logic.signature_algorithm(mechanism)))
        return logic.ensure_der_ecdsa(signature) if mechanism.scheme is SignatureScheme.ECDSA else signature

    def decrypt(self, ciphertext: bytes, mechanism: DecryptionMechanism) -> bytes:
        return bytes(self._private_key().decrypt(ciphertext, logic.decryption_algorithm(mechanism)))

    def release(self) -> None:
        if self._key is not None:
            self._key.close()
            self._key = None
        self._identity_ref.close()


class MacKeychainStore(KeyStore):
    kind = StoreKind.MACOS

    def __init__(self) -> None:
        self.ref = StoreRef(StoreKind.MACOS, STORE_LABEL, "macos:login")
        if not available():
            raise ModuleMissingError(
                "Le trousseau macOS n'existe que sous macOS.", "The macOS keychain only exists on macOS."
            )
        self._credentials: list[MacCredential] | None = None

    def credentials(self) -> list[Credential]:
        if self._credentials is None:
            from assistant.keystores.macos import _security

            found = _security.list_identities()
            refs = {id(ident): ref for ident, ref in found}
            creds: list[MacCredential] = []
            kept = logic.select_identities(ident for ident, _ in found)
            for ident in kept:
                try:
                    cert = x509.load_der_x509_certificate(ident.der)
                except ValueError:
                    continue
                creds.append(MacCredential(self, cert, ident, refs[id(ident)]))
            for ident, ref in found:  # duplicates not kept: release their references now
                if not any(ident is k for k in kept):
                    ref.close()
            self._credentials = creds
        return list(self._credentials)

    def close(self) -> None:
        for cred in self._credentials or []:
            with contextlib.suppress(KeyStoreError):
                cred.release()
        self._credentials = None


def open_store(pin_callback: PinCallback) -> MacKeychainStore:
    """discovery.open_os_stores' entry point. macOS asks for passwords itself: the callback is not used."""
    return MacKeychainStore()
