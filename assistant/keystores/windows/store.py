"""The Windows certificate store as a KeyStore: CurrentUser\\MY, the "Personnel" store of certmgr.msc.

This is where a Windows user's certificates are: the ones imported from a .p12 (the import wizard the
platforms' guides show), and the ones of a smart card whose minidriver propagates them. Listing reads
the store only; the key is acquired on the first signature or decryption, and Windows (or the card's
middleware) asks for the PIN in its own dialog.

Importable on every platform; opening it elsewhere than on Windows raises ModuleMissingError.
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
    StoreKind,
    StoreRef,
)
from assistant.keystores.osstore import OsCredential, OsKeyStore, check_digest, with_certificates
from assistant.keystores.windows import logic


def available() -> bool:
    return sys.platform == "win32"


class WindowsCredential(OsCredential):
    def __init__(
        self, store: WindowsStore, certificate: x509.Certificate, candidate: logic.Candidate, context: Any
    ) -> None:
        super().__init__(certificate, store.ref, key_id=candidate.thumbprint_sha1, label=candidate.friendly_name)
        self._store = store
        self._context = context
        self.provider = candidate.provider

    def _open_key(self) -> Any:
        from assistant.keystores.windows import _win32

        return _win32.Key(self._context)

    def sign_digest(self, digest: bytes, mechanism: SignatureMechanism) -> bytes:
        check_digest(digest, mechanism)
        return bytes(self.os_key().sign_digest(digest, mechanism))

    def decrypt(self, ciphertext: bytes, mechanism: DecryptionMechanism) -> bytes:
        return bytes(self.os_key().decrypt(ciphertext, mechanism))


class WindowsStore(OsKeyStore):
    kind = StoreKind.WINDOWS

    def __init__(self, location: str = "CurrentUser\\MY") -> None:
        self.location = logic.parse_store_location(location)
        self.ref = StoreRef(StoreKind.WINDOWS, self.location.label, self.location.uri)
        if not available():
            raise ModuleMissingError(
                M_("Le magasin de certificats Windows n'existe que sous Windows."),
            )
        from assistant.keystores.windows import _win32

        self._os_store = _win32.Store(self.location)

    def _list(self) -> list[OsCredential]:
        found = self._os_store.candidates()
        kept = logic.select_candidates(cand for cand, _ in found)
        return [WindowsCredential(self, cert, cand, context) for cert, cand, context in with_certificates(found, kept)]

    def close(self) -> None:
        super().close()
        self._os_store.close()


def open_store(pin_callback: PinCallback) -> WindowsStore:
    """discovery.open_os_stores' entry point. Windows asks for PINs itself: the callback is not used."""
    return WindowsStore()
