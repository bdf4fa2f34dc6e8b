"""The Windows certificate store as a KeyStore: CurrentUser\\MY, the "Personnel" store of certmgr.msc.

This is where a Windows user's certificates are: the ones imported from a .p12 (the import wizard the
platforms' guides show), and the ones of a smart card whose minidriver propagates them. Listing reads
the store only; the key is acquired on the first signature or decryption, and Windows (or the card's
middleware) asks for the PIN in its own dialog.

Importable on every platform; opening it elsewhere than on Windows raises ModuleMissingError.
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
    StoreKind,
    StoreRef,
)
from assistant.keystores.windows import logic


def available() -> bool:
    return sys.platform == "win32"


class WindowsCredential(Credential):
    def __init__(self, store: WindowsStore, certificate: x509.Certificate, candidate: logic.Candidate, context: Any) -> None:
        super().__init__(certificate, store.ref, key_id=candidate.thumbprint_sha1, label=candidate.friendly_name)
        self._store = store
        self._context = context
        self.provider = candidate.provider
        self._key: Any = None

    def _acquire(self) -> Any:
        if self._key is None:
            from assistant.keystores.windows import _win32

            self._key = _win32.Key(self._context)
        return self._key

    def sign_digest(self, digest: bytes, mechanism: SignatureMechanism) -> bytes:
        if len(digest) != mechanism.hash.digest_size:
            raise ValueError("digest length does not match the hash algorithm")
        return bytes(self._acquire().sign_digest(digest, mechanism))

    def decrypt(self, ciphertext: bytes, mechanism: DecryptionMechanism) -> bytes:
        return bytes(self._acquire().decrypt(ciphertext, mechanism))

    def release(self) -> None:
        if self._key is not None:
            self._key.close()
            self._key = None


class WindowsStore(KeyStore):
    kind = StoreKind.WINDOWS

    def __init__(self, location: str = "CurrentUser\\MY") -> None:
        self.location = logic.parse_store_location(location)
        self.ref = StoreRef(StoreKind.WINDOWS, self.location.label, self.location.uri)
        if not available():
            raise ModuleMissingError(
                "Le magasin de certificats Windows n'existe que sous Windows.",
                "The Windows certificate store only exists on Windows.",
            )
        from assistant.keystores.windows import _win32

        self._os_store = _win32.Store(self.location)
        self._credentials: list[WindowsCredential] | None = None

    def credentials(self) -> list[Credential]:
        if self._credentials is None:
            found = self._os_store.candidates()
            contexts = {id(c): ctx for c, ctx in found}
            creds: list[WindowsCredential] = []
            for cand in logic.select_candidates(c for c, _ in found):
                try:
                    cert = x509.load_der_x509_certificate(cand.der)
                except ValueError:
                    continue  # a damaged entry must not hide the others
                creds.append(WindowsCredential(self, cert, cand, contexts[id(cand)]))
            self._credentials = creds
        return list(self._credentials)

    def close(self) -> None:
        for cred in self._credentials or []:
            with contextlib.suppress(KeyStoreError):
                cred.release()
        self._credentials = None
        self._os_store.close()


def open_store(pin_callback: PinCallback) -> WindowsStore:
    """discovery.open_os_stores' entry point. Windows asks for PINs itself: the callback is not used."""
    return WindowsStore()
