"""What the Windows and macOS backends share: listing once, lazy keys released on close, errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from assistant.i18n import M_
from assistant.keystores.base import (
    DecryptionMechanism,
    HashAlgorithm,
    SignatureMechanism,
    SignatureScheme,
    StoreKind,
    StoreRef,
)
from assistant.keystores.osstore import (
    OsCredential,
    OsKeyStore,
    check_digest,
    once_each,
    operation_failed,
    with_certificates,
)
from tests import pki


@dataclass(frozen=True)
class Entry:
    der: bytes
    name: str


class Handle:
    """Stands for an OS key handle: records whether the backend closed it."""

    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


class Cred(OsCredential):
    opened = 0

    def _open_key(self) -> Handle:
        Cred.opened += 1
        return Handle()

    def sign_digest(self, digest: bytes, mechanism: SignatureMechanism) -> bytes:
        check_digest(digest, mechanism)
        return b"sig"

    def decrypt(self, ciphertext: bytes, mechanism: DecryptionMechanism) -> bytes:
        return b""


class Store(OsKeyStore):
    kind = StoreKind.WINDOWS

    def __init__(self, certs: list[Any]) -> None:
        self.ref = StoreRef(StoreKind.WINDOWS, "test", "test:")
        self.certs = certs
        self.listings = 0

    def _list(self) -> list[OsCredential]:
        self.listings += 1
        return [Cred(cert, self.ref) for cert in self.certs]


def test_once_each_keeps_the_first_unless_a_later_copy_is_preferred() -> None:
    a1, b, a2 = Entry(b"A", "1"), Entry(b"B", "2"), Entry(b"A", "3")
    assert once_each([a1, b, a2]) == [a1, b]
    assert once_each([a1, b, a2], prefer=lambda new, kept: new.name == "3") == [a2, b]


def test_damaged_entries_are_passed_over_and_refs_follow_their_own_entry(test_pki: pki.TestPki) -> None:
    der = test_pki.signer.certificate.public_bytes(serialization.Encoding.DER)
    first, copy, broken = Entry(der, "first"), Entry(der, "copy"), Entry(b"\x30\x03junk", "broken")
    found = [(first, "ref-1"), (broken, "ref-2"), (copy, "ref-3")]
    listed = list(with_certificates(found, [broken, copy]))
    assert [(entry.name, ref) for _, entry, ref in listed] == [("copy", "ref-3")]
    assert listed[0][0] == test_pki.signer.certificate


def test_store_lists_once_opens_keys_lazily_and_releases_them_on_close(test_pki: pki.TestPki) -> None:
    store = Store([test_pki.signer.certificate, test_pki.signer_ec.certificate])
    Cred.opened = 0
    creds = store.credentials()
    assert len(store.credentials()) == 2 and store.listings == 1 and Cred.opened == 0  # no PIN dialog on listing
    cred = creds[0]
    assert isinstance(cred, Cred)
    mechanism = SignatureMechanism(SignatureScheme.RSA_PKCS1V15, HashAlgorithm.SHA256)
    with pytest.raises(ValueError):
        cred.sign_digest(b"short", mechanism)
    cred.os_key()
    handle = cred.os_key()
    assert Cred.opened == 1  # one key handle (one PIN entry) for the batch
    store.close()
    assert handle.closed and cred._os_key is None
    store.credentials()
    assert store.listings == 2


def test_fallback_error_names_the_operation_the_place_and_the_status() -> None:
    where = M_("le magasin Windows")
    error = operation_failed(
        "open",
        where=where,
        detail="code 0x00000005",
        code="windows_error",
        verbs={"open": M_("L'ouverture du magasin")},
    )
    assert error.message_fr == "L'ouverture du magasin a échoué dans le magasin Windows (code 0x00000005)."
    assert error.message_en == "Opening the store failed in the Windows store (code 0x00000005)."
    assert error.code == "windows_error"
    assert operation_failed("sign", where=where, detail="x", code="c").message_fr.startswith("La signature a échoué")
    assert operation_failed("other", where=where, detail="x", code="c").message_en.startswith("The operation failed")
