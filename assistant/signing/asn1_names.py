"""RFC 4518 string preparation of certificate names, computed once per distinct value.

pyHanko and pyhanko-certvalidator compare and index certificate names through asn1crypto, which
prepares each attribute value (RFC 4518: mapping, Unicode normalisation, prohibited characters)
once per parsed object. pyHanko copies every certificate it reads from a signature (`untag()`),
so verifying 100 signatures of one signer prepared the same few strings thousands of times: about
half of the time spent per CAdES file. The preparation is a pure function of the string, so
memoising it changes no result (a string asn1crypto rejects still raises, every time).

The index key asn1crypto derives from a name (`Name.hashable`, what pyhanko-certvalidator looks
issuers up by) is likewise remembered by the name's encoding.

Two names whose DER encodings are identical are the same name (RFC 5280, 7.1: comparison rules
only matter when encodings differ), so `Name.__eq__` first compares the encoded RDN sequences.
pyHanko tries that itself, but compares an ESS IssuerSerial's explicitly tagged [4] directoryName
with the certificate's untagged issuer, whose bytes then never match: every CAdES signature paid
two full comparisons.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

from asn1crypto import x509

MEMO_SIZE = 4096  # distinct name values; a bid's signatures share a handful of CAs and signers

_lock = threading.Lock()


def install() -> None:
    """Memoise asn1crypto's name-value preparation for this process (idempotent)."""
    with _lock:
        cls = x509.NameTypeAndValue
        current = cls.__dict__["_ldap_string_prep"]
        if getattr(current, "_memoised", False):
            return
        original: Callable[[object, str], str] = current

        @functools.lru_cache(maxsize=MEMO_SIZE)
        def _prep(string: str) -> str:
            return original(None, string)  # the method reads nothing from its object

        def _ldap_string_prep(_self: object, string: str) -> str:
            return _prep(string)

        _ldap_string_prep._memoised = True  # type: ignore[attr-defined]
        cls._ldap_string_prep = _ldap_string_prep  # type: ignore[method-assign]

        compare: Callable[[x509.Name, object], bool] = x509.Name.__eq__

        def __eq__(self: x509.Name, other: object) -> bool:
            if isinstance(other, x509.Name) and self.chosen.contents == other.chosen.contents:
                return True  # the same encoding (whatever tag wraps it): the same name
            return compare(self, other)

        x509.Name.__eq__ = __eq__  # type: ignore[method-assign,assignment]

        index_key = x509.Name.hashable.fget
        assert index_key is not None
        keys: dict[bytes, str] = {}

        def hashable(self: x509.Name) -> str:
            # The index key of a name (pyhanko-certvalidator's issuer lookups), by its encoding.
            encoded = self.chosen.contents
            key = keys.get(encoded)
            if key is None:
                key = index_key(self)  # a refused name raises here, and is not remembered
                if len(keys) >= MEMO_SIZE:
                    keys.clear()
                keys[encoded] = key
            return key

        x509.Name.hashable = property(hashable)  # type: ignore[method-assign,assignment]
