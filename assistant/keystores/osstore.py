"""What the OS certificate-store backends (Windows, macOS) do the same way.

Both list certificates from the OS without touching a key, offer each certificate once, open the
private key on the first signature or decryption (the OS shows its own PIN or unlock dialog
then) and release it at the end of the batch. Only the OS calls and the mechanism/error mapping
differ; those stay in `windows/` and `macos/`.

Pure like the backends' `logic` modules: nothing here imports an OS module, so it is tested on
Linux, and importing it never loads `_win32` or `_security`.
"""

from __future__ import annotations

import contextlib
from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from cryptography import x509

from assistant.i18n import M_, Message
from assistant.keystores.base import (
    Credential,
    DecryptionFailedError,
    KeyStore,
    KeyStoreError,
    SignatureMechanism,
)


class _Listed(Protocol):
    """An entry as the OS layer lists it: the certificate's DER and whatever else the OS told."""

    @property
    def der(self) -> bytes: ...


EntryT = TypeVar("EntryT", bound=_Listed)
RefT = TypeVar("RefT")

# --------------------------------------------------------------------------------------------
# Which certificates are offered


def once_each(entries: Iterable[EntryT], prefer: Callable[[EntryT, EntryT], bool] | None = None) -> list[EntryT]:
    """One entry per certificate, in first-seen order (OS stores repeat a certificate after re-imports,
    or hold it both on a card and in a file). `prefer(new, kept)` says when a later copy replaces
    the one kept; by default the first stays."""
    by_der: dict[bytes, EntryT] = {}
    for entry in entries:
        kept = by_der.get(entry.der)
        if kept is None or (prefer is not None and prefer(entry, kept)):
            by_der[entry.der] = entry
    return list(by_der.values())


def with_certificates(
    found: Sequence[tuple[EntryT, RefT]], kept: Iterable[EntryT]
) -> Iterator[tuple[x509.Certificate, EntryT, RefT]]:
    """The kept entries that parse as certificates, each with the OS reference listed beside it.

    References are matched by identity, not equality: two copies of one certificate compare equal
    but carry different OS handles. A damaged entry is passed over: it must not hide the others.
    """
    refs = {id(entry): ref for entry, ref in found}
    for entry in kept:
        try:
            certificate = x509.load_der_x509_certificate(entry.der)
        except ValueError:
            continue
        yield certificate, entry, refs[id(entry)]


# --------------------------------------------------------------------------------------------
# Keys opened on first use


def check_digest(digest: bytes, mechanism: SignatureMechanism) -> None:
    """The OS signs whatever bytes it gets: a digest of the wrong size would give a valid-looking,
    useless signature, so it is refused before the OS (and its PIN dialog) is reached."""
    if len(digest) != mechanism.hash.digest_size:
        raise ValueError("digest length does not match the hash algorithm")


class OsCredential(Credential):
    """A certificate of an OS store whose private key is opened on the first operation.

    Listing must never raise a PIN dialog, so the key handle is acquired lazily (`os_key()`), kept
    for the batch (one PIN entry) and closed by `release()` when the store closes.
    """

    _os_key: Any = None

    @abstractmethod
    def _open_key(self) -> Any:
        """The OS key handle (with `.close()`); imports the OS module, so it runs on that OS only."""

    def os_key(self) -> Any:
        if self._os_key is None:
            self._os_key = self._open_key()
        return self._os_key

    def release(self) -> None:
        if self._os_key is not None:
            self._os_key.close()
            self._os_key = None


class OsKeyStore(KeyStore):
    """An OS store listed once, on the first `credentials()`, and whose keys are released on close."""

    _credentials: list[OsCredential] | None = None

    @abstractmethod
    def _list(self) -> list[OsCredential]:
        """Read the OS store: the certificates that have a private key, once each."""

    def credentials(self) -> list[Credential]:
        if self._credentials is None:
            self._credentials = self._list()
        return list(self._credentials)

    def close(self) -> None:
        for credential in self._credentials or []:
            with contextlib.suppress(KeyStoreError):
                credential.release()
        self._credentials = None


# --------------------------------------------------------------------------------------------
# Errors, French first


def wrong_key_error() -> DecryptionFailedError:
    """What a decryption refused by the OS for bad data means to a buyer: not this key's bid."""
    return DecryptionFailedError(
        M_("Le déchiffrement a échoué : le pli n'a pas été chiffré pour cette clé."),
    )


_VERBS = {"sign": M_("La signature"), "decrypt": M_("Le déchiffrement")}


def operation_failed(
    operation: str,
    *,
    where: Message,
    detail: str,
    code: str,
    verbs: dict[str, Message] | None = None,
) -> KeyStoreError:
    """The error for an OS status no specific message covers: which operation failed, where, and the
    raw status (`detail`) for support."""
    verb = {**_VERBS, **(verbs or {})}.get(operation, M_("L'opération"))
    return KeyStoreError(
        M_("{verb} a échoué dans {where} ({detail}).", verb=verb, where=where, detail=detail), code=code
    )
