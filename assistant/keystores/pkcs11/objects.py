"""Creating objects on a PKCS#11 token (or NSS database), all or nothing.

Two features write to a token: importing a PKCS#12 (keystores.importer) and making a bi-clé
(envelopes.bicle). Both need a read-write session of their own on the store's slot, both must leave
the token as it was when a later object fails, and both store the certificate the same way, with
the attributes Firefox, Chrome and the platforms' applets look a certificate up by.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

if TYPE_CHECKING:
    from assistant.keystores.pkcs11.backend import Pkcs11Store

# PKCS#11 v2.40 numbers, so that templates can be built without loading python-pkcs11.
CKO_CERTIFICATE = 1
CKC_X_509 = 0
CKA_CLASS, CKA_TOKEN, CKA_PRIVATE, CKA_LABEL, CKA_VALUE = 0x0, 0x1, 0x2, 0x3, 0x11
CKA_CERTIFICATE_TYPE, CKA_ISSUER, CKA_SERIAL_NUMBER, CKA_SUBJECT, CKA_ID = 0x80, 0x81, 0x82, 0x101, 0x102


def certificate_template(cert: x509.Certificate, label: str, object_id: bytes) -> dict[int, Any]:
    """A public token certificate object, paired with its keys by `object_id` (CKA_ID)."""
    from asn1crypto.core import Integer

    return {
        CKA_CLASS: CKO_CERTIFICATE,
        CKA_CERTIFICATE_TYPE: CKC_X_509,
        CKA_TOKEN: True,
        CKA_PRIVATE: False,
        CKA_LABEL: label,
        CKA_ID: object_id,
        CKA_SUBJECT: cert.subject.public_bytes(),
        CKA_ISSUER: cert.issuer.public_bytes(),
        CKA_SERIAL_NUMBER: bytes(Integer(cert.serial_number).dump()),
        CKA_VALUE: cert.public_bytes(serialization.Encoding.DER),
    }


@contextlib.contextmanager
def creating_objects(store: Pkcs11Store, *, attribute_mapper: Any = None) -> Iterator[tuple[Any, list[Any]]]:
    """(session, created): a read-write session on the store's slot, under the module's lock.

    The store's login (one PIN) covers this session: PKCS#11 login belongs to the application.
    Objects the block appends to `created` are destroyed, last first, if the block raises, so that
    the token ends as it was; the block's error is then raised unchanged.
    """
    module = store.module
    with module.lock:
        slot = next(s for s in module.lib.get_slots() if int(s.slot_id) == store.slot_id)
        session = slot.get_token().open(rw=True, attribute_mapper=attribute_mapper)
        created: list[Any] = []
        try:
            yield session, created
        except BaseException:
            for obj in reversed(created):
                with contextlib.suppress(Exception):  # best effort: the first error is what matters
                    obj.destroy()
            raise
        finally:
            session.close()
